"""The report's client-skew table: MLflow clients of several versions against ``mlflow server``s of
several versions, one results document per server with one column per client.

Each server is a :class:`~reports.columns.Column` whose ``clients`` are :data:`CLIENTS`: the
regeneration runs ``registry-conformance run --client ...`` against it, and the report renders
each document as a pivot (rows features, columns client versions). A server of another MLflow
version runs from that version's ``run --client`` environment (the one its client runs in), so
it gets the pins that version needs and costs no build of its own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from conformance.cli.client_envs import (
    ClientEnv,
    client_requirement,
    environment,
    suite_source,
    uv_binary,
)
from reports.columns import Column, Setup, run_env, server_masks
from tests import servers

#: The oldest supported client, the last 2.x, the first 3.x with the prompt clause's release
#: line, and the newest installable 3.x (3.18.0's mlflow-skinny is missing from the index).
CLIENTS = ("mlflow==2.9.2", "mlflow==2.22.1", "mlflow==3.1.4", "mlflow==3.17.2")
FOREIGN_TRACKING_SERVER = (
    "reference-backend serve on a free port (artifacts proxied by it: mlflow-artifacts:)"
)


def client_environment(requirement: str) -> ClientEnv:
    """The ``run --client`` environment of ``requirement``: built, or reused from the cache."""
    return environment(client_requirement(requirement), suite_source(), uv_binary())


def _mlflow_server(requirement: str | None) -> Callable[[Path], AbstractContextManager[Setup]]:
    """``mlflow server`` as the report's *mlflow server · SQLite* column runs it (one worker,
    proxied artifacts, a fresh SQLite file migrated by the server's own MLflow), from the
    environment of ``requirement`` (None: this process's MLflow). Seed row 4's foreign tracking
    server is a served reference backend, which clients of every version reach over HTTP."""

    @contextmanager
    def start(workdir: Path) -> Iterator[Setup]:
        own = None if requirement is None else str(client_environment(requirement).python)
        python = own or sys.executable
        store = f"sqlite:///{servers.migrated_sqlite(workdir, own)}"
        env = run_env(workdir)
        with (
            servers.reference_server("published-foreign", env=env, workdir=workdir) as foreign,
            servers.mlflow_server(store, workdir, env=env, python=python) as url,
        ):
            yield Setup(
                url,
                masks={**server_masks(url), **server_masks(foreign, "<foreign-port>")},
                facts={"backend_store": store, "foreign_tracking_server": FOREIGN_TRACKING_SERVER},
                foreign_tracking_uri=foreign,
            )

    return start


SERVERS: tuple[Column, ...] = (
    Column(
        "mlflow server 3.x · SQLite",
        "`mlflow server` of the newest MLflow 3.x (this checkout's, as the other columns) on a "
        "fresh SQLite file, one worker, proxied artifacts.",
        _mlflow_server(None),
        clients=CLIENTS,
    ),
    Column(
        "mlflow server 2.22 · SQLite",
        "`mlflow server` of MLflow 2.22.1 (the last 2.x; from the client 2.22.1's environment, "
        "with `sqlalchemy<2.1`) on a fresh SQLite file, one worker, proxied artifacts.",
        _mlflow_server("mlflow==2.22.1"),
        clients=CLIENTS,
    ),
    Column(
        "mlflow server 2.9 · SQLite",
        "`mlflow server` of MLflow 2.9.2 (the oldest supported client's release, before the "
        "prompt clause; from the client 2.9.2's environment, with `setuptools<81` and "
        "`sqlalchemy<2.1`) on a fresh SQLite file, one worker, proxied artifacts.",
        _mlflow_server("mlflow==2.9.2"),
        clients=CLIENTS,
    ),
)
SERVERS_BY_ID = {server.id: server for server in SERVERS}
