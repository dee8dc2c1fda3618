"""The CI gate: a results document checked against an expectations file.

Pure: a document and expectations in, statuses and an exit code out, so every rule of the table
in ``profiles/README.md`` is unit-testable without running a registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from conformance.catalogue import applies
from conformance.gate.expectations import Expectations
from conformance.outcomes import BROKEN, EXTENTS, IGNORED, Verdict, rank
from conformance.results import levels


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
    #: Features not gated, each with why: outside the file's levels or the run's selection.
    not_gated: tuple[tuple[str, str], ...] = ()
    #: Per target, whether it conforms to core (every core feature supported).
    conformance: tuple[levels.LevelConformance, ...] = ()

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
            "conformance": [
                {
                    "target": c.target,
                    "level": c.level,
                    "conforms": c.conforms,
                    "supported": c.supported,
                    "total": c.total,
                    "not_supported": [{"feature": f, "verdict": v} for f, v in c.short],
                }
                for c in self.conformance
            ],
        }


def status(claim: str, verdict: str) -> Status:
    """The rule table: one claim against one verdict."""
    if claim == IGNORED:
        return Status.IGNORED
    if verdict in BROKEN:
        return Status.REGRESSION
    if verdict not in EXTENTS:
        return Status.UNVERIFIED
    if rank(verdict) < rank(claim):
        return Status.REGRESSION
    if rank(verdict) > rank(claim):
        return Status.UNEXPECTED_PASS
    return Status.HOLDS


def evaluate(document: dict[str, Any], expectations: Expectations, strict: bool) -> GateResult:
    """Every target of the document against the same expectations (one CI job, one target is
    the usual case). A claimed feature the document lacks counts as not tested. Features of
    levels the file does not cover, and features the run did not select (``--level``,
    ``--seed-rows``), are not gated: the run was not about them."""
    verdicts = {(v["target"], v["feature"]): v for v in document["verdicts"]}
    described = {f["id"]: f for f in document["features"]}
    features = [*described]
    features += [feature for feature in expectations.features if feature not in features]
    selection = levels.Selection.from_json(document.get("selection"))
    scope, not_gated = [], []
    for feature in features:
        level = levels.catalogue_level(feature, described.get(feature))
        seed_row = described[feature]["seed_row"] if feature in described else None
        if not expectations.covers(level):
            not_gated.append((feature, f"{level}, outside the levels of {expectations.source}"))
        elif selection and not selection.selects(level, seed_row):
            not_gated.append((feature, selection.not_selected_note()))
        else:
            scope.append(feature)
    checks = []
    for target, registry_uri in ((t["id"], t["registry_uri"]) for t in document["targets"]):
        for feature in scope:
            found = verdicts.get(
                (target, feature), {"verdict": Verdict.NOT_TESTED.value, "note": "not run"}
            )
            claim = expectations.claim_for(feature)
            # a wire row on a target that is not HTTP: nothing there to claim or measure
            inapplicable = not applies(feature, registry_uri)
            checks.append(
                Check(
                    target=target,
                    feature=feature,
                    claim=claim.claim,
                    verdict=found["verdict"],
                    status=Status.IGNORED
                    if inapplicable
                    else status(claim.claim, found["verdict"]),
                    reason="not an HTTP target" if inapplicable else claim.reason,
                    note=found["note"],
                )
            )
    return GateResult(
        expectations,
        strict,
        tuple(checks),
        tuple(not_gated),
        tuple(levels.conformance(document, levels.CORE)),
    )


def render(result: GateResult) -> list[tuple[str, str]]:
    """Terminal lines with a colour (``red``, ``yellow`` or ``green``): each regression and
    unexpected pass with its note, unverified claims one line per target, then a summary."""
    lines = []
    source = result.expectations.source
    failing = set(result.failing)
    unverified: dict[str, list[str]] = {}
    for check in result.checks:
        colour = "red" if check in failing else "yellow"
        note = f": {check.note[:300]}" if check.note else ""
        if check.status is Status.REGRESSION:
            lines.append(
                (
                    colour,
                    f"REGRESSION: {check.target} / {check.feature}: claimed {check.claim}, "
                    f"measured {check.verdict}{note}",
                )
            )
        elif check.status is Status.UNEXPECTED_PASS:
            lines.append(
                (
                    colour,
                    f"unexpected pass: {check.target} / {check.feature}: claimed {check.claim}, "
                    f"measured {check.verdict} (update {source})",
                )
            )
        elif check.status is Status.UNVERIFIED:
            unverified.setdefault(check.target, []).append(check.feature)
    colour = "red" if result.strict else "yellow"
    for target, features in unverified.items():
        lines.append(
            (colour, f"unverified (claimed, not tested): {target} / {', '.join(features)}")
        )
    counts = ", ".join(
        f"{result.count(s)} {s.value}" for s in Status if result.count(s) or s is Status.HOLDS
    )
    mode = "strict, " if result.strict else ""
    verdict = "FAILED" if result.exit_code else "passed"
    if result.not_gated:
        counts += f"; {len(result.not_gated)} features not gated: {_why_not_gated(result)}"
    lines.append(
        ("red" if result.exit_code else "green", f"gate {verdict} ({mode}{source}): {counts}")
    )
    return lines


def _why_not_gated(result: GateResult) -> str:
    reasons = dict.fromkeys(why for _, why in result.not_gated)
    return "; ".join(reasons)
