"""Bad input gets a clear error and loses nothing: wrong URIs, unreachable servers and servers
that answer garbage end in a usage error or in `inconclusive`, never in a crash or a verdict."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conformance import results
from tests import servers


def _suite(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", "-q", "-p", "no:warnings", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--registry-uri", "bogus://x"], "no MLflow registry store handles scheme 'bogus'"),
        (["--registry-uri", " "], "--registry-uri is empty"),
        (["--namespace", "has space"], "--namespace 'has space'"),
        (
            [
                "--registry-uri",
                "sqlite:///a.db",
                "--registry-uri",
                "sqlite:///b.db",
                "--registry-uri",
                "sqlite:///c.db",
                "--tracking-uri",
                "x://",
                "--tracking-uri",
                "y://",
            ],
            "one per target",
        ),
    ],
)
def test_usage_errors_are_one_clear_line(tmp_path: Path, args, message):
    completed = _suite(*args, cwd=tmp_path)
    assert completed.returncode == pytest.ExitCode.USAGE_ERROR
    assert message in completed.stderr
    assert "Traceback" not in completed.stderr + completed.stdout


class _Garbage(BaseHTTPRequestHandler):
    """Answers every request with ``status`` and a body that is not MLflow's."""

    status = 500
    body = b"<html><body>Internal Server Error</body></html>"

    def _answer(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(params=["unreachable", "500-html", "200-garbage"])
def not_a_registry(request) -> Iterator[tuple[str, str]]:
    """A URL where no MLflow registry answers: nothing listens, or a server answers garbage."""
    if request.param == "unreachable":
        yield request.param, f"http://127.0.0.1:{servers.free_port()}"
        return
    status, body = (500, b"<html>boom</html>") if request.param == "500-html" else (200, b"{{")
    handler = type("Handler", (_Garbage,), {"status": status, "body": body})
    server = ThreadingHTTPServer(("127.0.0.1", servers.free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield request.param, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_no_verdict_is_drawn_from_a_server_that_is_not_a_registry(
    tmp_path: Path, not_a_registry: tuple[str, str]
):
    kind, url = not_a_registry
    completed = _suite(
        "--registry-uri", url, "--results-json", str(tmp_path / "r.json"), cwd=tmp_path
    )

    document = json.loads((tmp_path / "r.json").read_text())
    results.validate(document)
    verdicts = {v["feature"]: v["verdict"] for v in document["verdicts"]}
    # Row 4 needs a foreign tracking server: not tested, whatever the server does.
    assert verdicts.pop("register.from-foreign-run") == "not-tested"
    if kind == "unreachable":
        # nobody answers: no verdict at all
        assert set(verdicts.values()) == {"inconclusive"}, verdicts
    else:
        # garbage answers: unjudgeable where a prerequisite got it, failed where the call
        # under test got it, but never anything that looks like support or a clean refusal
        assert set(verdicts.values()) <= {"inconclusive", "non-conformant"}, verdicts
        assert "non-conformant" in verdicts.values()
    assert completed.returncode == pytest.ExitCode.TESTS_FAILED


def test_a_database_that_cannot_be_opened_is_said_once_and_clearly(tmp_path: Path):
    # (MLflow creates missing folders, but not inside a file)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    missing = blocker / "mlflow.db"
    completed = _suite(
        "--registry-uri",
        f"sqlite:///{missing}",
        "-m",
        "feature_model_rename",
        "--results-json",
        str(tmp_path / "r.json"),
        cwd=tmp_path,
    )

    document = json.loads((tmp_path / "r.json").read_text())
    rename = next(v for v in document["verdicts"] if v["feature"] == "model.rename")
    assert rename["verdict"] == "inconclusive"
    assert f"cannot open sqlite:///{missing}" in rename["note"]
    assert completed.returncode == pytest.ExitCode.TESTS_FAILED
    assert blocker.read_text() == "not a folder"
