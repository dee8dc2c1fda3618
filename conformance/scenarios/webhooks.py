"""What the webhook scenarios build on: listings judged only while the registry's webhooks stand
still, a receiver on 127.0.0.1, and MLflow's signature scheme, checked independently of any
registry's code.

MLflow's client has webhooks from 3.3 on (the scenarios are ``requires_client("webhooks")``);
``mlflow.entities.webhook`` is imported only inside :func:`event` and :func:`status`, so that
these modules load with older clients too.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from mlflow.exceptions import MlflowException

from conformance.run.probe import Inconclusive
from conformance.scenarios.error_answers import MISSING

#: An ``https`` URL on a public address, given as a literal so that no DNS is needed to accept
#: it (MLflow's server refuses webhook URLs that do not resolve to public addresses). The CRUD
#: scenarios' webhooks point here, DISABLED: a registry sends them nothing. (192.0.43.8 is in
#: 192.0.32.0/20, ICANN's own addresses.)
UNUSED_PUBLIC_URL = "https://192.0.43.8/registry-conformance/"

#: MLflow's delivery headers (``mlflow.webhooks.constants``).
SIGNATURE_HEADER = "X-MLflow-Signature"
TIMESTAMP_HEADER = "X-MLflow-Timestamp"
DELIVERY_ID_HEADER = "X-MLflow-Delivery-Id"

#: How long a registry may take to act on a new webhook (MLflow's ``MLFLOW_WEBHOOK_CACHE_TTL``
#: is 60 s), with a margin; and how often the event is caused again meanwhile.
DELIVERY_WAIT_S = 75.0
RETRIGGER_S = 2.0


def event(name: str) -> Any:
    """MLflow's ``WebhookEvent`` for ``entity.action``."""
    from mlflow.entities.webhook import WebhookEvent

    return WebhookEvent.from_str(name)


def status(name: str) -> Any:
    """MLflow's ``WebhookStatus`` ``ACTIVE`` or ``DISABLED``."""
    from mlflow.entities.webhook import WebhookStatus

    return WebhookStatus(name)


def shown(webhook: Any) -> dict[str, Any]:
    """What a registry says of a webhook, as comparable values (its secret is never shown)."""
    return {
        "id": webhook.webhook_id,
        "name": webhook.name,
        "url": webhook.url,
        "events": sorted(str(e) for e in webhook.events),
        "description": webhook.description or "",
        "status": str(webhook.status),
    }


def listed(
    client: Any, names: set[str] | None = None, page_size: int | None = None, max_pages: int = 2500
) -> list[dict[str, Any]]:
    """The webhooks of ``names`` (all, without it) in every page of ``list_webhooks``, as shown,
    once per listing (a webhook on two pages is there twice). ``page_size``: ``max_results`` of
    each page, the registry's default without it. A listing of more than ``max_pages`` pages, or
    one that hands out a page token twice, is one that never ends: a wrong answer
    (``AssertionError``), not a stall."""
    found: list[dict[str, Any]] = []
    seen_tokens: set[str] = set()
    token = None
    for _ in range(max_pages):
        page = client.list_webhooks(max_results=page_size, page_token=token)
        found += [shown(webhook) for webhook in page if names is None or webhook.name in names]
        token = page.token
        if not token:
            return found
        assert token not in seen_tokens, (
            f"list_webhooks handed out page token {token!r} twice: the listing would never end"
        )
        seen_tokens.add(token)
    raise AssertionError(
        f"list_webhooks still had pages after {max_pages} pages: the listing would never end"
    )


def steady_listing(client: Any, page_size: int | None = None) -> list[dict[str, Any]]:
    """Every webhook of the registry in a walk of ``list_webhooks`` (pages of ``page_size``, the
    registry's own without it), judged only while nothing changed the registry's webhooks.

    Webhooks have no filter: a listing is the whole registry's, and MLflow's store pages it by
    offset. A webhook that another run or a user creates or deletes during the walk shifts the
    pages, and one of ours is then listed twice or not at all: no fault of the registry. So the
    full listing (the registry's own pages) is read before and after the walk; where the two
    list other webhooks, the walk has no verdict (``Inconclusive``, never retried). Where they
    list the same, every walk must list each of them exactly once (``AssertionError``).
    """
    first = listed(client)
    found = listed(client, page_size=page_size) if page_size else first
    last = listed(client)
    before, walked, after = (
        Counter(webhook["id"] for webhook in walk) for walk in (first, found, last)
    )
    if before.keys() != after.keys():
        raise Inconclusive(
            "the registry's webhooks changed while list_webhooks was walked (another run or a "
            f"user created or deleted {len(before.keys() ^ after.keys())} of them): a listing "
            "paged by offset cannot be judged then"
        )
    size = f"pages of {page_size or 'its default size'}"
    for walk, how in ((before, "the full listing"), (walked, size), (after, "the full listing")):
        repeated = {webhook_id: times for webhook_id, times in walk.items() if times > 1}
        assert not repeated, (
            f"list_webhooks in {how} listed webhooks more than once (id: times) while nothing "
            f"changed: {repeated}"
        )
    lost, extra = before.keys() - walked.keys(), walked.keys() - before.keys()
    assert walked.keys() == before.keys(), (
        f"list_webhooks in {size} left out {sorted(lost)} and listed {sorted(extra)} beyond the "
        "full listing, the same before and after it"
    )
    return found


