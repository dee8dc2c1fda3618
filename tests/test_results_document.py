"""The results document that real runs write is valid against the shipped schema and complete."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from conformance import results
from conformance.catalogue import FEATURES
from tests import broken_backends

REPO_ROOT = Path(__file__).resolve().parents[1]


def _run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict]:
    path = pytester.path / "results.json"
    outcome = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--pyargs",
        "conformance.scenarios",
        "--results-json",
        str(path),
        *args,
    )
    return outcome, json.loads(path.read_text())


def test_real_output_validates_and_covers_the_catalogue(pytester: pytest.Pytester):
    outcome, document = _run(pytester, "-m", "feature_model_rename")

    assert outcome.ret == 0
    results.validate(document)
    assert document["complete"] is True
    assert [f["id"] for f in document["features"]] == [f.id for f in FEATURES]
    (target,) = document["targets"]
    assert len(document["verdicts"]) == len(FEATURES)
    verdicts = {v["feature"]: v["verdict"] for v in document["verdicts"]}
    assert verdicts["model.rename"] == "supported"
    assert {verdicts[f.id] for f in FEATURES if f.id != "model.rename"} == {"not-tested"}
    assert document["scenarios"]
    assert all(s["target"] == target["id"] for s in document["scenarios"])
    assert document["leftovers"] == []


def test_schema_rejects_a_document_that_breaks_the_contract(pytester: pytest.Pytester):
    _, document = _run(pytester, "-m", "feature_model_rename")
    document["verdicts"][0]["verdict"] = "mostly-fine"
    with pytest.raises(jsonschema.ValidationError):
        results.validate(document)


def test_two_targets_make_two_columns(pytester: pytest.Pytester, migrated_sqlite):
    outcome, document = _run(
        pytester,
        "-m",
        "feature_model_rename",
        "--registry-uri",
        "memory://rc-two-columns",
        "--registry-uri",
        f"sqlite:///{migrated_sqlite}",
    )

    assert outcome.ret == 0
    ids = [t["id"] for t in document["targets"]]
    assert len(ids) == 2
    assert {v["target"] for v in document["verdicts"]} == set(ids)
    assert all(
        v["verdict"] == "supported" for v in document["verdicts"] if v["feature"] == "model.rename"
    )
    outcome.stdout.fnmatch_lines(["*model.rename*supported*supported*"])


def test_credentials_never_reach_the_document(pytester: pytest.Pytester):
    """A column that could not be measured names its URI, masked, in the document as in the
    terminal; the measured one beside it is unaffected."""
    outcome, document = _run(
        pytester,
        "-m",
        "feature_model_rename",
        "--registry-uri",
        "memory://rc-beside-the-masked-one",
        "--registry-uri",
        "http://alice:hunter2@127.0.0.1:9",
    )
    text = json.dumps(document)
    assert "hunter2" not in text
    assert "hunter2" not in outcome.stdout.str() + outcome.stderr.str()
    assert "http://alice:***@127.0.0.1:9" in text
    measured, unreachable = (t["id"] for t in document["targets"])
    verdicts = {(v["target"], v["feature"]): v["verdict"] for v in document["verdicts"]}
    assert verdicts[(measured, "model.rename")] == "supported"
    assert {v for (t, _), v in verdicts.items() if t == unreachable} == {"inconclusive"}


def test_a_verdict_says_which_refused_best_effort_steps_it_was_judged_without(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    """A registry that refuses model descriptions (a best-effort mark of the listing scenarios,
    which bump last-update times with it) leaves the listing supported, and its note says on
    what: the scenarios judged without the step, counted."""
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))  # tests.broken_backends: its store scheme
    _, document = _run(
        pytester,
        "-p",
        "tests.broken_backends",
        "-m",
        "feature_search_list",
        "--registry-uri",
        broken_backends.fault_uri("model-descriptions-refused"),
    )
    [listing] = [v for v in document["verdicts"] if v["feature"] == "search.list"]
    scenarios = [s for s in document["scenarios"] if "search.list" in s["features"]]
    judged_without = [
        s
        for s in scenarios
        if s["outcome"] == "passed" and any(e["role"] == "best-effort" for e in s["evidence"])
    ]
    assert judged_without
    assert listing["verdict"] == "supported"
    assert listing["note"] == (
        "judged without: update_registered_model (description, to bump its time) "
        f"({len(judged_without)} of {len(scenarios)} scenarios)"
    )
