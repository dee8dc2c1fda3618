"""Tiny MLflow models logged in runs and registered from them: the runs several scenarios share
(the ``shared_runs`` fixture), versions registered from their folders, and what a loaded
version predicts.

Nothing here wraps a call in the probe: the scenario decides which step is under test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow
from mlflow.entities.model_registry import ModelVersion
from mlflow.tracking import MlflowClient

from conformance.scenarios import tiny_model


@dataclass(frozen=True)
class LoggedFolders:
    """Model folders logged as artifacts of one run: the run and each folder's artifact URI."""

    run_id: str
    artifact_uris: list[str]


def log_tiny_models(
    client: MlflowClient, experiment_id: str, slopes: list[float], workdir: Path
) -> LoggedFolders:
    """Save one tiny MLflow-format model per slope and log each under ``model-<i>`` of one run."""
    run = client.create_run(experiment_id)
    run_id = run.info.run_id
    root = run.info.artifact_uri.rstrip("/")
    uris = []
    for index, slope in enumerate(slopes, start=1):
        folder = tiny_model.save(workdir / f"model-{index}", slope)
        client.log_artifacts(run_id, str(folder), f"model-{index}")
        uris.append(f"{root}/model-{index}")
    client.set_terminated(run_id)
    return LoggedFolders(run_id, uris)


def register_logged(
    client: MlflowClient, name: str, logged: LoggedFolders
) -> dict[str, ModelVersion]:
    """One version of ``name`` per logged folder (source = its artifact URI, with the run id):
    the registry's answers by version number, in registration order."""
    answers = [
        client.create_model_version(name, source=uri, run_id=logged.run_id)
        for uri in logged.artifact_uris
    ]
    return {str(answer.version): answer for answer in answers}


def register_tiny_models(
    client: MlflowClient, experiment_id: str, name: str, slopes: list[float], workdir: Path
) -> list[str]:
    """Create ``name`` and register one tiny model per slope from a run's artifacts.

    For scenarios that need loadable versions as a prerequisite (stages, ...).
    """
    client.create_registered_model(name)
    return list(
        register_logged(client, name, log_tiny_models(client, experiment_id, slopes, workdir))
    )


@dataclass
class SharedRuns:
    """Runs holding model folders that several scenarios register versions from (registering
    only reads a run), logged once per target and process (the ``shared_runs`` fixture) by the
    first scenario that needs each, under its own probe; one whose logging failed is logged
    afresh by the next. They go with this process's experiment at the end of the run."""

    workdir: Path
    _logged: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, log: Callable[[Path], Any]) -> Any:
        """The run ``key``: what ``log`` returned, given a fresh folder to work in."""
        if key not in self._logged:
            folder = self.workdir / f"{key}-{len(list(self.workdir.iterdir()))}"
            folder.mkdir(parents=True)
            self._logged[key] = log(folder)
        return self._logged[key]


#: Slopes of the tiny models of :func:`tiny_models_run`: versions 1-4 tell each other apart.
TINY_SLOPES = (1.0, 2.0, 3.0, 4.0)


def tiny_models_run(
    shared_runs: SharedRuns, client: MlflowClient, experiment_id: str
) -> LoggedFolders:
    """The run holding one tiny model per slope of ``TINY_SLOPES`` (``model-1`` ...), shared."""
    return shared_runs.get(
        "tiny-models",
        lambda folder: log_tiny_models(client, experiment_id, list(TINY_SLOPES), folder),
    )


def predictions(model_uri: str) -> list[float]:
    """Load ``model_uri`` with ``mlflow.pyfunc`` (the fluent URIs) and predict the sample input."""
    model = mlflow.pyfunc.load_model(model_uri)
    return [float(value) for value in model.predict(tiny_model.SAMPLE_INPUT)]
