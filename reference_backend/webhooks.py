"""Webhooks of one reference-backend registry: their records, and the delivery of registry events
signed as MLflow signs them (``mlflow.webhooks.delivery``).

MLflow's server delivers from its request handlers, after the store's write; here the registry
store delivers itself, so that the embedded (in-process) registry delivers too, and the reference
server turns the handlers' own delivery off (``server.py``) so that nothing is sent twice.
Deliveries run on a small thread pool, outside the store's lock: a slow receiver never holds the
registry. Where this differs from MLflow (DIFFERENCES.md): ``http`` and ``https`` URLs to any
host are accepted, loopback included (a registry for tests; MLflow allows ``https`` to public
addresses only, unless ``MLFLOW_WEBHOOK_ALLOWED_SCHEMES`` and ``MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS``
say otherwise); there is no webhook-list cache (a new webhook hears the very next event); each
delivery is one attempt.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

import requests
from mlflow.entities.webhook import Webhook, WebhookEvent, WebhookStatus, WebhookTestResult
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import RESOURCE_DOES_NOT_EXIST
from mlflow.store.entities.paged_list import PagedList
from mlflow.utils.time import get_current_time_millis
from mlflow.utils.validation import _validate_webhook_events, _validate_webhook_name
from mlflow.webhooks.types import get_example_payload_for_event

from reference_backend.search_paging import SortOrder, decode_page_token, sort_page

#: MLflow's headers and signature version (``mlflow.webhooks.constants``).
SIGNATURE_HEADER = "X-MLflow-Signature"
TIMESTAMP_HEADER = "X-MLflow-Timestamp"
DELIVERY_ID_HEADER = "X-MLflow-Delivery-Id"
SIGNATURE_VERSION = "v1"
#: How long one delivery may take (MLflow's ``MLFLOW_WEBHOOK_REQUEST_TIMEOUT`` default is 30 s).
REQUEST_TIMEOUT_S = 10.0
#: MLflow's bounds of ``max_results`` for webhook listings (the SQL store's).
MAX_RESULTS_DEFAULT, MAX_RESULTS_LIMIT = 100, 1000
_ALLOWED_SCHEMES = ("http", "https")
#: MLflow's SQL store's order: newest first, the id breaking ties (so that the order is total).
_ORDER = SortOrder((("creation_timestamp", False), ("webhook_id", True)), frozenset({"webhook_id"}))

_deliveries = ThreadPoolExecutor(max_workers=4, thread_name_prefix="reference-webhooks")


def signature(secret: str, delivery_id: str, timestamp: str, body: str) -> str:
    """MLflow's ``X-MLflow-Signature``: ``v1,`` and the base64 HMAC-SHA256 of
    ``<delivery id>.<timestamp>.<body>`` keyed by the webhook's secret."""
    content = f"{delivery_id}.{timestamp}.{body}".encode()
    digest = hmac.new(secret.encode(), content, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def _validate_url(url: Any) -> None:
    if not isinstance(url, str) or not url.strip():
        raise MlflowException.invalid_parameter_value(f"Webhook URL cannot be empty: {url!r}")
    try:
        parsed = urllib.parse.urlparse(url)
    except ValueError as error:
        raise MlflowException.invalid_parameter_value(
            f"Invalid webhook URL {url!r}: {error!r}"
        ) from error
    if parsed.scheme not in _ALLOWED_SCHEMES:
        raise MlflowException.invalid_parameter_value(
            f"Invalid webhook URL scheme: {parsed.scheme!r}. Allowed schemes are: "
            f"{', '.join(_ALLOWED_SCHEMES)}."
        )
    if not parsed.hostname:
        raise MlflowException.invalid_parameter_value(
            f"Webhook URL must include a hostname: {url!r}"
        )


@dataclass(frozen=True)
class _Hook:
    webhook_id: str
    name: str
    url: str
    events: tuple[WebhookEvent, ...]
    description: str | None
    secret: str | None
    status: WebhookStatus
    creation_timestamp: int
    last_updated_timestamp: int

    def entity(self) -> Webhook:
        return Webhook(
            webhook_id=self.webhook_id,
            name=self.name,
            url=self.url,
            events=list(self.events),
            creation_timestamp=self.creation_timestamp,
            last_updated_timestamp=self.last_updated_timestamp,
            description=self.description,
            status=self.status,
            secret=self.secret,
        )


class Webhooks:
    """The webhooks of one registry, safe to share between threads; records are immutable, so a
    delivery works on the webhook as it was when the event happened."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hooks: dict[str, _Hook] = {}

    def _hook(self, webhook_id: str) -> _Hook:
        hook = self._hooks.get(webhook_id)
        if hook is None:
            raise MlflowException(
                f"Webhook with ID {webhook_id} not found.", RESOURCE_DOES_NOT_EXIST
            )
        return hook

    def create(self, name, url, events, description=None, secret=None, status=None) -> Webhook:
        _validate_webhook_name(name)
        _validate_url(url)
        _validate_webhook_events(events)
        now = get_current_time_millis()
        hook = _Hook(
            str(uuid.uuid4()),
            name,
            url,
            tuple(events),
            description,
            secret,
            status or WebhookStatus.ACTIVE,
            now,
            now,
        )
        with self._lock:
            self._hooks[hook.webhook_id] = hook
        return hook.entity()

    def get(self, webhook_id: str) -> Webhook:
        with self._lock:
            return self._hook(webhook_id).entity()

    def page(self, max_results=None, page_token=None, event=None) -> PagedList[Webhook]:
        max_results = max_results or MAX_RESULTS_DEFAULT
        if not 1 <= max_results <= MAX_RESULTS_LIMIT:
            raise MlflowException.invalid_parameter_value(
                f"max_results must be between 1 and {MAX_RESULTS_LIMIT}."
            )
        after = decode_page_token(page_token, _ORDER)
        with self._lock:
            hooks = [h for h in self._hooks.values() if event is None or event in h.events]
        page, token = sort_page(hooks, _ORDER, after, max_results)
        return PagedList([hook.entity() for hook in page], token)

    def update(
        self,
        webhook_id,
        name=None,
        description=None,
        url=None,
        events=None,
        secret=None,
        status=None,
    ) -> Webhook:
        changes: dict[str, Any] = {}
        if name is not None:
            _validate_webhook_name(name)
            changes["name"] = name
        if url is not None:
            _validate_url(url)
            changes["url"] = url
        if events is not None:
            _validate_webhook_events(events)
            changes["events"] = tuple(events)
        for field, value in (("description", description), ("secret", secret), ("status", status)):
            if value is not None:
                changes[field] = value
        with self._lock:
            hook = replace(
                self._hook(webhook_id), **changes, last_updated_timestamp=get_current_time_millis()
            )
            self._hooks[webhook_id] = hook
        return hook.entity()

    def delete(self, webhook_id: str) -> None:
        with self._lock:
            self._hook(webhook_id)
            del self._hooks[webhook_id]

    def test(self, webhook_id: str, event: WebhookEvent | None = None) -> WebhookTestResult:
        """Send an example payload now, as MLflow's ``test_webhook`` does, and say how it went."""
        with self._lock:
            hook = self._hook(webhook_id)
        event = event or hook.events[0]
        try:
            response = _send(hook, event, get_example_payload_for_event(event))
        except Exception as error:  # as MLflow's test_webhook: any failure is the test's result
            message = f"Failed to test webhook: {error!r}"
            return WebhookTestResult(success=False, error_message=message)
        return WebhookTestResult(
            success=response.status_code < 400,
            response_status=response.status_code,
            response_body=response.text,
        )

    def notify(self, event_name: str, payload: dict[str, Any]) -> None:
        """Deliver the event ``entity.action`` to every ACTIVE webhook subscribed to it, in the
        background."""
        event = WebhookEvent.from_str(event_name)
        with self._lock:
            hooks = [h for h in self._hooks.values() if h.status.is_active() and event in h.events]
        for hook in hooks:
            _deliveries.submit(_deliver, hook, event, payload)


def _deliver(hook: _Hook, event: WebhookEvent, payload: dict[str, Any]) -> None:
    # A receiver that is gone or fails loses the event, as with MLflow after its retries.
    with contextlib.suppress(Exception):
        _send(hook, event, payload)


def _send(hook: _Hook, event: WebhookEvent, payload: dict[str, Any]) -> requests.Response:
    """One signed POST of ``payload`` in MLflow's envelope (entity, action, timestamp, data)."""
    body = json.dumps(
        {
            "entity": event.entity.value,
            "action": event.action.value,
            "timestamp": datetime.now(timezone.utc).isoformat(),
            "data": payload,
        }
    )
    delivery_id, timestamp = str(uuid.uuid4()), str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        DELIVERY_ID_HEADER: delivery_id,
        TIMESTAMP_HEADER: timestamp,
    }
    if hook.secret:
        headers[SIGNATURE_HEADER] = signature(hook.secret, delivery_id, timestamp, body)
    with requests.Session() as session:
        session.trust_env = False  # no proxy between the registry and its receivers
        return session.post(
            hook.url, data=body.encode(), headers=headers, timeout=REQUEST_TIMEOUT_S
        )
