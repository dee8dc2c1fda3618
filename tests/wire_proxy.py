"""A proxy that breaks the REST API on the wire, for the proofs of the rows about it: it stands in
front of a real registry server (``reference-backend serve``) and forwards every exchange, except
that a named break (``BREAKS``) rewrites requests or answers the way a registry that is wrong
only on the wire would. Each break is one MLflow's client does not notice (it takes an empty body
for ``{}``, parses int64 from strings, sends POST to get-latest-versions, only fields it knows,
plain ``application/json``), so only the row about that part of the wire may move.

The in-process broken backends (``tests/broken_backends.py``) break store operations; nothing
there can change a status, a header or the bytes of a body.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from mlflow.protos import model_registry_pb2

from tests.fault_proxy import request_body

_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}
)
_REGISTRY_PATHS = ("/api/2.0/mlflow/registered-models/", "/api/2.0/mlflow/model-versions/")
_LATEST = "/api/2.0/mlflow/registered-models/get-latest-versions"
#: The answers that list or resolve versions, which MLflow's client reads of no wire model.
_LISTS = ("/registered-models/search", "/model-versions/search", "/registered-models/alias")
_TIMESTAMPS = frozenset({"creation_timestamp", "last_updated_timestamp"})
#: Every field of every message of MLflow's registry proto: what a registry request may carry.
_KNOWN_FIELDS = frozenset(
    field.name
    for message in model_registry_pb2.DESCRIPTOR.message_types_by_name.values()
    for field in message.fields
)


@dataclass
class Exchange:
    """One request on its way through the proxy, and the answer on its way back."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int = 0
    answer_headers: list[tuple[str, str]] | None = None
    payload: bytes = b""

    def answer(self, status: int, payload: bytes, content_type: str) -> None:
        """Answer here, without forwarding."""
        self.status, self.payload = status, payload
        self.answer_headers = [("Content-Type", content_type)]

    def json_payload(self) -> Any:
        try:
            return json.loads(self.payload)
        except ValueError:
            return None


@dataclass(frozen=True)
class Break:
    """What the break does, and its rewrites: of the request (it may answer it instead) before
    forwarding, and of the answer after."""

    does: str
    request: Callable[[Exchange], None] = lambda exchange: None
    answer: Callable[[Exchange], None] = lambda exchange: None


def _empty_bodies(exchange: Exchange) -> None:
    # registry RPCs only: MLflow's client reads some tracking answers without its "" -> {} rule
    registry = exchange.path.startswith(_REGISTRY_PATHS)
    if registry and exchange.status == 200 and exchange.json_payload() == {}:
        exchange.payload = b""


def _no_message(exchange: Exchange) -> None:
    body = exchange.json_payload()
    if exchange.status >= 400 and isinstance(body, dict) and "message" in body:
        del body["message"]
        exchange.payload = json.dumps(body).encode()


