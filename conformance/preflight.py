"""Check targets before any scenario runs: a bad URI is a usage error, an unreachable server an
``error`` for every scenario of that target (decided once, in seconds, not per scenario)."""

from __future__ import annotations

from mlflow.exceptions import MlflowException
from mlflow.tracking._model_registry.utils import _get_store_registry
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
    """Record the server's version and whether it answers at all (HTTP targets only)."""
    if not target.is_http:
        return
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
