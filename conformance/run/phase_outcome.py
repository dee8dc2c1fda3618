"""What one phase (setup, call, teardown) of a scenario showed: its outcome and the reason.

Decided from the exception itself, where it is still at hand: ``unsupported`` only from an
``Unsupported`` raised by the probe, never from a skip's text; ``error`` from a stall (a call that
timed out, or pytest-timeout's end of a scenario that ran past its limit), which no registry said.

And from the wire: a phase during which a request met a fault that leaves nothing to judge
(refused, reset or broken-off connections, timeouts, 408/429/503/504, bodies that end mid-JSON)
draws no ``failed`` or ``unsupported`` from its end, whatever MLflow's client made of the fault
(its artifact repositories, for one, swallow a download's failure and answer "no such path"):
it is ``error``. A phase that passed did so with every check holding, and stays ``passed``.
"""

from __future__ import annotations

import pytest

from conformance.masking import mask_text
from conformance.outcomes import Outcome
from conformance.run import http_exchanges
from conformance.run.probe import Inconclusive, NonConformant, Unsupported
from conformance.run.refusals import Kind, classify
from conformance.run.stalls import stall_of, timeout_message

#: The user property by which a phase says which faults took its verdict (read by phase_reason).
_PATH_FAULTS = "rc_path_faults"


def phase_outcome(report: pytest.TestReport, call: pytest.CallInfo[None]) -> Outcome:
    outcome = _phase_outcome(report, call)
    if outcome in (Outcome.FAILED, Outcome.UNSUPPORTED):
        faults = http_exchanges.path_faults_between(call.start, call.stop)
        if faults:
            report.user_properties.append((_PATH_FAULTS, faults[:3]))
            return Outcome.ERROR
    return outcome


def _phase_outcome(report: pytest.TestReport, call: pytest.CallInfo[None]) -> Outcome:
    if report.passed:
        return Outcome.PASSED
    exc = call.excinfo.value if call.excinfo else None
    if report.skipped:  # pytest's view: a skip of any kind (xfail included) is no fault
        return Outcome.UNSUPPORTED if isinstance(exc, Unsupported) else Outcome.SKIPPED
    if exc is None:  # failed, but not by an exception of its phase (a hook decided)
        return Outcome.FAILED if report.when == "call" else Outcome.ERROR
    return outcome_of(exc, report.when)


def outcome_of(exc: BaseException, when: str = "call") -> Outcome:
    """The outcome of a phase (``setup``, ``call``, ``teardown``) that raised ``exc``."""
    if isinstance(exc, Unsupported):
        return Outcome.UNSUPPORTED
    if isinstance(exc, pytest.skip.Exception):
        return Outcome.SKIPPED
    if stall_of(exc):  # no answer in time: nothing the registry said can be judged
        return Outcome.ERROR
    if isinstance(exc, NonConformant):  # a wrong answer to a call under test, in any phase
        return Outcome.FAILED
    if when != "call" or isinstance(exc, Inconclusive):
        return Outcome.ERROR
    unexpected = isinstance(exc, Exception) and not isinstance(exc, AssertionError)
    if unexpected and classify(exc).kind in (Kind.TRANSPORT, Kind.AUTH):
        return Outcome.ERROR
    return Outcome.FAILED


def phase_reason(report: pytest.TestReport, outcome: Outcome) -> str:
    faults = dict(report.user_properties).get(_PATH_FAULTS)
    if faults and outcome is Outcome.ERROR:
        said = _phase_reason(report, Outcome.FAILED if report.failed else Outcome.UNSUPPORTED)
        return mask_text(
            f"no verdict: a request met a fault on the way ({'; '.join(faults)}); then: {said}"
        )[:700]
    return _phase_reason(report, outcome)


def _phase_reason(report: pytest.TestReport, outcome: Outcome) -> str:
    if report.skipped:
        reason = _skip_reason(report)
        if outcome is Outcome.UNSUPPORTED:  # the outcome says it already
            reason = reason.removeprefix(f"{Unsupported.__name__}: ")
        return mask_text(reason)
    if outcome is Outcome.PASSED:
        return ""
    crash = getattr(report.longrepr, "reprcrash", None)
    message = crash.message if crash is not None else report.longreprtext
    timeout = timeout_message(str(message)) if outcome is Outcome.ERROR else None
    if timeout:
        return timeout
    return mask_text(str(message).strip().splitlines()[0][:500] if str(message).strip() else "")


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "")
