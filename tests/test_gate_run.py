"""The CI gate end to end: real runs with --expect, their exit codes, messages and JUnit XML."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from conformance.catalogue import FEATURES
from conformance.gate import expectations

SCENARIOS = ("-p", "no:cacheprovider", "--pyargs", "conformance.scenarios")
HEADER = 'schema = "registry-conformance/expectations/v1"\n'
RENAME_ONLY = ("-m", "feature_model_rename")
#: The features a run of one feature's scenarios leaves out.
OTHERS = len(FEATURES) - 1
#: The rows the gate ignores on a target that is not HTTP (the wire rows).
NOT_HTTP = sum(feature.http_only for feature in FEATURES)


def _expect(pytester: pytest.Pytester, body: str, name: str = "exp.toml") -> str:
    path = pytester.path / name
    path.write_text(HEADER + body)
    return str(path)


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*SCENARIOS, *args)


def _gate(pytester: pytest.Pytester) -> dict:
    return json.loads((pytester.path / "results.json").read_text())["gate"]


@pytest.fixture
def sqlite_uri(pytester: pytest.Pytester, migrated_sqlite: Path) -> str:
    database = pytester.path / "mlflow.db"
    shutil.copyfile(migrated_sqlite, database)
    return f"sqlite:///{database}"


def test_claims_that_hold_exit_zero_strict_or_not(pytester: pytest.Pytester):
    exp = _expect(pytester, 'default = "ignored"\n[features."model.rename"]\nclaim = "supported"\n')
    for strict in ((), ("--strict-expectations",)):
        outcome = _run(
            pytester, *RENAME_ONLY, "--expect", exp, "--results-json", "results.json", *strict
        )
        assert outcome.ret == 0
        outcome.stdout.fnmatch_lines([f"gate passed (*exp.toml): 1 holds, {OTHERS} ignored"])
        assert _gate(pytester)["passed"] is True


def test_a_feature_claimed_supported_that_is_partial_fails_the_run(
    pytester: pytest.Pytester, sqlite_uri: str
):
    """MLflow's SQL store refuses order_by creation_timestamp: search.list is partial."""
    exp = _expect(pytester, "")  # everything claimed supported
    target = ("--registry-uri", sqlite_uri, "-m", "feature_search_list")
    outcome = _run(pytester, *target, "--expect", exp, "--results-json", "results.json")
    assert outcome.ret == 1
    assert outcome.parseoutcomes().get("failed") is None  # pytest alone would have said 0
    outcome.stdout.fnmatch_lines(
        [
            "REGRESSION: sqlite-* / search.list: claimed supported, measured partial: "
            "2/7 scenarios unsupported: *creation_timestamp*",
            f"gate FAILED (*exp.toml): 0 holds, {NOT_HTTP} ignored, 1 regression, "
            f"{OTHERS - NOT_HTTP} unverified",
        ]
    )
    assert _gate(pytester)["passed"] is False
    # The built-in profile of MLflow's SQL stores claims exactly that.
    assert _run(pytester, *target, "--expect", "mlflow-server-sql").ret == 0


@pytest.mark.parametrize(("strict", "code"), [((), 0), (("--strict-expectations",), 1)])
def test_better_than_claimed_is_reported_and_fails_only_when_strict(
    pytester: pytest.Pytester, strict: tuple[str, ...], code: int
):
    exp = _expect(
        pytester, 'default = "ignored"\n[features."model.rename"]\nclaim = "unsupported"\n'
    )
    outcome = _run(pytester, *RENAME_ONLY, "--expect", exp, *strict)
    assert outcome.ret == code
    outcome.stdout.fnmatch_lines(
        [
            "unexpected pass: reference-embedded / model.rename: "
            "claimed unsupported, measured supported*"
        ]
    )


@pytest.mark.parametrize(("strict", "code"), [((), 0), (("--strict-expectations",), 1)])
def test_a_claim_nothing_tested_is_unverified_and_fails_only_when_strict(
    pytester: pytest.Pytester, strict: tuple[str, ...], code: int
):
    exp = _expect(pytester, 'default = "ignored"\n[features."stages"]\nclaim = "supported"\n')
    outcome = _run(pytester, *RENAME_ONLY, "--expect", exp, *strict)
    assert outcome.ret == code
    outcome.stdout.fnmatch_lines(["unverified (claimed, not tested): reference-embedded / stages"])


def test_failures_in_features_claimed_ignored_do_not_fail_the_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    """MLflow's file store drops a model's tags on rename; its profile ignores rename."""
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    target = ("--registry-uri", (pytester.path / "mlruns").as_uri(), *RENAME_ONLY)
    outcome = _run(
        pytester, *target, "--expect", "mlflow-file-store", "--results-json", "results.json"
    )
    assert outcome.parseoutcomes()["failed"] == 1  # pytest alone would exit 1
    (rename,) = (c for c in _gate(pytester)["checks"] if c["feature"] == "model.rename")
    assert (rename["verdict"], rename["status"]) == ("non-conformant", "ignored")
    profile = expectations.load("mlflow-file-store")
    ignored = sum(claim.claim == "ignored" for claim in profile.features.values())
    assert ignored >= 1
    outcome.stdout.fnmatch_lines(
        [f"gate passed (mlflow-file-store): 0 holds, {ignored + NOT_HTTP} ignored, *"]
    )
    assert outcome.ret == 0


