"""The report's view model: matrix rows, cells, footnotes, target summaries and evidence, built
once from a results document (and optional documented columns) for every renderer.

HTML, Markdown and the terminal table all read this model, so they agree on symbols, order and
footnote numbers. Every string taken from the document is masked again here (defence in depth:
documents may come from older versions or other tools), whatever masking their writer did.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from conformance import timestamps
from conformance.documented import DocumentedColumn
from conformance.masking import mask_text, mask_uri
from conformance.outcomes import CLAIM_SYMBOLS, NO_CLAIM, VERDICT_SYMBOLS, Symbol, Verdict
from conformance.report import evidence, faults
from conformance.results import levels

#: Longest footnote text; the full note stays in the evidence section and the results document.
FOOTNOTE_LENGTH = 160


@dataclass(frozen=True)
class Footnote:
    #: "1", "2"... for measured cells; "a", "b"... for documented claims (a vendor's words).
    marker: str
    text: str
    documented: bool


@dataclass(frozen=True)
class Cell:
    """One target x feature: the measured verdict."""

    symbol: Symbol
    note: str
    footnote: str | None
    anchor: str


@dataclass(frozen=True)
class ClaimCell:
    """One documented column x feature: a published claim."""

    symbol: Symbol
    footnotes: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    feature: str
    title: str
    seed_row: int | None
    cells: tuple[Cell, ...]
    claims: tuple[ClaimCell, ...]
    #: "core" or "extended"; "" in a document written before features carried a level.
    level: str = ""

    @property
    def level_title(self) -> str:
        return self.level.capitalize()


@dataclass(frozen=True)
class Conformance:
    """Whether a target conforms to a level (every feature of it supported)."""

    level: str
    #: True, False, or None when the run did not select the whole level.
    conforms: bool | None
    #: One line that says it, with the counts and what falls short.
    text: str

    @property
    def key(self) -> str:
        """``yes``, ``no`` or ``not-judged`` (HTML classes and data attributes)."""
        return {True: "yes", False: "no", None: "not-judged"}[self.conforms]

    @property
    def word(self) -> str:
        return {True: "conforms", False: "does not conform", None: "not judged"}[self.conforms]


@dataclass(frozen=True)
class OperationSpeed:
    """One row of a target's speed table: an operation and its latencies (ms, formatted)."""

    operation: str
    count: int
    total_ms: str
    p50_ms: str
    p95_ms: str
    max_ms: str


@dataclass(frozen=True)
class Speed:
    """The registry's speed as the run saw it (``targets[i].performance``)."""

    requests: int
    #: Slowest total first.
    operations: tuple[OperationSpeed, ...]
    #: Why nothing was timed (an in-process target); then there are no operations.
    not_measured: str


@dataclass(frozen=True)
class TargetView:
    id: str
    label: str
    registry_uri: str
    tracking_uri: str
    foreign_tracking_uri: str
    client: tuple[tuple[str, str], ...]
    server: tuple[tuple[str, str], ...]
    started: str
    finished: str
    duration: str
    complete: bool
    counts: tuple[tuple[Symbol, int], ...]
    #: None when the document says nothing of the target's speed.
    speed: Speed | None
    #: Conformance to the core level; None when the document records no levels.
    core: Conformance | None = None
    #: The faults met on the way to it (``targets[i].faults``), one line; "" when none.
    faults: str = ""


@dataclass(frozen=True)
class EvidenceField:
    key: str
    value: str
    #: Multi-line (a traceback): shown preformatted.
    block: bool


@dataclass(frozen=True)
class ScenarioView:
    nodeid: str
    outcome: str
    reason: str
    duration: str
    evidence: tuple[tuple[EvidenceField, ...], ...]


@dataclass(frozen=True)
class CellEvidence:
    cell: Cell
    row: Row
    scenarios: tuple[ScenarioView, ...]


@dataclass(frozen=True)
class ColumnHead:
    id: str
    title: str


@dataclass(frozen=True)
class Source:
    """Where documented columns come from, shown as text beside the matrix."""

    title: str
    published: str
    link: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    suite_version: str
    catalogue: str
    started: str
    finished: str
    duration: str
    complete: bool
    #: Why the run stopped early, when it said (a merged document keeps no single reason).
    cut_short_reason: str
    targets: tuple[TargetView, ...]
    columns: tuple[ColumnHead, ...]
    sources: tuple[Source, ...]
    rows: tuple[Row, ...]
    footnotes: tuple[Footnote, ...]
    #: Per target (in target order), per feature (in catalogue order).
    evidence: tuple[tuple[CellEvidence, ...], ...]
    #: Whether the rows carry their support level (documents written before levels do not).
    shows_levels: bool = False
    #: The report was limited to some features (``report --level``, ``--seed-rows``): how.
    limited_to: str = ""
    #: A pivot (``report --pivot``): the one target whose MLflow clients the columns are.
    pivot: str = ""

    @property
    def cut_short(self) -> tuple[str, ...]:
        """Labels of the targets whose run stopped before every scenario ran."""
        return tuple(target.label for target in self.targets if not target.complete)

    @property
    def incomplete_note(self) -> str:
        """Empty for a complete run; otherwise the sentence every renderer leads with."""
        if self.complete:
            return ""
        why = f" ({self.cut_short_reason})" if self.cut_short_reason else ""
        runs = f"the run of {', '.join(self.cut_short)}" if self.cut_short else "the run"
        return (
            f"Incomplete{why}: {runs} was cut short; the cells show only the scenarios that ran "
            "before it stopped, not a full measurement"
        )

    @property
    def legend(self) -> tuple[Symbol, ...]:
        return tuple(VERDICT_SYMBOLS.values())

    @property
    def claim_legend(self) -> tuple[Symbol, ...]:
        return tuple(CLAIM_SYMBOLS.values())