def _timestamps_as_strings(exchange: Exchange) -> None:
    def rewrite(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                key: str(item) if key in _TIMESTAMPS and isinstance(item, int) else rewrite(item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [rewrite(item) for item in value]
        return value

    body = exchange.json_payload()
    if exchange.status == 200 and isinstance(body, dict):
        exchange.payload = json.dumps(rewrite(body)).encode()


def _latest_get_without_stages(exchange: Exchange) -> None:
    if exchange.method == "GET" and exchange.path == _LATEST:
        kept = [(k, v) for k, v in parse_qsl(exchange.query) if k != "stages"]
        exchange.query = urlencode(kept)


def _latest_get_refused(exchange: Exchange) -> None:
    if exchange.method == "GET" and exchange.path == _LATEST:
        exchange.answer(405, b"<html><body>Method Not Allowed</body></html>", "text/html")


def _unknown_fields_refused(exchange: Exchange) -> None:
    if not exchange.path.startswith(_REGISTRY_PATHS) or not exchange.body:
        return
    try:
        body = json.loads(exchange.body)
    except ValueError:
        return
    unknown = sorted(set(body) - _KNOWN_FIELDS) if isinstance(body, dict) else []
    if unknown:
        error = {"error_code": "INVALID_PARAMETER_VALUE", "message": f"Unknown field {unknown[0]}"}
        exchange.answer(400, json.dumps(error).encode(), "application/json")


def _charset_read_as_latin1(exchange: Exchange) -> None:
    if "charset" in exchange.headers.get("Content-Type", "").lower():
        exchange.body = exchange.body.decode("latin-1").encode("utf-8")


def _missing_as_400(exchange: Exchange) -> None:
    body = exchange.json_payload()
    missing = isinstance(body, dict) and body.get("error_code") == "RESOURCE_DOES_NOT_EXIST"
    if exchange.status == 404 and missing:
        exchange.status = 400


def _about_wire_names(exchange: Exchange) -> bool:
    """Whether the request is about a model of the wire scenarios (minted ``...-wire-...``, in
    its query: ``name`` or a search's ``filter``, or its JSON body's ``name``): the breaks that
    MLflow's client would notice are kept to those."""
    if "-wire-" in exchange.query:
        return True
    try:
        body = json.loads(exchange.body) if exchange.body else None
    except ValueError:
        return False
    return isinstance(body, dict) and "-wire-" in str(body.get("name") or "")


def _missing_as_bare_404(exchange: Exchange) -> None:
    body = exchange.json_payload()
    missing = isinstance(body, dict) and body.get("error_code") == "RESOURCE_DOES_NOT_EXIST"
    if exchange.status == 404 and missing and _about_wire_names(exchange):
        exchange.answer(404, b"<html><body><h1>Not Found</h1></body></html>", "text/html")


def _unknown_fields_acted_on_then_refused(exchange: Exchange) -> None:
    if exchange.status == 200:
        _unknown_fields_refused(exchange)


def _versions_as_integers(exchange: Exchange) -> None:
    def rewrite(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                key: int(item)
                if key == "version" and isinstance(item, str) and item.isdigit()
                else rewrite(item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [rewrite(item) for item in value]
        return value

    body = exchange.json_payload()
    listed = exchange.path.endswith(_LISTS) and exchange.method == "GET"
    if listed and exchange.status == 200 and _about_wire_names(exchange) and isinstance(body, dict):
        exchange.payload = json.dumps(rewrite(body)).encode()


BREAKS: dict[str, Break] = {
    "faithful": Break("forwards every exchange as it is"),
    "empty-bodies": Break(
        "answers registry RPCs with 200 and an empty body where the registry answered {}",
        answer=_empty_bodies,
    ),
    "no-message": Break("drops `message` from error answers", answer=_no_message),
    "timestamps-as-strings": Break(
        "writes timestamps as JSON strings (protobuf's JSON mapping of int64)",
        answer=_timestamps_as_strings,
    ),
    "latest-get-ignores-stages": Break(
        "answers GET get-latest-versions as if no stages were asked for",
        request=_latest_get_without_stages,
    ),
    "latest-get-refused": Break(
        "answers GET get-latest-versions with a bare 405 (POST still works)",
        request=_latest_get_refused,
    ),
    "unknown-fields-refused": Break(
        "refuses a registry request body with a field of no registry message (400 "
        "INVALID_PARAMETER_VALUE)",
        request=_unknown_fields_refused,
    ),
    "charset-read-as-latin1": Break(
        "reads a body labelled with a charset as Latin-1, whatever the charset says",
        request=_charset_read_as_latin1,
    ),
    "missing-as-bare-404": Break(
        "answers a missing model or version with a bare 404 page (HTML, no error code); only "
        "about the wire scenarios' models, as MLflow's client would notice it everywhere",
        answer=_missing_as_bare_404,
    ),
    "unknown-fields-acted-on": Break(
        "acts on a registry request body with a field of no registry message, then answers it "
        "400 INVALID_PARAMETER_VALUE",
        answer=_unknown_fields_acted_on_then_refused,
    ),
    "versions-as-integers": Break(
        "writes versions as JSON integers in searches and alias lookups by GET about the wire "
        "scenarios' models (MLflow's client refuses them, so only answers it does not read)",
        answer=_versions_as_integers,
    ),
    "missing-as-400": Break(
        "answers RESOURCE_DOES_NOT_EXIST with HTTP 400 instead of MLflow's 404 (body untouched)",
        answer=_missing_as_400,
    ),
}


def _handler(upstream: str, broken: Break) -> type[BaseHTTPRequestHandler]:
    parts = urlsplit(upstream)

    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            path, _, query = self.path.partition("?")
            exchange = Exchange(
                self.command,
                path,
                query,
                {k: v for k, v in self.headers.items() if k.lower() not in _HOP},
                request_body(self),
            )
            broken.request(exchange)
            if not exchange.status:
                self._send_upstream(exchange)
                broken.answer(exchange)
            self.send_response(exchange.status)
            for key, value in exchange.answer_headers or []:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(exchange.payload)))
            self.end_headers()
            self.wfile.write(exchange.payload)

        def _send_upstream(self, exchange: Exchange) -> None:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
            target = exchange.path + (f"?{exchange.query}" if exchange.query else "")
            try:
                connection.request(
                    exchange.method, target, body=exchange.body or None, headers=exchange.headers
                )
                answer = connection.getresponse()
                exchange.payload = answer.read()
                exchange.status = answer.status
                exchange.answer_headers = [
                    (k, v) for k, v in answer.getheaders() if k.lower() not in _HOP
                ]
            finally:
                connection.close()

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _forward

        def log_message(self, *args: object) -> None:
            pass

    return Forward


@contextmanager
def wire_proxy(upstream: str, broken: str | Break) -> Iterator[str]:
    """Serve a proxy to ``upstream`` with the break ``broken`` (a name of ``BREAKS``, or a test's
    own break) on a free local port."""
    if isinstance(broken, str):
        broken = BREAKS[broken]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(upstream, broken))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="wire-proxy", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
