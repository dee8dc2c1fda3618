"""Workspaces (MLflow 3.10+): the reference backend keeps each workspace's models apart, and a
run's ledger removes the run's models in its workspaces, then the workspaces, and nothing else."""

from __future__ import annotations

import uuid

import pytest
from mlflow.entities.model_registry import RegisteredModelTag
from mlflow.entities.model_registry.prompt_version import IS_PROMPT_TAG_KEY
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
    store = client._get_registry_client().store
    for unknown in ("restrict", "RESTRICT ", "DROP"):  # never taken for CASCADE, nor any mode
        assert _error(store.delete_workspace, "keep", unknown) == "INVALID_PARAMETER_VALUE"
    assert _error(store.delete_workspace, "keep", "RESTRICT") == "INVALID_STATE"
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
    ledger = Ledger("rc-test-ns", worker="gw0")
    workspace = ledger.mint_workspace("a", uri, uri)
    assert workspace.startswith("rc-test-ns-gw0-")
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


@pytest.mark.parametrize("held", ["someone-elses", "a-prompt"])
def test_a_workspace_holding_what_the_run_did_not_create_is_left_behind(uri, monkeypatch, held):
    """Even where deleting a workspace takes what it holds with it (a registry whose default mode
    is CASCADE: MLflow's client asks for RESTRICT by sending no mode), the ledger never asks."""
    client = MlflowClient(uri, uri)
    ledger = Ledger("rc-test", worker="main")
    workspace = ledger.mint_workspace("a", uri, uri)
    client.create_workspace(workspace)
    with in_workspace(workspace):
        tags = {IS_PROMPT_TAG_KEY: "true"} if held == "a-prompt" else {}
        client._get_registry_client().store.create_registered_model(held, tags=list_of(tags))
    deleted = []
    cascade = MlflowClient.delete_workspace

    def deleting_all(self, name, mode="RESTRICT"):
        deleted.append(name)
        cascade(self, name, mode="CASCADE")

    monkeypatch.setattr(MlflowClient, "delete_workspace", deleting_all)

    [left] = ledger.remove_workspaces([workspace])

    assert left.name == f"workspace {workspace}"
    assert f"still holds registered models: {held}" in left.reason
    assert deleted == []
    with in_workspace(workspace):
        assert client._get_registry_client().store.get_registered_model(held).name == held
    assert [left.name for left in ledger.unconfirmed("why")] == [f"workspace {workspace}"]


def list_of(tags: dict[str, str]) -> list[RegisteredModelTag]:
    return [RegisteredModelTag(key, value) for key, value in tags.items()]


@pytest.mark.parametrize("namespace", ["rcTest", "rc_test", "RC"])
def test_a_namespace_that_is_no_workspace_name_mints_no_workspace(namespace):
    """Normalised (lowercase, ``-`` for ``_``), it could name another namespace's workspaces."""
    with pytest.raises(ValueError, match="not a workspace name"):
        Ledger(namespace).mint_workspace("a", "memory://x", "memory://x")
    with pytest.raises(ValueError, match="not a workspace name"):
        Ledger("rc-test").mint_workspace("two-parts", "memory://x", "memory://x")


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
    # the run's (and its second client's run's); another namespace's (a longer one, with this
    # one's prefix), or not a minted name; someone else's
    ours = ["rc-ns-gw0-1-a", "rc-ns-c2-main-3-b"]
    others = ["rc-ns-x-gw0-1-a", "rc-ns-main-1-main-2-a", "rc-ns-c2-x-main-3-b", "rc-ns-gw0-1"]
    others.append("other")
    for workspace in ours + others:
        client.create_workspace(workspace)
        with in_workspace(workspace):
            client.create_registered_model("rc-ns-gw0-2-m")
            if workspace not in ours:
                client.create_registered_model("not-the-runs")
    # a namespace that MLflow's workspace names cannot hold as it is matches none of them
    assert sweep.find("rc_NS", uri, uri).workspaces == []
    assert sweep.find("RC-NS", uri, uri).workspaces == []

    found = sweep.find("rc-ns", uri, uri)

    assert found.lines() == [
        "model rc-ns-gw0-2-m in workspace rc-ns-gw0-1-a (versions: none; aliases: none)",
        "model rc-ns-gw0-2-m in workspace rc-ns-c2-main-3-b (versions: none; aliases: none)",
        "workspace rc-ns-gw0-1-a",
        "workspace rc-ns-c2-main-3-b",
    ]
    assert sweep.delete(found, uri, uri) == []
    assert [w.name for w in client.list_workspaces()] == ["default", *others]
    for workspace in others:
        with in_workspace(workspace):
            assert {m.name for m in client.search_registered_models()} == {
                "rc-ns-gw0-2-m",
                "not-the-runs",
            }


def test_a_sweep_deletes_no_workspace_that_holds_what_it_did_not_list(uri):
    client = MlflowClient(uri, uri)
    client.create_workspace("rc-ns-gw0-1-a")
    found = sweep.find("rc-ns", uri, uri)
    with in_workspace("rc-ns-gw0-1-a"):  # created after the listing: not the sweep's to delete
        client.create_registered_model("someone-elses")

    [left] = sweep.delete(found, uri, uri)

    assert left.name == "workspace rc-ns-gw0-1-a"
    assert "someone-elses" in left.reason
    assert [w.name for w in client.list_workspaces()] == ["default", "rc-ns-gw0-1-a"]


@pytest.mark.parametrize(
    ("namespace", "verdict"), [("rc_ws", "not-tested"), ("rc-ws", "supported")]
)
def test_a_run_tests_workspaces_only_under_a_namespace_they_can_be_named_after(
    uri, tmp_path, namespace, verdict
):
    done, document = report_documents.run_with_document(
        tmp_path,
        f"--registry-uri={uri}",
        f"--namespace={namespace}",
        "-m",
        "feature_workspaces_isolation",
    )

    [row] = [v for v in document["verdicts"] if v["feature"] == "workspaces.isolation"]
    assert row["verdict"] == verdict, done.stdout[-3000:]
    assert (f"namespace {namespace} cannot start a workspace name" in row["note"]) is (
        verdict == "not-tested"
    )
    assert document["leftovers"] == []