def build(
    document: dict[str, Any],
    documented: Sequence[DocumentedColumn] = (),
    selection: levels.Selection | None = None,
) -> Report:
    """The view of one (possibly merged) results document; ``documented`` columns go beside it.
    ``selection`` limits the rows to some levels or seed rows (:func:`levels.limit`, which
    raises ``SelectionError`` for levels of a document that records none)."""
    # Conformance is the whole level's, whatever rows the report shows.
    core = {c.target: c for c in levels.conformance(document, levels.CORE)}
    if selection:
        document = levels.limit(document, selection)
    footnotes = _Footnotes()
    verdicts = {(v["target"], v["feature"]): v for v in document["verdicts"]}
    target_ids = [target["id"] for target in document["targets"]]
    rows = []
    for feature in document["features"]:
        cells = tuple(
            _cell(verdicts.get((target, feature["id"])), column, feature["id"], footnotes)
            for column, target in enumerate(target_ids)
        )
        claims = tuple(_claim(column, feature["id"], footnotes) for column in documented)
        rows.append(
            Row(
                feature=mask_text(feature["id"]),
                title=mask_text(feature["title"]),
                seed_row=feature["seed_row"],
                cells=cells,
                claims=claims,
                level=mask_text(levels.feature_level(feature) or ""),
            )
        )
    targets = tuple(
        _target(target, document, core.get(target["id"])) for target in document["targets"]
    )
    return Report(
        suite_version=mask_text(document["suite"]["version"]),
        catalogue=mask_text(document["suite"]["catalogue"]),
        started=mask_text(document["started"]),
        finished=mask_text(document["finished"]),
        duration=_duration(document["started"], document["finished"]),
        complete=bool(document["complete"]),
        cut_short_reason=mask_text(document.get("cut_short", "")),
        targets=targets,
        columns=tuple(ColumnHead(mask_text(c.id), mask_text(c.title)) for c in documented),
        sources=_sources(documented),
        rows=tuple(rows),
        footnotes=footnotes.all(),
        evidence=_evidence(document, rows),
        shows_levels=levels.has_levels(document) and bool(document["features"]),
        limited_to=mask_text(selection.describe()) if selection else "",
        pivot=_pivot(document.get("pivot")),
    )


def _pivot(pivot: dict[str, Any] | None) -> str:
    """The target of a pivot, as "label (id)"; "" for a document that is not one."""
    if not pivot:
        return ""
    label, target = mask_text(pivot["label"]), mask_text(pivot["target"])
    return label if label == target else f"{label} ({target})"