def by_id(client: Any, webhook_ids: list[str]) -> dict[str, dict[str, Any] | None]:
    """Each webhook as ``get_webhook`` shows it (None where the registry says it does not exist):
    what an update or a deletion of these webhooks could change, read without a listing."""
    read: dict[str, dict[str, Any] | None] = {}
    for webhook_id in webhook_ids:
        try:
            read[webhook_id] = shown(client.get_webhook(webhook_id))
        except MlflowException as exc:
            if exc.error_code != MISSING:
                raise
            read[webhook_id] = None
    return read


@dataclass(frozen=True)
class Delivery:
    """One POST the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    def payload(self) -> Any:
        """The JSON body, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def signature_problem(self, secret: str) -> str | None:
        """Why the delivery is not signed with ``secret`` as MLflow signs (None: it is): ``v1,``
        and the base64 HMAC-SHA256 of ``<delivery id>.<timestamp>.<body>``."""
        sent = self.headers.get(SIGNATURE_HEADER.lower())
        delivery_id = self.headers.get(DELIVERY_ID_HEADER.lower())
        timestamp = self.headers.get(TIMESTAMP_HEADER.lower())
        if not (sent and delivery_id and timestamp):
            return (
                f"the delivery lacks {SIGNATURE_HEADER}, {DELIVERY_ID_HEADER} or "
                f"{TIMESTAMP_HEADER} (headers: {sorted(self.headers)})"
            )
        signed = f"{delivery_id}.{timestamp}.".encode() + self.body
        digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
        expected = f"v1,{base64.b64encode(digest).decode()}"
        if not hmac.compare_digest(sent, expected):
            return f"{SIGNATURE_HEADER} is {sent!r}; the webhook's secret gives {expected!r}"
        return None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        headers = {key.lower(): value for key, value in self.headers.items()}
        self.server.receiver.record(Delivery(self.path, headers, body))
        answer = self.server.receiver.token.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the scenario's evidence says what arrived."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: Receiver


class Receiver:
    """An HTTP server on 127.0.0.1 that keeps every POST and answers each with its own random
    token, so that a registry's report of the answer tells whether it reached this receiver or
    another listener at the same address (a remote registry's own 127.0.0.1)."""

    def __init__(self) -> None:
        self.token = secrets.token_hex(16)
        self._deliveries: list[Delivery] = []
        self._arrived = threading.Condition()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        # shutdown() waits for serve_forever's next poll: the default 0.5 s would be paid by
        # every scenario with a receiver
        serve = functools.partial(self._server.serve_forever, poll_interval=0.02)
        self._thread = threading.Thread(target=serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/{self.token[:8]}"

    def addressed(self, delivery: Delivery) -> bool:
        """Whether ``delivery`` was sent to this receiver's URL: not one to another receiver that
        had the same port before (a registry may still hold its webhook in a cache)."""
        return delivery.path.partition("?")[0] == f"/{self.token[:8]}"

    def record(self, delivery: Delivery) -> None:
        with self._arrived:
            self._deliveries.append(delivery)
            self._arrived.notify_all()

    def deliveries(self) -> list[Delivery]:
        with self._arrived:
            return list(self._deliveries)

    def wait_for(
        self,
        wanted: Callable[[Delivery], bool],
        timeout: float,
        again: Callable[[], None] | None = None,
    ) -> Delivery | None:
        """The first delivery ``wanted`` accepts, waiting up to ``timeout`` seconds for one;
        ``again`` (if given) is called every :data:`RETRIGGER_S` seconds meanwhile."""
        deadline = time.monotonic() + timeout
        next_again = time.monotonic() + RETRIGGER_S
        while True:
            with self._arrived:
                match = next((d for d in self._deliveries if wanted(d)), None)
                now = time.monotonic()
                if match is not None or now >= deadline:
                    return match
                wake = deadline if again is None else min(deadline, next_again)
                self._arrived.wait(max(wake - now, 0.0))
            if again is not None and time.monotonic() >= next_again:
                again()
                next_again = time.monotonic() + RETRIGGER_S

    @contextmanager
    def running(self) -> Iterator[Receiver]:
        self._thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
