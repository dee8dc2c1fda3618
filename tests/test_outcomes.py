"""Feature verdicts fold scenario outcomes worst-first; a skip never counts as a pass."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.exceptions import MlflowException

from conformance.outcomes import Outcome, Verdict, feature_verdict, worst_outcome
from conformance.run.phase_outcome import outcome_of
from conformance.run.probe import NonConformant, Probe

REPO_ROOT = Path(__file__).resolve().parents[1]
P, U, F, E, S = (
    Outcome.PASSED,
    Outcome.UNSUPPORTED,
    Outcome.FAILED,
    Outcome.ERROR,
    Outcome.SKIPPED,
)


@pytest.mark.parametrize(
    ("outcomes", "verdict"),
    [
        ([P, P], Verdict.SUPPORTED),
        ([P, U], Verdict.PARTIAL),
        ([U, U], Verdict.UNSUPPORTED),
        ([P, U, E], Verdict.INCONCLUSIVE),
        ([P, E, F], Verdict.NON_CONFORMANT),
        ([U, F], Verdict.NON_CONFORMANT),
        ([S, S], Verdict.NOT_TESTED),
        ([], Verdict.NOT_TESTED),
        ([P, S], Verdict.SUPPORTED),
        ([U, S], Verdict.UNSUPPORTED),
    ],
)
def test_feature_verdict(outcomes, verdict):
    assert feature_verdict(outcomes) is verdict


def test_worst_outcome_of_phases():
    assert worst_outcome([P, U, P]) is U
    assert worst_outcome([P, E]) is E
    assert worst_outcome([E, F]) is F
    assert worst_outcome([P]) is P


# --- a phase's outcome, decided from the exception (through the plugin, as a run decides it) ---

SCENARIOS = """
import pytest
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import (
    ENDPOINT_NOT_FOUND,
    PERMISSION_DENIED,
    RESOURCE_DOES_NOT_EXIST,
)

from conformance.scenarios.markers import feature
from conformance.run.probe import NonConformant, Unsupported


@feature("model.rename")
def test_refused(target, probe):
    with probe.feature("rename_registered_model"):
        raise NotImplementedError("renaming is not offered")


@feature("model.delete")
def test_a_skip_that_reads_unsupported(target):
    pytest.skip("unsupported: only words")


@feature("version.delete")
def test_unsupported_raised_outside_the_probe(target):
    raise Unsupported("delete_model_version: ENDPOINT_NOT_FOUND")


@feature("version.tags")
def test_denied(target, probe):
    with probe.feature("set_model_version_tag"):
        raise MlflowException("no right to tag", error_code=PERMISSION_DENIED)


@feature("stages")
def test_denied_outside_the_probe(target):
    raise MlflowException("no right to transition", error_code=PERMISSION_DENIED)


@feature("version.details")
def test_missing_right_after_creation(target, probe):
    with probe.feature("get_model_version"):
        raise MlflowException("version 1 not found", error_code=RESOURCE_DOES_NOT_EXIST)


@feature("register.from-run")
def test_refused_after_acceptance(target, probe):
    with probe.after_acceptance("load_model(models:/m/1)", accepted="version 1 of m"):
        raise MlflowException("no artifact proxy here", error_code=ENDPOINT_NOT_FOUND)


@feature("register.mlflow-format")
def test_denied_after_acceptance(target, probe):
    with probe.after_acceptance("load_model(models:/m/1)", accepted="version 1 of m"):
        raise MlflowException("no right to read artifacts", error_code=PERMISSION_DENIED)


@pytest.fixture
def wrong_in_teardown():
    yield
    raise NonConformant("the registry answered wrongly while cleaning up")


@feature("version.description")
def test_wrong_answer_in_teardown(target, wrong_in_teardown):
    pass
