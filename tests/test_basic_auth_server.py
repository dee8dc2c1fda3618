"""A real ``mlflow server --app-name basic-auth`` as a target: without credentials the run stops
at the preflight with one line naming the variables MLflow's client reads (exit 4, no
traceback); with the admin's credentials it measures, and the password shows nowhere, in the
terminal or the results document; the wire rows' requests below the client carry them too."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import servers

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[1]
ADMIN = "admin"  # admin_username of MLflow's basic_auth.ini
#: MLflow ships no default admin password: the server creates the admin with this one.
PASSWORD = f"rc-{secrets.token_urlsafe(16)}"
CREDENTIALS = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN")


@pytest.fixture(scope="module")
def basic_auth_server(
    tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path
) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("basic-auth-server")
    with servers.basic_auth_mlflow_server(migrated_sqlite, workdir, PASSWORD) as url:
        yield url


def _suite(folder: Path, *args: str, **credentials: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PYTEST_") and key not in CREDENTIALS
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", *args],
        cwd=folder,
        env={**env, **credentials},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize(
    ("credentials", "says"),
    [
        ({}, "wants credentials"),
        (
            {"MLFLOW_TRACKING_USERNAME": ADMIN, "MLFLOW_TRACKING_PASSWORD": "not-the-password"},
            "rejects the credentials given",
        ),
    ],
    ids=["none", "wrong"],
)
def test_without_the_right_credentials_the_run_is_one_line(
    basic_auth_server: str, tmp_path: Path, credentials: dict[str, str], says: str
):
    completed = _suite(tmp_path, "--registry-uri", basic_auth_server, **credentials)

    assert completed.returncode == pytest.ExitCode.USAGE_ERROR, completed.stdout[-3000:]
    (line,) = completed.stderr.strip().splitlines()
    assert line == (
        f"ERROR: {basic_auth_server} {says} (HTTP 401 on GET "
        "/api/2.0/mlflow/registered-models/search); MLflow's client sends those of "
        "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or ~/.mlflow/credentials), "
        "MLFLOW_TRACKING_TOKEN, MLFLOW_TRACKING_AUTH, MLFLOW_TRACKING_AWS_SIGV4, "
        "MLFLOW_TRACKING_CLIENT_CERT_PATH: set them for this registry and run again"
    )
    assert not completed.stdout.strip()
    assert "Traceback" not in completed.stdout + completed.stderr
    assert not (tmp_path / "r.json").exists()


def test_with_the_admins_credentials_it_measures_and_never_shows_the_password(
    basic_auth_server: str, tmp_path: Path
):
    results = tmp_path / "r.json"
    completed = _suite(
        tmp_path,
        "--registry-uri",
        basic_auth_server,
        "-m",
        # the wire rows' own requests (below MLflow's client) must carry its credentials too
        "feature_model_rename or feature_wire_endpoints",
        "--results-json",
        str(results),
        "--report-html",
        str(tmp_path / "r.html"),
        MLFLOW_TRACKING_USERNAME=ADMIN,
        MLFLOW_TRACKING_PASSWORD=PASSWORD,
    )

    output = completed.stdout + completed.stderr
    document = json.loads(results.read_text())
    verdicts = {v["feature"]: v["verdict"] for v in document["verdicts"]}
    assert verdicts["model.rename"] == "supported", output[-3000:]
    assert verdicts["wire.endpoints"] == "supported", output[-3000:]
    assert {s["outcome"] for s in document["scenarios"]} == {"passed"}
    assert document["leftovers"] == []
    assert completed.returncode == pytest.ExitCode.OK, output[-3000:]
    basic = base64.b64encode(f"{ADMIN}:{PASSWORD}".encode()).decode()
    for text in (output, results.read_text(), (tmp_path / "r.html").read_text()):
        assert PASSWORD not in text
        assert basic not in text
