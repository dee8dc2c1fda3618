"""The HTTP exchanges behind a probed call, kept as evidence for targets reached over HTTP.

MLflow's REST client has no hook of its own and keeps its ``requests`` sessions private and
cached, but every request passes through ``requests.Session.send``: it is wrapped once per
process (only when a run has an HTTP target). Every request is timed for
:mod:`conformance.run.latency`, and the faults it met on the way are counted there (a 5xx
answer, a connection refused, reset or broken off, no answer in time, an answer said to be JSON
whose body is not); its exchange is recorded only inside ``recording()``.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import requests
import urllib3

from conformance.masking import mask_text, mask_uri
from conformance.report.evidence import readable_body
from conformance.run import latency, refusals

#: Bodies are evidence, not archives: enough to read an error message (counted once indented).
BODY_LIMIT = 1000
_recording: ContextVar[list[dict[str, Any]] | None] = ContextVar("rc_exchanges", default=None)
_original_send = requests.Session.send
_original_iter_content = requests.Response.iter_content
# How urllib3 words a retryable status once its retries are used up (MLflow's client lowers them).
_RETRIED_STATUS = re.compile(r"too many (\d{3}) error responses")
#: When this process's requests met a fault that leaves nothing to judge (``transport`` in
#: :mod:`conformance.run.refusals`): wall-clock time and what it was, the latest kept.
_path_faults: deque[tuple[float, str]] = deque(maxlen=10_000)


def path_faults_between(start: float, stop: float) -> list[str]:
    """The faults of that kind this process's requests met from ``start`` to ``stop``
    (``time.time()``): whatever MLflow's client made of them, what it raised is no answer."""
    return [what for at, what in list(_path_faults) if start <= at <= stop]


def install() -> None:
    """Wrap ``requests.Session.send`` and ``Response.iter_content`` (idempotent)."""
    if requests.Session.send is _original_send:
        requests.Session.send = _recording_send  # type: ignore[method-assign]
        requests.Response.iter_content = _counted_iter_content  # type: ignore[method-assign]


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
    method, url = request.method or "", request.url or ""
    try:
        response = _original_send(session, request, **kwargs)
    except Exception as exc:
        _count_failure(method, url, exc)
        raise
    finally:
        latency.record(method, url, time.perf_counter() - started)
    if kwargs.get("stream"):  # its body is read later, by the caller: see _counted_iter_content
        response._rc_streamed = True  # type: ignore[attr-defined]
    kind = _fault_of_answer(response, streamed=bool(kwargs.get("stream")))
    if kind:
        latency.record_fault(method, url, kind)
    if response.status_code in refusals.TRANSIENT_STATUSES or (
        kind == "malformed_bodies" and refusals.ends_mid_json(response.text)
    ):
        _path_faults.append((time.time(), f"{kind or response.status_code}: {method} {_path(url)}"))
    return response


def _count_failure(method: str, url: str, exc: Exception) -> None:
    """Count the fault a request met (for the report, and when it leaves nothing to judge)."""
    kind = _fault_of_failure(exc)
    if kind:
        latency.record_fault(method, url, kind)
    retried = _RETRIED_STATUS.search(str(exc))
    if (
        int(retried.group(1)) in refusals.TRANSIENT_STATUSES
        if retried
        else kind in ("timeouts", "connection_errors")
    ):
        _path_faults.append((time.time(), f"{kind or 'retried'}: {method} {_path(url)}"))


def _counted_iter_content(self: requests.Response, *args: Any, **kwargs: Any) -> Iterator[Any]:
    """``Response.iter_content``, counting a streamed body that broke off (an artifact download
    cut short of its length) as the fault of its request; a body read inside ``send`` is counted
    there."""
    try:
        yield from _original_iter_content(self, *args, **kwargs)
    except Exception as exc:
        if getattr(self, "_rc_streamed", False) and self.request is not None:
            _count_failure(self.request.method or "", self.request.url or "", exc)
        raise


def _path(url: str) -> str:
    return latency.operation_path(url)[1]


def _fault_of_failure(exc: Exception) -> str | None:
    """The kind of fault a request that raised ``exc`` met (None: not one of the path's)."""
    # With retries configured (MLflow's client), urllib3 reports a read timeout as the reason
    # of a MaxRetryError, which requests raises as a ConnectionError.
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    if isinstance(exc, requests.Timeout) or isinstance(reason, urllib3.exceptions.TimeoutError):
        return "timeouts"
    if isinstance(exc, requests.exceptions.RetryError):
        retried = _RETRIED_STATUS.search(str(exc))
        return "server_errors" if retried and retried.group(1).startswith("5") else None
    if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return "connection_errors"
    return None


def _fault_of_answer(response: requests.Response, *, streamed: bool) -> str | None:
    """The kind of fault an answer shows: a 5xx status, or a body said to be JSON that is not (a
    streamed body is the caller's to read, and is not looked at)."""
    if response.status_code >= 500:
        return "server_errors"
    if streamed or not response.content.strip():
        return None
    if "json" not in response.headers.get("Content-Type", "").lower():
        return None
    try:
        json.loads(response.content)
    except ValueError:
        return "malformed_bodies"
    return None


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


def _text(body: str | bytes) -> str:
    text = readable_body(body.decode("utf-8", "replace") if isinstance(body, bytes) else body)
    clipped = text[:BODY_LIMIT] + ("…" if len(text) > BODY_LIMIT else "")
    return mask_text(clipped)
