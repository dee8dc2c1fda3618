"""Seed row 4: registering a model from a run tracked on another (foreign) tracking server.

The producer's client tracks on the foreign server and registers into the target registry; the
consumer knows only the target (its registry and its own tracking server) and must still get
the model. Two ways a foreign run holds an MLflow-format model:

* ``run-artifacts``: an MLmodel folder among the run's artifacts, registered with
  ``mlflow.register_model("runs:/<run>/model")``; the client sends the folder's concrete
  artifact location (and the foreign run id) to the registry.
* ``logged-model``: an MLflow 3 logged model, registered from its concrete artifact location
  (``create_model_version(source=<logged model's artifact_location>, run_id=<foreign run>)``).

Not a way: ``register_model("runs:/<run>/<logged model>")`` or ``register_model(models:/m-<id>)``.
For a logged model MLflow 3's client sends the source ``models:/m-<id>``, a name that only the
foreign tracking server can resolve; the registry is never told which server that is. MLflow's
in-process stores happen to resolve it through the producer's process-wide tracking URI at
registration, a remote registry cannot (MLflow's server answers 500), so the outcome would
measure where the registry runs, not what it supports.

What the target can do with the foreign artifacts depends on how the foreign server stores them:
storage that both sides address directly (an ``s3://`` bucket they share, ...) can work; an
``mlflow-artifacts:`` location is relative to the foreign server that proxies it, and a local
``file:`` path exists only where it was written. So every scenario names the foreign artifact
storage it was measured with: in its evidence (role ``context``) and in the reason of any
outcome but ``passed``.

Only a refusal of the registration itself is ``unsupported``. Once the target has accepted the
foreign version, a consumer who cannot load or download it got a wrong answer (``failed``),
whatever error code says so.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import mlflow
import pytest
from mlflow.tracking import MlflowClient

from conformance.masking import mask_text
from conformance.scenarios import file_trees, model_runs, states, tiny_model
from conformance.scenarios.foreign_artifacts import (
    ForeignModel,
    accepted_version,
    foreign_storage,
    measured_with,
)
from conformance.scenarios.markers import LOGGED_MODEL_WAY, feature

WAYS = ("run-artifacts", LOGGED_MODEL_WAY)


@contextmanager
def _as_producer(tracking_uri: str, registry_uri: str) -> Iterator[None]:
    """Point MLflow's fluent API at the producer's servers for one step, then back at the
    target (where the ``fluent`` fixture points it for the consumer): the producer tracks on the
    foreign server, and only ``mlflow.register_model`` and ``log_model`` do what it does."""
    previous = (mlflow.get_tracking_uri(), mlflow.get_registry_uri())
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(registry_uri)
    try:
        yield
    finally:
        mlflow.set_tracking_uri(previous[0])
        mlflow.set_registry_uri(previous[1])


def _log_foreign(way: str, foreign_uri: str, experiment_id: str, slope: float, workdir: Path):
    """Log a tiny model in a run on the foreign tracking server."""
    with (
        _as_producer(foreign_uri, foreign_uri),
        mlflow.start_run(experiment_id=experiment_id) as run,
    ):
        if way == "run-artifacts":
            folder = tiny_model.save(workdir / "model", slope)
            mlflow.log_artifacts(str(folder), "model")
            location = mlflow.get_artifact_uri("model")
            storage = foreign_storage(location, foreign_uri)
            return ForeignModel(run.info.run_id, location, storage, file_trees.read_tree(folder))
        model_id = tiny_model.log("model", slope).model_id
    location = MlflowClient(tracking_uri=foreign_uri).get_logged_model(model_id).artifact_location
    files = file_trees.download_tree(location, workdir / "producer-copy", tracking_uri=foreign_uri)
    return ForeignModel(run.info.run_id, location, foreign_storage(location, foreign_uri), files)


def _register_foreign(way: str, model: ForeignModel, name: str, foreign_uri: str, target):
    """Register the foreign run's model into the target registry, as the producer does."""
    with _as_producer(foreign_uri, target.registry_uri):
        if way == "run-artifacts":
            return mlflow.register_model(f"runs:/{model.run_id}/model", name)
        producer = MlflowClient(tracking_uri=foreign_uri, registry_uri=target.registry_uri)
        return producer.create_model_version(
            name, source=model.artifact_location, run_id=model.run_id
        )


