"""Results documents for the report tests: made by real runs (once per test process), plus a
hostile target injected into a copy of one, whose every string tries to break out or leak."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import servers

REPO_ROOT = Path(__file__).resolve().parents[1]

#: Markup that must stay text wherever it is shown.
HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"
#: Credentials planted in the hostile target's URIs and evidence; none may reach a report.
SECRETS = ("s3cr3t-pw", "abc123bearer", "xyz-query-token")
HOSTILE_URI = "https://user:s3cr3t-pw@evil.example/api?token=xyz-query-token"

_CACHE: dict[str, dict[str, Any]] = {}
# Seed row 5 partial, row 4 not tested (no foreign tracking server), row 9 supported.
SQLITE_FEATURES = "feature_search_list or feature_register_from_foreign_run or feature_model_rename"


def embedded(factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every scenario against the embedded reference backend: all supported."""
    if "embedded" not in _CACHE:
        _CACHE["embedded"] = real_run(factory.mktemp("embedded"))
    return copy.deepcopy(_CACHE["embedded"])


def sqlite(factory: pytest.TempPathFactory, migrated: Path) -> dict[str, Any]:
    """MLflow's SQL store on three features: partial, not tested, supported (others not run)."""
    if "sqlite" not in _CACHE:
        folder = factory.mktemp("sqlite")
        database = servers.copy_database(migrated, folder / "mlflow.db")
        _CACHE["sqlite"] = real_run(
            folder, "--registry-uri", f"sqlite:///{database}", "-m", SQLITE_FEATURES
        )
    return copy.deepcopy(_CACHE["sqlite"])


def real_run(folder: Path, *args: str) -> dict[str, Any]:
    """The results document of ``registry-conformance run *args``, run in ``folder``."""
    return run_with_document(folder, *args)[1]


def suite_environment() -> dict[str, str]:
    """The environment of a suite run in a subprocess: this repository importable (its test
    plugins too), without this session's own pytest variables (xdist worker names, ...)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def run_with_document(
    folder: Path, *args: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """``registry-conformance run *args`` in ``folder``: the finished command and its document.

    The run can load this repository's test plugins (``-p tests.broken_backends``); this session's
    own pytest variables (xdist worker names, ...) are not its business.
    """
    path = folder / "results.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance.cli",
            "run",
            "-q",
            "-p",
            "no:warnings",
            "--results-json",
            str(path),
            *args,
        ],
        cwd=folder,
        env=suite_environment(),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert path.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    return done, json.loads(path.read_text(encoding="utf-8"))


def with_hostile_target(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` with one more target whose strings carry markup and credentials,
    one verdict of each kind (in turn, by feature) and evidence for every feature."""
    document = copy.deepcopy(document)
    source = document["targets"][0]
    hostile = {
        **copy.deepcopy(source),
        "id": "hostile",
        "label": f"evil {HOSTILE}",
        "registry_uri": HOSTILE_URI,
        "tracking_uri": HOSTILE_URI,
        "server": {"version": HOSTILE},
    }
    document["targets"].append(hostile)
    kinds = [
        ("non-conformant", "failed"),
        ("inconclusive", "error"),
        ("partial", "unsupported"),
        ("unsupported", "unsupported"),
        ("supported", "passed"),
        ("not-tested", "skipped"),
    ]
    for index, feature in enumerate(document["features"]):
        verdict, outcome = kinds[index % len(kinds)]
        note = "" if verdict == "supported" else f"1/1 scenarios {outcome}: {HOSTILE}"
        document["verdicts"].append(
            {"target": "hostile", "feature": feature["id"], "verdict": verdict, "note": note}
        )
        document["scenarios"].append(
            {
                "target": "hostile",
                "features": [feature["id"]],
                "nodeid": f"scenarios/test_evil.py::test_{index}[hostile]",
                "outcome": outcome,
                "duration_s": 0.5,
                "reason": f"{HOSTILE} Authorization: Bearer abc123bearer",
                "evidence": [
                    {
                        "call": f"GET {HOSTILE_URI}",
                        "role": "feature",
                        "classified_as": "malformed",
                        "exception": f"HTTPError: 500 {HOSTILE}",
                        "traceback": "Traceback (most recent call last):\n"
                        "  headers={'Authorization': 'Bearer abc123bearer'}\n"
                        f"  url=https://evil.example/x?a=1&token=xyz-query-token\n{HOSTILE}",
                    }
                ],
            }
        )
    return document
