"""The suite against a real ``mlflow server`` on SQLite, started by this test session.

The expected matrix is MLflow's documented behaviour: everything is supported except what the
server refuses on purpose, and those refusals must show as such (not as failures):
- row 1 is partial: the server refuses ``file://`` sources that no run of its own owns;
- row 4 is unsupported: it refuses artifact locations of another tracking server's runs;
- row 5 is partial: the SQL store refuses ``order_by creation_timestamp``;
and MLflow's own bugs show as failures: ``search.pagination`` and ``search.filter-errors`` are
non-conformant (bad search input answered with an HTML 500), and so are ``alias.in-version-search``
(the SQL store leaves aliases out of version search results, mlflow#9783) and ``uri.logged-models``
(it keeps no ``model_id`` on versions); without ``--enable-workspaces`` it has no workspaces, so
``workspaces.isolation`` is not tested. Webhook delivery is not tested: by policy the server
refuses webhooks to the suite's receiver on 127.0.0.1.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from mlflow.tracking import MlflowClient

from conformance.catalogue import FEATURES

pytestmark = pytest.mark.slow

EXPECTED_EXCEPTIONS = {
    "register.mlflow-format": "partial",
    "register.from-foreign-run": "unsupported",
    "search.list": "partial",
    # MLflow bug: version search results carry no aliases (mlflow#9783)
    "alias.in-version-search": "non-conformant",
    # MLflow bug: the SQL store keeps no model_id on versions (model-versions/get: none)
    "uri.logged-models": "non-conformant",
    # MLflow bugs, the findings of these rows: a filter with IS NULL and a page token of
    # non-object JSON escape MLflow's parsers (ValueError, AttributeError: HTML 500)
    "search.pagination": "non-conformant",
    "search.filter-errors": "non-conformant",
    # a plain server has no workspaces (--enable-workspaces, MLflow 3.10+)
    "workspaces.isolation": "not-tested",
    # by default the server allows webhooks to https URLs on public addresses only: the suite's
    # receiver on 127.0.0.1 is refused (INVALID_PARAMETER_VALUE), so delivery is not tested
    "webhooks.delivery": "not-tested",
}


def _verdicts(document: dict) -> dict[str, str]:
    return {v["feature"]: v["verdict"] for v in document["verdicts"]}


@pytest.fixture(scope="module")
def server_run(mlflow_sqlite_server: str, tmp_path_factory: pytest.TempPathFactory):
    """One whole-suite run against the server, as a user would start it.

    Serial on purpose: MLflow's page tokens are offsets, so a second worker creating and deleting
    models while search.list walks its pages can make that walk unjudgeable (inconclusive). That
    is an honest verdict, but not a reproducible one; -n 2 is exercised in test_safety.py.
    """
    folder = tmp_path_factory.mktemp("server-run")
    results = folder / "results.json"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance.cli",
            "--registry-uri",
            mlflow_sqlite_server,
            "--foreign-tracking-uri",
            "memory://server-run-foreign",
            "--namespace",
            "srvrun",
            "--results-json",
            str(results),
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return completed, json.loads(results.read_text())


def test_verdicts_match_mlflows_documented_behaviour(server_run):
    completed, document = server_run
    expected = {f.id: EXPECTED_EXCEPTIONS.get(f.id, "supported") for f in FEATURES}
    assert _verdicts(document) == expected, completed.stdout[-4000:]
    assert document["targets"][0]["server"].get("mlflow"), "server version not discovered"


def test_refusals_carry_the_servers_reason(server_run):
    _, document = server_run
    notes = {v["feature"]: v["note"] for v in document["verdicts"]}
    assert "INVALID_PARAMETER_VALUE" in notes["search.list"]
    assert "creation_timestamp" in notes["search.list"]
    assert "INVALID_PARAMETER_VALUE" in notes["register.mlflow-format"]


def test_run_leaves_nothing_behind_on_the_server(server_run, mlflow_sqlite_server):
    _, document = server_run
    assert document["leftovers"] == []
    client = MlflowClient(tracking_uri=mlflow_sqlite_server, registry_uri=mlflow_sqlite_server)
    ours = [
        m.name
        for m in client.search_registered_models(max_results=1000)
        if m.name.startswith("srvrun-")
    ]
    assert ours == []
    live = client.search_experiments(filter_string="name LIKE 'srvrun-%'")
    assert live == []


def test_every_unsupported_scenario_rests_on_a_refusal(server_run):
    """What made a scenario unsupported was an answer of the vocabulary's refusal kind."""
    _, document = server_run
    unsupported = [s for s in document["scenarios"] if s["outcome"] == "unsupported"]
    assert unsupported
    for scenario in unsupported:
        kinds = [entry.get("classified_as") for entry in scenario["evidence"] if "call" in entry]
        assert kinds[-1:] == ["refusal"], scenario
