"""Extended feature ``uri.logged-models``: MLflow 3 logged models and the versions registered
from them.

``models:/m-<id>`` names a logged model of the tracking server; registering it sends that URI as
the source and the logged model's id as ``model_id``, which MLflow 3's registry keeps on the
version. The logged model is logged once per target and process (``shared_runs``).

Over HTTP, MLflow's client (3.17) does not read ``model_id`` (``ModelVersion.from_proto`` leaves
it out, "TODO: Include ... model ID in proto"), though the protocol's ``ModelVersion`` has the
field; so on HTTP targets the JSON answer of ``model-versions/get`` is read instead.
"""

from __future__ import annotations

from typing import Any

import mlflow
from mlflow.utils.rest_utils import http_request

from conformance.run.registry_client import direct
from conformance.scenarios import file_trees, model_runs, prerequisites, states, tiny_model
from conformance.scenarios.markers import feature, requires_client

pytestmark = requires_client("logged models")

SLOPE = 3.5


def _logged_model(shared_runs, experiment_id: str):
    """A logged model (MLflow 3) in a run of this process's experiment, shared."""

    def log(_folder):
        with mlflow.start_run(experiment_id=experiment_id):
            return tiny_model.log("model", SLOPE)

    return shared_runs.get("logged-model", log)


def _wire_model_id(client, name: str, version: str) -> Any:
    """``model_id`` in the JSON answer of ``GET model-versions/get`` (None when absent)."""
    store = direct(client).store
    answer = http_request(
        store.get_host_creds(),
        "/api/2.0/mlflow/model-versions/get",
        "GET",
        params={"name": name, "version": version},
    )
    answer.raise_for_status()
    return answer.json().get("model_version", {}).get("model_id")


def _register(probe, client, name: str, info) -> object:
    with probe.prerequisite("create_registered_model"):
        empty = states.latest_numbers_of(client.create_registered_model(name))
    with probe.feature(
        f"register_model({info.model_uri})", state=states.latest_held(client, name, empty)
    ):
        return mlflow.register_model(info.model_uri, name)


@feature("uri.logged-models")
def test_version_from_a_logged_model_carries_its_model_id(
    client, target, names, probe, fluent, experiment_id, shared_runs
):
    # given a logged model
    with probe.prerequisite("log a logged model"):
        info = _logged_model(shared_runs, experiment_id)
    name = names("logged-model-id")

    # when it is registered
    created = _register(probe, client, name, info)

    # then the version answers and reads back with the logged model's run and id
    version = str(created.version)
    stored = client.get_model_version(name, version)
    for what, entity in (("register_model answered", created), ("get_model_version", stored)):
        assert entity.run_id == info.run_id, (
            f"{what} run_id {entity.run_id!r} for {name} v{version}; the logged model's run is "
            f"{info.run_id!r}"
        )
        if not target.is_http:
            assert entity.model_id == info.model_id, (
                f"{what} model_id {entity.model_id!r} for {name} v{version}, registered from "
                f"{info.model_uri}"
            )
    if target.is_http:
        with probe.after_acceptance("GET model-versions/get (JSON)", accepted=f"{name} v{version}"):
            on_the_wire = _wire_model_id(client, name, version)
        assert on_the_wire == info.model_id, (
            f"model-versions/get answers model_id {on_the_wire!r} for {name} v{version}, "
            f"registered from {info.model_uri}"
        )
    # and a search by name finds it (with its model_id where the answer can carry it)
    found: list = []
    if prerequisites.best_effort(
        probe,
        f"search_model_versions(name = {name!r})",
        lambda: found.extend(client.search_model_versions(f"name = '{name}'")),
        state=lambda: None,
        before=None,
    ):
        got = [(str(v.version), v.model_id if not target.is_http else None) for v in found]
        want = [(version, info.model_id if not target.is_http else None)]
        assert got == want, (
            f"search_model_versions(name = {name!r}) answered {got}, expected {want}"
        )


@feature("uri.logged-models")
def test_logged_model_and_its_version_load_and_download_alike(
    client, names, probe, fluent, experiment_id, shared_runs, tmp_path
):
    # given a logged model, registered
    with probe.prerequisite("log a logged model"):
        info = _logged_model(shared_runs, experiment_id)
    name = names("logged-model-load")
    version = str(_register(probe, client, name, info).version)
    accepted = f"{name} v{version} from {info.model_uri}"

    # when the version's download URI is downloaded, and both URIs are loaded
    with probe.feature("get_model_version_download_uri"):
        download_uri = client.get_model_version_download_uri(name, version)
    with probe.after_acceptance("download the download URI", accepted=accepted):
        registered = file_trees.download_tree(download_uri, tmp_path / "registered")
    with probe.prerequisite(f"download {info.model_uri}"):
        logged = file_trees.download_tree(info.model_uri, tmp_path / "logged")
    with probe.prerequisite(f"load {info.model_uri}"):
        from_logged = model_runs.predictions(info.model_uri)
    with probe.after_acceptance(f"load models:/{name}/{version}", accepted=accepted):
        from_version = model_runs.predictions(f"models:/{name}/{version}")

    # then the version serves the logged model's files and predicts as it does
    difference = file_trees.tree_difference(logged, registered)
    assert not difference, f"{name} v{version}'s download URI {download_uri}: {difference}"
    assert from_logged == from_version == tiny_model.expected(SLOPE), (
        f"{info.model_uri} predicts {from_logged}, models:/{name}/{version} {from_version}; "
        f"the logged model predicts {tiny_model.expected(SLOPE)}"
    )
