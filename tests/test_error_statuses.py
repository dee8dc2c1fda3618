"""errors.codes judges the HTTP status of an error answer, not only its code (slow: it starts two
reference-backend servers, ~30 s).

A proxy in front of a real ``reference-backend serve`` forwards every exchange; one that answers
RESOURCE_DOES_NOT_EXIST with HTTP 400 instead of MLflow's 404 (body untouched, so MLflow's client
still reads the right code) must make exactly errors.codes non-conformant, and the faithful proxy
must leave it supported: the status check can fail, and it fails only on the status.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests import report_documents, servers

pytestmark = pytest.mark.slow

_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


def _handler(upstream: str, missing_status: int) -> type[BaseHTTPRequestHandler]:
    parts = urlsplit(upstream)

    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                payload = answer.read()
                status = answer.status
                answer_headers = [(k, v) for k, v in answer.getheaders() if k.lower() not in _HOP]
            finally:
                connection.close()
            if status == 404 and _error_code(payload) == "RESOURCE_DOES_NOT_EXIST":
                status = missing_status
            self.send_response(status)
            for key, value in answer_headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PATCH = do_DELETE = _forward

        def log_message(self, *args: object) -> None:
            pass

    return Forward


def _error_code(payload: bytes) -> str:
    try:
        body = json.loads(payload)
    except ValueError:
        return ""
    return str(body.get("error_code", "")) if isinstance(body, dict) else ""


@contextmanager
def _proxy(upstream: str, missing_status: int) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(upstream, missing_status))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_missing_answered_with_the_wrong_status_fails_errors_codes_only(tmp_path: Path):
    # one registry each: the run pairs every target with its own tracking server
    with (
        servers.reference_server("error-statuses-faithful") as faithful_upstream,
        servers.reference_server("error-statuses-wrong") as wrong_upstream,
        _proxy(faithful_upstream, 404) as faithful,
        _proxy(wrong_upstream, 400) as wrong_status,
    ):
        completed, document = report_documents.run_with_document(
            tmp_path,
            f"--registry-uri={faithful}",
            f"--registry-uri={wrong_status}",
            "-m",
            "feature_errors_codes or feature_version_details or feature_model_delete",
        )
    targets = {t["registry_uri"]: t["id"] for t in document["targets"]}
    verdicts = {
        (v["target"], v["feature"]): v["verdict"]
        for v in document["verdicts"]
        if v["feature"] in ("errors.codes", "version.details", "model.delete")
    }
    output = completed.stdout[-4000:] + completed.stderr[-2000:]
    assert verdicts[(targets[faithful], "errors.codes")] == "supported", output
    assert verdicts[(targets[wrong_status], "errors.codes")] == "non-conformant", output
    # the rows that read missing entities judge the code, not the status
    for feature in ("version.details", "model.delete"):
        assert verdicts[(targets[wrong_status], feature)] == "supported", (feature, output)
    reasons = [
        s["reason"]
        for s in document["scenarios"]
        if s["target"] == targets[wrong_status] and s["outcome"] == "failed"
    ]
    assert reasons, output
    assert all("HTTP status 400" in reason and "404" in reason for reason in reasons), reasons
