"""Serve a reference-backend instance over HTTP with MLflow's own REST API.

MLflow's Flask app and handlers are reused as they are, bound to the instance's stores, so HTTP
clients see exactly what a real ``mlflow server --serve-artifacts`` returns. One threaded WSGI
server in one process keeps the in-memory state shared by every request (``mlflow server``
forks workers, which would each get their own empty registry).
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from reference_backend.instances import Address, Instance, get_instance
from reference_backend.ports import listen
from reference_backend.workspaces import MLFLOW_HAS_WORKSPACES

if TYPE_CHECKING:
    from flask import Flask
    from mlflow.entities.webhook import Webhook, WebhookEvent

# What ``mlflow server --serve-artifacts`` uses as default artifact root: clients upload through
# the server, which writes under the artifacts destination.
PROXIED_ARTIFACT_ROOT = "mlflow-artifacts:/"

_serving = threading.Lock()
_middleware_installed = False
_guard_installed = False


class _QuietRequestHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Drop werkzeug's per-request access line."""


@dataclass
class Serving:
    """A bound, not yet running, server for one instance."""

    instance: Instance
    server: BaseWSGIServer

    @property
    def url(self) -> str:
        host = self.server.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.server.port}"

    @property
    def ready_message(self) -> str:
        return f"reference-backend serving {self.instance.uri} at {self.url}"


def server_environment(instance: Instance) -> dict[str, str]:
    """The variables ``mlflow server`` hands its workers (see ``mlflow.server._run_server``),
    with ``--enable-workspaces`` where the instance has workspaces (an emulation may have none)."""
    from mlflow.server.constants import (
        ARTIFACT_ROOT_ENV_VAR,
        ARTIFACTS_DESTINATION_ENV_VAR,
        BACKEND_STORE_URI_ENV_VAR,
        REGISTRY_STORE_URI_ENV_VAR,
        SERVE_ARTIFACTS_ENV_VAR,
    )

    return {
        BACKEND_STORE_URI_ENV_VAR: instance.uri,
        REGISTRY_STORE_URI_ENV_VAR: instance.uri,
        ARTIFACT_ROOT_ENV_VAR: PROXIED_ARTIFACT_ROOT,
        SERVE_ARTIFACTS_ENV_VAR: "true",
        ARTIFACTS_DESTINATION_ENV_VAR: instance.proxied_artifacts_dir.as_uri(),
        **(
            {"MLFLOW_ENABLE_WORKSPACES": str(instance.registry_store.supports_workspaces).lower()}
            if MLFLOW_HAS_WORKSPACES
            else {}
        ),
    }


def _mlflow_app(instance: Instance) -> Flask:
    """MLflow's Flask app with its handlers pointed at ``instance``."""
    global _middleware_installed, _guard_installed
    from mlflow.server import app, handlers, is_running_as_server, security

    from reference_backend import request_guard, wire_model_id

    wire_model_id.install()
    # The store delivers its own events and test deliveries (webhooks.py): MLflow's handlers must
    # neither send them again nor send them under MLflow's URL policy and webhook cache.
    handlers.deliver_webhook = _delivered_by_the_store
    handlers.test_webhook = _test_through_the_store
    if not (is_running_as_server or _middleware_installed):
        # mlflow.server adds host checks and CORS only when imported inside a server process.
        security.init_security_middleware(app)
        _middleware_installed = True
    if not _guard_installed:
        request_guard.install(app)
        _guard_installed = True
    handlers._tracking_store = instance.tracking_store
    handlers._model_registry_store = instance.registry_store
    handlers._artifact_repo = None
    _set_workspace_store(instance.registry_store)
    return app


def _set_workspace_store(store: object) -> None:
    """The workspace provider MLflow's server caches for its handlers (3.10+): the instance's."""
    if MLFLOW_HAS_WORKSPACES:
        from mlflow.server import workspace_helpers

        workspace_helpers._workspace_store = store


def _delivered_by_the_store(**_: Any) -> None:
    """In place of ``mlflow.webhooks.delivery.deliver_webhook``: the write already delivered."""


def _test_through_the_store(webhook: Webhook, event: WebhookEvent | None = None) -> Any:
    """In place of ``mlflow.webhooks.delivery.test_webhook``: the registry's own test delivery."""
    from mlflow.server import handlers

    return handlers._get_model_registry_store().test_webhook(webhook.webhook_id, event)


def open_instance(name: str, emulation: str | None = None) -> Instance:
    """Instance ``memory://name[?emulate=...]`` with proxied artifacts, as a server needs it."""
    return get_instance(Address(name, emulation).uri, artifact_root=PROXIED_ARTIFACT_ROOT)


def bind(instance: Instance, sock: socket.socket, access_log: bool = True) -> Serving:
    """A threaded server for ``instance`` on a listening socket (see :func:`ports.listen`).

    The caller must have applied :func:`server_environment` to ``os.environ`` first.
    """
    host, port = sock.getsockname()[:2]
    try:
        server = make_server(
            host,
            port,
            _mlflow_app(instance),
            threaded=True,
            request_handler=None if access_log else _QuietRequestHandler,
            fd=sock.fileno(),
        )
    finally:
        sock.close()  # the server holds its own duplicate of the descriptor
    return Serving(instance, server)


@contextmanager
def _patched_environ(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def serve_in_thread(
    name: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    emulation: str | None = None,
) -> Iterator[str]:
    """Serve ``memory://name`` from a daemon thread of this process and yield its base URL.

    For tool authors' tests: point ``MlflowClient(url)`` at the URL. Without ``name`` a fresh
    instance is served and dropped afterwards; a named one is kept, and must not already exist
    in this process with local artifacts (served instances proxy them, as ``mlflow server``
    does) or with another ``emulation`` (see ``emulations.py``). MLflow's handlers are
    process-global, so one instance is served at a time.
    """
    from mlflow.server import handlers

    from reference_backend.instances import drop_instance

    if not _serving.acquire(blocking=False):
        raise RuntimeError("this process is already serving a reference-backend instance")
    generated = name is None
    name = name or f"served-{uuid.uuid4().hex[:12]}"
    try:
        instance = open_instance(name, emulation)
        with _patched_environ(server_environment(instance)):
            serving = bind(instance, listen(host, port), access_log=False)
            thread = threading.Thread(target=serving.server.serve_forever, daemon=True)
            thread.start()
            try:
                yield serving.url
            finally:
                serving.server.shutdown()
                serving.server.server_close()
                thread.join()
                handlers._tracking_store = handlers._model_registry_store = None
                handlers._artifact_repo = None
                _set_workspace_store(None)
    finally:
        if generated:
            drop_instance(f"memory://{name}")
        _serving.release()
