"""Several results documents into one multi-target matrix (DESIGN.md, "Scale": one CI job per
target, one report for all of them)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from conformance import results, timestamps
from conformance.masking import mask_text
from conformance.results import clients
from conformance.results import files as results_file


class MergeError(ValueError):
    """Documents that cannot be one matrix, with a message fit for the command line."""


def merge(documents: Sequence[dict[str, Any]], sources: Sequence[str] = ()) -> dict[str, Any]:
    """One document with every target of ``documents``, in order.

    ``sources`` name the documents (file names) in messages. Documents of different catalogue
    versions are refused: their rows would not mean the same. Target ids that collide get a
    suffix; a target measured through several MLflow client versions is one column per client,
    each named by its client (:func:`clients.name_by_client`). Each target keeps its own run
    (``run``: started, finished, complete, suite version, source, its ``selection``); the merged
    run spans them all and is complete only if every one was. A feature's level is the one any
    document records (older documents record none). Leftovers are concatenated; other top-level
    keys describe one run (namespace, gate) and are dropped.
    """
    if not documents:
        raise MergeError("nothing to merge: no results document given")
    names = list(sources) or [f"document {n}" for n in range(1, len(documents) + 1)]
    for name, document in zip(names, documents, strict=True):
        try:
            results_file.check(document, name)
        except results_file.ResultsFileError as exc:
            raise MergeError(str(exc)) from None
    first = documents[0]
    for name, document in zip(names[1:], documents[1:], strict=True):
        if document["suite"]["catalogue"] != first["suite"]["catalogue"]:
            raise MergeError(
                f"cannot merge {names[0]} (catalogue {first['suite']['catalogue']}) with {name} "
                f"(catalogue {document['suite']['catalogue']}): the feature rows differ; "
                "re-run both with the same suite version"
            )
    clash = clients.clashing(documents)
    if clash:
        documents = [clients.name_by_client(document, clash) for document in documents]
    taken: set[str] = set()
    targets, verdicts, scenarios, leftovers = [], [], [], []
    for name, document in zip(names, documents, strict=True):
        renamed = {}
        for target in document["targets"]:
            new_id = _unique(target["id"], taken)
            renamed[target["id"]] = new_id
            targets.append(
                {**copy.deepcopy(target), "id": new_id, "run": _run(target, document, name)}
            )
        verdicts += _retarget(document["verdicts"], renamed, name)
        scenarios += _retarget(document["scenarios"], renamed, name)
        leftovers += copy.deepcopy(document.get("leftovers", []))
    versions = sorted({d["suite"]["version"] for d in documents})
    merged = {
        "schema": results.SCHEMA_ID,
        "suite": {"version": ", ".join(versions), "catalogue": first["suite"]["catalogue"]},
        "started": min((d["started"] for d in documents), key=timestamps.parse),
        "finished": max((d["finished"] for d in documents), key=timestamps.parse),
        "complete": all(d["complete"] for d in documents),
        "targets": targets,
        "features": _features(documents, names),
        "verdicts": verdicts,
        "scenarios": scenarios,
        "leftovers": leftovers,
    }
    results.validate(merged)
    return merged


def _run(target: dict[str, Any], document: dict[str, Any], source: str) -> dict[str, Any]:
    """The target's own run: kept from an earlier merge, else the document's."""
    if "run" in target:
        return copy.deepcopy(target["run"])
    return {
        "source": source,
        "suite": document["suite"]["version"],
        "started": document["started"],
        "finished": document["finished"],
        "complete": document["complete"],
        **({"selection": copy.deepcopy(document["selection"])} if "selection" in document else {}),
    }


def _features(documents: Sequence[dict[str, Any]], names: Sequence[str]) -> list[dict[str, Any]]:
    """The first document's features, each with the level some document records for it (older
    documents record none); documents that give one feature different levels are refused."""
    levels: dict[str, tuple[str, str]] = {}
    for name, document in zip(names, documents, strict=True):
        for feature in document["features"]:
            level = feature.get("level")
            if level is None:
                continue
            seen = levels.setdefault(feature["id"], (level, name))
            if seen[0] != level:
                raise MergeError(
                    f"cannot merge {seen[1]} ({feature['id']} {seen[0]}) with {name} "
                    f"({feature['id']} {level}): the features' support levels differ"
                )
    features = copy.deepcopy(documents[0]["features"])
    for feature in features:
        if feature["id"] in levels:
            feature["level"] = levels[feature["id"]][0]
    return features


def _retarget(
    items: list[dict[str, Any]], renamed: dict[str, str], source: str
) -> list[dict[str, Any]]:
    """Copies of a document's verdicts or scenarios under their target's merged id."""
    unknown = sorted({item["target"] for item in items} - renamed.keys())
    if unknown:
        raise MergeError(f"{source} is not a results document: no target {mask_text(unknown[0])!r}")
    return [{**copy.deepcopy(item), "target": renamed[item["target"]]} for item in items]


def _unique(target_id: str, taken: set[str]) -> str:
    candidate, n = target_id, 2
    while candidate in taken:
        candidate, n = f"{target_id}-{n}", n + 1
    taken.add(candidate)
    return candidate
