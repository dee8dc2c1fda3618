"""The files a run writes: checked before the first scenario, written at the end, each confirmed
in one line (a report that cannot be written must not cost a whole run to find out)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conformance import results
from conformance.documented import DocumentedColumn
from conformance.report import html as report_html
from conformance.report import markdown as report_markdown


@dataclass(frozen=True)
class Output:
    dest: str
    flag: str
    what: str
    #: None for what pytest writes itself (JUnit XML): checked here, written and confirmed there
    write: Callable[[dict[str, Any], Path, Sequence[DocumentedColumn]], None] | None


OUTPUTS = (
    Output(
        "results_json", "--results-json", "results document", lambda d, p, _: results.write(d, p)
    ),
    Output("report_html", "--report-html", "HTML report", report_html.write),
    Output("report_md", "--report-md", "Markdown matrix", report_markdown.write),
    Output("xmlpath", "--junitxml", "JUnit XML", None),
)


def check_writable(config: pytest.Config) -> None:
    """A usage error, before anything runs, for an output path that cannot be written."""
    for output in OUTPUTS:
        value = config.getoption(output.dest, None)
        if not value:
            continue
        problem = _problem(config.invocation_params.dir / value)
        if problem:
            raise pytest.UsageError(
                f"{output.flag} {value}: cannot write the {output.what} there: {problem}"
            )


def _problem(path: Path) -> str | None:
    if path.is_dir():
        return "it is a folder"
    if path.exists():
        return None if os.access(path, os.W_OK) else "the file is not writable"
    folder = path.parent
    while not folder.exists():  # the writers create missing folders
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is a file, not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the folder {folder} is not writable"
    return None


def write_all(
    config: pytest.Config, document: dict[str, Any], columns: Sequence[DocumentedColumn]
) -> list[tuple[bool, str]]:
    """Write every requested output; per output, (written, the line that says so)."""
    lines = []
    for output in OUTPUTS:
        value = config.getoption(output.dest, None)
        if not value or output.write is None:
            continue
        try:
            output.write(document, Path(value), columns)
        except OSError as exc:
            lines.append(
                (False, f"could not write the {output.what} to {value}: {exc.strerror or exc}")
            )
        else:
            lines.append((True, f"wrote the {output.what}: {value}"))
    return lines
