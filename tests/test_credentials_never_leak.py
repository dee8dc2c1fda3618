"""Credentials never leak: a short run with a secret given each way MLflow's client takes one
(username/password against a real basic-auth ``mlflow server``, ``MLFLOW_TRACKING_TOKEN``, a
token in the URI's query, user-info in the URI, a header from a request-header provider plugin),
against a registry that refuses renames so that HTTP evidence is recorded; the secret is in no
output: results document, HTML, Markdown, JUnit XML, terminal, HTTP evidence."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reference_backend.server import serve_in_thread
from tests import servers

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[1]
SECRET = f"rcsecret{secrets.token_hex(8)}"
CREDENTIALS = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN")
#: Registered in the suite's process by ``sitecustomize``: every request carries the secret.
HEADER_PLUGIN = """
import os
from mlflow.tracking.request_header.abstract_request_header_provider import RequestHeaderProvider
from mlflow.tracking.request_header.registry import _request_header_provider_registry


class SecretHeader(RequestHeaderProvider):
    def in_context(self):
        return True

    def request_headers(self):
        return {"X-Rc-Secret": os.environ["RC_HEADER_SECRET"]}


_request_header_provider_registry.register(SecretHeader)
"""


@pytest.fixture(scope="module")
def refusing_registry() -> Iterator[str]:
    """The reference backend over HTTP, refusing renames as Azure ML does."""
    with serve_in_thread(emulation="azureml") as url:
        yield url


@pytest.fixture(scope="module")
def basic_auth_server(
    tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path
) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("basic-auth-server")
    with servers.basic_auth_mlflow_server(migrated_sqlite, workdir, SECRET) as url:
        yield url


def _run_and_collect(folder: Path, uri: str, **env: str) -> str:
    """Run a short selection; every output it wrote, the terminal's included, as one text."""
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PYTEST_") and key not in CREDENTIALS
    }
    paths = [str(REPO_ROOT), base.get("PYTHONPATH", "")]
    if "RC_HEADER_SECRET" in env:
        plugin = folder / "plugin"
        plugin.mkdir()
        (plugin / "sitecustomize.py").write_text(HEADER_PLUGIN)
        paths.insert(0, str(plugin))
    base["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    outputs = {name: folder / name for name in ("r.json", "r.html", "r.md", "junit.xml")}
    completed = subprocess.run(
        [
            *(sys.executable, "-m", "conformance.cli", "run", "--registry-uri", uri, "-rA"),
            *("-m", "feature_model_rename or feature_version_tags"),
            *("--results-json", str(outputs["r.json"]), "--report-html", str(outputs["r.html"])),
            *("--report-md", str(outputs["r.md"]), "--junitxml", str(outputs["junit.xml"])),
        ],
        cwd=folder,
        env={**base, "MLFLOW_DISABLE_TELEMETRY": "true", **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    written = [path.read_text() for path in outputs.values() if path.exists()]
    return "\n".join([completed.stdout, completed.stderr, *written])


@pytest.mark.parametrize(
    ("where", "env", "shows"),
    [
        ("{url}", {"MLFLOW_TRACKING_TOKEN": SECRET}, "model.rename"),
        # MLflow appends its paths after the URI's query: no registry answers there.
        ("{url}?token=" + SECRET, {}, "?token=*** is not an MLflow registry"),
        ("http://user:" + SECRET + "@{host}", {}, "model.rename"),
        ("{url}", {"RC_HEADER_SECRET": SECRET}, "model.rename"),
    ],
    ids=["token-variable", "token-in-query", "user-info", "header-plugin"],
)
def test_a_secret_given_to_the_client_is_in_no_output(
    refusing_registry: str, tmp_path: Path, where: str, env: dict[str, str], shows: str
):
    uri = where.format(url=refusing_registry, host=refusing_registry.removeprefix("http://"))
    text = _run_and_collect(tmp_path, uri, **env)

    assert shows in text, text[-3000:]
    assert SECRET not in text


def test_a_basic_auth_password_is_in_no_output(basic_auth_server: str, tmp_path: Path):
    text = _run_and_collect(
        tmp_path,
        basic_auth_server,
        MLFLOW_TRACKING_USERNAME="admin",
        MLFLOW_TRACKING_PASSWORD=SECRET,
    )

    assert "supported" in text, text[-3000:]
    assert SECRET not in text
