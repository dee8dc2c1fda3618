"""The in-memory tracking store behind ``memory://``, driven through stock MLflow APIs."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import mlflow
import mlflow.pyfunc
import pytest
from mlflow.entities import ViewType
from mlflow.exceptions import MlflowException
from mlflow.tracking import fluent
from mlflow.tracking._model_registry import utils as registry_utils
from mlflow.tracking._tracking_service import utils as tracking_utils

from conformance.scenarios import tiny_model
from reference_backend import plugin
from reference_backend.instances import Address, drop_instance, get_instance


def log_model(n: float, name: str = "model") -> mlflow.models.model.ModelInfo:
    """A model that adds ``n``: each version predicts differently, so loads can be told apart."""
    return tiny_model.log(name, slope=1.0, intercept=n)


def predictions(model_uri: str) -> list[float]:
    """Of the sample input, [1.0, 2.0]."""
    return list(mlflow.pyfunc.load_model(model_uri).predict(tiny_model.SAMPLE_INPUT))


def error_code(excinfo: pytest.ExceptionInfo[MlflowException]) -> str:
    return excinfo.value.error_code


@pytest.fixture
def memory_uri(monkeypatch: pytest.MonkeyPatch):
    """A fresh instance as this test's tracking and registry URI; dropped afterwards."""
    uri = f"memory://test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setattr(tracking_utils, "_tracking_uri", uri)
    monkeypatch.setattr(registry_utils, "_registry_uri", uri)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", uri)
    monkeypatch.setattr(fluent, "_active_experiment_id", None)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    yield uri
    while mlflow.active_run():
        mlflow.end_run()
    drop_instance(uri)


@pytest.fixture
def client(memory_uri: str) -> mlflow.MlflowClient:
    return mlflow.MlflowClient(memory_uri, memory_uri)


def test_experiments_lifecycle(client: mlflow.MlflowClient, memory_uri: str):
    default = client.get_experiment("0")
    root = get_instance(memory_uri).artifact_root
    assert (default.name, default.artifact_location) == ("Default", f"{root}/0")

    exp_id = client.create_experiment("exp", tags={"team": "a"})
    assert exp_id == "1"
    assert client.get_experiment_by_name("exp").tags == {"team": "a"}
    with pytest.raises(MlflowException) as dup:
        client.create_experiment("exp")
    assert error_code(dup) == "RESOURCE_ALREADY_EXISTS"

    client.rename_experiment(exp_id, "renamed")
    assert client.get_experiment(exp_id).name == "renamed"
    assert client.get_experiment_by_name("exp") is None

    client.delete_experiment(exp_id)
    active = {e.experiment_id for e in client.search_experiments()}
    deleted = {e.experiment_id for e in client.search_experiments(ViewType.DELETED_ONLY)}
    assert (active, deleted) == ({"0"}, {exp_id})
    client.restore_experiment(exp_id)
    assert client.get_experiment(exp_id).lifecycle_stage == "active"
    found = client.search_experiments(filter_string="name LIKE 'ren%'")
    assert [e.experiment_id for e in found] == [exp_id]

    with pytest.raises(MlflowException) as missing:
        client.get_experiment("999")
    assert error_code(missing) == "RESOURCE_DOES_NOT_EXIST"


def test_run_logging_round_trip(client: mlflow.MlflowClient, memory_uri: str, tmp_path: Path):
    with mlflow.start_run(run_name="trial") as run:
        mlflow.log_params({"alpha": 0.5, "layers": 3})
        for step, value in enumerate([0.9, 0.5, 0.2]):
            mlflow.log_metric("loss", value, step=step)
        mlflow.set_tags({"stage": "dev", "drop": "me"})
        mlflow.log_text("hello", "notes/hello.txt")
    run_id = run.info.run_id
    client.delete_tag(run_id, "drop")

    got = client.get_run(run_id)
    exp_location = client.get_experiment("0").artifact_location
    assert got.info.artifact_uri == f"{exp_location}/{run_id}/artifacts"
    assert (got.info.run_name, got.info.status) == ("trial", "FINISHED")
    assert got.data.params == {"alpha": "0.5", "layers": "3"}
    assert got.data.metrics == {"loss": 0.2}
    assert got.data.tags["stage"] == "dev"
    assert "drop" not in got.data.tags
    history = client.get_metric_history(run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(0, 0.9), (1, 0.5), (2, 0.2)]

    assert [f.path for f in client.list_artifacts(run_id, "notes")] == ["notes/hello.txt"]
    local = client.download_artifacts(run_id, "notes/hello.txt", str(tmp_path))
    assert Path(local).read_text() == "hello"

    with pytest.raises(MlflowException) as changed:
        client.log_param(run_id, "alpha", "0.7")
    assert error_code(changed) == "INVALID_PARAMETER_VALUE"

    found = client.search_runs(["0"], "params.layers = '3' and metrics.loss < 0.5")
    assert [r.info.run_id for r in found] == [run_id]
    client.delete_run(run_id)
    assert client.search_runs(["0"]) == []
    client.restore_run(run_id)
    assert [r.info.run_id for r in client.search_runs(["0"])] == [run_id]

    with pytest.raises(MlflowException) as missing:
        client.get_run(uuid.uuid4().hex)
    assert error_code(missing) == "RESOURCE_DOES_NOT_EXIST"


