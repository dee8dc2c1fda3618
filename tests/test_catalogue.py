"""The catalogue's shape, and its version following its content."""

from __future__ import annotations

import hashlib
import json

import pytest

from conformance.catalogue import CATALOGUE_VERSION, FEATURES, Feature, validate_catalogue

# The digest of (id, seed_row) per catalogue version: a change of the rows without a new
# version would let documents whose rows mean different things merge into one matrix.
KNOWN_CATALOGUES = {
    "1": "fe647392e77073ac",
    # search.name-in: `name IN (...)` left seed row 13 (search.by-name) for a feature of its own
    "2": "12429f6316e1ecc4",
    # the registry API of 2026 beyond the seed (issue 13): 21 features with support levels
    "3": "fe5d0948821c09a9",
    # webhooks, workspaces and the wire (issue 13): 8 features
    "4": "471fb7fb58c390bc",
}


def _digest(features: tuple[Feature, ...]) -> str:
    rows = [[feature.id, feature.seed_row] for feature in features]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16]


def test_the_shipped_catalogue_is_valid():
    validate_catalogue()


def test_catalogue_version_changes_with_its_rows():
    assert KNOWN_CATALOGUES.get(CATALOGUE_VERSION) == _digest(FEATURES), (
        "the catalogue's rows changed: bump CATALOGUE_VERSION and record "
        f"{{{CATALOGUE_VERSION!r}: {_digest(FEATURES)!r}}} here"
    )


@pytest.mark.parametrize(
    ("features", "complaint"),
    [
        ((FEATURES[0], FEATURES[0]), "duplicate"),
        ((Feature("Bad_Id", "t", "s", "core", seed_row=1),), "kebab-case"),
        ((Feature("a.b", "t", "s", "optional", seed_row=1),), "level 'optional' is not in"),
        ((FEATURES[1],), "seed rows"),
    ],
)
def test_a_malformed_catalogue_is_refused(features, complaint):
    with pytest.raises(ValueError, match=complaint):
        validate_catalogue(features)


def test_the_seed_rows_come_first_and_every_level_is_used():
    seeded = [feature for feature in FEATURES if feature.seed_row is not None]
    assert FEATURES[: len(seeded)] == tuple(seeded)
    assert {feature.level for feature in FEATURES} == {"core", "extended"}
    # Stages are deprecated since MLflow 2.9: no registry must offer them.
    assert {feature.id: feature.level for feature in FEATURES}["stages"] == "extended"
