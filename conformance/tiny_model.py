"""The model scenarios register: tiny, dependency-free, saved in milliseconds, easy to check.

It lives in an importable module (not a scenario file) so that a loaded copy unpickles in any
process that has the suite installed.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import mlflow.pyfunc

#: Requirements are given, not inferred: inference imports the model and costs seconds.
_PIP_REQUIREMENTS = ["mlflow"]


@contextmanager
def _without_type_hint_advice() -> Iterator[None]:
    """MLflow advises type hints on ``predict`` at every save; this model avoids them on purpose
    (they would switch on schema validation and signature inference)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Add type hints", category=UserWarning)
        yield


with _without_type_hint_advice():  # MLflow checks the hints when the class is made, too

    class Affine(mlflow.pyfunc.PythonModel):
        """Predicts ``slope * x + intercept``; distinct parameters tell versions apart."""

        def __init__(self, slope: float, intercept: float) -> None:
            self.slope = slope
            self.intercept = intercept

        def predict(self, context, model_input, params=None):
            values = model_input.iloc[:, 0] if hasattr(model_input, "iloc") else model_input
            return [self.slope * float(x) + self.intercept for x in values]


def save(path: Path, slope: float, intercept: float = 0.0) -> Path:
    """Save an MLflow-format model folder at ``path``."""
    with _without_type_hint_advice():
        mlflow.pyfunc.save_model(
            str(path), python_model=Affine(slope, intercept), pip_requirements=_PIP_REQUIREMENTS
        )
    return path


def log(name: str, slope: float, intercept: float = 0.0) -> mlflow.models.model.ModelInfo:
    """Log an MLflow 3 logged model in the active run."""
    with _without_type_hint_advice():
        return mlflow.pyfunc.log_model(
            name=name, python_model=Affine(slope, intercept), pip_requirements=_PIP_REQUIREMENTS
        )


def expected(slope: float, intercept: float = 0.0, inputs: tuple[float, ...] = (1.0, 2.0)):
    return [slope * x + intercept for x in inputs]


SAMPLE_INPUT = [1.0, 2.0]
