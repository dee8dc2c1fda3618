"""Plain text for the terminal: the verdict matrix (end of a pytest run, ``report``) and the
catalogue listing (``--list-features``, ``features``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from conformance import report_model
from conformance.catalogue import FEATURES
from conformance.documented import DocumentedColumn


def render(document: dict[str, Any], documented: Sequence[DocumentedColumn] = ()) -> list[str]:
    """One row per feature in catalogue order, one column per target, then documented columns
    (headed "doc:"), then the footnotes."""
    report = report_model.build(document, documented)
    header = [
        "#",
        "feature",
        *(target.id for target in report.targets),
        *(f"doc: {column.title}" for column in report.columns),
    ]
    rows = [
        [
            str(row.seed_row or ""),
            row.feature,
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
    return lines + (["", "notes:", *notes] if notes else [])


def feature_listing() -> list[str]:
    """The catalogue: seed row, id, the marker that selects it, title."""
    return [
        f"{feature.seed_row or '':>2}  {feature.id:<28} -m {feature.marker:<34} {feature.title}"
        for feature in FEATURES
    ]


def _mark(text: str, *markers: str | None) -> str:
    shown = [marker for marker in markers if marker]
    return f"{text} [{','.join(shown)}]" if shown else text
