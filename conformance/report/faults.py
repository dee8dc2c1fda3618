"""The faults a run met on the way to a target (``targets[i].faults``), said in one line: the
report and the terminal show it beside the registry's speed, so that a column of ``error`` cells
reads as what it is (a path that failed, not a registry that answered wrongly)."""

from __future__ import annotations

from typing import Any

from conformance.masking import mask_text

#: Each kind the results document counts, as a reader says it.
LABELS = {
    "server_errors": "5xx answers",
    "connection_errors": "connection errors or resets",
    "timeouts": "timeouts",
    "malformed_bodies": "malformed bodies",
}


def line(target: dict[str, Any], *, named: bool = False) -> str:
    """``"faults seen: 3 5xx answers, 1 timeouts (4 of 812 requests)"`` (``named``: "faults seen
    on <target id>: ..."); ``""`` when none was seen, or none was counted (an in-process target,
    a document older than the count)."""
    faults = target.get("faults") or {}
    seen = [(LABELS[kind], int(faults.get(kind, 0))) for kind in LABELS]
    parts = [f"{count} {label}" for label, count in seen if count]
    if not parts:
        return ""
    requests = (target.get("performance") or {}).get("requests")
    total = sum(count for _, count in seen)
    of = f" ({total} of {requests} requests)" if requests else ""
    on = f" on {target['id']}" if named else ""
    return mask_text(f"faults seen{on}: {', '.join(parts)}{of}")
