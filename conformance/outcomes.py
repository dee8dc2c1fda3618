"""Scenario outcomes and the per-feature verdicts they add up to (DESIGN.md, "Verdicts")."""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum


class Outcome(str, Enum):
    """What one scenario against one target showed."""

    PASSED = "passed"
    UNSUPPORTED = "unsupported"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


class Verdict(str, Enum):
    """What a target does with a feature, worst first."""

    NON_CONFORMANT = "non-conformant"
    INCONCLUSIVE = "inconclusive"
    PARTIAL = "partial"
    UNSUPPORTED = "unsupported"
    SUPPORTED = "supported"
    NOT_TESTED = "not-tested"


def feature_verdict(outcomes: Iterable[Outcome]) -> Verdict:
    """Fold scenario outcomes into one verdict; a skip never counts as a pass."""
    seen = set(outcomes)
    if Outcome.FAILED in seen:
        return Verdict.NON_CONFORMANT
    if Outcome.ERROR in seen:
        return Verdict.INCONCLUSIVE
    if Outcome.PASSED in seen and Outcome.UNSUPPORTED in seen:
        return Verdict.PARTIAL
    if Outcome.UNSUPPORTED in seen:
        return Verdict.UNSUPPORTED
    if Outcome.PASSED in seen:
        return Verdict.SUPPORTED
    return Verdict.NOT_TESTED


def worst_outcome(outcomes: Iterable[Outcome]) -> Outcome:
    """The outcome of a scenario whose phases (setup, call, teardown) disagree."""
    order = (Outcome.FAILED, Outcome.ERROR, Outcome.UNSUPPORTED, Outcome.SKIPPED, Outcome.PASSED)
    seen = set(outcomes)
    return next((outcome for outcome in order if outcome in seen), Outcome.PASSED)
