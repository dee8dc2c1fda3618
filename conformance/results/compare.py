"""Two results documents, before and after: which cells got worse (regressions) and better (fixes).

Verdicts are ranked best to worst::

    supported > partial > unsupported > not-tested > inconclusive > non-conformant

A clean refusal (unsupported) is a known, honest state, so it ranks above not-tested, which is
no knowledge at all: a cell that stops being measured is reported as a regression, because lost
coverage is how real regressions hide. ``inconclusive`` (something broke before a verdict) and
``non-conformant`` (a wrong answer) are the worst; a wrong answer is worse than no answer.

Where both documents timed a target's requests (``targets[i].performance``), an operation whose
p95 grew by more than a factor is a slowdown. Few samples and fast operations are left out:
their p95 is noise (one slow request, a busy machine), not the registry's speed.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from conformance.masking import mask_text
from conformance.outcomes import rank
from conformance.results.levels import feature_level

Target = dict[str, Any]
#: A slowdown: the head's p95 is more than this many times the base's.
P95_FACTOR = 2.0
#: Operations with fewer requests on either side are not compared.
MIN_SAMPLES = 5
#: Nor those whose p95 in the head is below this (milliseconds).
P95_FLOOR_MS = 5.0


@dataclass(frozen=True)
class Change:
    target: str
    feature: str
    seed_row: int | None
    before: str
    after: str
    #: Why the cell is what it is now (the head document's note).
    note: str
    #: The feature's support level; None when neither document records it.
    level: str | None = None


@dataclass(frozen=True)
class Slowdown:
    target: str
    operation: str
    before_p95_ms: float
    after_p95_ms: float
    #: Requests of the operation in the head document.
    count: int

    @property
    def factor(self) -> float:
        return self.after_p95_ms / self.before_p95_ms if self.before_p95_ms else math.inf


@dataclass(frozen=True)
class Comparison:
    regressions: tuple[Change, ...]
    fixes: tuple[Change, ...]
    new_targets: tuple[str, ...]
    removed_targets: tuple[str, ...]
    #: Base and head catalogue versions; when they differ only shared features are compared.
    catalogues: tuple[str, str]
    slowdowns: tuple[Slowdown, ...] = ()
    #: The factor slowdowns were judged by, when both documents timed some target; else None.
    p95_factor: float | None = None


def compare(
    base: dict[str, Any], head: dict[str, Any], p95_factor: float = P95_FACTOR
) -> Comparison:
    """Per target (matched by id, else by label) and shared feature, the verdicts that moved;
    and the operations whose p95 grew by more than ``p95_factor``."""
    pairs, new, removed = _match_targets(base["targets"], head["targets"])
    base_features = {feature["id"]: feature for feature in base["features"]}
    features = [feature for feature in head["features"] if feature["id"] in base_features]
    before = {(v["target"], v["feature"]): v for v in base["verdicts"]}
    after = {(v["target"], v["feature"]): v for v in head["verdicts"]}
    regressions, fixes = [], []
    for base_target, head_target in pairs:
        name = _name(base_target, head_target)
        for feature in features:
            old = before.get((base_target["id"], feature["id"]))
            now = after.get((head_target["id"], feature["id"]))
            if old is None or now is None or old["verdict"] == now["verdict"]:
                continue
            change = Change(
                target=name,
                feature=feature["id"],
                seed_row=feature["seed_row"],
                before=old["verdict"],
                after=now["verdict"],
                note=mask_text(now["note"]),
                level=feature_level(feature) or feature_level(base_features[feature["id"]]),
            )
            if rank(now["verdict"]) < rank(old["verdict"]):
                regressions.append(change)
            else:
                fixes.append(change)
    timed = [(b, h) for b, h in pairs if _operations(b) is not None and _operations(h) is not None]
    return Comparison(
        regressions=tuple(regressions),
        fixes=tuple(fixes),
        new_targets=tuple(_name(target, target) for target in new),
        removed_targets=tuple(_name(target, target) for target in removed),
        catalogues=(base["suite"]["catalogue"], head["suite"]["catalogue"]),
        slowdowns=tuple(slowdown for b, h in timed for slowdown in _slowdowns(b, h, p95_factor)),
        p95_factor=p95_factor if timed else None,
    )


def _operations(target: Target) -> dict[str, dict[str, Any]] | None:
    """A target's timed operations by name; None when its requests were not timed."""
    performance = target.get("performance") or {}
    if "operations" not in performance:
        return None
    return {op["operation"]: op for op in performance["operations"]}