def test_a_failing_test_that_is_not_a_scenario_still_fails_the_run(pytester: pytest.Pytester):
    pytester.makepyfile(test_plain="def test_plain():\n    assert False\n")
    exp = _expect(pytester, 'default = "ignored"\n')
    outcome = pytester.runpytest_subprocess(
        *SCENARIOS, "test_plain.py", "-k", "test_model_rename or test_plain", "--expect", exp
    )
    outcome.assert_outcomes(passed=3, failed=1)
    outcome.stdout.fnmatch_lines(["gate passed*"])
    assert outcome.ret == 1


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        pytest.param(
            '[features."stages"]\nclaim = "supported\n', "exp.toml:3:19: TOML syntax", id="syntax"
        ),
        pytest.param(
            '[features."model.renam"]\nclaim = "supported"\n',
            'exp.toml:2: features."model.renam": no such feature',
            id="unknown-feature",
        ),
        pytest.param(
            '[features."model.rename"]\nclaim = "sometimes"\n',
            "exp.toml:3: features.\"model.rename\".claim: 'sometimes' is not one of",
            id="bad-claim",
        ),
        pytest.param(
            '[features."model.rename"]\nclaim = true\n',
            'exp.toml:3: features."model.rename".claim: True is not one of',
            id="wrong-type",
        ),
    ],
)
def test_a_malformed_file_stops_the_run_before_anything_runs(
    pytester: pytest.Pytester, sqlite_uri: str, body: str, fragment: str
):
    exp = _expect(pytester, body)
    outcome = _run(
        pytester, "--registry-uri", sqlite_uri, "--expect", exp, "--results-json", "results.json"
    )
    assert outcome.ret == pytest.ExitCode.USAGE_ERROR
    assert fragment in outcome.stderr.str()
    assert not (pytester.path / "results.json").exists()
    assert "passed" not in outcome.stdout.str()
    assert MlflowClient(registry_uri=sqlite_uri).search_registered_models() == []


def test_an_unknown_profile_stops_the_run_and_lists_the_builtin_ones(pytester: pytest.Pytester):
    outcome = _run(pytester, "--expect", "mlflow", "--results-json", "results.json")
    assert outcome.ret == pytest.ExitCode.USAGE_ERROR
    outcome.stderr.fnmatch_lines(
        [
            "*no built-in expectations profile 'mlflow'; "
            "built-in: azureml, mlflow-file-store, mlflow-server-sql*"
        ]
    )
    assert not (pytester.path / "results.json").exists()


def test_strict_without_expectations_is_a_usage_error(pytester: pytest.Pytester):
    outcome = _run(pytester, "--strict-expectations")
    assert outcome.ret == pytest.ExitCode.USAGE_ERROR
    outcome.stderr.fnmatch_lines(["*--strict-expectations needs --expect*"])


# --- JUnit XML ---------------------------------------------------------------------------------

OUTCOMES = """
import pytest
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

from conformance.scenarios.markers import feature
from conformance.run.probe import Inconclusive


@feature("model.rename")
@feature("stages")
def test_two_features(target):
    pass


@feature("search.by-tag")
def test_refused(target, probe):
    with probe.feature("search_registered_models(tags)"):
        raise MlflowException("EVIDENCE-MARKER refused", error_code=INVALID_PARAMETER_VALUE)


@feature("version.tags")
def test_cannot_judge(target):
    raise Inconclusive("the prerequisite broke")


@feature("version.details")
def test_wrong(target):
    assert False, "wrong answer"


@feature("version.delete")
def test_not_applicable(target):
    pytest.skip("not applicable here")
"""


def _properties(junit: Path) -> dict[str, list[tuple[str, str]]]:
    """Per test function, its JUnit properties (sorted: pytest's marker order is incidental)."""
    text = junit.read_text()
    assert "rc_" not in text
    return {
        case.get("name").split("[")[0]: sorted(
            (prop.get("name"), prop.get("value")) for prop in case.iter("property")
        )
        for case in ET.fromstring(text).iter("testcase")
    }


def test_junit_carries_feature_target_and_outcome_only(pytester: pytest.Pytester):
    # Scenarios of one's own stand on the shipped scenarios' conftest (target and fixtures).
    pytester.makeconftest('pytest_plugins = ["conformance.scenarios.conftest"]\n')
    pytester.makepyfile(test_outcomes=OUTCOMES)
    outcome = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--junitxml", "junit.xml")
    outcome.assert_outcomes(passed=1, skipped=2, failed=1, errors=1)  # the terminal's view
    properties = _properties(pytester.path / "junit.xml")
    target = ("target", "reference-embedded")
    assert properties == {
        "test_two_features": [
            ("feature", "model.rename"),
            ("feature", "stages"),
            ("outcome", "passed"),
            target,
        ],
        "test_refused": [("feature", "search.by-tag"), ("outcome", "unsupported"), target],
        "test_cannot_judge": [("feature", "version.tags"), ("outcome", "error"), target],
        "test_wrong": [("feature", "version.details"), ("outcome", "failed"), target],
        "test_not_applicable": [("feature", "version.delete"), ("outcome", "skipped"), target],
    }
    assert "EVIDENCE-MARKER" not in str(properties)


def test_under_xdist_junit_is_clean_and_only_the_controller_gates(pytester: pytest.Pytester):
    exp = _expect(
        pytester, 'default = "ignored"\n[features."model.rename"]\nclaim = "unsupported"\n'
    )
    outcome = _run(
        pytester,
        *RENAME_ONLY,
        "-n",
        "2",
        "--junitxml",
        "junit.xml",
        "--expect",
        exp,
        "--strict-expectations",
        "--results-json",
        "results.json",
    )
    assert outcome.ret == 1
    assert outcome.stdout.str().count("unexpected pass: ") == 1
    assert _gate(pytester)["passed"] is False
    properties = _properties(pytester.path / "junit.xml")
    assert len(properties) == 3
    for found in properties.values():
        assert found == [
            ("feature", "model.rename"),
            ("outcome", "passed"),
            ("target", "reference-embedded"),
        ]
