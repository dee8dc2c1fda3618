"""Bounded time (issue 9, deliverable 3): every call has a timeout and every scenario a time limit;
what ran out of time is `error`, never a verdict; a registry that stalls costs one limit per
process and target, not one per scenario, and its cleanup is bounded too. The README's bound of a
whole run is proven against a real HTTP registry that accepts requests and never answers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from conformance.outcomes import Outcome
from conformance.run.phase_outcome import outcome_of
from conformance.run.probe import Inconclusive, Probe
from conformance.run.stalls import OutOfTime, stall_of, time_limit
from tests import servers
from tests.answering_server import Answer, answering

REPO_ROOT = Path(__file__).resolve().parents[1]
PREFLIGHT_SEARCH = "GET /api/2.0/mlflow/registered-models/search?max_results=1"
#: A registry that answers the preflight's first read as MLflow does, then never answers again.
STALLING = {
    "answer": Answer(action="stall", stall_s=3600),
    "routes": {PREFLIGHT_SEARCH: Answer(body="{}")},
}


def _env(**extra: str) -> dict[str, str]:
    """The environment of a run of the suite: this session's pytest variables and the settings
    under test left out."""
    dropped = ("PYTEST_", "MLFLOW_HTTP_REQUEST_TIMEOUT", "MLFLOW_DISABLE_TELEMETRY", "CI")
    env = {key: value for key, value in os.environ.items() if not key.startswith(dropped)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return {**env, **extra}


def _run(folder: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, dict]:
    completed = subprocess.run(
        [sys.executable, "-m", *args, "--results-json=results.json"],
        cwd=folder,
        env=env or _env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = completed.stdout + completed.stderr
    assert (folder / "results.json").is_file(), output[-4000:]
    return completed.returncode, output, json.loads((folder / "results.json").read_text())


# --- a stall, recognized from the exception at hand -------------------------------------------


def test_a_call_that_timed_out_is_a_stall_and_no_verdict(monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "1")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with answering(Answer(action="stall", stall_s=30)) as url:
        client = MlflowClient(tracking_uri=url, registry_uri=url)
        with pytest.raises(MlflowException) as raw:
            client.create_registered_model("m")
        with pytest.raises(Inconclusive) as probed, Probe().feature("rename_registered_model"):
            client.rename_registered_model("m", "n")
    for exc in (raw.value, probed.value):  # the probe raises `from None`: the context remains
        assert "a call got no answer in time" in (stall_of(exc) or ""), exc
        assert "Read timed out" in (stall_of(exc) or "")
        assert outcome_of(exc, "call") is Outcome.ERROR


def test_pytest_timeouts_end_of_a_scenario_is_a_stall_and_no_verdict():
    ran_out = pytest.fail.Exception("Timeout (>4.0s) from pytest-timeout.")
    assert stall_of(ran_out) == "ran past its time limit of 4 s"
    for when in ("setup", "call", "teardown"):
        assert outcome_of(ran_out, when) is Outcome.ERROR
    failed = pytest.fail.Exception("the rename kept the old name")
    assert stall_of(failed) is None
    assert outcome_of(failed, "call") is Outcome.FAILED
    assert stall_of(MlflowException("a crash")) is None


def test_a_time_limit_interrupts_a_call_blocked_on_a_silent_server():
    with answering(Answer(action="stall", stall_s=30)) as url:
        started = time.monotonic()
        with pytest.raises(OutOfTime), time_limit(0.5):
            requests.get(url, timeout=None)  # waits for ever without the limit
    assert time.monotonic() - started < 5


def test_no_time_limit_where_no_signal_can_end_a_call():
    with time_limit(None) as limited:
        assert not limited
    seen = []

    def in_a_thread() -> None:
        with time_limit(1) as limited:
            seen.append(limited)

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    assert seen == [False]


# --- runs of scenarios of one's own -----------------------------------------------------------

SCENARIOS = """
import contextlib
import os
import time

from mlflow.exceptions import MlflowException
from mlflow.telemetry.client import get_telemetry_client

from conformance.scenarios.markers import feature
from conformance.run.probe import NonConformant


@feature("model.delete")
def test_a_stall(target, client, names):
    client.create_registered_model(names("stalled"))  # removed at the end of the run
    if "stalls" in target.registry_uri:
        time.sleep(60)


@feature("model.delete")
def test_after_the_stall(target, client, names):
    client.create_registered_model(names("after"))


