"""Columns per MLflow client: one target measured through several client versions is one column
per client, whose id and label name the client; a pivot shows one target's clients side by side.

Every target records the MLflow client it was measured with (``targets[].client.mlflow``). A
column named by its client also records the target it measured (``base``), so a pivot can find
the columns of one target again, and documents written before clients were named still merge,
compare and render as they were.
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any

from conformance.masking import mask_text


class PivotError(ValueError):
    """No column of the target asked for, with a message fit for the command line."""


def client_version(target: dict[str, Any]) -> str:
    """The MLflow client version a column was measured with ("" when the document lacks it)."""
    return str(target.get("client", {}).get("mlflow", ""))


def base_id(target: dict[str, Any]) -> str:
    """The id of the target a column measured, whatever client it measured it through."""
    return str(target.get("base", {}).get("id", target["id"]))


def clashing(documents: Sequence[dict[str, Any]]) -> set[str]:
    """Ids of targets the documents measured through more than one client version."""
    versions: dict[str, set[str]] = defaultdict(set)
    for document in documents:
        for target in document["targets"]:
            if "base" not in target:
                versions[target["id"]].add(client_version(target))
    return {target_id for target_id, seen in versions.items() if len(seen) > 1}


def name_by_client(document: dict[str, Any], ids: Collection[str] | None = None) -> dict[str, Any]:
    """A copy of ``document`` whose columns (those of ``ids``, else all) carry their client version:
    id ``ID-client-3-1-4``, label ``LABEL · client 3.1.4``, ``base`` the target's own id and label.
    Columns already named by their client, or that record no client, stay as they are."""
    named = copy.deepcopy(document)
    renamed: dict[str, str] = {}
    for target in named["targets"]:
        version = client_version(target)
        if "base" in target or not version or (ids is not None and target["id"] not in ids):
            continue
        base = {"id": target["id"], "label": target["label"]}
        slug = re.sub(r"[^a-z0-9]+", "-", version.lower()).strip("-")
        target.update(
            id=f"{base['id']}-client-{slug}", label=f"{base['label']} · client {version}", base=base
        )
        renamed[base["id"]] = target["id"]
    gate = named.get("gate", {})
    for item in (
        *named["verdicts"],
        *named["scenarios"],
        *gate.get("checks", []),
        *gate.get("conformance", []),
    ):
        item["target"] = renamed.get(item["target"], item["target"])
    return named


def pivot(document: dict[str, Any], target_id: str) -> dict[str, Any]:
    """A copy of ``document`` with only the columns of one target, each labelled by its client
    (``client 3.1.4``): rows are features, columns client versions. Raises :class:`PivotError`
    when no column measured ``target_id``."""
    columns = [target for target in document["targets"] if base_id(target) == target_id]
    if not columns:
        known = ", ".join(dict.fromkeys(base_id(target) for target in document["targets"]))
        raise PivotError(
            f"--pivot {mask_text(target_id)!r}: no such target in the document "
            f"(its targets: {mask_text(known) or 'none'})"
        )
    kept = {target["id"] for target in columns}
    pivoted = copy.deepcopy(document)
    pivoted["targets"] = [
        {**target, "label": f"client {client_version(target) or 'unknown'}"}
        for target in copy.deepcopy(columns)
    ]
    pivoted["verdicts"] = [v for v in pivoted["verdicts"] if v["target"] in kept]
    pivoted["scenarios"] = [s for s in pivoted["scenarios"] if s["target"] in kept]
    first = columns[0].get("base", columns[0])
    pivoted["pivot"] = {"target": target_id, "label": first["label"]}
    pivoted.pop("gate", None)  # its checks judged the other columns too
    return pivoted
