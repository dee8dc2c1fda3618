"""What one phase (setup, call, teardown) of a scenario showed: its outcome and the reason."""

from __future__ import annotations

import pytest

from conformance.outcomes import UNSUPPORTED_PREFIX, Outcome
from conformance.probe import Inconclusive
from conformance.refusals import Kind, classify
from conformance.targets import mask_text


def phase_outcome(report: pytest.TestReport, call: pytest.CallInfo[None]) -> Outcome:
    if report.passed:
        return Outcome.PASSED
    if report.skipped:
        reason = _skip_reason(report)
        return Outcome.UNSUPPORTED if reason.startswith(UNSUPPORTED_PREFIX) else Outcome.SKIPPED
    if report.when != "call":
        return Outcome.ERROR
    exc = call.excinfo.value if call.excinfo else None
    if isinstance(exc, Inconclusive):
        return Outcome.ERROR
    unexpected = exc is not None and not isinstance(exc, AssertionError)
    if unexpected and classify(exc).kind is Kind.TRANSPORT:
        return Outcome.ERROR
    return Outcome.FAILED


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "")


def phase_reason(report: pytest.TestReport, outcome: Outcome) -> str:
    if report.skipped:
        return mask_text(_skip_reason(report).removeprefix(UNSUPPORTED_PREFIX))
    if outcome is Outcome.PASSED:
        return ""
    crash = getattr(report.longrepr, "reprcrash", None)
    message = crash.message if crash is not None else report.longreprtext
    return mask_text(str(message).strip().splitlines()[0][:500] if str(message).strip() else "")
