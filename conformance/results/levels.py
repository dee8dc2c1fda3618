"""Support levels and seed rows: which features a run, a report or a gate is about, and whether a
target conforms to a level (every feature of that level supported), as Gateway API's conformance
profiles do.

One selection serves the run (``--level``, ``--seed-rows``), the report and the gate, so they
agree on what "core" or "seed rows 1-5" means. A document written before features carried a level
still reads: it has no level to select by, and says so.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from conformance.catalogue import FEATURES, FEATURES_BY_ID, LEVELS, Feature, applies
from conformance.outcomes import Verdict

#: The seed rows of this catalogue, in order.
SEED_ROWS: tuple[int, ...] = tuple(f.seed_row for f in FEATURES if f.seed_row is not None)
#: The level whose every feature a registry must support to call itself MLflow-compatible.
CORE = "core"


class SelectionError(ValueError):
    """A level or seed-row list that cannot be used; the message is one line for the user."""


def parse_levels(text: str) -> tuple[str, ...]:
    """``core``, ``extended`` or ``core,extended``: the levels named (each once, in order)."""
    named = [part.strip() for part in text.split(",")]
    unknown = [part for part in named if part not in LEVELS]
    if unknown:
        raise SelectionError(
            f"{unknown[0]!r} is no support level ({' or '.join(LEVELS)}; repeat the option "
            "or separate levels with commas)"
        )
    return tuple(dict.fromkeys(named))


def parse_seed_rows(text: str) -> tuple[int, ...]:
    """``all``, or numbers and ranges of the seed's table: ``1-5,12``. Sorted, each once."""
    if text.strip() == "all":
        return SEED_ROWS
    rows: set[int] = set()
    for part in text.split(","):
        low, dash, high = part.strip().partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise SelectionError(
                f"{part.strip()!r} is no seed row or range (e.g. 1-5,12; "
                f"the seed's rows are {SEED_ROWS[0]}-{SEED_ROWS[-1]})"
            )
        first, last = int(low), int(high or low)
        if first > last:
            raise SelectionError(f"{part.strip()!r} is an empty range (write low-high)")
        if first not in SEED_ROWS or last not in SEED_ROWS:
            raise SelectionError(
                f"{part.strip()!r} is outside the seed's rows {SEED_ROWS[0]}-{SEED_ROWS[-1]}"
            )
        rows.update(range(first, last + 1))
    return tuple(sorted(rows))


def ranges(rows: Sequence[int]) -> str:
    """``1,2,3,5`` as ``1-3,5``."""
    runs: list[list[int]] = []
    for row in sorted(set(rows)):
        if runs and runs[-1][-1] == row - 1:
            runs[-1].append(row)
        else:
            runs.append([row])
    return ",".join(str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)


@dataclass(frozen=True)
class Selection:
    """Which features are selected: those of ``levels`` (all levels when empty) that are also
    seed rows in ``seed_rows`` (any feature when None). Both limits apply together."""

    levels: tuple[str, ...] = ()
    seed_rows: tuple[int, ...] | None = None

    @classmethod
    def of(cls, levels: Iterable[str] = (), seed_rows: Iterable[int] | None = None) -> Selection:
        ordered = tuple(level for level in LEVELS if level in set(levels))
        rows = None if seed_rows is None else tuple(sorted(set(seed_rows)))
        return cls(ordered, rows)

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Selection:
        data = data or {}
        return cls.of(data.get("levels", ()), data.get("seed_rows"))

    def __bool__(self) -> bool:
        """Whether anything is left out."""
        return bool(self.levels) or self.seed_rows is not None

    def selects(self, level: str | None, seed_row: int | None) -> bool:
        if self.levels and level not in self.levels:
            return False
        return self.seed_rows is None or seed_row in self.seed_rows

    def selects_feature(self, feature: Feature) -> bool:
        return self.selects(feature.level, feature.seed_row)

    def describe(self) -> str:
        """The options that make this selection: ``--level core --seed-rows 1-5,12``."""
        parts = [f"--level {','.join(self.levels)}"] if self.levels else []
        if self.seed_rows is not None:
            rows = "" if self.seed_rows == SEED_ROWS else f" {ranges(self.seed_rows)}"
            parts.append(f"--seed-rows{rows}")
        return " ".join(parts)

    def as_json(self) -> dict[str, Any]:
        """The results document's ``selection``: only the limits that were given."""
        data: dict[str, Any] = {"levels": list(self.levels)} if self.levels else {}
        if self.seed_rows is not None:
            data["seed_rows"] = list(self.seed_rows)
        return data

    def not_selected_note(self) -> str:
        return f"not selected ({self.describe()})"


def feature_level(feature: Mapping[str, Any]) -> str | None:
    """A document's feature's level; None in a document written before levels were recorded."""
    level = feature.get("level")
    return level if isinstance(level, str) else None


