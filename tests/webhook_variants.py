"""Reference backends whose webhook listing is MLflow's SQL store's kind (offset pages, newest
first), or missing, or endless, or whose test delivery reports no body: answers the webhook
scenarios must judge by their kind, not by what one registry happens to do
(``tests/test_webhooks.py``).

Importing this module (``pytest -p tests.webhook_variants``) registers the MLflow store scheme
``hookvariants`` for the registry, tracking and workspace sides; ``hookvariants://<variant>``
(``VARIANTS``) is a reference-backend instance of its own with one webhook operation replaced,
and nothing else.
"""

from __future__ import annotations

import threading
import urllib.parse
from typing import Any

from mlflow.entities.webhook import WebhookEvent, WebhookStatus, WebhookTestResult
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE, NOT_IMPLEMENTED
from mlflow.store.entities.paged_list import PagedList
from mlflow.tracking._model_registry.utils import _get_store_registry
from mlflow.tracking._tracking_service.utils import _tracking_store_registry
from mlflow.tracking._workspace.registry import _get_workspace_store_registry

from reference_backend.instances import Instance, get_instance
from tests.broken_backends import Replacement, SabotagedRegistryStore

SCHEME = "hookvariants"
#: MLflow's SQL store's default page of webhooks.
DEFAULT_PAGE = 100
#: The token of the ``endless`` variant's pages, handed out again and again.
AGAIN = "again"


def _offset_page(store: SabotagedRegistryStore, max_results: Any, page_token: Any) -> PagedList:
    """A page as MLflow's SQL store pages webhooks: by offset, newest first (the reference
    store's records, in the order they were made)."""
    hooks = store.inner._webhooks
    with hooks._lock:
        newest_first = [hook.entity() for hook in reversed(hooks._hooks.values())]
    size, offset = max_results or DEFAULT_PAGE, int(page_token or 0)
    following = offset + size
    return PagedList(
        newest_first[offset:following], str(following) if following < len(newest_first) else None
    )


def _offset_pages(store, call, max_results, page_token):
    return _offset_page(store, max_results, page_token)


def _offset_pages_with_a_newcomer(store, call, max_results, page_token):
    """As :func:`_offset_pages`; before the second page of a walk in pages of 2, someone else
    creates a webhook: every later page starts one webhook earlier than it would have."""
    if max_results == 2 and page_token == "2":
        store.inner.create_webhook(
            name=f"someone-else-{len(store.inner._webhooks._hooks)}",
            url="https://192.0.43.8/someone-else/",
            events=[WebhookEvent.from_str("registered_model.created")],
            status=WebhookStatus.DISABLED,
        )
    return _offset_page(store, max_results, page_token)


def _refused(store, call, max_results, page_token):
    raise MlflowException("listing webhooks is not supported", NOT_IMPLEMENTED)


def _endless(store, call, max_results, page_token):
    """Every page after the last is empty and hands out the token it was asked with."""
    if page_token == AGAIN:
        return PagedList([], AGAIN)
    page = call(max_results=max_results, page_token=page_token)
    return page if page.token else PagedList(list(page), AGAIN)


def _no_body(store, call, webhook_id, event):
    """The test delivery is made; its report gives the receiver's status, not its body."""
    result = call(webhook_id=webhook_id, event=event)
    return WebhookTestResult(result.success, result.response_status, None, result.error_message)


#: variant -> (what it does, the replaced operation, its replacement)
VARIANTS: dict[str, tuple[str, str, Replacement]] = {
    "offset": (
        "list_webhooks pages by offset, newest first, as MLflow's SQL store",
        "list_webhooks",
        _offset_pages,
    ),
    "offset-newcomer": (
        "list_webhooks pages by offset, newest first; someone else creates a webhook during "
        "each walk in pages of 2",
        "list_webhooks",
        _offset_pages_with_a_newcomer,
    ),
    "refused": (
        "list_webhooks answers NOT_IMPLEMENTED: webhooks without a listing",
        "list_webhooks",
        _refused,
    ),
    "endless": (
        "after its last page, list_webhooks hands out the same page token forever",
        "list_webhooks",
        _endless,
    ),
    "no-body": (
        "test_webhook reports the receiver's status but no body",
        "test_webhook",
        _no_body,
    ),
}


def uri(variant: str) -> str:
    return f"{SCHEME}://{variant}"


_lock = threading.Lock()
_stores: dict[str, SabotagedRegistryStore] = {}


def _instance_and_store(store_uri: str) -> tuple[Instance, SabotagedRegistryStore]:
    parsed = urllib.parse.urlsplit(store_uri)
    variant = VARIANTS.get(parsed.netloc)
    if parsed.scheme != SCHEME or parsed.path not in ("", "/") or variant is None:
        raise MlflowException(
            f"Not a webhook-variant URI: {store_uri!r}; expected '{SCHEME}://<variant>' with a "
            f"variant of {sorted(VARIANTS)}.",
            INVALID_PARAMETER_VALUE,
        )
    with _lock:
        store = _stores.get(parsed.netloc)
        if store is None:
            instance = get_instance(f"memory://hookvariants-{parsed.netloc}")
            store = _stores[parsed.netloc] = SabotagedRegistryStore(
                instance, {variant[1]: variant[2]}
            )
    return store.instance, store


def registry_store(store_uri: str, tracking_uri: str | None = None, **_: Any) -> Any:
    """Builder for MLflow's registry-store registry, called as ``(store_uri=, tracking_uri=)``."""
    return _instance_and_store(store_uri)[1]


def tracking_store(store_uri: str, artifact_uri: str | None = None) -> Any:
    """Builder for MLflow's tracking-store registry, called as ``(store_uri=, artifact_uri=)``."""
    return _instance_and_store(store_uri)[0].tracking_store


def workspace_store(workspace_uri: str) -> Any:
    """Builder for MLflow's workspace-provider registry (3.10+), called as ``(workspace_uri=)``."""
    return _instance_and_store(workspace_uri)[1]


_get_store_registry().register(SCHEME, registry_store)
_tracking_store_registry.register(SCHEME, tracking_store)
_get_workspace_store_registry().register(SCHEME, workspace_store)
