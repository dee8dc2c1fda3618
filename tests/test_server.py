"""``reference-backend serve`` as a real process, used by a stock MlflowClient over HTTP."""

from __future__ import annotations

import importlib.metadata
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mlflow
import mlflow.pyfunc
import pytest
from mlflow.tracking import fluent
from mlflow.tracking._model_registry import utils as registry_utils
from mlflow.tracking._tracking_service import utils as tracking_utils

from conformance.scenarios import tiny_model
from reference_backend import cli as reference_cli
from reference_backend import plugin
from reference_backend.server import serve_in_thread
from tests.servers import free_port

pytestmark = pytest.mark.slow

CLI = Path(sys.executable).with_name("reference-backend")
READY_TIMEOUT_S = 60


@dataclass
class Served:
    process: subprocess.Popen[str]
    name: str
    url: str
    port: int


def run_cli(*args: str, cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "_MLFLOW_"))}
    return subprocess.Popen(
        [str(CLI), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )


def wait_for_line(process: subprocess.Popen[str], timeout: float = READY_TIMEOUT_S) -> str:
    """The first stdout line, or a failure with the server's stderr if none comes."""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        if selector.select(timeout) and (line := process.stdout.readline()):
            return line.rstrip("\n")
    process.kill()
    pytest.fail(f"no ready line; stderr:\n{process.communicate()[1][-3000:]}")


def start(tmp_path: Path) -> Served:
    name = f"srv-{uuid.uuid4().hex[:10]}"
    port = free_port()
    process = run_cli("serve", "--port", str(port), "--name", name, "--quiet", cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    assert wait_for_line(process) == f"reference-backend serving memory://{name} at {url}"
    return Served(process, name, url, port)


def stop(
    served: Served, signum: signal.Signals = signal.SIGTERM
) -> subprocess.CompletedProcess[str]:
    served.process.send_signal(signum)
    stdout, stderr = served.process.communicate(timeout=20)
    return subprocess.CompletedProcess(
        served.process.args, served.process.returncode, stdout, stderr
    )


def workdirs(name: str) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"reference-backend-{name}-*"))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = start(tmp_path_factory.mktemp("served"))
    yield served
    if served.process.poll() is None:
        stop(served)


@pytest.fixture
def client(served: Served, monkeypatch: pytest.MonkeyPatch) -> mlflow.MlflowClient:
    """Stock client and fluent API aimed at the server; failures surface at once."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setattr(tracking_utils, "_tracking_uri", served.url)
    monkeypatch.setattr(registry_utils, "_registry_uri", served.url)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", served.url)
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", served.url)
    monkeypatch.setattr(fluent, "_active_experiment_id", None)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    return mlflow.MlflowClient(served.url, served.url)


def test_registry_crud_and_search_over_http(client: mlflow.MlflowClient):
    name = f"crud-{uuid.uuid4().hex[:8]}"
    created = client.create_registered_model(name, tags={"team": "a"}, description="d")
    assert (created.name, created.tags, created.description) == (name, {"team": "a"}, "d")
    versions = [client.create_model_version(name, f"s3://bucket/{name}/{i}") for i in (1, 2)]
    assert [v.version for v in versions] == ["1", "2"]  # REST stores return strings
    client.set_model_version_tag(name, "2", "stage", "candidate")

    (found,) = client.search_registered_models(filter_string=f"name = '{name}'")
    assert (found.name, found.tags) == (name, {"team": "a"})
    tagged = client.search_model_versions(f"name = '{name}' and tag.stage = 'candidate'")
    assert [v.version for v in tagged] == ["2"]
    assert client.get_model_version(name, "1").source == f"s3://bucket/{name}/1"

    client.delete_registered_model(name)
    with pytest.raises(mlflow.MlflowException) as gone:
        client.get_registered_model(name)
    assert gone.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def test_log_register_and_load_over_http(client: mlflow.MlflowClient):
    name = f"served-{uuid.uuid4().hex[:8]}"
    with mlflow.start_run() as run:
        mlflow.log_param("p", "1")
        info = tiny_model.log("model", slope=2.0)
    version = mlflow.register_model(f"runs:/{run.info.run_id}/model", name)

    assert (version.version, version.source) == ("1", f"models:/{info.model_id}")
    download_uri = client.get_model_version_download_uri(name, "1")
    assert download_uri == f"mlflow-artifacts:/0/models/{info.model_id}/artifacts"
    for uri in (f"models:/{name}/1", f"models:/{name}/latest"):
        assert list(mlflow.pyfunc.load_model(uri).predict([1.0, 4.0])) == [2.0, 8.0]
    assert client.get_run(run.info.run_id).data.params == {"p": "1"}


def test_busy_port_is_a_one_line_error(served: Served, tmp_path: Path):
    process = run_cli("serve", "--port", str(served.port), cwd=tmp_path)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert stdout == ""
    assert stderr == f"reference-backend: port {served.port} is already in use; pass --port\n"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_stop_signal_exits_cleanly_and_removes_the_temp_folder(tmp_path: Path, signum):
    served = start(tmp_path)
    assert len(workdirs(served.name)) == 1
    finished = stop(served, signum)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout == f"reference-backend: stopped by {signum.name}\n"
    assert "Traceback" not in finished.stderr
    assert workdirs(served.name) == []


def test_serve_in_thread_for_tool_authors(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with serve_in_thread() as url:
        client = mlflow.MlflowClient(url, url)
        client.create_registered_model("in-thread")
        assert [m.name for m in client.search_registered_models()] == ["in-thread"]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=5)
    with serve_in_thread() as url:  # a fresh instance each time
        assert mlflow.MlflowClient(url, url).search_registered_models() == []


def test_an_mlflow_older_than_the_store_api_is_a_one_line_error(monkeypatch, capsys):
    # the backend runs inside the installed MLflow; under MLflow 2 it refuses, served or not
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "2.9.2")
    monkeypatch.setattr(signal, "signal", lambda *args: None)  # the test's handlers stay
    assert reference_cli.main(["serve", "--port", "0"]) == 2
    expected = (
        "the reference backend runs in MLflow 3.1 or newer, not in the installed mlflow 2.9.2: "
        "serve it from an environment with a newer MLflow (reference-backend serve) and give "
        "its URL as --registry-uri"
    )
    assert capsys.readouterr() == ("", f"reference-backend: {expected}\n")
    with pytest.raises(plugin.UnsupportedMlflow) as refused:
        plugin.registry_store("memory://too-old")
    assert str(refused.value) == expected
