"""Feature verdicts fold scenario outcomes worst-first; a skip never counts as a pass."""

import pytest

from conformance.outcomes import Outcome, Verdict, feature_verdict, worst_outcome

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
