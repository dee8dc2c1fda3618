"""Check targets before any scenario runs, and decide each target's fate there, once.

A URI that no installed store handles is a usage error. A target the suite cannot measure at
all (nothing answers, it wants credentials, it does not speak MLflow's registry protocol, its
database cannot be opened) gets one line saying what to check, instead of a verdict per scenario
drawn from a server that never was a registry. Each call waits as long as MLflow's client does
(``MLFLOW_HTTP_REQUEST_TIMEOUT``, which the run has set: ``--call-timeout``).
"""

from __future__ import annotations

import re
from typing import Any

import requests
from mlflow.environment_variables import (
    MLFLOW_HTTP_REQUEST_TIMEOUT,
    MLFLOW_TRACKING_PASSWORD,
    MLFLOW_TRACKING_USERNAME,
)
from mlflow.exceptions import MlflowException
from mlflow.tracking._model_registry.utils import _get_store as _get_registry_store

# MLflow 2.9 has it only here (3.x re-exports it here from mlflow.utils.credentials).
from mlflow.tracking._model_registry.utils import _get_store_registry, get_default_host_creds
from mlflow.tracking._tracking_service.utils import _get_store as _get_tracking_store
from mlflow.tracking._tracking_service.utils import _tracking_store_registry
from mlflow.utils.rest_utils import MlflowHostCreds, http_request
from mlflow.utils.uri import get_uri_scheme

from conformance.masking import mask_text, mask_uri
from conformance.run import credentials
from conformance.run.refusals import AUTH_STATUSES, classify
from conformance.targets import Target, TargetError

#: Read-only calls every MLflow registry answers: with a result, or with MLflow's error envelope.
_REGISTRY_CALLS = (
    ("/api/2.0/mlflow/registered-models/search", {"max_results": 1}),
    ("/api/2.0/mlflow/registered-models/get", {"name": "registry-conformance-preflight"}),
    ("/api/2.0/mlflow/model-versions/search", {"max_results": 1}),
)
_TRACKING_CALLS = (("/api/2.0/mlflow/experiments/search", {"max_results": 1}),)
_OS_ERROR = re.compile(r"\[Errno -?\d+\] ([^\"'()\]]+)")


def check_schemes(target: Target) -> None:
    """Refuse URIs that no installed MLflow store (or store plugin) can open."""
    for role, uri, registry in (
        ("registry", target.registry_uri, _get_store_registry()),
        ("tracking", target.tracking_uri, _tracking_store_registry),
    ):
        try:
            registry.get_store_builder(uri)
        except MlflowException as exc:
            scheme = get_uri_scheme(uri) or "(local path)"
            raise TargetError(
                f"{role} URI {mask_uri(uri)!r}: no MLflow {role} store handles scheme "
                f"{scheme!r}. Supported here: {', '.join(sorted(filter(None, registry._registry)))}"
                " (install the plugin that provides it)."
            ) from exc


def why_unusable(target: Target) -> str | None:
    """One line saying why the suite cannot measure ``target`` at all, or None when it can.
    What the preflight learns about the server on the way is kept in ``target.server``."""
    if not target.is_http:
        return _open_stores(target)
    calls = [(target.registry_uri, _REGISTRY_CALLS)]
    if target.tracking_uri != target.registry_uri and _is_http(target.tracking_uri):
        calls.append((target.tracking_uri, _TRACKING_CALLS))
    for uri, probes in calls:
        problem = _probe(uri, probes, target.server)
        if problem:
            return mask_text(problem)
    _learn_version(target)
    return None


def _is_http(uri: str) -> bool:
    return (get_uri_scheme(uri) or "") in ("http", "https")


def _open_stores(target: Target) -> str | None:
    """In-process stores fail on first use when their driver or database is missing."""
    for uri, open_store in (
        (target.registry_uri, _get_registry_store),
        (target.tracking_uri, _get_tracking_store),
    ):
        try:
            open_store(uri)
        except Exception as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            return mask_text(
                f"cannot open {uri}: {type(exc).__name__}: {first_line[:300]}; check the "
                "URI, that its database exists and that its driver is installed"
            )
    return None


def _probe(uri: str, calls: tuple[tuple[str, dict[str, Any]], ...], server: dict) -> str | None:
    """Ask ``uri`` the read-only ``calls``; a problem line, or None when it answers as MLflow."""
    creds = get_default_host_creds(uri)
    answers: list[tuple[str, requests.Response]] = []
    for path, params in calls:
        try:
            response = http_request(
                creds,
                path,
                "GET",
                params=params,
                max_retries=0,
                raise_on_status=False,  # a 5xx is an answer to read, not a reason to give up
            )
        except Exception as exc:  # nothing usable came back: no answer, TLS, "try later"
            return (
                f"cannot reach {uri} ({_transport_reason(exc)}): check that the registry is "
                "running and that the URI's scheme, host and port are right"
            )
        server.setdefault("reachable", True)
        server.setdefault("search_status", response.status_code)
        if response.status_code in AUTH_STATUSES:
            return _credentials_line(uri, path, response.status_code, creds)
        if _speaks_mlflow(response):
            return None
        answers.append((path, response))
    path, first = answers[0]
    kind = first.headers.get("Content-Type", "no content type").split(";")[0]
    return (
        f"{uri} is not an MLflow registry: none of its registry endpoints answers as MLflow "
        f"does (GET {path}: HTTP {first.status_code}, {kind}); check the URI (scheme, host, "
        "port and any path prefix)"
    )


def _speaks_mlflow(response: requests.Response) -> bool:
    """A JSON object: a result, or MLflow's error envelope (``error_code``)."""
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and (response.ok or "error_code" in body)


def _credentials_line(uri: str, path: str, status: int, creds: MlflowHostCreds) -> str:
    sent = (creds.username, creds.token, creds.client_cert_path, creds.auth, creds.aws_sigv4)
    given = "rejects the credentials given" if any(sent) else "wants credentials"
    pair = (MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD)
    others = ", ".join(variable.name for variable in credentials.VARIABLES if variable not in pair)
    return (
        f"{uri} {given} (HTTP {status} on GET {path}); MLflow's client sends those of "
        f"{pair[0].name} and {pair[1].name} (or ~/.mlflow/credentials), {others}: set them for "
        "this registry and run again"
    )


def _transport_reason(exc: BaseException) -> str:
    text = str(exc)
    found = _OS_ERROR.search(text)
    if found:
        return found.group(1).strip().lower()
    if "timed out" in text.lower() or "timeout" in text.lower():
        return f"no answer within {MLFLOW_HTTP_REQUEST_TIMEOUT.get()} s"
    return classify(exc).reason[:200]


def _learn_version(target: Target) -> None:
    try:
        creds = get_default_host_creds(target.registry_uri)
        version = http_request(creds, "/version", "GET", max_retries=0)
    except Exception:
        return
    text = version.text.strip()
    if version.status_code == 200 and 0 < len(text) < 40 and "<" not in text:
        target.server["mlflow"] = text