"""

EXPECTED_OUTCOMES = {
    "test_refused": "unsupported",
    "test_a_skip_that_reads_unsupported": "skipped",
    "test_unsupported_raised_outside_the_probe": "unsupported",
    "test_denied": "error",
    "test_denied_outside_the_probe": "error",
    "test_missing_right_after_creation": "failed",
    "test_wrong_answer_in_teardown": "failed",
    "test_refused_after_acceptance": "failed",
    "test_denied_after_acceptance": "error",
}


@pytest.fixture(scope="module")
def phase_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, dict], str]:
    """The scenarios above, run by pytest with the suite's plugin; their records and terminal."""
    folder = tmp_path_factory.mktemp("phases")
    (folder / "test_phases.py").write_text(SCENARIOS)
    # Scenarios of one's own stand on the shipped scenarios' conftest (target and fixtures).
    (folder / "conftest.py").write_text('pytest_plugins = ["conformance.scenarios.conftest"]\n')
    # This session's own pytest variables (xdist worker names, ...) are not the run's business.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    command = ["-p", "no:cacheprovider", "-rs", "test_phases.py", "--results-json=results.json"]
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", *command],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (folder / "results.json").is_file(), completed.stdout[-3000:] + completed.stderr
    document = json.loads((folder / "results.json").read_text())
    records = {s["nodeid"].split("::")[1].split("[")[0]: s for s in document["scenarios"]}
    return records, completed.stdout


def test_outcomes_come_from_the_exception_not_its_text(phase_run):
    records, terminal = phase_run
    assert {name: record["outcome"] for name, record in records.items()} == EXPECTED_OUTCOMES, (
        terminal[-3000:]
    )


def test_reasons_read_once(phase_run):
    records, terminal = phase_run
    assert (
        records["test_refused"]["reason"]
        == "rename_registered_model: not implemented: renaming is not offered"
    )
    assert records["test_a_skip_that_reads_unsupported"]["reason"] == "unsupported: only words"
    assert "Unsupported: rename_registered_model: not implemented" in terminal  # pytest's -rs line
    denied = records["test_denied"]["reason"]
    assert "PERMISSION_DENIED" in denied
    assert "MLFLOW_TRACKING_TOKEN" in denied
    assert records["test_refused_after_acceptance"]["reason"] == (
        "conformance.run.probe.NonConformant: the registry accepted version 1 of m, but "
        "load_model(models:/m/1) got: ENDPOINT_NOT_FOUND: no artifact proxy here"
    )
    evidence = records["test_refused_after_acceptance"]["evidence"]
    [after] = [e for e in evidence if e.get("role") == "after-acceptance"]
    assert after["classified_as"] == "refusal", evidence


def test_a_fault_is_final_for_the_probe():
    probe = Probe()
    with pytest.raises(NonConformant), probe.feature("search_registered_models"):
        raise MlflowException("a crash")  # INTERNAL_ERROR: malformed
    for again in (
        probe.feature("search_registered_models"),
        probe.prerequisite("create"),
        probe.after_acceptance("load", accepted="v1"),
    ):
        with pytest.raises(NonConformant, match="decided by an earlier wrong answer"), again:
            pass  # the retry would pass
    assert isinstance(probe.fault, NonConformant)


def test_a_wrong_result_after_acceptance_is_final_for_the_probe():
    probe = Probe()
    with pytest.raises(AssertionError), probe.after_acceptance("load", accepted="v1"):
        assert [1.0] == [2.0], "predicts otherwise"
    with (
        pytest.raises(NonConformant, match="predicts otherwise"),
        probe.after_acceptance("load", accepted="v1"),
    ):
        pass


def test_a_refusal_nested_after_acceptance_is_no_unsupported():
    probe = Probe()
    with (
        pytest.raises(
            NonConformant, match="the registry accepted v1, but load was refused"
        ) as raised,
        probe.after_acceptance("load", accepted="v1"),
        probe.feature("get_model_version_download_uri"),
    ):
        raise NotImplementedError("no download URIs here")
    assert probe.fault is raised.value
    assert outcome_of(raised.value) is F
