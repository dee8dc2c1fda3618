"""The results document (DESIGN.md, "Results document"): built, validated, merged, read back."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from conformance import __version__
from conformance.catalogue import CATALOGUE_VERSION, FEATURES, Feature
from conformance.outcomes import Outcome, Verdict, feature_verdict
from conformance.results.levels import Selection
from conformance.targets import Target

SCHEMA_ID = "registry-conformance/results/v1"


@dataclass
class ScenarioRecord:
    """One scenario against one target, as the controller saw it."""

    target: str
    features: list[str]
    nodeid: str
    outcome: Outcome
    duration_s: float = 0.0
    evidence: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "features": self.features,
            "nodeid": self.nodeid,
            "outcome": self.outcome.value,
            "duration_s": round(self.duration_s, 4),
            "reason": self.reason,
            "evidence": self.evidence,
        }


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def verdicts(
    targets: list[str],
    scenarios: list[ScenarioRecord],
    features: tuple[Feature, ...] = FEATURES,
    collected: Mapping[tuple[str, str], int] | None = None,
    unusable: Mapping[str, str] | None = None,
    selection: Selection | None = None,
) -> list[dict[str, Any]]:
    """One verdict per target x feature, with a note that explains anything but `supported`, and
    what a verdict rests on when it is less than every scenario, fully judged: "k of n scenarios
    ran", and the best-effort steps its passed scenarios were "judged without".

    ``collected``: per (target, feature), how many scenarios were collected before a selection
    (-k, -m) or an interruption left some out; a verdict drawn from fewer says so. ``unusable``:
    per target the preflight could not measure, why: every verdict there is inconclusive.
    ``selection``: the features the run selected (``--level``, ``--seed-rows``); the others are
    ``not-tested``, as a feature whose scenarios ``-m`` deselected, with a note that says so.
    """
    by_cell: dict[tuple[str, str], list[ScenarioRecord]] = defaultdict(list)
    for record in scenarios:
        for feature_id in record.features:
            by_cell[(record.target, feature_id)].append(record)
    rows = []
    for target in targets:
        for feature in features:
            records = by_cell[(target, feature.id)]
            row: dict[str, Any] = {"target": target, "feature": feature.id}
            if selection and not selection.selects_feature(feature):
                note = selection.not_selected_note()
                rows.append({**row, "verdict": Verdict.NOT_TESTED.value, "note": note})
                continue
            if unusable and target in unusable:
                rows.append(
                    {**row, "verdict": Verdict.INCONCLUSIVE.value, "note": unusable[target]}
                )
                continue
            verdict = feature_verdict(record.outcome for record in records)
            total = (collected or {}).get((target, feature.id), 0)
            ran = ""
            if records and len(records) < total:
                ran = f"{len(records)} of {total} scenarios ran"
                row.update(scenarios_ran=len(records), scenarios_collected=total)
            parts = (ran, _note(verdict, records), _judged_without(records))
            note = "; ".join(part for part in parts if part)
            rows.append({**row, "verdict": verdict.value, "note": note})
    return rows


def _note(verdict: Verdict, records: list[ScenarioRecord]) -> str:
    if verdict is Verdict.SUPPORTED:
        return ""
    if verdict is Verdict.NOT_TESTED and not records:
        return "no scenario ran"
    worst = {
        Verdict.NON_CONFORMANT: Outcome.FAILED,
        Verdict.INCONCLUSIVE: Outcome.ERROR,
        Verdict.PARTIAL: Outcome.UNSUPPORTED,
        Verdict.UNSUPPORTED: Outcome.UNSUPPORTED,
        Verdict.NOT_TESTED: Outcome.SKIPPED,
    }[verdict]
    reasons = sorted({record.reason for record in records if record.outcome is worst})
    counts = f"{sum(r.outcome is worst for r in records)}/{len(records)} scenarios {worst.value}"
    return f"{counts}: " + "; ".join(reasons)[:1000]


def _judged_without(records: list[ScenarioRecord]) -> str:
    """The steps passed scenarios did without (a best-effort step cleanly refused, so the
    scenario judged on what remained), each with how many of the cell's scenarios did."""
    without: Counter[str] = Counter()
    for record in records:
        if record.outcome is Outcome.PASSED:
            without.update({e["call"] for e in record.evidence if e.get("role") == "best-effort"})
    if not without:
        return ""
    steps = (f"{call} ({count} of {len(records)} scenarios)" for call, count in without.items())
    return "judged without: " + ", ".join(sorted(steps))


def build_document(
    targets: list[Target],
    scenarios: list[ScenarioRecord],
    started: str,
    complete: bool,
    extra: dict[str, Any] | None = None,
    collected: Mapping[tuple[str, str], int] | None = None,
    selection: Selection | None = None,
) -> dict[str, Any]:
    """The document of one run; ``selection`` (``--level``, ``--seed-rows``) is recorded under
    ``selection`` when it left features out."""
    target_ids = [target.id for target in targets]
    unusable = {target.id: target.unusable for target in targets if target.unusable}
    return {
        "schema": SCHEMA_ID,
        "suite": {"version": __version__, "catalogue": CATALOGUE_VERSION},
        "started": started,
        "finished": now_iso(),
        "complete": complete,
        "targets": [target.describe() for target in targets],
        "features": [
            {
                "id": f.id,
                "title": f.title,
                "group": f.group,
                "seed_row": f.seed_row,
                "level": f.level,
            }
            for f in FEATURES
        ],
        **({"selection": selection.as_json()} if selection else {}),
        "verdicts": verdicts(target_ids, scenarios, FEATURES, collected, unusable, selection),
        "scenarios": [record.as_json() for record in scenarios],
        **(extra or {}),
    }


def schema() -> dict[str, Any]:
    text = (
        resources.files("conformance.results")
        .joinpath("schemas/results-v1.json")
        .read_text("utf-8")
    )
    return json.loads(text)


def validate(document: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` when a document breaks the contract."""
    jsonschema.validate(document, schema())


def write(document: dict[str, Any], path: Path) -> None:
    validate(document)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
