"""Documented columns: a vendor's published support claims, shown beside measured columns.

They are claims, not measurements: the report marks them so, and they never feed a verdict.
The seed article's four columns ship with the reference backend, in
``reference_backend/seed-azureml-2022.toml``: its Azure ML emulation refuses what the Azure ML
column denies, and the reference backend needs nothing of the suite, so the file is its package
data. The suite reads it as data (``importlib.resources``), importing no code from there.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import resources
from typing import Any

from conformance.catalogue import FEATURES_BY_ID
from conformance.outcomes import DOCUMENTED_CLAIMS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: The package that ships the seed's matrix, and the file.
SEED_PACKAGE, SEED_SOURCE = "reference_backend", "seed-azureml-2022.toml"


@dataclass(frozen=True)
class DocumentedCell:
    claim: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class DocumentedColumn:
    id: str
    title: str
    source_title: str
    published: str
    link: str
    cells: dict[str, DocumentedCell]
    #: The platform the column documents, when it is one of the suite's built-in expectations
    #: (``--expect PLATFORM``) and the reference backend's emulations (``?emulate=PLATFORM``).
    platform: str | None = None


def load() -> list[DocumentedColumn]:
    """The seed article's columns, checked against the catalogue."""
    text = resources.files(SEED_PACKAGE).joinpath(SEED_SOURCE).read_text("utf-8")
    return parse(tomllib.loads(text), SEED_SOURCE)


def parse(data: dict[str, Any], origin: str) -> list[DocumentedColumn]:
    footnotes = {int(key): str(value) for key, value in data.get("footnotes", {}).items()}
    columns = []
    for column in data["columns"]:
        cells = {}
        for feature_id, raw in column["cells"].items():
            where = f"{origin}: column {column['id']!r}, cell {feature_id!r}"
            if feature_id not in FEATURES_BY_ID:
                raise ValueError(f"{where}: no such feature in the catalogue")
            cell = raw if isinstance(raw, dict) else {"claim": raw}
            if cell["claim"] not in DOCUMENTED_CLAIMS:
                raise ValueError(
                    f"{where}: claim must be one of {DOCUMENTED_CLAIMS}, not {cell['claim']!r}"
                )
            unknown = [n for n in cell.get("footnotes", []) if n not in footnotes]
            if unknown:
                raise ValueError(f"{where}: no footnote {unknown[0]}")
            notes = tuple(footnotes[n] for n in cell.get("footnotes", []))
            cells[feature_id] = DocumentedCell(cell["claim"], notes)
        columns.append(
            DocumentedColumn(
                id=column["id"],
                title=column["title"],
                source_title=data["title"],
                published=data["published"],
                link=data["link"],
                cells=cells,
                platform=column.get("platform"),
            )
        )
    return columns