def has_levels(document: Mapping[str, Any]) -> bool:
    """Whether every feature of the document carries its level."""
    return all(feature_level(feature) for feature in document["features"])


def run_selection(document: Mapping[str, Any], target: Mapping[str, Any]) -> Selection:
    """What the run that measured ``target`` selected (a merged document keeps it per target)."""
    run = target.get("run") or document
    return Selection.from_json(run.get("selection"))


def limit(
    document: dict[str, Any], selection: Selection, name: str = "the document"
) -> dict[str, Any]:
    """A copy of ``document`` with only the selected features, their verdicts and scenarios.

    Raises :class:`SelectionError` when levels are asked of a document that records none.
    """
    if selection.levels and not has_levels(document):
        raise SelectionError(
            f"{name} records no support level (written before features carried one): "
            "--level needs a document of a newer run; --seed-rows works on any"
        )
    limited = copy.deepcopy(document)
    kept = {
        feature["id"]
        for feature in document["features"]
        if selection.selects(feature_level(feature), feature["seed_row"])
    }
    limited["features"] = [f for f in limited["features"] if f["id"] in kept]
    limited["verdicts"] = [v for v in limited["verdicts"] if v["feature"] in kept]
    limited["scenarios"] = [s for s in limited["scenarios"] if kept & set(s["features"])]
    return limited


@dataclass(frozen=True)
class LevelConformance:
    """Whether one target conforms to one level: every feature of the level ``supported``."""

    target: str
    level: str
    #: The features of the level in the document, and how many of them are supported.
    total: int
    supported: int
    #: (feature id, verdict) of each feature of the level that is not supported.
    short: tuple[tuple[str, str], ...]
    #: Why the document cannot say (the run did not select every feature of the level), if so.
    not_judged: str = ""

    @property
    def conforms(self) -> bool | None:
        """True when every feature of the level is supported; False when one was measured
        otherwise (partial, unsupported, non-conformant, inconclusive); None when the rest were
        not tested, or the run did not select the whole level: no verdict either way."""
        if self.not_judged or not self.total:
            return None
        if not self.short:
            return True
        return None if not self.measured_short else False

    @property
    def measured_short(self) -> tuple[tuple[str, str], ...]:
        return tuple(item for item in self.short if item[1] != Verdict.NOT_TESTED)

    def line(self) -> str:
        """What a target is, after its name: ``conforms to core (12 of 12 core features
        supported)``; ``does NOT conform to core (...: search.list partial)``."""
        counted = f"{self.supported} of {self.total} {self.level} features supported"
        untested = [feature for feature, verdict in self.short if verdict == Verdict.NOT_TESTED]
        tail = f"{len(untested)} not tested: {_few(untested)}" if untested else ""
        if self.conforms:
            return f"conforms to {self.level} ({counted})"
        if self.conforms is None:
            why = self.not_judged or "; ".join(filter(None, (counted, tail)))
            return f"not judged on {self.level} ({why})"
        short = _few([f"{feature} {verdict}" for feature, verdict in self.measured_short])
        why = "; ".join(filter(None, (counted, short, tail)))
        return f"does NOT conform to {self.level} ({why})"


def _few(items: list[str], shown: int = 5) -> str:
    more = f", and {len(items) - shown} more" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def conformance(document: Mapping[str, Any], level: str = CORE) -> list[LevelConformance]:
    """Per target of the document, whether it conforms to ``level`` (on the features that apply
    to it: ``catalogue.applies``); empty when the document records no levels or has no feature
    of that level."""
    if not has_levels(document):
        return []
    features = [f for f in document["features"] if feature_level(f) == level]
    if not features:
        return []
    verdicts = {(v["target"], v["feature"]): v["verdict"] for v in document["verdicts"]}
    found = []
    for target in document["targets"]:
        selection = run_selection(document, target)
        left_out = [f["id"] for f in features if not selection.selects(level, f["seed_row"])]
        judged = [
            (f["id"], verdicts.get((target["id"], f["id"]), Verdict.NOT_TESTED.value))
            for f in features
            if applies(f["id"], target["registry_uri"])
        ]
        found.append(
            LevelConformance(
                target=target["id"],
                level=level,
                total=len(judged),
                supported=sum(verdict == Verdict.SUPPORTED for _, verdict in judged),
                short=tuple((f, v) for f, v in judged if v != Verdict.SUPPORTED),
                not_judged=f"the run selected {selection.describe()}" if left_out else "",
            )
        )
    return found


def catalogue_level(
    feature_id: str, document_feature: Mapping[str, Any] | None = None
) -> str | None:
    """A feature's level: the document's, else this catalogue's (None for an unknown id)."""
    level = feature_level(document_feature) if document_feature else None
    if level is None and feature_id in FEATURES_BY_ID:
        return FEATURES_BY_ID[feature_id].level
    return level
