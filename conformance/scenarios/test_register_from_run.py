"""Seed row 3: ``register_model("runs:/<run_id>/<path>")`` from a run on the same tracking server.

Two ways a run holds a model: an MLflow 3 logged model (``log_model``; the client registers
``models:/m-<id>`` with the run's id) and an MLflow-format folder among the run's own artifacts
(``log_artifacts``; the client registers the folder's concrete artifact location).
"""

from __future__ import annotations

import mlflow
import pytest

from conformance.scenarios import model_runs, stages, states, tiny_model
from conformance.scenarios.markers import LOGGED_MODEL_WAY, feature

WAYS = (LOGGED_MODEL_WAY, "run-artifacts")
#: The two runs of each way (label -> the slope of its tiny model), which the scenarios share:
#: registering only reads a run.
SLOPES = {"first": 1.5, "second": -2.0}


def _log_model_in_run(way: str, experiment_id: str, path: str, slope: float, workdir) -> str:
    """Start a run, put a tiny model at ``path`` the given way, end it; return the run id."""
    with mlflow.start_run(experiment_id=experiment_id) as run:
        if way == "logged-model":
            tiny_model.log(path, slope)
        else:
            folder = tiny_model.save(workdir / path, slope)
            mlflow.log_artifacts(str(folder), path)
    return run.info.run_id


def _runs(shared_runs, way: str, experiment_id: str) -> dict[str, str]:
    """The two runs of ``way`` (label -> run id), each holding a tiny model at "model"."""
    return shared_runs.get(
        f"from-run-{way}",
        lambda workdir: {
            label: _log_model_in_run(way, experiment_id, "model", slope, workdir / label)
            for label, slope in SLOPES.items()
        },
    )


@feature("register.from-run")
@pytest.mark.parametrize("way", WAYS)
def test_register_from_run_records_run_and_loads(
    client, names, probe, fluent, experiment_id, shared_runs, way
):
    # given a run on the target's tracking server holding a tiny model at "model"
    slope = SLOPES["first"]
    name = names(f"from-run-{way}")
    with probe.prerequisite(f"log a model in a run ({way})"):
        run_id = _runs(shared_runs, way, experiment_id)["first"]
    with probe.prerequisite("create_registered_model"):
        empty = states.latest_numbers_of(client.create_registered_model(name))

    # when runs:/<run_id>/model is registered
    with probe.feature(
        f"register_model(runs:/, {way})", state=states.latest_held(client, name, empty)
    ):
        created = mlflow.register_model(f"runs:/{run_id}/model", name)

    # then version 1 records the run it came from
    assert created.name == name, f"register_model returned a version of {created.name!r}"
    assert str(created.version) == "1", f"first version of a new model is {created.version!r}"
    assert created.run_id == run_id, (
        f"register_model returned run_id {created.run_id!r}, registered from run {run_id!r}"
    )
    stored = client.get_model_version(name, "1")
    assert stored.run_id == run_id, (
        f"{name} v1 records run_id {stored.run_id!r}, registered from run {run_id!r}"
    )
    assert stored.status == "READY", f"{name} v1 is {stored.status!r}, not READY"

    # and models:/<name>/1 loads the run's model
    # (models:/<name>/latest is judged where it has a choice to make: the next scenario)
    with probe.after_acceptance(f"load_model(models:/{name}/1)", accepted=f"{name} v1"):
        got = model_runs.predictions(f"models:/{name}/1")
    assert got == tiny_model.expected(slope), (
        f"models:/{name}/1 predicts {got}, the run's model predicts {tiny_model.expected(slope)}"
    )


@feature("register.from-run")
@pytest.mark.parametrize("way", WAYS)
def test_versions_from_two_runs_keep_their_runs(
    client, names, probe, fluent, experiment_id, shared_runs, way
):
    # given two runs, each holding a tiny model with its own slope
    slopes = SLOPES
    name = names(f"from-two-runs-{way}")
    with probe.prerequisite(f"log a model in each of two runs ({way})"):
        run_ids = _runs(shared_runs, way, experiment_id)
    with probe.prerequisite("create_registered_model"):
        empty = states.latest_numbers_of(client.create_registered_model(name))

    # when the first run's model is registered, then the second's
    with probe.feature(
        f"register_model(runs:/, {way})", state=states.latest_held(client, name, empty)
    ):
        created = [
            mlflow.register_model(f"runs:/{run_ids[label]}/model", name)
            for label in ("first", "second")
        ]

    # then each version records its own run
    assert [str(version.version) for version in created] == ["1", "2"], (
        f"two registrations of a new model gave versions {[v.version for v in created]}"
    )
    for version, label in (("1", "first"), ("2", "second")):
        stored = client.get_model_version(name, version)
        assert stored.run_id == run_ids[label], (
            f"{name} v{version} records run_id {stored.run_id!r}, registered from the {label} "
            f"run {run_ids[label]!r}"
        )

    # and models:/<name>/latest is the second run's model
    with probe.feature(f"get_latest_versions({name}) (resolving models:/{name}/latest)"):
        latest_version = stages.resolved_version(client, name)
    assert latest_version == "2", (
        f"models:/{name}/latest resolves to v{latest_version}, expected v2, the second run's"
    )
    loading, accepted = f"load_model(models:/{name}/latest)", f"{name} v1 and v2, v2 as the latest"
    with probe.after_acceptance(loading, accepted=accepted):
        got = model_runs.predictions(f"models:/{name}/latest")
    assert got == tiny_model.expected(slopes["second"]), (
        f"models:/{name}/latest predicts {got}: expected the second run's "
        f"{tiny_model.expected(slopes['second'])}, not the first's "
        f"{tiny_model.expected(slopes['first'])}"
    )
