"""Workspaces (MLflow 3.10+): the reference backend keeps each workspace's models apart, and a
run's ledger removes the run's models in its workspaces, then the workspaces, and nothing else."""

from __future__ import annotations

import uuid

import pytest
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from conformance.run import sweep
from conformance.run.ledger import Ledger, in_workspace
from reference_backend.instances import drop_instance
from tests import report_documents, servers


@pytest.fixture
def uri():
    uri = f"memory://workspaces-{uuid.uuid4().hex[:8]}"
    yield uri
    drop_instance(uri)


def _error(call, *args) -> str:
    with pytest.raises(MlflowException) as raised:
        call(*args)
    return raised.value.error_code


def test_the_same_name_in_two_workspaces_is_two_models(uri):
    client = MlflowClient(uri, uri)
    assert client._get_registry_client().store.supports_workspaces
    for workspace in ("ws-a", "ws-b"):
        client.create_workspace(workspace)
        with in_workspace(workspace):
            client.create_registered_model("m", description=workspace)
            assert client.create_model_version("m", f"s3://b/{workspace}", run_id=None).version == 1
    with in_workspace("ws-a"):
        assert client.get_registered_model("m").description == "ws-a"
        assert client.get_model_version("m", "1").source == "s3://b/ws-a"
        client.delete_registered_model("m")
    with in_workspace("ws-b"):
        assert client.get_registered_model("m").description == "ws-b"
    assert _error(client.get_registered_model, "m") == "RESOURCE_DOES_NOT_EXIST"  # default
    with in_workspace("no-such-ws"):
        assert _error(client.get_registered_model, "m") == "RESOURCE_DOES_NOT_EXIST"


def test_deleting_workspaces_by_mode(uri):
    client = MlflowClient(uri, uri)
    for workspace in ("keep", "gone", "moved"):
        client.create_workspace(workspace)
        with in_workspace(workspace):
            client.create_registered_model(f"m-{workspace}")
    assert _error(client.create_workspace, "keep") == "RESOURCE_ALREADY_EXISTS"
    assert _error(client.delete_workspace, "keep") == "INVALID_STATE"  # RESTRICT: not empty
    assert _error(client.delete_workspace, "default") == "INVALID_STATE"
    client.delete_workspace("gone", mode="CASCADE")
    client.delete_workspace("moved", mode="SET_DEFAULT")
    assert [w.name for w in client.list_workspaces()] == ["default", "keep"]
    assert client.get_registered_model("m-moved").name == "m-moved"
    client.create_workspace("gone")
    with in_workspace("gone"):
        assert client.search_registered_models() == []


def test_an_emulation_without_workspaces_keeps_every_model_in_the_default_one(uri):
    emulated = f"{uri}-sql?emulate=mlflow-server-sql"
    client = MlflowClient(emulated, emulated)
    try:
        assert not client._get_registry_client().store.supports_workspaces
        assert _error(client.create_workspace, "ws-a") == "FEATURE_DISABLED"
        with in_workspace("ws-a"):
            client.create_registered_model("m")
        assert client.get_registered_model("m").name == "m"
    finally:
        drop_instance(emulated)


def test_the_ledger_removes_the_runs_models_in_its_workspaces_then_the_workspaces(uri):
    client = MlflowClient(uri, uri)
    ledger = Ledger("rcTest_ns", worker="gw0")
    workspace = ledger.mint_workspace("a", uri, uri)
    assert workspace.startswith("rctest-ns-gw0-")
    name = ledger.mint("m", uri, uri)
    client.create_workspace(workspace)
    ledger.place(name, workspace)
    with in_workspace(workspace):
        client.create_registered_model(name)
        client.create_model_version(name, "s3://b/1", run_id=None)
    client.create_registered_model(name)  # the same name in the run's own workspace
    client.create_registered_model("not-the-runs")

    assert ledger.remove_workspaces([workspace]) == []
    assert ledger.remove([name]) == []

    assert [w.name for w in client.list_workspaces()] == ["default"]
    assert [m.name for m in client.search_registered_models()] == ["not-the-runs"]
    assert ledger.sweep() == []


def test_a_workspace_holding_what_the_run_did_not_create_is_left_behind(uri):
    client = MlflowClient(uri, uri)
    ledger = Ledger("rc-test", worker="main")
    workspace = ledger.mint_workspace("a", uri, uri)
    client.create_workspace(workspace)
    with in_workspace(workspace):
        client.create_registered_model("someone-elses")

    [left] = ledger.remove_workspaces([workspace])

    assert left.name == f"workspace {workspace}"
    assert "INVALID_STATE" in left.reason or "still holds" in left.reason
    with in_workspace(workspace):
        assert client.get_registered_model("someone-elses").name == "someone-elses"
    assert [left.name for left in ledger.unconfirmed("why")] == [f"workspace {workspace}"]


@pytest.mark.slow
def test_a_workspace_server_is_supported_and_left_as_it_was(migrated_sqlite, tmp_path):
    """``mlflow server --enable-workspaces`` on SQLite: the row is supported, and the run leaves
    no workspace and no model behind, in any workspace."""
    database = servers.copy_database(migrated_sqlite, tmp_path / "mlflow.db")
    with servers.mlflow_server(f"sqlite:///{database}", tmp_path, workspaces=True) as url:
        done, document = report_documents.run_with_document(
            tmp_path, f"--registry-uri={url}", "-m", "feature_workspaces_isolation"
        )
        client = MlflowClient(url, url)
        workspaces = [w.name for w in client.list_workspaces()]
        models = client.search_registered_models()
    verdicts = {v["feature"]: v["verdict"] for v in document["verdicts"]}
    assert verdicts["workspaces.isolation"] == "supported", done.stdout[-3000:]
    assert document["leftovers"] == []
    assert (workspaces, models) == (["default"], [])


def test_a_sweep_removes_an_interrupted_runs_workspaces_and_nothing_else(uri):
    client = MlflowClient(uri, uri)
    for workspace in ("rc-ns-gw0-1-a", "other"):
        client.create_workspace(workspace)
        with in_workspace(workspace):
            client.create_registered_model("rc_NS-gw0-2-m")
            client.create_registered_model("not-the-runs")
    with in_workspace("rc-ns-gw0-1-a"):
        client.delete_registered_model("not-the-runs")

    found = sweep.find("rc_NS", uri, uri)

    assert found.lines() == [
        "model rc_NS-gw0-2-m in workspace rc-ns-gw0-1-a (versions: none; aliases: none)",
        "workspace rc-ns-gw0-1-a",
    ]
    assert sweep.delete(found, uri, uri) == []
    assert [w.name for w in client.list_workspaces()] == ["default", "other"]
    with in_workspace("other"):
        assert {m.name for m in client.search_registered_models()} == {
            "rc_NS-gw0-2-m",
            "not-the-runs",
        }
