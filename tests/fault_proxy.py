"""A fault-injecting HTTP proxy for the suite's own tests: it stands between the suite and a real
registry server and, on a seeded share of calls, answers in the ways a network or an overloaded
deployment does rather than as the registry would:

* ``5xx``: a burst of 503/504 answers (the faulted call and the next ``burst - 1``), not forwarded;
* ``reset``: the connection closed with a TCP reset instead of an answer (half of them after the
  request was forwarded, so the registry did act on it);
* ``stall``: forwarded, then no answer for ``stall_s`` seconds (longer than the suite's call
  timeout), then the connection closed;
* ``truncated``: forwarded, and the registry's answer cut mid-body, either short of the length
  it declares or, without a declared length, by closing the connection.

Every injected fault is kept (kind, method, path, call number, time) so that a test can hold a
run's verdicts against what really happened on the wire. The first ``spare_first`` calls pass
untouched (the preflight: a target whose first calls fail is not measured at all).
"""

from __future__ import annotations

import dataclasses
import http.client
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

KINDS = ("5xx", "reset", "stall", "truncated")
# Hop-by-hop headers: this proxy frames its own answers.
_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}
)


@dataclass(frozen=True)
class Plan:
    """Which calls fail and how: each call after ``spare_first`` starts a fault with probability
    ``share``, of a kind drawn from ``kinds``; all draws come from one ``seed``."""

    share: float
    kinds: Sequence[str] = KINDS
    seed: int = 0
    burst: int = 3
    spare_first: int = 10
    stall_s: float = 10.0


@dataclass(frozen=True)
class Fault:
    kind: str
    method: str
    path: str
    call: int
    at: float  # time.time() when it was injected
    detail: str = ""


@dataclass(frozen=True)
class _Decision:
    kind: str | None
    detail: str = ""
    fault: Fault | None = None


class FaultProxy:
    """The proxy's state: the plan, the calls seen, the faults injected."""

    def __init__(self, upstream: str, plan: Plan) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.plan = plan
        self.calls = 0
        self.faults: list[Fault] = []
        self.enabled = True
        self.url = ""
        self._rng = random.Random(plan.seed)
        self._burst_left = 0
        self._lock = threading.Lock()
        self._closing = threading.Event()

    def counts(self) -> Counter[str]:
        """Faults injected, by kind."""
        with self._lock:
            return Counter(fault.kind for fault in self.faults)

    def decide(self, method: str, path: str) -> _Decision:
        """The fate of the next call (thread-safe; the draws happen in the order calls arrive)."""
        with self._lock:
            self.calls += 1
            call = self.calls
            if not self.enabled or call <= self.plan.spare_first:
                return _Decision(None)
            if self._burst_left > 0:
                self._burst_left -= 1
                decision = _Decision("5xx", str(self._rng.choice((503, 504))))
            elif self._rng.random() < self.plan.share:
                kind = self._rng.choice(list(self.plan.kinds))
                if kind == "5xx":
                    self._burst_left = self.plan.burst - 1
                    detail = str(self._rng.choice((503, 504)))
                elif kind == "reset":
                    detail = self._rng.choice(("before-forwarding", "after-forwarding"))
                elif kind == "truncated":
                    detail = self._rng.choice(("short-of-content-length", "close-delimited"))
                else:
                    detail = "forwarded"
                decision = _Decision(kind, detail)
            else:
                return _Decision(None)
            fault = Fault(decision.kind or "", method, path, call, time.time(), decision.detail)
            self.faults.append(fault)
            return _Decision(decision.kind, decision.detail, fault)

    def amend(self, decision: _Decision, detail: str) -> None:
        """Say how a fault was really applied."""
        with self._lock:
            index = self.faults.index(decision.fault)
            self.faults[index] = dataclasses.replace(self.faults[index], detail=detail)

    def withdraw(self, decision: _Decision) -> None:
        """Take back a fault that could not be applied (a body too short to cut)."""
        with self._lock:
            self.faults.remove(decision.fault)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_GET

    def _handle(self) -> None:
        proxy = self.server.proxy
        body = self._request_body()
        decision = proxy.decide(self.command, self.path.partition("?")[0])
        if decision.kind == "5xx":
            self._answer(
                int(decision.detail),
                b"<html><body>Service Unavailable</body></html>",
                [("Content-Type", "text/html")],
            )
            return
        if decision.kind == "reset" and decision.detail == "before-forwarding":
            self._reset()
            return
        status, headers, payload = self._forward(body)
        if decision.kind == "reset":
            self._reset()
        elif decision.kind == "stall":
            proxy._closing.wait(proxy.plan.stall_s)
            self._reset()
        elif decision.kind == "truncated" and len(payload) < 2:  # nothing to cut: no fault
            proxy.withdraw(decision)
            self._answer(status, payload, headers)
        elif decision.kind == "truncated":
            framing = self._truncate(status, headers, payload, decision.detail)
            proxy.amend(decision, framing)
        else:
            self._answer(status, payload, headers)

    def _request_body(self) -> bytes:
        return request_body(self)

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        proxy = self.server.proxy
        connection = http.client.HTTPConnection(
            proxy.upstream_host, proxy.upstream_port, timeout=120
        )
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
            headers["Connection"] = "close"
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP]
            return response.status, kept, payload
        finally:
            connection.close()

    def _answer(self, status: int, payload: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _truncate(
        self, status: int, headers: list[tuple[str, str]], payload: bytes, how: str
    ) -> str:
        """Send the first half of the answer, then close; the framing it had."""
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        # Without a declared length only a JSON body can show that it ended early (its parser
        # runs out of input); bytes cut that way would be undetectable by any client.
        json_body = any(k.lower() == "content-type" and "json" in v.lower() for k, v in headers)
        if not json_body:
            how = "short-of-content-length"
        if how == "short-of-content-length":
            self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload[: len(payload) // 2])
        self.wfile.flush()
        self.close_connection = True
        return how

    def _reset(self) -> None:
        """Close with a TCP reset (SO_LINGER 0): no answer at all, not even an orderly end."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True


def request_body(handler: BaseHTTPRequestHandler) -> bytes:
    """The body of the request ``handler`` is reading, whole (chunked or of a declared length:
    MLflow's client uploads artifacts of unknown length chunked)."""
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip(), 16)
            chunk = handler.rfile.read(size + 2)[:size]
            if size == 0:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: FaultProxy


@contextmanager
def fault_proxy(upstream: str, plan: Plan) -> Iterator[FaultProxy]:
    """Serve a proxy to ``upstream`` on a free local port, in a background thread."""
    proxy = FaultProxy(upstream, plan)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.proxy = proxy
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="fault-proxy", daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy._closing.set()  # ends every stall at once
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