def _given_registered(way, target, client, names, probe, foreign_uri, experiment_id, tmp_path):
    """Log a model on the foreign server and register it into the target (the call under test)."""
    slope = 6.0
    name = names(f"foreign-{way}")
    logging = f"log a model in a run on the foreign tracking server ({way})"
    with probe.prerequisite(logging):
        model = _log_foreign(way, foreign_uri, experiment_id, slope, tmp_path)
    probe.evidence.append(
        {
            "call": logging,
            "role": "context",
            "foreign_artifacts": model.storage,
            "artifact_location": mask_text(model.artifact_location),
        }
    )
    with probe.prerequisite("create_registered_model"):
        empty = states.latest_numbers_of(client.create_registered_model(name))
    with probe.feature(
        f"register a foreign run's model ({way}; foreign artifacts: {model.storage})",
        state=states.latest_held(client, name, empty),
    ):
        created = _register_foreign(way, model, name, foreign_uri, target)
    assert created.name == name, (
        f"registration returned a version of {created.name!r} ({measured_with(model)})"
    )
    assert str(created.version) == "1", (
        f"first version of a new model is {created.version!r} ({measured_with(model)})"
    )
    assert created.status in states.CREATION_STATUSES, (
        f"registration returned status {created.status!r} ({measured_with(model)})"
    )
    return name, slope, model


@feature("register.from-foreign-run")
@pytest.mark.parametrize("way", WAYS)
def test_consumer_of_the_registry_loads_a_foreign_runs_model(
    target,
    client,
    names,
    probe,
    fluent,
    foreign_tracking_uri,
    foreign_experiment_id,
    way,
    tmp_path,
):
    # given a model logged in a run on the foreign tracking server, registered into the target
    name, slope, model = _given_registered(
        way, target, client, names, probe, foreign_tracking_uri, foreign_experiment_id, tmp_path
    )

    # when a consumer that knows only the target (the fluent API points there) loads it
    loading = f"load_model(models:/{name}/1) knowing only the target"
    with probe.after_acceptance(loading, accepted=accepted_version(model)):
        got = model_runs.predictions(f"models:/{name}/1")

    # then it predicts as the foreign run's model did
    assert got == tiny_model.expected(slope), (
        f"models:/{name}/1 predicts {got}, the foreign run's model predicts "
        f"{tiny_model.expected(slope)} ({measured_with(model)})"
    )


@feature("register.from-foreign-run")
@pytest.mark.parametrize("way", WAYS)
def test_foreign_version_keeps_its_run_and_downloads_intact(
    target,
    client,
    names,
    probe,
    fluent,
    foreign_tracking_uri,
    foreign_experiment_id,
    way,
    tmp_path,
):
    # given a model logged in a run on the foreign tracking server
    # when it is registered into the target (inside _given_registered)
    name, _, model = _given_registered(
        way, target, client, names, probe, foreign_tracking_uri, foreign_experiment_id, tmp_path
    )

    # then the version records the foreign run it came from
    stored = client.get_model_version(name, "1")
    assert stored.run_id == model.run_id, (
        f"{name} v1 records run_id {stored.run_id!r}, registered from foreign run "
        f"{model.run_id!r} ({measured_with(model)})"
    )
    assert stored.status == "READY", (
        f"{name} v1 is {stored.status!r}, not READY ({measured_with(model)})"
    )

    # and a consumer that knows only the target asks for its download URI and downloads it
    asking = f"get_model_version_download_uri({name}, 1)"
    with probe.after_acceptance(asking, accepted=accepted_version(model)):
        download_uri = client.get_model_version_download_uri(name, "1")
    assert download_uri, f"{name} v1 has no download URI ({measured_with(model)})"
    downloading = f"download_artifacts(models:/{name}/1) knowing only the target"
    with probe.after_acceptance(downloading, accepted=accepted_version(model)):
        downloaded = file_trees.download_tree(f"models:/{name}/1", tmp_path / "consumer-copy")

    # then every file of the foreign run's model comes back, byte for byte
    difference = file_trees.tree_difference(model.files, downloaded)
    assert not difference, (
        f"models:/{name}/1 (download URI {download_uri}) differs from the foreign run's model "
        f"({measured_with(model)}): {difference}"
    )
