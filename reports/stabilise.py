"""Post-processing of a column's results document, so that regenerations differ where verdicts do.

The suite names the target as the column (``--target-label``), but its document quotes random
ports, temporary paths, random ids and object addresses. This step, documented in
reports/README.md, masks exactly those:

- in every string, volatile values become placeholders (see :func:`volatile_values`);
- verdict notes are made again from the masked scenario reasons with the suite's own
  ``results.verdicts``: they list reasons sorted, and unmasked random ids decided that order.

The result is validated against the results schema before anyone writes it.
"""

from __future__ import annotations

import re
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from conformance import results
from conformance.outcomes import Outcome

REPO = Path(__file__).resolve().parent.parent

#: Values that are random on every run whatever the scratch folder: MLflow run and logged-model
#: ids (also URL-encoded after a ``/``), Python object addresses, namespaces the suite minted,
#: the times MLflow stamps (epoch milliseconds, 2017-2033) and the run names it makes up
#: (``debonair-snipe-718``) in the answers quoted as evidence, and the random part of names made
#: by ``tempfile``.
_RANDOM = (
    (re.compile(r"(?:\b|(?<=%2F))[0-9a-f]{32}\b"), "<id>"),
    (re.compile(r"\b1[5-9]\d{11}\b"), "<epoch-ms>"),
    (
        re.compile(r'((?:run_name|runName)\\?"(?:,\s*\\?"value\\?")?:\s*\\?")[a-z]+-[a-z]+-\d+'),
        r"\1<run-name>",
    ),
    # the webhook receiver the delivery scenarios start (scenarios/webhooks.py): a free port and
    # a random path, in the refusal quoted when a registry will not call it
    (re.compile(r"(http://127\.0\.0\.1:)\d+/[0-9a-f]{8}\b"), r"\1<port>/<receiver>"),
    (re.compile(r"\bat 0x[0-9a-f]+\b"), "at 0x<addr>"),
    (re.compile(r"\b0x[0-9a-f]{9,}\b"), "0x<addr>"),  # where a cut traceback starts mid-"at"
    # the tail of an id that pytest shortened (an ellipsis inside it)
    (re.compile(r"(?<=\.\.\.)[0-9a-f]{6,31}\b"), "<id>"),
    # a namespace the suite minted (conformance.namespaces.new_namespace): the client-skew runs';
    # also URL-encoded (``%27rc...``) and where pytest shortened it (an ellipsis inside it)
    (re.compile(r"rc\d{12}[0-9a-f]{6}(?![0-9a-f])"), "<namespace>"),
    (re.compile(r"rc\d{2,12}[0-9a-f]{0,5}\.\.\."), "<namespace>..."),
    (re.compile(r"(<tmp>/tmp/[\w.-]*?)[a-z0-9_]{8}(?=[/'\"\s]|$)"), r"\1<random>"),
    # the scratch folder in a message pytest shortened in its middle (an ellipsis inside the
    # folder's name), which the literal folder no longer matches
    (re.compile(rf"{re.escape(tempfile.gettempdir())}/[^/\s'\"]*\.\.\.[^/\s'\"]*"), "<tmp>"),
)


def volatile_values(workdir: Path, masks: dict[str, str]) -> dict[str, str]:
    """The literal values to replace: the column's own (ports, database names, its clients'
    environments), its scratch folder, and the folders of this checkout and of Python (CI clones
    elsewhere)."""
    paths = sysconfig.get_paths()
    return {
        **masks,
        str(workdir): "<tmp>",
        paths["purelib"]: "<site-packages>",
        paths["stdlib"]: "<stdlib>",
        str(REPO): "<repo>",
    }


def stabilise(document: dict[str, Any], volatile: dict[str, str]) -> dict[str, Any]:
    """The document of a column's run (one target, or one per client), as the report publishes
    it."""
    stable = _mask(document, sorted(volatile.items(), key=lambda item: -len(item[0])))
    stable["verdicts"] = _renoted(stable)
    results.validate(stable)
    return stable


def _renoted(document: dict[str, Any]) -> list[dict[str, Any]]:
    records = [
        results.ScenarioRecord(
            target=scenario["target"],
            features=scenario["features"],
            nodeid=scenario["nodeid"],
            outcome=Outcome(scenario["outcome"]),
            reason=scenario.get("reason", ""),
        )
        for scenario in document["scenarios"]
    ]
    made = {
        (v["target"], v["feature"]): v
        for v in results.verdicts([t["id"] for t in document["targets"]], records)
    }
    old = {(v["target"], v["feature"]): v["verdict"] for v in document["verdicts"]}
    if {cell: v["verdict"] for cell, v in made.items()} != old:
        raise ValueError("verdicts made again from the scenarios differ")
    return [made[cell] for cell in old]


def _mask(value: Any, literals: list[tuple[str, str]]) -> Any:
    if isinstance(value, dict):
        return {key: _mask(item, literals) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask(item, literals) for item in value]
    if not isinstance(value, str):
        return value
    for literal, placeholder in literals:
        value = value.replace(literal, placeholder)
    for pattern, replacement in _RANDOM:
        value = pattern.sub(replacement, value)
    return value
