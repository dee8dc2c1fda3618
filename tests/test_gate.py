"""The gate's rules (``gate.evaluate``) over a real results document, modified per case."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

import conformance
from conformance import gate, results
from conformance.catalogue import FEATURES
from conformance.gate import Status
from conformance.gate.expectations import Claim, Expectations
from tests import report_documents

README = Path(conformance.__file__).parent / "gate" / "profiles" / "README.md"


@pytest.fixture(scope="module")
def real_document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The whole suite against the embedded reference backend: every verdict `supported`."""
    return report_documents.embedded(tmp_path_factory)


@pytest.fixture
def document(real_document: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(real_document)


def _measured(document: dict[str, Any], verdicts: dict[str, str]) -> dict[str, Any]:
    """The document with some verdicts replaced."""
    wanted = dict(verdicts)
    for row in document["verdicts"]:
        if row["feature"] in wanted:
            row["verdict"] = wanted.pop(row["feature"])
            row["note"] = f"measured {row['verdict']} on purpose"
    assert not wanted, f"no such feature in the document: {wanted}"
    return document


def _claims(claims: dict[str, str] | None = None, default: str = "supported") -> Expectations:
    features = {
        feature: Claim(claim, reason="because") for feature, claim in (claims or {}).items()
    }
    return Expectations(source="exp.toml", default=default, features=features)


def _statuses(result: gate.GateResult) -> dict[str, Status]:
    return {check.feature: check.status for check in result.checks}


def test_the_rule_table_in_the_readme_is_the_code():
    """profiles/README.md documents the rules as a table; it must say what status() does."""
    rows = [line for line in README.read_text().splitlines() if line.startswith("| claim \\")]
    header = [cell.strip() for cell in rows[0].strip("|").split("|")][1:]
    table_lines = README.read_text().split(rows[0], 1)[1].splitlines()[2:6]
    for line in table_lines:
        cells = [cell.strip().strip("*") for cell in line.strip("|").split("|")]
        claim = cells[0].strip("`")
        for verdict, expected in zip(header, cells[1:], strict=True):
            assert gate.status(claim, verdict).value == expected.replace(" ", "-"), (claim, verdict)


def test_a_fully_supported_run_holds_every_default_claim(document):
    wire = {feature.id for feature in FEATURES if feature.http_only}
    for strict in (False, True):
        result = gate.evaluate(document, _claims(), strict)
        statuses = _statuses(result)
        assert {statuses[feature] for feature in statuses.keys() - wire} == {Status.HOLDS}
        assert result.exit_code == 0
        # the embedded target is not HTTP: the wire rows are not tested there, and not gated
        ignored = [check for check in result.checks if check.feature in wire]
        assert {(check.status, check.reason) for check in ignored} == {
            (Status.IGNORED, "not an HTTP target")
        }


def test_a_wire_row_not_tested_on_an_http_target_is_unverified(document):
    document["targets"][0]["registry_uri"] = "https://registry.example"
    result = gate.evaluate(document, _claims(), strict=True)
    assert _statuses(result)["wire.endpoints"] is Status.UNVERIFIED
    assert result.exit_code == 1


def test_less_than_claimed_is_a_regression_strict_or_not(document):
    _measured(document, {"search.list": "partial", "model.rename": "unsupported"})
    for strict in (False, True):
        result = gate.evaluate(document, _claims({"model.rename": "partial"}), strict)
        statuses = _statuses(result)
        assert statuses["search.list"] is Status.REGRESSION
        assert statuses["model.rename"] is Status.REGRESSION
        assert result.exit_code == 1
        assert {check.feature for check in result.failing} == {"search.list", "model.rename"}


@pytest.mark.parametrize("verdict", ["non-conformant", "inconclusive"])
@pytest.mark.parametrize("claim", ["supported", "partial", "unsupported"])
def test_a_broken_feature_is_a_regression_whatever_was_claimed(document, claim, verdict):
    _measured(document, {"stages": verdict})
    result = gate.evaluate(document, _claims({"stages": claim}), strict=False)
    assert _statuses(result)["stages"] is Status.REGRESSION
    assert result.exit_code == 1


def test_ignored_holds_whatever_was_measured(document):
    _measured(document, {"stages": "non-conformant", "search.by-tag": "inconclusive"})
    result = gate.evaluate(
        document, _claims({"version.tags": "supported"}, default="ignored"), True
    )
    statuses = _statuses(result)
    assert statuses["stages"] is Status.IGNORED
    assert statuses["version.tags"] is Status.HOLDS
    assert result.exit_code == 0


def test_better_than_claimed_fails_only_when_strict(document):
    _measured(document, {"search.list": "partial"})
    expectations = _claims({"model.rename": "unsupported", "search.list": "unsupported"})
    lenient = gate.evaluate(document, expectations, strict=False)
    assert _statuses(lenient)["model.rename"] is Status.UNEXPECTED_PASS
    assert _statuses(lenient)["search.list"] is Status.UNEXPECTED_PASS
    assert lenient.exit_code == 0
    strict = gate.evaluate(document, expectations, strict=True)
    assert strict.exit_code == 1
    assert {check.feature for check in strict.failing} == {"model.rename", "search.list"}


def test_not_tested_is_unverified_and_fails_only_when_strict(document):
    _measured(document, {"register.from-foreign-run": "not-tested"})
    assert _statuses(gate.evaluate(document, _claims(), False))["register.from-foreign-run"] is (
        Status.UNVERIFIED
    )
    assert gate.evaluate(document, _claims(), strict=False).exit_code == 0
    assert gate.evaluate(document, _claims(), strict=True).exit_code == 1


def test_a_claimed_feature_the_document_lacks_is_unverified(document):
    document["features"] = [f for f in document["features"] if f["id"] != "stages"]
    document["verdicts"] = [v for v in document["verdicts"] if v["feature"] != "stages"]
    result = gate.evaluate(document, _claims({"stages": "supported"}), strict=True)
    assert _statuses(result)["stages"] is Status.UNVERIFIED
    assert result.exit_code == 1


def test_every_target_is_checked_against_the_same_claims(document):
    (first,) = document["targets"]
    second = {**first, "id": "second", "label": "second"}
    document["targets"].append(second)
    document["verdicts"] += [
        {
            **row,
            "target": "second",
            "verdict": "unsupported" if row["feature"] == "stages" else row["verdict"],
        }
        for row in document["verdicts"]
    ]
    result = gate.evaluate(document, _claims(), strict=False)
    assert len(result.checks) == 2 * len(document["features"])
    assert [(c.target, c.feature) for c in result.failing] == [("second", "stages")]


def test_the_gate_entry_is_valid_in_the_results_document(document):
    _measured(document, {"stages": "partial", "model.rename": "not-tested"})
    result = gate.evaluate(document, _claims({"stages": "unsupported"}), strict=True)
    document["gate"] = result.as_json()
    results.validate(document)
    assert document["gate"]["passed"] is False
    assert document["gate"]["expectations"]["source"] == "exp.toml"
    row = next(c for c in document["gate"]["checks"] if c["feature"] == "stages")
    assert row == {
        "target": document["targets"][0]["id"],
        "feature": "stages",
        "claim": "unsupported",
        "verdict": "partial",
        "status": "unexpected-pass",
        "reason": "because",
        "note": "measured partial on purpose",
    }


def test_render_names_each_problem_with_its_note_and_ends_with_a_summary(document):
    _measured(
        document, {"search.list": "partial", "stages": "not-tested", "version.tags": "not-tested"}
    )
    result = gate.evaluate(document, _claims({"model.rename": "unsupported"}), strict=False)
    lines = gate.render(result)
    text = "\n".join(line for _, line in lines)
    target = document["targets"][0]["id"]
    assert (
        f"REGRESSION: {target} / search.list: claimed supported, measured partial: "
        "measured partial on purpose"
    ) in text
    assert f"unexpected pass: {target} / model.rename: claimed unsupported" in text
    assert f"unverified (claimed, not tested): {target} / version.tags, stages" in text
    wire = sum(feature.http_only for feature in FEATURES)  # ignored: not an HTTP target
    holds = len(FEATURES) - 4 - wire
    assert lines[-1] == (
        "red",
        f"gate FAILED (exp.toml): {holds} holds, {wire} ignored, 1 regression, 1 unexpected-pass, "
        "2 unverified",
    )
    assert all(colour == "yellow" for colour, line in lines if line.startswith("unverified"))
    ignoring = gate.evaluate(document, _claims(default="ignored"), strict=True)
    assert gate.render(ignoring) == [
        ("green", f"gate passed (strict, exp.toml): 0 holds, {len(FEATURES)} ignored")
    ]
