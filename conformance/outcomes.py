"""The suite's one vocabulary (DESIGN.md, "Verdicts"): what a scenario showed (its outcome), what
a target does with a feature (its verdict), how verdicts fold and rank, what a claim may say, and
the symbols every report draws them with.

The fold, ``compare``, the gate, expectations files and the reports take these words from here;
``tests/test_vocabulary.py`` keeps the JSON schemas' enums equal to them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum


class Outcome(str, Enum):
    """What one scenario against one target showed."""

    PASSED = "passed"
    UNSUPPORTED = "unsupported"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


class Verdict(str, Enum):
    """What a target does with a feature, in the fold's order: worst first, then not-tested,
    which only a feature whose every scenario skipped gets."""

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


#: Verdicts best first, as a change between two runs is judged (``compare``). A clean refusal is
#: a known, honest state, so it ranks above not-tested, which is no knowledge at all: a cell that
#: stops being measured is a regression, because lost coverage is how real regressions hide.
#: ``inconclusive`` (no answer) and ``non-conformant`` (a wrong answer) are the worst; a wrong
#: answer is worse than no answer.
BEST_FIRST: tuple[Verdict, ...] = (
    Verdict.SUPPORTED,
    Verdict.PARTIAL,
    Verdict.UNSUPPORTED,
    Verdict.NOT_TESTED,
    Verdict.INCONCLUSIVE,
    Verdict.NON_CONFORMANT,
)


def rank(verdict: str) -> int:
    """Where a verdict stands in :data:`BEST_FIRST`: higher is better."""
    return len(BEST_FIRST) - BEST_FIRST.index(Verdict(verdict))


#: The verdicts that say how much of a feature works, best first: what a claim can expect.
EXTENTS: tuple[Verdict, ...] = (Verdict.SUPPORTED, Verdict.PARTIAL, Verdict.UNSUPPORTED)
#: The verdicts of a broken feature (a wrong answer, or none): no claim is met by them.
BROKEN: tuple[Verdict, ...] = (Verdict.NON_CONFORMANT, Verdict.INCONCLUSIVE)

#: The claim of a feature the gate leaves alone: any verdict holds.
IGNORED = "ignored"
#: What an expectations file may claim of a feature.
CLAIMS: tuple[str, ...] = (*(verdict.value for verdict in EXTENTS), IGNORED)
#: What a documented column may say: its source documents the feature as supported, or does not.
DOCUMENTED_CLAIMS: tuple[str, ...] = (Verdict.SUPPORTED.value, Verdict.UNSUPPORTED.value)


@dataclass(frozen=True)
class Symbol:
    """How reports draw a verdict or a documented claim."""

    #: The verdict or claim (CSS classes and ``data-`` attributes of the HTML report use it).
    key: str
    glyph: str
    label: str
    meaning: str


#: Every verdict's symbol, in the order of the legend and of the per-target counts: how much
#: works, best first, then a broken feature, then none measured.
VERDICT_SYMBOLS: dict[str, Symbol] = {
    verdict.value: Symbol(verdict.value, glyph, label, meaning)
    for verdict, glyph, label, meaning in (
        (Verdict.SUPPORTED, "✓", "supported", "every scenario passed"),
        (Verdict.PARTIAL, "◐", "partial", "some ways of doing it passed, others were refused"),
        (Verdict.UNSUPPORTED, "✗", "unsupported", "cleanly refused, state unchanged"),
        (Verdict.NON_CONFORMANT, "‼", "non-conformant", "accepted but wrong, or a 500/malformed"),
        (Verdict.INCONCLUSIVE, "?", "inconclusive", "no verdict: unreachable, timeout, setup"),
        (Verdict.NOT_TESTED, "·", "not tested", "skipped: not applicable or an option missing"),
    )
}
#: A documented claim's symbol: the glyph of the verdict it claims.
CLAIM_SYMBOLS: dict[str, Symbol] = {
    claim: Symbol(claim, VERDICT_SYMBOLS[claim].glyph, label, meaning)
    for claim, label, meaning in (
        (Verdict.SUPPORTED.value, "claimed", "the source documents it as supported"),
        (Verdict.UNSUPPORTED.value, "not claimed", "blank or denied in the source"),
    )
}
#: A documented column's cell for a feature its source has no row for.
NO_CLAIM = Symbol("none", "", "", "the source has no row for this feature")
