"""The front door: ``pytest --registry-uri=URI`` runs the shipped scenarios from any folder, and
the plugin, installed, leaves every other pytest run alone (no parametrization, no fixtures, no
MLflow import, no target resolution, no patching)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RENAME = ("-m", "feature_model_rename")


def _pytest(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:warnings", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


@pytest.mark.parametrize("folder", ["empty", "this repository"])
def test_the_suites_options_without_paths_run_the_scenarios(tmp_path: Path, folder: str):
    cwd = tmp_path if folder == "empty" else ROOT
    results = tmp_path / "results.json"
    done = _pytest(
        "-q", "--registry-uri=memory://front-door", *RENAME, "--results-json", str(results), cwd=cwd
    )

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "3 passed" in done.stdout  # the rename scenarios, not the suite's own tests
    document = json.loads(results.read_text())
    assert document["targets"][0]["registry_uri"] == "memory://front-door"
    files = {s["nodeid"].split("::")[0] for s in document["scenarios"]}
    assert {Path(file).name for file in files} == {"test_model_rename.py"}


def test_explicit_paths_keep_their_meaning(tmp_path: Path):
    (tmp_path / "test_mine.py").write_text("def test_mine():\n    pass\n")
    done = _pytest("-q", "--results-json", "results.json", "test_mine.py", cwd=tmp_path)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "1 passed" in done.stdout
    assert "no scenario ran, so no results were written" in done.stdout
    assert not (tmp_path / "results.json").exists()


UNRELATED = """
import os
import sys

import pytest


@pytest.fixture
def client():
    return "the project's own client"


@pytest.fixture
def names():
    return ["the project's own names"]


@pytest.mark.parametrize("target", ["a", "b"])
def test_own_target_parameter(target, client, names):
    assert client == "the project's own client"
    assert names == ["the project's own names"]


def test_untouched():
    assert "mlflow" not in sys.modules, "the plugin imported MLflow"
    assert "requests" not in sys.modules, "the plugin imported requests"
    assert "MLFLOW_HTTP_REQUEST_MAX_RETRIES" not in os.environ
"""
OWN_TARGET_FIXTURE = """
import pytest


@pytest.fixture
def target():
    return "the project's own target"


def test_own_target_fixture(target):
    assert target == "the project's own target"
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_an_unrelated_project_is_left_alone(tmp_path: Path, workers: list[str]):
    (tmp_path / "test_unrelated.py").write_text(UNRELATED)
    (tmp_path / "test_own_target.py").write_text(OWN_TARGET_FIXTURE)
    # A scheme no MLflow store handles: resolving targets would fail the run.
    env = {**_environment(), "MLFLOW_TRACKING_URI": "weird://nothing-handles-this"}
    done = _pytest("-q", *workers, cwd=tmp_path, env=env)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "4 passed" in done.stdout
    assert "registry conformance" not in done.stdout


def test_the_plugin_module_imports_nothing_heavy():
    script = "import json, sys, conformance.plugin; print(json.dumps(sorted(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    heavy = {"mlflow", "requests", "jsonschema", "conformance.run.start", "conformance.results"}
    assert heavy.isdisjoint(json.loads(loaded))


def _environment() -> dict[str, str]:
    """This session's environment without the variables of MLflow and pytest."""
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MLFLOW_", "PYTEST_"))
    }
