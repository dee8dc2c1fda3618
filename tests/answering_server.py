"""A real HTTP server that gives every request the same scripted answer, the way a proxy, an
auth gateway or a half-built registry in front of MLflow's client would: any status, any body,
a connection reset, or no answer at all."""

from __future__ import annotations

import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: str = ""
    content_type: str = "application/json"
    #: "reset": close the connection with a TCP reset instead of answering; "stall": answer
    #: nothing for ``stall_s`` seconds.
    action: str = ""
    stall_s: float = 5.0


class _Handler(BaseHTTPRequestHandler):
    server: _AnsweringServer

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        answer = self.server.routes.get(f"{self.command} {self.path}", self.server.answer)
        if answer.action == "reset":
            # SO_LINGER with a zero timeout: close() sends RST, the client sees "reset by peer".
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if answer.action == "stall":
            time.sleep(answer.stall_s)
        body = answer.body.encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


class _AnsweringServer(ThreadingHTTPServer):
    daemon_threads = True
    answer: Answer
    routes: Mapping[str, Answer]

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gave up waiting for a stalled answer is what the stall is for.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def answering(answer: Answer, routes: Mapping[str, Answer] | None = None) -> Iterator[str]:
    """Serve ``answer`` to every request on a free local port; yield the base URL. ``routes``
    answers some requests otherwise, keyed by method and target: ``"GET /path?query"``."""
    server = _AnsweringServer(("127.0.0.1", 0), _Handler)
    server.answer = answer
    server.routes = routes or {}
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
