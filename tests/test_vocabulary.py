"""The one vocabulary (``conformance/outcomes.py``): the JSON schemas, the ranking and the symbols
all say what it says."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest

from conformance import gate
from conformance.catalogue import LEVELS
from conformance.outcomes import (
    BEST_FIRST,
    BROKEN,
    CLAIM_SYMBOLS,
    CLAIMS,
    DOCUMENTED_CLAIMS,
    EXTENTS,
    VERDICT_SYMBOLS,
    Outcome,
    Verdict,
    rank,
)

VERDICTS = {verdict.value for verdict in Verdict}
#: Per schema, every enum it holds (by JSON pointer) and the words it must be.
SCHEMA_ENUMS: dict[str, dict[str, set[str]]] = {
    "results-v1.json": {
        "/properties/verdicts/items/properties/verdict": VERDICTS,
        "/properties/scenarios/items/properties/outcome": {outcome.value for outcome in Outcome},
        "/properties/gate/properties/expectations/properties/default": set(CLAIMS),
        "/properties/gate/properties/checks/items/properties/claim": set(CLAIMS),
        "/properties/gate/properties/checks/items/properties/verdict": VERDICTS,
        "/properties/gate/properties/checks/items/properties/status": {
            s.value for s in gate.Status
        },
        # support levels: the catalogue's
        "/properties/features/items/properties/level": set(LEVELS),
        "/properties/selection/properties/levels/items": set(LEVELS),
        "/properties/gate/properties/expectations/properties/levels/items": set(LEVELS),
        "/properties/gate/properties/conformance/items/properties/level": set(LEVELS),
    },
    "expectations-v1.json": {
        "/properties/default": set(CLAIMS),
        "/properties/features/additionalProperties/properties/claim": set(CLAIMS),
        # where an expectations file's claims come from: no verdict or claim word
        "/properties/about/properties/basis": {"measured", "documented"},
        "/properties/levels/items": set(LEVELS),
    },
}


def _enums(node: Any, pointer: str = "") -> Iterator[tuple[str, list[str]]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "enum":
                yield pointer, value
            else:
                yield from _enums(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _enums(value, f"{pointer}/{index}")


@pytest.mark.parametrize("schema", list(SCHEMA_ENUMS))
def test_every_enum_of_the_schemas_is_the_vocabulary(schema: str):
    stage = "conformance.results" if schema.startswith("results") else "conformance.gate"
    text = resources.files(stage).joinpath("schemas", schema).read_text("utf-8")
    found = dict(_enums(json.loads(text)))
    assert found.keys() == SCHEMA_ENUMS[schema].keys(), "an enum the vocabulary does not name"
    for pointer, words in found.items():
        assert len(words) == len(set(words)), pointer
        assert set(words) == SCHEMA_ENUMS[schema][pointer], pointer


def test_verdicts_rank_best_first_with_no_knowledge_above_a_broken_feature():
    assert sorted(BEST_FIRST) == sorted(Verdict)
    assert [verdict.value for verdict in sorted(Verdict, key=rank, reverse=True)] == [
        "supported",
        "partial",
        "unsupported",
        "not-tested",
        "inconclusive",
        "non-conformant",
    ]
    assert rank("supported") > rank(Verdict.PARTIAL)  # plain words and members alike


def test_claims_are_the_extents_of_a_feature_and_ignored():
    assert [rank(verdict) for verdict in EXTENTS] == sorted(map(rank, EXTENTS), reverse=True)
    assert min(map(rank, EXTENTS)) > rank(Verdict.NOT_TESTED) > max(map(rank, BROKEN))
    assert CLAIMS == ("supported", "partial", "unsupported", "ignored")
    assert set(DOCUMENTED_CLAIMS) < set(CLAIMS)


def test_every_verdict_and_documented_claim_has_one_symbol():
    assert set(VERDICT_SYMBOLS) == VERDICTS
    assert all(key == symbol.key for key, symbol in VERDICT_SYMBOLS.items())
    assert len({symbol.glyph for symbol in VERDICT_SYMBOLS.values()}) == len(Verdict)
    assert tuple(CLAIM_SYMBOLS) == DOCUMENTED_CLAIMS
    for claim, symbol in CLAIM_SYMBOLS.items():
        assert symbol.glyph == VERDICT_SYMBOLS[claim].glyph