def shorten(text: str, limit: int = FOOTNOTE_LENGTH) -> str:
    """One line of at most ``limit`` characters, cut at a word boundary."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"


def code_spans(text: str) -> list[tuple[bool, str]]:
    """Split text into (is_code, piece): documented footnotes quote URIs in backticks."""
    pieces = re.split(r"`([^`\n]+)`", text)
    return [(index % 2 == 1, piece) for index, piece in enumerate(pieces) if piece]


class _Footnotes:
    """Markers in reading order; identical texts share one, as in the seed. Measurements and
    claims are counted apart (digits, letters) so a marker alone says which kind it is."""

    def __init__(self) -> None:
        self._measured: dict[str, str] = {}
        self._documented: dict[str, str] = {}

    def measured(self, text: str) -> str:
        return self._measured.setdefault(text, str(len(self._measured) + 1))

    def documented(self, text: str) -> str:
        return self._documented.setdefault(text, _letters(len(self._documented)))

    def all(self) -> tuple[Footnote, ...]:
        return tuple(
            Footnote(marker, text, documented)
            for documented, notes in ((False, self._measured), (True, self._documented))
            for text, marker in notes.items()
        )


def _letters(index: int) -> str:
    """a..z, then aa, ab..."""
    prefix = _letters(index // 26 - 1) if index >= 26 else ""
    return prefix + chr(ord("a") + index % 26)


def _cell(verdict: dict[str, Any] | None, column: int, feature: str, notes: _Footnotes) -> Cell:
    key = verdict["verdict"] if verdict else Verdict.NOT_TESTED.value
    note = mask_text(verdict["note"]) if verdict else "no verdict in the document"
    footnote = None
    if key != Verdict.SUPPORTED or note:  # a supported cell's note says what it was judged on
        footnote = notes.measured(shorten(note or VERDICT_SYMBOLS[key].meaning))
    return Cell(
        symbol=VERDICT_SYMBOLS[key],
        note=note,
        footnote=footnote,
        # Target ids may slug alike; the column number keeps anchors unique.
        anchor=f"ev-{column + 1}-" + re.sub(r"[^a-z0-9]+", "-", feature.lower()).strip("-"),
    )


def _claim(column: DocumentedColumn, feature: str, notes: _Footnotes) -> ClaimCell:
    cell = column.cells.get(feature)
    if cell is None:
        return ClaimCell(NO_CLAIM, ())
    markers = tuple(notes.documented(mask_text(text)) for text in cell.notes)
    return ClaimCell(CLAIM_SYMBOLS[cell.claim], markers)


def _sources(documented: Sequence[DocumentedColumn]) -> tuple[Source, ...]:
    sources: dict[tuple[str, str, str], list[str]] = {}
    for column in documented:
        key = (column.source_title, column.published, column.link)
        sources.setdefault(key, []).append(mask_text(column.title))
    return tuple(
        Source(mask_text(title), mask_text(published), mask_text(mask_uri(link)), tuple(columns))
        for (title, published, link), columns in sources.items()
    )


def _target(
    target: dict[str, Any], document: dict[str, Any], core: levels.LevelConformance | None
) -> TargetView:
    # A merged document keeps each target's own run under "run"; a single run has it on top.
    run = target.get("run") or document
    counts = Counter(v["verdict"] for v in document["verdicts"] if v["target"] == target["id"])
    return TargetView(
        id=mask_text(target["id"]),
        label=mask_text(target["label"]),
        registry_uri=_uri(target["registry_uri"]),
        tracking_uri=_uri(target["tracking_uri"]),
        foreign_tracking_uri=_uri(target.get("foreign_tracking_uri") or ""),
        client=_pairs(target["client"]),
        server=_pairs(target["server"]),
        started=mask_text(run["started"]),
        finished=mask_text(run["finished"]),
        duration=_duration(run["started"], run["finished"]),
        complete=bool(run["complete"]),
        counts=tuple((symbol, counts[key]) for key, symbol in VERDICT_SYMBOLS.items()),
        speed=_speed(target.get("performance")),
        core=Conformance(core.level, core.conforms, mask_text(core.line())) if core else None,
        faults=faults.line(target),
    )


def _speed(performance: dict[str, Any] | None) -> Speed | None:
    if performance is None:
        return None
    operations = sorted(performance.get("operations", []), key=lambda op: -op["total_ms"])
    return Speed(
        requests=int(performance.get("requests", 0)),
        operations=tuple(
            OperationSpeed(
                operation=mask_text(op["operation"]),
                count=int(op["count"]),
                **{key: _ms(op[key]) for key in ("total_ms", "p50_ms", "p95_ms", "max_ms")},
            )
            for op in operations
        ),
        not_measured=mask_text(performance.get("not_measured", "")),
    )


def _ms(value: float) -> str:
    return f"{value:,.1f}"


def _evidence(document: dict[str, Any], rows: list[Row]) -> tuple[tuple[CellEvidence, ...], ...]:
    by_cell: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for scenario in document["scenarios"]:
        for feature in scenario["features"]:
            by_cell.setdefault((scenario["target"], feature), []).append(scenario)
    features = [feature["id"] for feature in document["features"]]
    return tuple(
        tuple(
            CellEvidence(
                cell=row.cells[column],
                row=row,
                scenarios=tuple(_scenario(s) for s in by_cell.get((target["id"], feature), [])),
            )
            for row, feature in zip(rows, features, strict=True)
        )
        for column, target in enumerate(document["targets"])
    )


def _scenario(scenario: dict[str, Any]) -> ScenarioView:
    return ScenarioView(
        nodeid=mask_text(scenario["nodeid"]),
        outcome=scenario["outcome"],
        reason=mask_text(scenario.get("reason", "")),
        duration=f"{scenario['duration_s']:.2f} s",
        evidence=tuple(
            tuple(_field(key, value) for key, value in entry.items())
            for entry in scenario["evidence"]
        ),
    )


def _field(key: str, value: Any) -> EvidenceField:
    if isinstance(value, str):
        text = value
    elif key == "http" and isinstance(value, list) and all(isinstance(e, dict) for e in value):
        text = "\n\n".join(evidence.exchange_text(exchange) for exchange in value)
    else:
        text = json.dumps(value, ensure_ascii=False)
    text = mask_text(text).rstrip()
    return EvidenceField(mask_text(key), text, block="\n" in text)


def _pairs(mapping: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (mask_text(str(key)), mask_text(v if isinstance(v, str) else json.dumps(v)))
        for key, v in mapping.items()
    )


def _uri(uri: str) -> str:
    return mask_text(mask_uri(uri)) if uri else ""


def _duration(started: str, finished: str) -> str:
    try:
        seconds = (timestamps.parse(finished) - timestamps.parse(started)).total_seconds()
    except ValueError:
        return "unknown"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"
