"""The HTML report: one self-contained file (inline CSS, no script, no network) rendered with
jinja2 from the report model, with autoescaping on for every value."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from conformance.documented import DocumentedColumn
from conformance.report import model as report_model
from conformance.report import writer
from conformance.results.levels import Selection

if TYPE_CHECKING:
    import jinja2


@functools.cache
def _environment() -> jinja2.Environment:
    """Made on first use: every run imports this module, few write an HTML report."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("conformance.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["code_spans"] = report_model.code_spans
    return environment


def render(
    document: dict[str, Any],
    documented: Sequence[DocumentedColumn] = (),
    selection: Selection | None = None,
) -> str:
    """The report of one (possibly merged) document, its rows limited by ``selection``.
    Deterministic: the same input gives the same bytes, so a committed report can be diffed
    against a regenerated one."""
    report = report_model.build(document, documented, selection)
    return _environment().get_template("report.html.j2").render(report=report)


write = writer(render)
