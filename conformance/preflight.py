"""Check targets before any scenario runs: a bad URI is a usage error, an unreachable server an
``error`` for every scenario of that target (decided once, in seconds, not per scenario)."""

from __future__ import annotations

from mlflow.exceptions import MlflowException
from mlflow.tracking._model_registry.utils import _get_store as _get_registry_store
from mlflow.tracking._model_registry.utils import _get_store_registry
from mlflow.tracking._tracking_service.utils import _get_store as _get_tracking_store
from mlflow.tracking._tracking_service.utils import _tracking_store_registry
from mlflow.utils.credentials import get_default_host_creds
from mlflow.utils.rest_utils import http_request
from mlflow.utils.uri import get_uri_scheme

from conformance.refusals import Kind, classify
from conformance.targets import Target, TargetError, mask_text, mask_uri

_PREFLIGHT_TIMEOUT_S = 10


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


def probe_server(target: Target) -> None:
    """Find out once whether the target can be reached at all, and what runs there."""
    if target.is_http:
        _probe_http(target)
    else:
        _open_stores(target)


def _open_stores(target: Target) -> None:
    """In-process stores fail on first use when their driver or database is missing; say so
    once, clearly, instead of in every scenario."""
    for uri, open_store in (
        (target.registry_uri, _get_registry_store),
        (target.tracking_uri, _get_tracking_store),
    ):
        try:
            open_store(uri)
        except Exception as exc:
            target.unreachable = mask_text(f"cannot open {uri}: {type(exc).__name__}: {exc}")
            return


def _probe_http(target: Target) -> None:
    creds = get_default_host_creds(target.registry_uri)
    try:
        response = http_request(
            creds,
            "/api/2.0/mlflow/registered-models/search",
            "GET",
            params={"max_results": 1},
            max_retries=0,
            timeout=_PREFLIGHT_TIMEOUT_S,
        )
    except Exception as exc:  # only "nobody answers" is decided here; bad answers are judged
        verdict = classify(exc)
        if verdict.kind is Kind.TRANSPORT:
            target.unreachable = mask_text(
                f"{target.registry_uri} is unreachable: {verdict.reason}"
            )
            return
        raise
    target.server["reachable"] = True
    target.server["search_status"] = response.status_code
    try:
        version = http_request(creds, "/version", "GET", max_retries=0, timeout=5)
    except Exception:
        return
    text = version.text.strip()
    if version.status_code == 200 and 0 < len(text) < 40 and "<" not in text:
        target.server["mlflow"] = text
