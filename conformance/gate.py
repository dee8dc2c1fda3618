"""The CI gate: a results document checked against an expectations file.

Pure: a document and expectations in, statuses and an exit code out, so every rule of the table
in ``profiles/README.md`` is unit-testable without running a registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from conformance.expectations import Expectations

#: How much of a feature works, for comparing a verdict with a claim; other verdicts are no rank.
_RANK = {"unsupported": 0, "partial": 1, "supported": 2}
_BROKEN = ("non-conformant", "inconclusive")


class Status(str, Enum):
    HOLDS = "holds"
    IGNORED = "ignored"
    REGRESSION = "regression"
    UNEXPECTED_PASS = "unexpected-pass"
    UNVERIFIED = "unverified"


#: What fails the gate; the strict set keeps expectations current (WPT's "unexpected pass").
_FAILS = frozenset({Status.REGRESSION})
_FAILS_STRICT = _FAILS | {Status.UNEXPECTED_PASS, Status.UNVERIFIED}


@dataclass(frozen=True)
class Check:
    """One target x feature: the claim, the measured verdict and what the gate makes of them."""

    target: str
    feature: str
    claim: str
    verdict: str
    status: Status
    reason: str = ""
    note: str = ""

    def as_json(self) -> dict[str, str]:
        return {
            "target": self.target,
            "feature": self.feature,
            "claim": self.claim,
            "verdict": self.verdict,
            "status": self.status.value,
            "reason": self.reason,
            "note": self.note,
        }


@dataclass(frozen=True)
class GateResult:
    expectations: Expectations
    strict: bool
    checks: tuple[Check, ...]

    @property
    def failing(self) -> tuple[Check, ...]:
        fails = _FAILS_STRICT if self.strict else _FAILS
        return tuple(check for check in self.checks if check.status in fails)

    @property
    def exit_code(self) -> int:
        return 1 if self.failing else 0

    def count(self, status: Status) -> int:
        return sum(check.status is status for check in self.checks)

    def as_json(self) -> dict[str, Any]:
        """The ``gate`` entry of the results document."""
        return {
            "expectations": self.expectations.describe(),
            "strict": self.strict,
            "passed": self.exit_code == 0,
            "checks": [check.as_json() for check in self.checks],
        }


def status(claim: str, verdict: str) -> Status:
    """The rule table: one claim against one verdict."""
    if claim == "ignored":
        return Status.IGNORED
    if verdict in _BROKEN:
        return Status.REGRESSION
    if verdict not in _RANK:
        return Status.UNVERIFIED
    if _RANK[verdict] < _RANK[claim]:
        return Status.REGRESSION
    if _RANK[verdict] > _RANK[claim]:
        return Status.UNEXPECTED_PASS
    return Status.HOLDS


def evaluate(document: dict[str, Any], expectations: Expectations, strict: bool) -> GateResult:
    """Every target of the document against the same expectations (one CI job, one target is
    the usual case). A claimed feature the document lacks counts as not tested."""
    verdicts = {(v["target"], v["feature"]): v for v in document["verdicts"]}
    features = [f["id"] for f in document["features"]]
    features += [feature for feature in expectations.features if feature not in features]
    checks = []
    for target in (t["id"] for t in document["targets"]):
        for feature in features:
            found = verdicts.get((target, feature), {"verdict": "not-tested", "note": "not run"})
            claim = expectations.claim_for(feature)
            checks.append(
                Check(
                    target=target,
                    feature=feature,
                    claim=claim.claim,
                    verdict=found["verdict"],
                    status=status(claim.claim, found["verdict"]),
                    reason=claim.reason,
                    note=found["note"],
                )
            )
    return GateResult(expectations, strict, tuple(checks))


def render(result: GateResult) -> list[tuple[str, str]]:
    """Terminal lines with a colour (``red``, ``yellow`` or ``green``): what needs attention,
    then one summary line."""
    lines = []
    source = result.expectations.source
    failing = set(result.failing)
    for check in result.checks:
        if check.status in (Status.HOLDS, Status.IGNORED):
            continue
        label = {
            Status.REGRESSION: "REGRESSION",
            Status.UNEXPECTED_PASS: "unexpected pass",
            Status.UNVERIFIED: "unverified",
        }[check.status]
        advice = f" (better than claimed: update {source})" if label == "unexpected pass" else ""
        note = f": {check.note[:300]}" if check.note else ""
        lines.append(
            (
                "red" if check in failing else "yellow",
                f"{label}: {check.target} / {check.feature}: claimed {check.claim}, "
                f"measured {check.verdict}{advice}{note}",
            )
        )
    counts = ", ".join(
        f"{result.count(s)} {s.value}" for s in Status if result.count(s) or s is Status.HOLDS
    )
    mode = "strict, " if result.strict else ""
    verdict = "FAILED" if result.exit_code else "passed"
    lines.append(
        ("red" if result.exit_code else "green", f"gate {verdict} ({mode}{source}): {counts}")
    )
    return lines
