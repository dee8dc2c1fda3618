"""The HTTP exchanges behind a probed call, kept as evidence for targets reached over HTTP.

MLflow's REST client has no hook of its own and keeps its ``requests`` sessions private and
cached, but every request passes through ``requests.Session.send``: it is wrapped once per
process (only when a run has an HTTP target). Every request is timed for
:mod:`conformance.latency`; its exchange is recorded only inside ``recording()``.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import requests

from conformance import latency
from conformance.targets import mask_text, mask_uri

#: Bodies are evidence, not archives: enough to read an error message (counted once indented).
BODY_LIMIT = 1000
_recording: ContextVar[list[dict[str, Any]] | None] = ContextVar("rc_exchanges", default=None)
_original_send = requests.Session.send


def install() -> None:
    """Wrap ``requests.Session.send`` (idempotent)."""
    if requests.Session.send is _original_send:
        requests.Session.send = _recording_send  # type: ignore[method-assign]


@contextmanager
def recording() -> Iterator[list[dict[str, Any]]]:
    """Collect the exchanges made inside the block (by this thread or task)."""
    exchanges: list[dict[str, Any]] = []
    token = _recording.set(exchanges)
    try:
        yield exchanges
    finally:
        _recording.reset(token)


def _timed_send(
    session: requests.Session, request: requests.PreparedRequest, kwargs: dict[str, Any]
) -> requests.Response:
    """The request itself, its duration counted: to the whole answer (to its headers when the
    body is streamed), or to the failure."""
    started = time.perf_counter()
    try:
        return _original_send(session, request, **kwargs)
    finally:
        latency.record(request.method or "", request.url or "", time.perf_counter() - started)


@functools.wraps(_original_send)
def _recording_send(
    self: requests.Session, request: requests.PreparedRequest, **kwargs: Any
) -> requests.Response:
    exchanges = _recording.get()
    if exchanges is None:
        return _timed_send(self, request, kwargs)
    entry: dict[str, Any] = {"request": f"{request.method} {mask_uri(request.url or '')}"}
    if isinstance(request.body, (str, bytes)) and request.body:
        entry["request_body"] = _text(request.body)
    exchanges.append(entry)
    try:
        response = _timed_send(self, request, kwargs)
    except Exception as exc:
        entry["error"] = mask_text(f"{type(exc).__name__}: {exc}")[:BODY_LIMIT]
        raise
    entry["status"] = response.status_code
    entry["content_type"] = response.headers.get("Content-Type", "")
    # A streamed body (artifact downloads) is the caller's to read; reading it here would not
    # lose it, but would hold a whole artifact in memory for a line of evidence.
    entry["response_body"] = "(streamed)" if kwargs.get("stream") else _text(response.content)
    return response


def readable_body(text: str) -> str:
    """A JSON object or array indented by two spaces (MLflow sends and answers one line); any
    other text, and JSON already clipped, as it is."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if not isinstance(value, (dict, list)):
        return text
    return json.dumps(value, indent=2, ensure_ascii=False)


def exchange_text(exchange: dict[str, Any]) -> str:
    """One recorded exchange as a reader sees it: the request and its body, then the answer
    (status, content type and body) or the error that stood for one."""
    # Read leniently: documents may come from older versions or other tools.
    lines = [str(exchange.get("request", ""))]
    if exchange.get("request_body"):
        lines.append(readable_body(str(exchange["request_body"])))
    if "error" in exchange:
        lines.append(f"→ {exchange['error']}")
    elif "status" in exchange:
        lines.append(f"→ {exchange['status']} {exchange.get('content_type', '')}".rstrip())
        if exchange.get("response_body"):
            lines.append(readable_body(str(exchange["response_body"])))
    return "\n".join(lines)


def _text(body: str | bytes) -> str:
    text = readable_body(body.decode("utf-8", "replace") if isinstance(body, bytes) else body)
    clipped = text[:BODY_LIMIT] + ("…" if len(text) > BODY_LIMIT else "")
    return mask_text(clipped)
