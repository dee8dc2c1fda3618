"""From the committed results documents to what people read: ``index.html``, ``matrix.md`` and the
generated regions of ``README.md`` (the rest of the README is written by hand).

Used by ``reports.regenerate`` after a run, and by the CI test that checks nothing is stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conformance import cli
from reports.columns import COLUMNS, Column

REPORTS = Path(__file__).resolve().parent
RESULTS = REPORTS / "results"
INDEX_HTML = REPORTS / "index.html"
MATRIX_MD = REPORTS / "matrix.md"
README = REPORTS / "README.md"
REGENERATE = "python -m reports.regenerate"


def result_path(column: Column) -> Path:
    return RESULTS / f"{column.id}.json"


def measured() -> list[tuple[Column, dict[str, Any]]]:
    """The columns that have a results document, in report order, with their documents."""
    return [
        (column, json.loads(result_path(column).read_text("utf-8")))
        for column in COLUMNS
        if result_path(column).exists()
    ]


def render(documents: list[Path], md: Path, html: Path | None = None) -> None:
    """Run ``registry-conformance report`` on the documents (columns in the given order), with
    the seed article's documented columns beside them: the published report compares both."""
    args = ["report", *map(str, documents), "--documented", "--md", str(md)]
    if html is not None:
        args += ["--html", str(html)]
    status = cli.main(args)
    if status != 0:
        raise RuntimeError(f"registry-conformance {' '.join(args)} exited {status}")


def columns_table(columns: list[tuple[Column, dict[str, Any]]]) -> str:
    """Markdown: one line per column, what it is and the versions it ran with."""
    documents = dict((column.id, document) for column, document in columns)
    lines = [
        "| column | what it is | target | MLflow client | server |",
        "|---|---|---|---|---|",
    ]
    for column in COLUMNS:
        document = documents.get(column.id)
        if document is None:
            lines.append(f"| {column.label} | {column.what} | not measured | | |")
            continue
        [target] = document["targets"]
        lines.append(
            f"| {column.label} | {column.what} | `{target['registry_uri']}` "
            f"| {target['client'].get('mlflow', '?')} | {_server_versions(target['server'])} |"
        )
    return "\n".join(lines)


def _server_versions(server: dict[str, Any]) -> str:
    parts = []
    if "mlflow" in server:
        parts.append(f"MLflow {server['mlflow']}")
    if "database" in server:
        parts.append(f"{server['database']} via {server['database_driver']}")
    if "backend_store" in server:
        parts.append(f"store `{server['backend_store']}`")
    return "; ".join(parts) or "in-process"


def region(text: str, name: str) -> str:
    """The content between ``<!-- name:start -->`` and ``<!-- name:end -->``."""
    start, end = _markers(text, name)
    return text[text.index(start) + len(start) : text.index(end)].strip("\n")


def splice(text: str, name: str, content: str) -> str:
    """``text`` with the region ``name`` replaced by ``content``."""
    start, end = _markers(text, name)
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{content.strip(chr(10))}\n{end}{tail}"


def _markers(text: str, name: str) -> tuple[str, str]:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in text or end not in text:
        raise ValueError(f"{README}: markers {start} ... {end} are missing")
    return start, end


def publish() -> None:
    """Render the report from the committed documents and refresh the README's regions."""
    columns = measured()
    render([result_path(column) for column, _ in columns], MATRIX_MD, INDEX_HTML)
    text = README.read_text("utf-8")
    text = splice(text, "columns", columns_table(columns))
    text = splice(text, "matrix", MATRIX_MD.read_text("utf-8"))
    README.write_text(text, "utf-8")
