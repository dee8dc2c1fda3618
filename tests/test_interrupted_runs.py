"""A run that was cut short never looks complete (document, terminal), a verdict drawn from some
of a feature's scenarios says so, and a crashed xdist worker leaves its scenario `error`.

The scenarios here are the test's own, standing on the shipped scenarios' conftest (their target
and fixtures) against the embedded reference backend: what is under test is the run's
bookkeeping, which does not depend on what the scenarios call."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

OWN_SCENARIOS = 'pytest_plugins = ["conformance.scenarios.conftest"]\n'
#: The folder's own scenarios (without a path, the suite's options would run the shipped ones).
HERE = ("-p", "no:cacheprovider", ".", "--results-json", "results.json")
RENAME_THEN_FAILURE_THEN_STAGES = """
import pytest
from conformance.scenarios.markers import feature


@feature("model.rename")
@pytest.mark.parametrize("n", range(3))
def test_a_rename(target, n):
    pass


@feature("model.rename")
def test_b_wrong(target):
    assert False, "accepted but wrong"


@feature("stages")
@pytest.mark.parametrize("n", range(3))
def test_c_stages(target, n):
    pass
"""


def _document(pytester: pytest.Pytester) -> dict:
    return json.loads((pytester.path / "results.json").read_text())


def _verdict(document: dict, feature: str) -> dict:
    return next(v for v in document["verdicts"] if v["feature"] == feature)


@pytest.fixture
def scenarios(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(OWN_SCENARIOS)
    pytester.makepyfile(test_scenarios=RENAME_THEN_FAILURE_THEN_STAGES)
    return pytester


@pytest.mark.parametrize(
    ("stop", "code"),
    [
        (["-x"], pytest.ExitCode.TESTS_FAILED),
        (["--maxfail", "1"], pytest.ExitCode.TESTS_FAILED),
        (["-x", "-n", "2"], pytest.ExitCode.INTERRUPTED),  # how xdist stops its workers
    ],
    ids=["-x", "--maxfail", "-x -n 2"],
)
def test_a_run_stopped_after_a_failure_is_incomplete(scenarios: pytest.Pytester, stop, code):
    outcome = scenarios.runpytest_subprocess(*HERE, *stop)

    assert outcome.ret == code
    document = _document(scenarios)
    assert document["complete"] is False
    assert document["cut_short"]
    outcome.stdout.fnmatch_lines(["INCOMPLETE (*): the run of * was cut short*"])
    assert _verdict(document, "model.rename")["verdict"] == "non-conformant"


def test_a_whole_run_is_complete(scenarios: pytest.Pytester):
    outcome = scenarios.runpytest_subprocess(*HERE)

    assert outcome.ret == pytest.ExitCode.TESTS_FAILED  # a scenario failed; the run is whole
    assert _document(scenarios)["complete"] is True
    assert "INCOMPLETE" not in outcome.stdout.str()


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_a_verdict_from_some_of_a_features_scenarios_says_how_many_ran(
    scenarios: pytest.Pytester, workers
):
    outcome = scenarios.runpytest_subprocess(*HERE, "-k", "not test_b_wrong", *workers)

    assert outcome.ret == pytest.ExitCode.OK
    document = _document(scenarios)
    assert document["complete"] is True  # deselected is not cut short
    rename = _verdict(document, "model.rename")
    assert rename["verdict"] == "supported"
    assert rename["note"] == "3 of 4 scenarios ran"
    assert (rename["scenarios_ran"], rename["scenarios_collected"]) == (3, 4)
    stages = _verdict(document, "stages")  # every one of its scenarios ran: nothing to say
    assert (stages["verdict"], stages["note"]) == ("supported", "")
    assert "scenarios_ran" not in stages


def test_a_crashed_worker_leaves_its_scenario_error(pytester: pytest.Pytester):
    pytester.makeconftest(OWN_SCENARIOS)
    pytester.makepyfile(
        test_crash="""
import os
from conformance.scenarios.markers import feature


@feature("model.delete")
def test_crashes(target):
    os._exit(3)


@feature("model.delete")
def test_fine(target):
    pass
"""
    )
    outcome = pytester.runpytest_subprocess(*HERE, "-n", "2")

    document = _document(pytester)
    (crashed,) = (s for s in document["scenarios"] if "test_crashes" in s["nodeid"])
    assert crashed["outcome"] == "error", outcome.stdout.str()[-2000:]
    assert "crashed" in crashed["reason"]
    delete = _verdict(document, "model.delete")
    assert delete["verdict"] == "inconclusive"
    assert document["complete"] is True  # every scenario has its outcome


def test_two_quick_ctrl_c_under_xdist_end_cleanly_and_incomplete(pytester: pytest.Pytester):
    started = pytester.path / "started"
    pytester.makeconftest(OWN_SCENARIOS)
    pytester.makepyfile(
        test_slow=f"""
import pathlib
import time

import pytest
from conformance.scenarios.markers import feature


@feature("model.rename")
@pytest.mark.parametrize("n", range(40))
def test_slow(target, names, n):
    names("slow")
    pathlib.Path({str(started)!r}).touch()
    time.sleep(0.5)
"""
    )
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", *HERE, "-n", "2"],
        cwd=pytester.path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a terminal's Ctrl-C reaches the whole group: workers too
    )
    deadline = time.monotonic() + 120
    while not started.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1)
    os.killpg(run.pid, signal.SIGINT)
    time.sleep(0.1)
    os.killpg(run.pid, signal.SIGINT)
    output = run.communicate(timeout=120)[0]

    assert run.returncode == pytest.ExitCode.INTERRUPTED, output[-3000:]
    assert "Traceback" not in output
    document = _document(pytester)
    assert document["complete"] is False
    assert document["cut_short"] == "interrupted"
    ran = len(document["scenarios"])
    assert 0 < ran < 40
    # what the workers collected reached the controller although they never got to their end
    assert _verdict(document, "model.rename")["note"].startswith(f"{ran} of 40 scenarios ran")
    assert "INCOMPLETE (interrupted)" in output


def test_a_ctrl_c_that_a_finalizer_swallows_still_ends_the_run(pytester: pytest.Pytester):
    """Python raises a Ctrl-C inside whatever runs, a ``__del__`` included, and drops it there."""
    pytester.makeconftest(OWN_SCENARIOS)
    pytester.makepyfile(
        test_swallowed="""
import os
import signal

import pytest
from conformance.scenarios.markers import feature


class Finalized:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(1000):  # Python's handler runs here, inside the finalizer
            pass


@feature("model.rename")
@pytest.mark.parametrize("n", range(3))
def test_interrupted(target, n):
    Finalized()
"""
    )
    outcome = pytester.runpytest_subprocess(*HERE)

    assert outcome.ret == pytest.ExitCode.INTERRUPTED, outcome.stdout.str()[-3000:]
    document = _document(pytester)
    assert (document["complete"], document["cut_short"]) == (False, "interrupted")
    assert len(document["scenarios"]) == 1  # the run stopped after the scenario in progress
