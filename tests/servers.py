"""Real servers for the test session: ``mlflow server`` on SQLite (or PostgreSQL), started and
stopped by the tests themselves, each in its own process group."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

_START_TIMEOUT_S = 180


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def migrated_sqlite(folder: Path) -> Path:
    """A fresh, fully migrated MLflow SQLite database (migrations cost seconds; do them once)."""
    path = folder / "mlflow.db"
    if not path.exists():
        from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore

        SqlAlchemyStore(f"sqlite:///{path}").engine.dispose()
    return path


@contextmanager
def mlflow_server(backend_store_uri: str, workdir: Path) -> Iterator[str]:
    """Run ``mlflow server`` with proxied artifacts under ``workdir``; yield its URL."""
    port = free_port()
    log = (workdir / f"mlflow-server-{port}.log").open("wb")
    env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            backend_store_uri,
            "--artifacts-destination",
            str(workdir / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=workdir,
        start_new_session=True,  # its own process group: gunicorn workers die with it
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process, workdir / f"mlflow-server-{port}.log")
        yield url
    finally:
        _stop_group(process)
        log.close()


def _wait_until_healthy(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow server exited early:\n{log_path.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(
        f"mlflow server not healthy after {_START_TIMEOUT_S}s:\n{log_path.read_text()[-3000:]}"
    )


def _stop_group(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def copy_database(source: Path, destination: Path) -> Path:
    shutil.copyfile(source, destination)
    return destination


@contextmanager
def reference_server(name: str = "default") -> Iterator[str]:
    """Run ``reference-backend serve`` in its own process; yield its URL once it is ready."""
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reference_backend",
            "serve",
            "--port",
            str(port),
            "--name",
            name,
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    ready = process.stdout.readline()
    try:
        if "serving" not in ready:
            raise RuntimeError(f"reference-backend did not start: {ready}{process.stdout.read()}")
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop_group(process)
