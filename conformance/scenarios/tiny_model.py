"""The model scenarios register: tiny, dependency-free, saved in milliseconds, easy to check.

It lives in an importable module (not a scenario file) so that a loaded copy unpickles in any
process that has the suite installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mlflow.pyfunc
from mlflow.models import Model
from mlflow.models.model import MLMODEL_FILE_NAME

#: Requirements are given, not inferred: inference imports the model and costs seconds.
_PIP_REQUIREMENTS = ["mlflow"]

#: The files of a saved model that describe its environment (to serve or rebuild it elsewhere).
#: Nothing the scenarios check needs them, and each one costs a request per upload and per
#: download: :func:`save` leaves them out, and its ``MLmodel`` names none.
_ENVIRONMENT_FILES = ("conda.yaml", "python_env.yaml", "requirements.txt")


class Affine(mlflow.pyfunc.PythonModel):
    """Predicts ``slope * x + intercept``; distinct parameters tell versions apart.

    ``predict``'s type hints are MLflow's way to a signature without an input example: it infers
    one (a list of doubles) when the model is saved, and converts a DataFrame input to a list.
    """

    def __init__(self, slope: float, intercept: float) -> None:
        self.slope = slope
        self.intercept = intercept

    def predict(
        self, context: Any, model_input: list[float], params: dict[str, Any] | None = None
    ) -> list[float]:
        return [self.slope * x + self.intercept for x in model_input]


def save(path: Path, slope: float, intercept: float = 0.0) -> Path:
    """Save an MLflow-format model folder at ``path``: ``MLmodel`` and the pickled model, without
    the environment files (:data:`_ENVIRONMENT_FILES`)."""
    mlflow.pyfunc.save_model(
        str(path), python_model=Affine(slope, intercept), pip_requirements=_PIP_REQUIREMENTS
    )
    model = Model.load(path)
    model.flavors[mlflow.pyfunc.FLAVOR_NAME].pop(mlflow.pyfunc.ENV, None)
    model.save(path / MLMODEL_FILE_NAME)
    for name in _ENVIRONMENT_FILES:
        (path / name).unlink(missing_ok=True)
    return path


def log(name: str, slope: float, intercept: float = 0.0) -> mlflow.models.model.ModelInfo:
    """Log an MLflow 3 logged model in the active run."""
    return mlflow.pyfunc.log_model(
        name=name, python_model=Affine(slope, intercept), pip_requirements=_PIP_REQUIREMENTS
    )


def expected(slope: float, intercept: float = 0.0, inputs: tuple[float, ...] = (1.0, 2.0)):
    return [slope * x + intercept for x in inputs]


SAMPLE_INPUT = [1.0, 2.0]
