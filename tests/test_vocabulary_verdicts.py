"""Whole runs against registries that answer with one word of the refusal vocabulary.

The reviewer's cases of issue 9, in-process (``tests/vocabulary_backends.py``) and over HTTP
(the same stores behind MLflow's own handlers, served by ``serve_in_thread``; and a gateway in
front of them that answers bare statuses): a version the scenario has just created answered
"does not exist" is a wrong answer, a denied right says nothing about the feature, and a
registry without registry endpoints offers nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from mlflow.server import app, handlers

from conformance.catalogue import FEATURES
from reference_backend.server import serve_in_thread
from tests import vocabulary_backends

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[1]
FOREIGN = "memory://vocabulary-foreign"
ALL_FEATURES = [feature.id for feature in FEATURES]
#: What an in-process target is measured on: the wire rows need an HTTP target (not tested).
IN_PROCESS_FEATURES = [feature.id for feature in FEATURES if not feature.http_only]
WsgiApp = Callable[[dict, Callable[..., Any]], Iterable[bytes]]


def _run(folder: Path, *args: str) -> dict[str, Any]:
    """``registry-conformance run`` in a process of its own; its results document."""
    results = folder / "results.json"
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    completed = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "-p", "no:cacheprovider", *args,
         f"--foreign-tracking-uri={FOREIGN}", f"--results-json={results}"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert results.is_file(), completed.stdout[-4000:] + completed.stderr[-3000:]
    return json.loads(results.read_text())


def _verdicts(document: dict[str, Any], target: str | None = None) -> dict[str, dict[str, str]]:
    """{feature: verdict entry} of one target (the only one when ``target`` is None)."""
    ids = [t["id"] for t in document["targets"] if target in (None, t["registry_uri"])]
    assert len(ids) == 1, document["targets"]
    return {v["feature"]: v for v in document["verdicts"] if v["target"] == ids[0]}


def _evidence(document: dict[str, Any], target_uri: str, feature: str) -> list[dict[str, Any]]:
    target = next(t["id"] for t in document["targets"] if t["registry_uri"] == target_uri)
    return [
        entry
        for scenario in document["scenarios"]
        if scenario["target"] == target and feature in scenario["features"]
        for entry in scenario["evidence"]
    ]


# --- in-process --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def in_process(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    uris = [f"{vocabulary_backends.SCHEME}://{case}" for case in vocabulary_backends.CASES]
    return _run(
        tmp_path_factory.mktemp("vocabulary"),
        "-p",
        "tests.vocabulary_backends",
        *(f"--registry-uri={uri}" for uri in uris),
    )


def test_a_version_just_created_answered_missing_is_non_conformant(in_process):
    verdicts = _verdicts(in_process, "vocab://lost-versions")
    assert verdicts["version.details"]["verdict"] == "non-conformant"
    evidence = _evidence(in_process, "vocab://lost-versions", "version.details")
    assert "entity" in {entry.get("classified_as") for entry in evidence}


#: Features with a scenario that renames a model as its prerequisite: a denied rename leaves
#: them without a verdict too (never unsupported or non-conformant).
RENAME_AS_PREREQUISITE = {"alias.lifecycle": "aliases follow a rename"}


def test_a_denied_rename_is_inconclusive_and_nothing_else_moves(in_process):
    verdicts = _verdicts(in_process, "vocab://denied-renames")
    for feature in ("model.rename", *RENAME_AS_PREREQUISITE):
        assert verdicts[feature]["verdict"] == "inconclusive", feature
        assert "PERMISSION_DENIED" in verdicts[feature]["note"], feature
    others = {
        f: verdicts[f]["verdict"]
        for f in IN_PROCESS_FEATURES
        if f != "model.rename" and f not in RENAME_AS_PREREQUISITE
    }
    assert set(others.values()) == {"supported"}, others


def test_no_registry_endpoints_is_unsupported_everywhere(in_process):
    verdicts = _verdicts(in_process, "vocab://no-registry")
    measured = {f: verdicts[f]["verdict"] for f in IN_PROCESS_FEATURES}
    assert measured == dict.fromkeys(IN_PROCESS_FEATURES, "unsupported")


# --- over HTTP ---------------------------------------------------------------------------------


@contextmanager
def _served(case: str | None = None, gateway: Callable[[WsgiApp], WsgiApp] | None = None):
    """A reference backend behind MLflow's handlers, its registry store answering as ``case``
    says, optionally behind ``gateway`` (a WSGI layer in front of MLflow's app)."""
    with serve_in_thread() as url:
        if case is not None:
            handlers._model_registry_store = vocabulary_backends.answering_store(
                handlers._model_registry_store, case
            )
        inner = app.wsgi_app
        if gateway is not None:
            app.wsgi_app = gateway(inner)
        try:
            yield url
        finally:
            app.wsgi_app = inner


def _bare(status: str, body: bytes, path_part: str) -> Callable[[WsgiApp], WsgiApp]:
    """A gateway that answers ``status`` with an HTML body to every path containing
    ``path_part``, and passes everything else on."""

    def wrap(inner: WsgiApp) -> WsgiApp:
        def gateway(environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
            if path_part not in environ.get("PATH_INFO", ""):
                return inner(environ, start_response)
            headers = [("Content-Type", "text/html"), ("Content-Length", str(len(body)))]
            start_response(status, headers)
            return [body]

        return gateway

    return wrap


RENAME = "/registered-models/rename"


RENAME_ANSWERED = {  # a gateway answers every rename with: -> model.rename
    "403 FORBIDDEN": "inconclusive",
    "401 UNAUTHORIZED": "inconclusive",
    "404 NOT FOUND": "unsupported",
    "405 METHOD NOT ALLOWED": "unsupported",
    "501 NOT IMPLEMENTED": "unsupported",
    "500 INTERNAL SERVER ERROR": "non-conformant",
}
HTTP_CASES = {
    "lost-versions": ("lost-versions", None, {"version.details": "non-conformant"}),
    "denied-renames": ("denied-renames", None, {"model.rename": "inconclusive"}),
    **{
        f"rename-{status.split()[0]}": (
            None,
            _bare(status, f"<html>{status}</html>".encode(), RENAME),
            {"model.rename": verdict},
        )
        for status, verdict in RENAME_ANSWERED.items()
    },
}


@pytest.mark.parametrize("http_case", HTTP_CASES)
def test_over_http(tmp_path: Path, http_case: str):
    case, gateway, expected = HTTP_CASES[http_case]
    markers = " or ".join(f"feature_{feature.replace('.', '_')}" for feature in expected)
    with _served(case, gateway) as url:
        document = _run(tmp_path, f"--registry-uri={url}", "-m", markers)
    verdicts = _verdicts(document)
    assert {f: verdicts[f]["verdict"] for f in expected} == expected, verdicts


def test_over_http_no_registry_endpoints_is_unsupported_everywhere(tmp_path: Path):
    with _served("no-registry") as url:
        document = _run(tmp_path, f"--registry-uri={url}")
    verdicts = {f: v["verdict"] for f, v in _verdicts(document).items()}
    assert verdicts == dict.fromkeys(ALL_FEATURES, "unsupported")
