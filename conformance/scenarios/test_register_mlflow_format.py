"""Seed row 1: registering models in MLflow format, one scenario per way of handing them over."""

from __future__ import annotations

import mlflow
import pytest

from conformance.scenarios import model_runs, stages, states, tiny_model
from conformance.scenarios.markers import LOGGED_MODEL_WAY, feature

WAYS = ("local-folder", "run-artifacts", LOGGED_MODEL_WAY)


def _hand_over(way: str, experiment_id: str, tmp_path, slope: float) -> tuple[str, str | None]:
    """Prepare the model the given way; return (URI for register_model, source it must keep).

    The expected source is None where the registry may legitimately record another one: a
    registry that uploads a local folder into its own storage (Azure ML's plugin does) records
    the copy's location, which is as good as the original for every consumer.
    """
    if way == "local-folder":
        folder = tiny_model.save(tmp_path / "model", slope)
        return folder.resolve().as_uri(), None
    with mlflow.start_run(experiment_id=experiment_id) as run:
        if way == "run-artifacts":
            folder = tiny_model.save(tmp_path / "model", slope)
            mlflow.log_artifacts(str(folder), "model")
        else:
            info = tiny_model.log("model", slope)
    if way == "run-artifacts":
        # The client registers the run's concrete artifact location of the MLmodel folder.
        return f"runs:/{run.info.run_id}/model", f"{run.info.artifact_uri.rstrip('/')}/model"
    return info.model_uri, info.model_uri


@feature("register.mlflow-format")
@pytest.mark.parametrize("way", WAYS)
def test_register_mlflow_model_and_load_version(
    client, names, probe, fluent, experiment_id, way, tmp_path
):
    # given a tiny MLflow-format model handed over the given way, and an empty registered model
    slope, intercept = 2.5, 0.0
    name = names(f"mlflow-format-{way}")
    with probe.prerequisite(f"prepare the model ({way})"):
        model_uri, expected_source = _hand_over(way, experiment_id, tmp_path, slope)
    with probe.prerequisite("create_registered_model"):
        empty = states.latest_numbers_of(client.create_registered_model(name))

    # when it is registered
    with probe.feature(f"register_model({way})", state=states.latest_held(client, name, empty)):
        created = mlflow.register_model(model_uri, name)

    # then the returned version is version 1 of that model, ready or on its way
    assert created.name == name, f"register_model returned a version of {created.name!r}"
    assert str(created.version) == "1", f"first version of a new model is {created.version!r}"
    assert created.status in states.CREATION_STATUSES, (
        f"register_model returned status {created.status!r}"
    )
    # and reading it back shows it READY, with the source it was registered from
    stored = client.get_model_version(name, "1")
    assert stored.status == "READY", f"version 1 of {name} is {stored.status!r}, not READY"
    if expected_source is not None:
        assert created.source == expected_source, (
            f"register_model returned source {created.source!r}, sent {expected_source!r}"
        )
        assert stored.source == expected_source, (
            f"version 1 records source {stored.source!r}, registered from {expected_source!r}"
        )
    else:
        assert stored.source, "version 1 records no source"
        assert stored.source == created.source, (
            f"version 1 records source {stored.source!r}, register_model returned "
            f"{created.source!r}"
        )

    # and it loads back into a model that predicts as the original did
    with probe.after_acceptance(f"load_model(models:/{name}/1)", accepted=f"{name} v1"):
        got = model_runs.predictions(f"models:/{name}/1")
    assert got == tiny_model.expected(slope, intercept), (
        f"models:/{name}/1 predicts {got}, the registered model predicts "
        f"{tiny_model.expected(slope, intercept)}"
    )


@feature("register.mlflow-format")
def test_latest_loads_the_newest_version(client, names, probe, fluent, experiment_id, shared_runs):
    # given two MLflow-format models with different slopes, logged as a run's artifacts (a run
    # other scenarios register from too: registering only reads it)
    old, new = 0, 2  # of model_runs.TINY_SLOPES
    old_slope, new_slope = model_runs.TINY_SLOPES[old], model_runs.TINY_SLOPES[new]
    name = names("mlflow-format-latest")
    with probe.prerequisite("log model folders as run artifacts"):
        run = model_runs.tiny_models_run(shared_runs, client, experiment_id)
        logged = model_runs.LoggedFolders(
            run.run_id, [run.artifact_uris[old], run.artifact_uris[new]]
        )
    with probe.prerequisite("create_registered_model"):
        empty = states.latest_numbers_of(client.create_registered_model(name))

    # when both are registered, the older first
    with probe.feature(
        "create_model_version(run artifact location)",
        state=states.latest_held(client, name, empty),
    ):
        versions = list(model_runs.register_logged(client, name, logged))
    assert versions == ["1", "2"], f"two registrations of a new model gave versions {versions}"

    # then models:/<name>/latest is the newer one, and each number still loads its own model
    with probe.feature(f"get_latest_versions({name}) (resolving models:/{name}/latest)"):
        latest_version = stages.resolved_version(client, name)
    assert latest_version == "2", (
        f"models:/{name}/latest resolves to v{latest_version}, expected v2, the newer version"
    )
    accepted = f"{name} v1 and v2, v2 as the latest"
    with probe.after_acceptance(f"load_model(models:/{name}/latest)", accepted=accepted):
        latest = model_runs.predictions(f"models:/{name}/latest")
    assert latest == tiny_model.expected(new_slope), (
        f"models:/{name}/latest predicts {latest}: expected version 2's "
        f"{tiny_model.expected(new_slope)} (version 1 predicts {tiny_model.expected(old_slope)})"
    )
    with probe.after_acceptance(f"load_model(models:/{name}/1)", accepted=accepted):
        first = model_runs.predictions(f"models:/{name}/1")
    assert first == tiny_model.expected(old_slope), (
        f"models:/{name}/1 predicts {first}, expected {tiny_model.expected(old_slope)}"
    )
