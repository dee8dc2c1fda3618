"""The verdict matrix as plain text, for the end of a pytest run and the CLI."""

from __future__ import annotations

from typing import Any

SYMBOLS = {
    "supported": "✓ supported",
    "partial": "◐ partial",
    "unsupported": "✗ unsupported",
    "non-conformant": "‼ NON-CONFORMANT",
    "inconclusive": "? inconclusive",
    "not-tested": "· not tested",
}


def render(document: dict[str, Any]) -> list[str]:
    """One row per feature in catalogue order, one column per target."""
    targets = [target["id"] for target in document["targets"]]
    cells = {(v["target"], v["feature"]): v["verdict"] for v in document["verdicts"]}
    header = ["#", "feature", *targets]
    rows = [
        [
            str(feature["seed_row"] or ""),
            feature["id"],
            *(SYMBOLS[cells[(target, feature["id"])]] for target in targets),
        ]
        for feature in document["features"]
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    notes = [
        f"  {v['target']} / {v['feature']}: {v['verdict']}: {v['note']}"
        for v in document["verdicts"]
        if v["verdict"] not in ("supported", "not-tested")
    ]
    return lines + (["", "notes:", *notes] if notes else [])
