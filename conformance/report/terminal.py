"""Plain text for the terminal: the verdict matrix (end of a pytest run, ``report``) and the
catalogue listing (``--list-features``, ``features``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conformance.catalogue import FEATURES
from conformance.documented import DocumentedColumn
from conformance.report import model as report_model
from conformance.results.levels import Selection

#: How the first line of the matrix of a run that was cut short begins.
INCOMPLETE_MARK = "INCOMPLETE"


def render(
    document: dict[str, Any],
    documented: Sequence[DocumentedColumn] = (),
    selection: Selection | None = None,
    conformance: bool = True,
) -> list[str]:
    """One row per feature in catalogue order (its seed row, id and, when the document records
    it, level), one column per target, then documented columns (headed "doc:"), then whether
    each target conforms to core, then the footnotes; first, when the run was cut short, a line
    saying so. ``selection`` limits the rows (``report --level``, ``--seed-rows``);
    ``conformance=False`` leaves the conformance lines to the caller (the run colours them)."""
    report = report_model.build(document, documented, selection)
    level = ["level"] if report.shows_levels else []
    header = [
        "#",
        "feature",
        *level,
        # A pivot's columns are one target's clients: their labels ("client 3.1.4") say which.
        *(target.label if report.pivot else target.id for target in report.targets),
        *(f"doc: {column.title}" for column in report.columns),
    ]
    rows = [
        [
            str(row.seed_row or ""),
            row.feature,
            *([row.level] if level else []),
            *(_mark(f"{c.symbol.glyph} {c.symbol.label}", c.footnote) for c in row.cells),
            *(_mark(c.symbol.glyph, *c.footnotes) for c in row.claims),
        ]
        for row in report.rows
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    notes = [f"  [{note.marker}] {note.text}" for note in report.footnotes]
    if report.columns:
        notes += [
            f"  doc: {', '.join(source.columns)}: claims of {source.title!r} "
            f"({source.published}, {source.link}), not measured"
            for source in report.sources
        ]
    banner = [incomplete_banner(document, report.cut_short), ""] if not report.complete else []
    if report.pivot:
        banner.append(f"columns: the MLflow clients {report.pivot} was measured through")
    if report.limited_to:
        banner.append(f"rows limited to {report.limited_to}")
    core = [f"{target.id} {target.core.text}" for target in report.targets if target.core]
    core = ["", *core] if core and conformance else []
    return banner + lines + core + (["", "notes:", *notes] if notes else [])


def incomplete_banner(document: dict[str, Any], labels: Sequence[str]) -> str:
    """The line that says a matrix is not a full measurement (and why, when the run said)."""
    why = f" ({document['cut_short']})" if document.get("cut_short") else ""
    runs = f"the run of {', '.join(labels)}" if labels else "the run"
    return (
        f"{INCOMPLETE_MARK}{why}: {runs} was cut short; the cells show only the scenarios "
        "that ran before it stopped, not a full measurement"
    )


def feature_listing(selection: Selection | None = None) -> list[str]:
    """The catalogue (or the features ``selection`` selects): seed row, id, level, the marker
    that selects it, title."""
    return [
        f"{feature.seed_row or '':>2}  {feature.id:<28} {feature.level:<8}  "
        f"-m {feature.marker:<34} {feature.title}"
        for feature in FEATURES
        if selection is None or selection.selects_feature(feature)
    ]


def _mark(text: str, *markers: str | None) -> str:
    shown = [marker for marker in markers if marker]
    return f"{text} [{','.join(shown)}]" if shown else text
