"""Real servers for the test session (and for ``reports/``): ``mlflow server`` on SQLite, PostgreSQL
or MySQL/MariaDB, ``reference-backend serve`` and an S3-compatible object store (moto), each
started in its own process group and stopped with it; fresh databases on a running PostgreSQL or
MySQL/MariaDB server."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

_START_TIMEOUT_S = 180


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def migrated_sqlite(folder: Path, python: str | None = None) -> Path:
    """A fresh, fully migrated MLflow SQLite database (migrations cost seconds; do them once).
    ``python``: migrated by the MLflow of that interpreter (another version's schema) instead of
    this process's."""
    path = folder / "mlflow.db"
    if path.exists():
        return path
    if python is None:
        from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore

        SqlAlchemyStore(f"sqlite:///{path}").engine.dispose()
        return path
    migrate = (
        "import sys; from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore; "
        "SqlAlchemyStore(sys.argv[1]).engine.dispose()"
    )
    done = subprocess.run(
        [python, "-c", migrate, f"sqlite:///{path}"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{python}: migrating {path} failed:\n{done.stderr[-3000:]}")
    return path


@contextmanager
def mlflow_server(
    backend_store_uri: str,
    workdir: Path,
    env: Mapping[str, str] | None = None,
    artifacts: Sequence[str] | None = None,
    app_name: str | None = None,
    workspaces: bool = False,
    python: str = sys.executable,
) -> Iterator[str]:
    """Run ``mlflow server``; yield its URL. ``env`` adds variables to the server's environment;
    ``python`` is the interpreter whose MLflow serves (another environment's: another version).

    ``artifacts`` are the server's artifact options; by default it proxies artifacts stored
    under ``workdir`` (runs get ``mlflow-artifacts:`` locations). ``app_name`` serves one of
    MLflow's app plugins (``basic-auth``) instead of the plain server. ``workspaces``: with
    ``--enable-workspaces`` (MLflow 3.10+; a SQL backend store)."""
    if artifacts is None:
        artifacts = ("--artifacts-destination", str(workdir / "artifacts"))
    port = free_port()
    log = (workdir / f"mlflow-server-{port}.log").open("wb")
    env = {**os.environ, **(env or {}), "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    process = subprocess.Popen(
        [
            python,
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            backend_store_uri,
            *artifacts,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            *(("--app-name", app_name) if app_name else ()),
            *(("--enable-workspaces",) if workspaces else ()),
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


def _wait_until_healthy(
    url: str,
    process: subprocess.Popen,
    log_path: Path,
    what: str = "mlflow server",
    health: str = "/health",
) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited early:\n{log_path.read_text()[-3000:]}")
        try:
            if requests.get(f"{url}{health}", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(
        f"{what} not healthy after {_START_TIMEOUT_S}s:\n{log_path.read_text()[-3000:]}"
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


@dataclass(frozen=True)
class ObjectStore:
    """An S3-compatible object store made by :func:`s3_object_store`, with one empty bucket."""

    endpoint_url: str
    bucket: str
    #: What every process that reads or writes the store needs (servers, suite, client): MLflow's
    #: S3 endpoint setting and the dummy credentials the store accepts.
    env: dict[str, str]

    def uri(self, prefix: str) -> str:
        return f"s3://{self.bucket}/{prefix}"


@contextmanager
def s3_object_store(workdir: Path, bucket: str = "rc-artifacts") -> Iterator[ObjectStore]:
    """Run moto's S3 server on a free port with one bucket; yield the store.

    The shared object store of a deployment where several tracking servers (and their clients)
    address artifacts directly by ``s3://`` URI, the way many real deployments do."""
    import boto3

    port = free_port()
    log_path = workdir / f"moto-{port}.log"
    url = f"http://127.0.0.1:{port}"
    env = {
        "MLFLOW_S3_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "moto-dummy-key",
        "AWS_SECRET_ACCESS_KEY": "moto-dummy-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            start_new_session=True,
        )
        try:
            _wait_until_healthy(url, process, log_path, "moto S3 server", "/moto-api/")
            boto3.client(
                "s3",
                endpoint_url=url,
                region_name=env["AWS_DEFAULT_REGION"],
                aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            ).create_bucket(Bucket=bucket)
            yield ObjectStore(url, bucket, env)
        finally:
            _stop_group(process)


def s3_artifacts(store: ObjectStore, prefix: str) -> tuple[str, ...]:
    """``mlflow server`` options for runs whose artifact locations are ``s3://`` URIs under
    ``prefix`` of the store, read and written by clients directly (not proxied)."""
    return ("--default-artifact-root", store.uri(prefix), "--no-serve-artifacts")


def copy_database(source: Path, destination: Path) -> Path:
    shutil.copyfile(source, destination)
    return destination


@contextmanager
def reference_server(
    name: str = "default", env: Mapping[str, str] | None = None, workdir: Path | None = None
) -> Iterator[str]:
    """Run ``reference-backend serve`` in its own process; yield its URL once it is ready.
    ``env`` adds variables to the server's environment. Its output goes to a log file in
    ``workdir`` (by default a temporary folder, removed with the server), never to a pipe that
    nobody reads once it is up and that would block the server when full."""
    with ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="reference-")))
        port = free_port()
        log_path = workdir / f"reference-backend-{port}.log"
        log = stack.enter_context(log_path.open("wb"))
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
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
        try:
            _wait_until_logged("serving", process, log_path, "reference-backend")
            yield f"http://127.0.0.1:{port}"
        finally:
            _stop_group(process)


def _wait_until_logged(ready: str, process: subprocess.Popen, log_path: Path, what: str) -> None:
    """Wait for the server's ready line (``ready`` in its log)."""
    deadline = time.monotonic() + _START_TIMEOUT_S
    while True:
        exited = process.poll() is not None  # before reading: then the log is complete
        output = log_path.read_text(errors="replace")
        if ready in output:
            return
        if exited:
            raise RuntimeError(f"{what} did not start:\n{output[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{what} did not start within {_START_TIMEOUT_S}s:\n{output[-3000:]}"
            )
        time.sleep(0.1)


@dataclass(frozen=True)
class Database:
    """A database made by :func:`fresh_database`: its SQLAlchemy URI and what serves it."""

    uri: str
    name: str
    #: The server's own words, e.g. "PostgreSQL 15.20 (Debian ...)" or "10.11.19-MariaDB-...".
    version: str
    #: The DBAPI driver SQLAlchemy picked for the URI's scheme (it changes between versions).
    driver: str


@contextmanager
def fresh_database(server_uri: str, prefix: str = "rc") -> Iterator[Database]:
    """Create an empty database on the PostgreSQL or MySQL/MariaDB server at ``server_uri`` (a
    SQLAlchemy URI without a database name) and drop it afterwards, even if still in use."""
    from sqlalchemy import create_engine, make_url, text

    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = create_engine(server_uri, isolation_level="AUTOCOMMIT")
    force = " WITH (FORCE)" if admin.dialect.name == "postgresql" else ""
    try:
        with admin.connect() as connection:
            version = connection.execute(text("SELECT version()")).scalar_one()
            connection.execute(text(f"CREATE DATABASE {name}"))
        try:
            uri = make_url(server_uri).set(database=name).render_as_string(hide_password=False)
            yield Database(uri, name, version.split(" on ")[0], admin.dialect.driver)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name}{force}"))
    finally:
        admin.dispose()


@contextmanager
def basic_auth_mlflow_server(migrated: Path, workdir: Path, admin_password: str) -> Iterator[str]:
    """``mlflow server --app-name basic-auth`` on a copy of a migrated SQLite database.

    MLflow ships no default admin password: the server creates its admin with ``admin_password``.
    """
    database = copy_database(migrated, workdir / "mlflow.db")
    env = {
        "MLFLOW_AUTH_ADMIN_PASSWORD": admin_password,
        "MLFLOW_FLASK_SERVER_SECRET_KEY": secrets.token_hex(16),
    }
    with mlflow_server(f"sqlite:///{database}", workdir, env=env, app_name="basic-auth") as url:
        yield url