@feature("model.rename")
def test_a_fault_caught_by_the_scenario(target, probe):
    with contextlib.suppress(NonConformant), probe.feature("rename_registered_model"):
        raise MlflowException("a crash")  # INTERNAL_ERROR: a malformed answer, a fault


@feature("version.tags")
def test_the_client_settings_of_the_run(target):
    assert get_telemetry_client() is None
    settings = ("MLFLOW_HTTP_REQUEST_TIMEOUT", "MLFLOW_HTTP_REQUEST_MAX_RETRIES")
    print("settings:", *(os.environ[name] for name in settings))
"""


@pytest.fixture
def scenarios(tmp_path: Path) -> Path:
    (tmp_path / "test_own.py").write_text(SCENARIOS)
    # Scenarios of one's own stand on the shipped scenarios' conftest (target and fixtures).
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["conformance.scenarios.conftest"]\n')
    return tmp_path


def _by_name(document: dict[str, Any], target_uri: str) -> dict[str, dict[str, Any]]:
    target = next(t["id"] for t in document["targets"] if t["registry_uri"] == target_uri)
    return {
        s["nodeid"].split("::")[1].split("[")[0]: s
        for s in document["scenarios"]
        if s["target"] == target
    }


def test_a_stalled_target_costs_one_time_limit_and_its_names_are_still_removed(
    scenarios: Path, migrated_sqlite: Path
):
    stalls = f"sqlite:///{servers.copy_database(migrated_sqlite, scenarios / 'stalls.db')}"
    started = time.monotonic()
    code, output, document = _run(
        scenarios,
        "pytest",
        "-p",
        "no:cacheprovider",
        "test_own.py::test_a_stall",
        "test_own.py::test_after_the_stall",
        f"--registry-uri={stalls}",
        "--registry-uri=memory://rc-fine",
        "--scenario-timeout=2",
    )
    elapsed = time.monotonic() - started

    stalled = _by_name(document, stalls)
    assert stalled["test_a_stall"]["outcome"] == "error"
    assert stalled["test_a_stall"]["reason"] == (
        "the scenario ran past its time limit of 2 s: no verdict"
    )
    after = stalled["test_after_the_stall"]
    assert after["outcome"] == "error"
    assert after["reason"].endswith(
        "the registry stalled earlier in this run: "
        f"test_a_stall[{document['targets'][0]['id']}]: ran past its time limit of 2 s"
    )
    assert after["duration_s"] < 1  # at once: nothing waited for the registry again
    fine = _by_name(document, "memory://rc-fine")
    assert fine["test_a_stall"]["outcome"] == fine["test_after_the_stall"]["outcome"] == "passed"
    # The stalled scenario's model is removed by the end-of-run cleanup, within its limit.
    assert document["leftovers"] == []
    left = MlflowClient(tracking_uri=stalls, registry_uri=stalls).search_registered_models()
    assert [model.name for model in left] == []
    assert document["time_limits"] == {"call_s": 30, "scenario_s": 2.0}
    assert code == pytest.ExitCode.TESTS_FAILED, output[-3000:]
    assert elapsed < 60, output[-3000:]


def test_a_fault_the_scenario_caught_itself_still_fails_it(scenarios: Path):
    _, output, document = _run(
        scenarios,
        "pytest",
        "test_own.py::test_a_fault_caught_by_the_scenario",
        "--registry-uri=memory://rc-fault",
    )
    record = _by_name(document, "memory://rc-fault")["test_a_fault_caught_by_the_scenario"]
    assert record["outcome"] == "failed", output[-3000:]
    assert record["reason"] == (
        "NonConformant: rename_registered_model answered malformed: INTERNAL_ERROR: a crash"
    )


@pytest.mark.parametrize(
    ("options", "env", "limits", "client"),
    [
        ([], {}, {"call_s": 30, "scenario_s": 120.0}, "30 0"),
        (["--call-timeout=5", "--scenario-timeout=9"], {}, {"call_s": 5, "scenario_s": 9.0}, "5 0"),
        # the user's own settings: MLflow's variables, pytest-timeout's option
        (
            ["--timeout=7"],
            {"MLFLOW_HTTP_REQUEST_TIMEOUT": "11", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2"},
            {"call_s": 11, "scenario_s": 7.0},
            "11 2",
        ),
        # an option of the suite wins over the variable
        (
            ["--call-timeout=3"],
            {"MLFLOW_HTTP_REQUEST_TIMEOUT": "11"},
            {"call_s": 3, "scenario_s": 120.0},
            "3 0",
        ),
        (["--scenario-timeout=0"], {}, {"call_s": 30, "scenario_s": None}, "30 0"),
    ],
)
def test_the_client_settings_and_limits_of_a_run(scenarios: Path, options, env, limits, client):
    _, output, document = _run(
        scenarios,
        "pytest",
        "-s",
        "test_own.py::test_the_client_settings_of_the_run",
        "--registry-uri=memory://rc-settings",
        *options,
        env=_env(**env),
    )
    [record] = _by_name(document, "memory://rc-settings").values()
    assert record["outcome"] == "passed", output[-3000:]  # telemetry off, whatever the user set
    assert f"settings: {client}" in output
    assert document["time_limits"] == limits


def test_the_shipped_scenarios_run_without_telemetry(tmp_path: Path):
    """The console command imports MLflow only through the plugin: telemetry is off by then."""
    (tmp_path / "telemetry_probe.py").write_text(
        "def pytest_sessionfinish(session):\n"
        "    from mlflow.telemetry.client import get_telemetry_client\n"
        "    print('telemetry client:', get_telemetry_client())\n"
    )
    _, output, document = _run(
        tmp_path,
        "conformance.cli",
        "run",
        "-s",
        "-p",
        "telemetry_probe",
        "-m",
        "feature_model_rename",
        env=_env(PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO_ROOT)])),
    )
    assert "telemetry client: None" in output
    assert {v["verdict"] for v in document["verdicts"] if v["feature"] == "model.rename"} == {
        "supported"
    }


@pytest.mark.parametrize(
    "args",
    [
        ["--call-timeout=0"],
        ["--call-timeout=1.5"],
        ["--scenario-timeout=-1"],
        ["--scenario-timeout=soon"],
    ],
)
def test_bad_limits_are_one_line(tmp_path: Path, args):
    completed = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", *args],
        cwd=tmp_path,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == pytest.ExitCode.USAGE_ERROR
    assert args[0].split("=")[0] in completed.stderr
    assert "Traceback" not in completed.stdout + completed.stderr


# --- the bound of a whole run, against a registry that stalls ---------------------------------

CALL_S, SCENARIO_S = 2, 5
#: Start-up before the run's own clock starts (interpreter, MLflow's import, collection).
START_UP_S = 60


def run_bound_s() -> float:
    """The README's bound for one HTTP target that stalls from its first scenario on: the
    preflight (at most five calls), then per process one scenario limit (the scenario that met
    the stall) and one for the cleanup; the processes of ``-n`` run side by side."""
    return 5 * CALL_S + 2 * SCENARIO_S


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp()


@pytest.mark.slow
@pytest.mark.parametrize("workers", [0, 2], ids=["serial", "two-workers"])
def test_a_whole_run_against_a_stalling_registry_ends_within_the_stated_bound(
    tmp_path: Path, workers: int
):
    with answering(**STALLING) as url:
        started = time.monotonic()
        code, output, document = _run(
            tmp_path,
            "conformance.cli",
            "run",
            "--tb=no",
            f"--registry-uri={url}",
            "--foreign-tracking-uri=memory://rc-foreign",
            f"--call-timeout={CALL_S}",
            f"--scenario-timeout={SCENARIO_S}",
            *(["-n", str(workers)] if workers else []),
        )
        elapsed = time.monotonic() - started

    bound = run_bound_s()
    # The document's own clock (whole seconds) runs from the start of the run to its end.
    took = _seconds(document["finished"]) - _seconds(document["started"])
    assert took <= bound + 2, output[-3000:]
    assert elapsed <= bound + START_UP_S, output[-3000:]
    assert code not in (pytest.ExitCode.OK, pytest.ExitCode.INTERRUPTED), output[-3000:]
    assert document["complete"] is True
    assert {v["verdict"] for v in document["verdicts"]} == {"inconclusive"}
    assert {s["outcome"] for s in document["scenarios"]} == {"error"}
    stalled = [s for s in document["scenarios"] if "stalled earlier" not in s["reason"]]
    assert 1 <= len(stalled) <= max(workers, 1), [s["reason"] for s in stalled]
    assert all("timed out" in s["reason"] or "time limit" in s["reason"] for s in stalled), stalled
    # What the run may have created there is listed, naming the stall, never waited for.
    assert document["leftovers"], output[-3000:]
    for leftover in document["leftovers"]:
        assert leftover["reason"].startswith("removal not confirmed: the registry stalled"), (
            leftover
        )