def _slowdowns(base: Target, head: Target, factor: float) -> list[Slowdown]:
    before, after = _operations(base) or {}, _operations(head) or {}
    slowdowns = []
    for operation, now in after.items():
        old = before.get(operation)
        if old is None or min(old["count"], now["count"]) < MIN_SAMPLES:
            continue
        if now["p95_ms"] < P95_FLOOR_MS or now["p95_ms"] <= factor * old["p95_ms"]:
            continue
        slowdowns.append(
            Slowdown(
                target=_name(base, head),
                operation=mask_text(operation),
                before_p95_ms=old["p95_ms"],
                after_p95_ms=now["p95_ms"],
                count=now["count"],
            )
        )
    return sorted(slowdowns, key=lambda s: -s.factor)


def format_comparison(comparison: Comparison) -> list[str]:
    """Lines for the terminal: regressions first, then fixes, then targets that came or went."""
    lines = []
    if comparison.catalogues[0] != comparison.catalogues[1]:
        base, head = comparison.catalogues
        lines.append(f"catalogues differ (base {base}, head {head}): shared features compared")
    for title, changes in (("regressions", comparison.regressions), ("fixes", comparison.fixes)):
        levels = Counter(change.level for change in changes if change.level)
        of_level = ", ".join(f"{count} {level}" for level, count in sorted(levels.items()))
        lines.append(f"{title}: {len(changes)}" + (f" ({of_level})" if of_level else ""))
        for change in changes:
            row = f"#{change.seed_row} " if change.seed_row else ""
            why = f": {change.note}" if change.note else ""
            lines.append(
                f"  {change.target} / {row}{change.feature}: {change.before} -> {change.after}{why}"
            )
    if comparison.p95_factor is not None:
        lines.append(
            f"slowdowns: {len(comparison.slowdowns)} (p95 more than {comparison.p95_factor:g}x "
            f"the base's; operations of at least {MIN_SAMPLES} requests and {P95_FLOOR_MS:g} ms)"
        )
        lines += [
            f"  {s.target} / {s.operation}: p95 {s.before_p95_ms:,.1f} -> {s.after_p95_ms:,.1f} "
            f"ms ({s.factor:.1f}x, {s.count} requests)"
            for s in comparison.slowdowns
        ]
    lines += [f"new target: {name}" for name in comparison.new_targets]
    lines += [f"removed target: {name}" for name in comparison.removed_targets]
    return lines


def _match_targets(
    base: list[Target], head: list[Target]
) -> tuple[list[tuple[Target, Target]], list[Target], list[Target]]:
    """Pairs by id, then the rest by label (a target whose id changed between suite versions)."""
    base_by_id = {target["id"]: target for target in base}
    pairs = [(base_by_id[t["id"]], t) for t in head if t["id"] in base_by_id]
    paired_base = {id(b) for b, _ in pairs}
    paired_head = {id(h) for _, h in pairs}
    for target in head:
        if id(target) in paired_head:
            continue
        match = next(
            (b for b in base if id(b) not in paired_base and b["label"] == target["label"]), None
        )
        if match is not None:
            pairs.append((match, target))
            paired_base.add(id(match))
            paired_head.add(id(target))
    order = {id(target): n for n, target in enumerate(head)}
    pairs.sort(key=lambda pair: order[id(pair[1])])
    new = [target for target in head if id(target) not in paired_head]
    removed = [target for target in base if id(target) not in paired_base]
    return pairs, new, removed


def _name(base: Target, head: Target) -> str:
    name = head["id"] if base["id"] == head["id"] else f"{head['id']} (was {base['id']})"
    return mask_text(f"{name} [{head['label']}]" if head["label"] != head["id"] else name)
