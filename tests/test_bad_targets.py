"""Bad input gets a clear error and loses nothing: wrong URIs, targets that are unreachable, want
credentials or are no MLflow registry, and outputs that cannot be written end in one line and a
usage error before anything runs (or, beside a measured target, in an `inconclusive` column),
never in tracebacks, verdicts or phantom leftovers."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from conformance import results
from tests import servers

OUTPUT_NAMES = {
    "--results-json": "results document",
    "--report-html": "HTML report",
    "--report-md": "Markdown matrix",
    "--junitxml": "JUnit XML",
}


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


class _Canned(BaseHTTPRequestHandler):
    """Answers every request with ``status``, ``content_type`` and ``body``."""

    status = 500
    content_type = "text/html"
    body = b"<html><body>Internal Server Error</body></html>"

    def _answer(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, *args) -> None:
        pass


@contextmanager
def _canned_server(status: int, content_type: str, body: bytes) -> Iterator[str]:
    handler = type(
        "Handler", (_Canned,), {"status": status, "content_type": content_type, "body": body}
    )
    server = ThreadingHTTPServer(("127.0.0.1", servers.free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def _plain_web_server(folder: Path) -> Iterator[str]:
    """``python -m http.server``: a web server, no registry (its 404s are HTML pages)."""
    port = servers.free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(url, timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


_UNAUTHENTICATED = json.dumps(
    {"error_code": "UNAUTHENTICATED", "message": "You are not authenticated."}
).encode()
#: kind -> (how to start it, what its one line must say)
BAD_TARGETS = {
    "unreachable": "cannot reach http://127.0.0.1:{port} (connection refused): check that the "
    "registry is running",
    "plain-web-server": "is not an MLflow registry: none of its registry endpoints answers as "
    "MLflow does (GET /api/2.0/mlflow/registered-models/search: HTTP 404, text/html)",
    "500-html": "is not an MLflow registry",
    "200-garbage": "is not an MLflow registry",
    "needs-credentials": "wants credentials (HTTP 401 on GET "
    "/api/2.0/mlflow/registered-models/search); MLflow's client sends those of "
    "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or ~/.mlflow/credentials), "
    "MLFLOW_TRACKING_TOKEN, MLFLOW_TRACKING_AUTH, MLFLOW_TRACKING_AWS_SIGV4, "
    "MLFLOW_TRACKING_CLIENT_CERT_PATH: set them",
}


@pytest.fixture(params=list(BAD_TARGETS))
def bad_target(request, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A URL where the suite cannot measure anything, and what its one line must say."""
    kind = request.param
    if kind == "unreachable":
        port = servers.free_port()
        yield f"http://127.0.0.1:{port}", BAD_TARGETS[kind].format(port=port)
        return
    canned = {
        "500-html": (500, "text/html", b"<html>boom</html>"),
        "200-garbage": (200, "application/json", b"{{"),
        "needs-credentials": (401, "application/json", _UNAUTHENTICATED),
    }
    if kind == "plain-web-server":
        server = _plain_web_server(tmp_path)
    else:
        server = _canned_server(*canned[kind])
    with server as url:
        yield url, BAD_TARGETS[kind]


def test_a_target_that_cannot_be_measured_gets_one_line_and_no_verdict(
    tmp_path: Path, bad_target: tuple[str, str]
):
    url, line = bad_target
    results_json = tmp_path / "r.json"
    completed = _suite("--registry-uri", url, "--results-json", str(results_json), cwd=tmp_path)

    assert completed.returncode == pytest.ExitCode.USAGE_ERROR, completed.stdout[-2000:]
    (error,) = completed.stderr.strip().splitlines()
    assert error.startswith("ERROR: ")
    assert line in error
    assert "Traceback" not in completed.stdout + completed.stderr
    assert not completed.stdout.strip()  # no scenario, no verdict, nothing "left behind"
    assert not results_json.exists()


def test_several_targets_measure_the_reachable_ones(tmp_path: Path):
    unreachable = f"http://127.0.0.1:{servers.free_port()}"
    results_json = tmp_path / "r.json"
    completed = _suite(
        "--registry-uri",
        "memory://rc-reachable",
        "--registry-uri",
        unreachable,
        "-m",
        "feature_model_rename",
        "--results-json",
        str(results_json),
        cwd=tmp_path,
    )

    document = json.loads(results_json.read_text())
    results.validate(document)
    reachable, lost = document["targets"]
    line = lost["unusable"]
    assert line.startswith(f"cannot reach {unreachable} (connection refused)")
    verdicts = [v for v in document["verdicts"] if v["target"] == lost["id"]]
    assert {(v["verdict"], v["note"]) for v in verdicts} == {("inconclusive", line)}
    assert {s["target"] for s in document["scenarios"]} == {reachable["id"]}
    rename = next(
        v
        for v in document["verdicts"]
        if (v["target"], v["feature"]) == (reachable["id"], "model.rename")
    )
    assert rename["verdict"] == "supported"
    assert f"not measured: {line}" in completed.stdout
    assert "Traceback" not in completed.stdout + completed.stderr
    assert completed.returncode == pytest.ExitCode.OK


def test_a_database_that_cannot_be_opened_is_said_once_and_clearly(tmp_path: Path):
    # (MLflow creates missing folders, but not inside a file)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    missing = blocker / "mlflow.db"
    completed = _suite("--registry-uri", f"sqlite:///{missing}", cwd=tmp_path)

    assert completed.returncode == pytest.ExitCode.USAGE_ERROR
    (error,) = completed.stderr.strip().splitlines()
    assert error.startswith(f"ERROR: cannot open sqlite:///{missing}: ")
    assert "Traceback" not in completed.stdout + completed.stderr
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize("option", ["--results-json", "--report-html", "--report-md", "--junitxml"])
def test_an_output_that_cannot_be_written_stops_the_run_before_it_starts(tmp_path: Path, option):
    blocker = tmp_path / "afile"
    blocker.write_text("a file, not a folder")
    completed = _suite(option, str(blocker / "out"), cwd=tmp_path)

    assert completed.returncode == pytest.ExitCode.USAGE_ERROR
    assert completed.stderr.strip().splitlines() == [
        f"ERROR: {option} {blocker / 'out'}: cannot write the "
        f"{OUTPUT_NAMES[option]} there: {blocker} is a file, not a folder"
    ]
    assert "passed" not in completed.stdout