def test_log_model_records_a_logged_model(client: mlflow.MlflowClient):
    with mlflow.start_run() as run:
        mlflow.log_metric("acc", 0.75)
        info = log_model(1)

    model = client.get_logged_model(info.model_id)
    exp_location = client.get_experiment("0").artifact_location
    assert model.artifact_location == f"{exp_location}/models/{info.model_id}/artifacts"
    assert (model.name, model.source_run_id, model.status.name) == (
        "model",
        run.info.run_id,
        "READY",
    )
    assert {m.key: m.value for m in model.metrics} == {"acc": 0.75}
    outputs = client.get_run(run.info.run_id).outputs.model_outputs
    assert [o.model_id for o in outputs] == [info.model_id]
    found = client.search_logged_models(["0"], filter_string="name = 'model'")
    assert [m.model_id for m in found] == [info.model_id]
    assert predictions(info.model_uri) == [2.0, 3.0]

    client.set_logged_model_tags(info.model_id, {"k": "v"})
    client.delete_logged_model_tag(info.model_id, "k")
    assert "k" not in client.get_logged_model(info.model_id).tags
    with pytest.raises(MlflowException) as missing:
        client.get_logged_model("m-missing")
    assert error_code(missing) == "RESOURCE_DOES_NOT_EXIST"


def test_register_from_run_and_load_by_version_latest_stage_alias(client: mlflow.MlflowClient):
    for n in (1, 10):
        with mlflow.start_run() as run:
            info = log_model(n)
        version = mlflow.register_model(f"runs:/{run.info.run_id}/model", "adder")
    assert version.version == 2
    assert version.source == f"models:/{info.model_id}"
    assert version.run_id == run.info.run_id

    assert predictions("models:/adder/1") == [2.0, 3.0]
    assert predictions("models:/adder/latest") == [11.0, 12.0]
    client.transition_model_version_stage("adder", "1", "Staging")
    assert predictions("models:/adder/Staging") == [2.0, 3.0]
    client.set_registered_model_alias("adder", "champion", "2")
    assert predictions("models:/adder@champion") == [11.0, 12.0]

    links = json.loads(client.get_logged_model(info.model_id).tags["mlflow.modelVersions"])
    assert links == [{"name": "adder", "version": 2}]


def test_register_local_folder(tmp_path: Path, memory_uri: str):
    path = tmp_path / "saved"
    tiny_model.save(path, slope=1.0, intercept=5.0)
    version = mlflow.register_model(path.as_uri(), "from-folder")
    assert (version.version, version.source) == (1, path.as_uri())
    assert predictions("models:/from-folder/1") == [6.0, 7.0]


def test_instances_are_independent_and_droppable(memory_uri: str):
    other = f"memory://other-{uuid.uuid4().hex[:12]}"
    try:
        mine = get_instance(memory_uri)
        assert get_instance(memory_uri) is mine
        assert plugin.tracking_store(memory_uri) is mine.tracking_store
        assert plugin.registry_store(memory_uri, tracking_uri=other) is mine.registry_store

        mlflow.MlflowClient(memory_uri).create_experiment("only-here")
        theirs = mlflow.MlflowClient(other)
        assert theirs.get_experiment_by_name("only-here") is None
        theirs.create_experiment("before-drop")

        workdir = get_instance(other).workdir
        assert workdir.is_dir()
        assert drop_instance(other)
        assert not workdir.exists()
        assert mlflow.MlflowClient(other).get_experiment_by_name("before-drop") is None
    finally:
        drop_instance(other)


def test_concurrent_writers_do_not_lose_updates(client: mlflow.MlflowClient):
    run_id = client.create_run("0").info.run_id

    def work(i: int) -> str:
        client.log_metric(run_id, "hits", i, step=i)
        return client.create_experiment(f"parallel-{i}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(work, range(40)))
    assert sorted(map(int, ids)) == list(range(1, 41))
    assert len(client.get_metric_history(run_id, "hits")) == 40


@pytest.mark.parametrize(
    ("uri", "name"),
    [("memory://", "default"), ("memory://a-b_c.1", "a-b_c.1"), ("memory:///", "default")],
)
def test_address_names(uri: str, name: str):
    assert Address.parse(uri).name == name


@pytest.mark.parametrize(
    "uri", ["file:///tmp/x", "memory://a/b", "memory://a?emulate=nonesuch", "memory://a#f"]
)
def test_address_rejects(uri: str):
    with pytest.raises(MlflowException) as bad:
        Address.parse(uri)
    assert error_code(bad) == "INVALID_PARAMETER_VALUE"


def test_artifact_root_from_the_store_builder(tmp_path: Path):
    uri = f"memory://rooted-{uuid.uuid4().hex[:12]}"
    try:
        store = plugin.tracking_store(uri, artifact_uri=tmp_path.as_uri())
        assert store.get_experiment("0").artifact_location == f"{tmp_path.as_uri()}/0"
        assert plugin.tracking_store(uri, artifact_uri=tmp_path.as_uri()) is store
        with pytest.raises(MlflowException) as clash:
            plugin.tracking_store(uri, artifact_uri="mlflow-artifacts:/")
        assert error_code(clash) == "INVALID_PARAMETER_VALUE"
    finally:
        drop_instance(uri)
