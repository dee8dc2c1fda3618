"""Seed row 14: search registered models with LIKE (case-sensitive) and ILIKE (case-insensitive).

Minted names read ``<prefix><counter>-<hint>`` (the ledger's); the counter differs from name to
name, so every pattern starts with this run's prefix (or that prefix in swapped case), skips the
counter with ``%`` and then tests ``%``, ``_`` and case on the hints.
Only models of this run can match such a pattern, and results are judged on the four models
the scenarios search: earlier scenarios of the run may have left models with the same hints
behind (on a registry that refuses to delete them). The scenarios only read, so they share the
four models (``shared_models``: made by the first of them, removed after the last).
"""

from __future__ import annotations

import pytest

from conformance.scenarios.markers import feature
from conformance.scenarios.searches import names_of, search_all

HINTS = ("Alpha", "alpha", "alphA2", "beta")

# id: (comparator, pattern after the prefix, hints expected); "{PREFIX}" in a pattern stands
# for the prefix in swapped case (so the pattern starts with it instead of the prefix).
_PATTERNS = {
    "like-is-case-sensitive": ("LIKE", "%-Alpha", {"Alpha"}),
    "like-lower-case": ("LIKE", "%-alpha", {"alpha"}),
    "like-percent-matches-any-run": ("LIKE", "%-alph%", {"alpha", "alphA2"}),
    "like-underscore-matches-one": ("LIKE", "%-alph_", {"alpha"}),
    "like-two-underscores": ("LIKE", "%-alph__", {"alphA2"}),
    "like-prefix-in-other-case": ("LIKE", "{PREFIX}%", set()),
    "ilike-ignores-case": ("ILIKE", "%-ALPHA", {"Alpha", "alpha"}),
    "ilike-percent": ("ILIKE", "%-alpha%", {"Alpha", "alpha", "alphA2"}),
    "ilike-underscore": ("ILIKE", "%-ALPH_", {"Alpha", "alpha"}),
    "ilike-prefix-in-other-case": ("ILIKE", "{PREFIX}%-BETA", {"beta"}),
}


@pytest.mark.parametrize("case", list(_PATTERNS))
@feature("search.like-ilike")
def test_pattern_matches_exactly(client, shared_models, probe, conformance_state, case):
    # given four models whose hints differ in case and in one character
    def create(minted: dict[str, str]) -> None:
        for name in minted.values():
            with probe.prerequisite("create_registered_model"):
                client.create_registered_model(name)

    minted = shared_models.get("hints", HINTS, create)
    prefix = conformance_state.ledger.prefix
    comparator, tail, hints = _PATTERNS[case]
    if tail.startswith("{PREFIX}"):
        pattern = prefix.swapcase() + tail.removeprefix("{PREFIX}")
    else:
        pattern = prefix + tail
    filter_string = f"name {comparator} '{pattern}'"

    # when the registry is searched with that pattern
    with probe.feature(f"search_registered_models(name {comparator} ...)"):
        found = names_of(search_all(client, filter_string))

    # then exactly the expected models of the four match, each once
    ours = set(minted.values())
    ours_found = sorted(name for name in found if name in ours)
    expected = sorted(minted[hint] for hint in hints)
    assert ours_found == expected, (
        f"filter {filter_string} returned {ours_found} among the models searched "
        f"{sorted(ours)}, expected exactly {expected}"
    )
