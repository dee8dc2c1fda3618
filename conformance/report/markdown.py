"""The matrix as GitHub-flavoured Markdown, for READMEs and CI step summaries.

Every value from the document is escaped as literal text (no markup, links or HTML of its own
reaches the page); only the renderer's own ``<sup>`` markers and links are markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from conformance.documented import DocumentedColumn
from conformance.report import model as report_model
from conformance.report import writer
from conformance.results.levels import Selection

# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that can start
# markup inline or end a table cell.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~!#])")
_PLAIN_LINK = re.compile(r"https?://[^\s()<>\[\]]+")


def render(
    document: dict[str, Any],
    documented: Sequence[DocumentedColumn] = (),
    selection: Selection | None = None,
) -> str:
    """Matrix (with each feature's level, when the document records it), legend, numbered
    footnotes, documented source and one line per target; ``selection`` limits the rows."""
    report = report_model.build(document, documented, selection)
    level = ["Level"] if report.shows_levels else []
    header = [
        "#",
        "Feature",
        *level,
        *(_text(target.label) for target in report.targets),
        *(f"*{_text(column.title)}* (documented)" for column in report.columns),
    ]
    align = ["-:", ":-", *([":-"] if level else []), *[":-:"] * (len(header) - 2 - len(level))]
    lines = [*_incomplete(report), "### Registry conformance", ""]
    if report.pivot:
        lines += [f"Columns: the MLflow clients {_text(report.pivot)} was measured through.", ""]
    if report.limited_to:
        lines += [f"Rows limited to {_text(report.limited_to)}.", ""]
    lines += [_row(header), _row(align)]
    for row in report.rows:
        cells = [_mark(f"{c.symbol.glyph} {c.symbol.label}", c.footnote) for c in row.cells] + [
            _mark(c.symbol.glyph, *c.footnotes) for c in row.claims
        ]
        levels = [_text(row.level_title)] if level else []
        lines.append(_row([str(row.seed_row or ""), _text(row.title), *levels, *cells]))
    lines += [
        "",
        f"Measured: {_legend(report.legend)}. A cell is the worst outcome among its scenarios.",
    ]
    for source in report.sources:
        claims = _legend(report.claim_legend)
        lines += [
            "",
            f"Documented ({claims}): claims transcribed from {_link(source.title, source.link)}, "
            f"published {_text(source.published)}; not measured by this suite.",
        ]
    for documented_notes, title in ((False, "Notes"), (True, "Notes of the documentation")):
        notes = [note for note in report.footnotes if note.documented is documented_notes]
        if notes:
            lines += ["", f"**{title}**", ""]
            lines += [f"- <sup>{note.marker}</sup> {_with_code(note.text)}" for note in notes]
    lines += ["", "**Targets**", ""]
    for target in report.targets:
        counts = ", ".join(f"{count} {symbol.label}" for symbol, count in target.counts if count)
        client = ", ".join(f"{key} {value}" for key, value in target.client)
        complete = "" if target.complete else ", **cut short**"
        core = f"; {_text(target.core.text)}" if target.core else ""
        lines.append(
            f"- {_text(target.label)} ({_text(target.id)}): {_text(counts)}; "
            f"client {_text(client or 'unknown')}; {_text(target.duration)}{complete}{core}"
        )
    for target in report.targets:
        lines += _speed(target)
        if target.faults:
            lines += ["", f"{_text(target.label)}: {_text(target.faults)}"]
    return "\n".join(lines) + "\n"


write = writer(render)


def _incomplete(report: report_model.Report) -> list[str]:
    """The warning a cut-short run leads with (and a blank line), or nothing."""
    if report.complete:
        return []
    return [f"> **⚠ {_text(report.incomplete_note)}.**", ""]


def _speed(target: report_model.TargetView) -> list[str]:
    """The target's speed table (slowest total first), a line when it was not measured, or
    nothing when the document does not say."""
    speed = target.speed
    if speed is None:
        return []
    title = f"**Registry speed: {_text(target.label)}**"
    if speed.not_measured:
        return ["", f"{title}: not measured ({_text(speed.not_measured)})"]
    lines = ["", f"{title} ({speed.requests} requests)", ""]
    lines += [
        _row(["Operation", "Count", "Total ms", "p50 ms", "p95 ms", "max ms"]),
        _row([":-", *["-:"] * 5]),
    ]
    for op in speed.operations:
        lines.append(
            _row([_text(op.operation), str(op.count), op.total_ms, op.p50_ms, op.p95_ms, op.max_ms])
        )
    return lines


def _legend(symbols: Sequence[report_model.Symbol]) -> str:
    """Symbol then word, separated by a mark that is no symbol (not-tested's glyph is "·")."""
    return ", ".join(f"{symbol.glyph} {symbol.label}" for symbol in symbols)


def _text(text: str) -> str:
    """Literal text on one line: markup, HTML and cell separators escaped."""
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _with_code(text: str) -> str:
    """Literal text, keeping the source's own `code` spans (their content is never markup)."""
    pieces = report_model.code_spans(" ".join(text.split()))
    return "".join(
        "`" + piece.replace("|", r"\|") + "`" if is_code else _SPECIAL.sub(r"\\\1", piece)
        for is_code, piece in pieces
    )


def _link(title: str, link: str) -> str:
    if _PLAIN_LINK.fullmatch(link):
        return f"[{_text(title)}]({link})"
    return f"{_text(title)} ({_text(link)})"


def _mark(text: str, *markers: str | None) -> str:
    return text + "".join(f"<sup>{marker}</sup>" for marker in markers if marker)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"
