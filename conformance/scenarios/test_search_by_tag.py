"""Seed row 15: search registered models by tag.

Our models carry tag values that contain this run's prefix, so ``=`` and ``LIKE`` on them can
only match ours; ``!=`` may also match other models of a shared registry that carry the same
key, so results are judged on our models only. Tags are set when the models are created (a
prerequisite: registered-model tags are a feature of their own). The scenarios only read, so
they share the four models (``shared_models``: made by the first of them, removed after the
last).
"""

from __future__ import annotations

import pytest

from conformance.scenarios.markers import feature
from conformance.scenarios.searches import names_of, search_all

COLOR, SIZE, SPACED = "rccolor", "rcsize", "rc.team key"

# model role: its tags, as functions of the run's unique value prefix
_MODELS = {
    "red": lambda v: {COLOR: f"{v}red", SPACED: f"{v}core"},
    "blue": lambda v: {COLOR: f"{v}blue", SPACED: f"{v}edge"},
    "untagged": lambda v: {},
    "red-big": lambda v: {COLOR: f"{v}red", SIZE: f"{v}big"},
}

# id: (filter as a function of the value prefix, roles expected)
_FILTERS = {
    "equals": (lambda v: f"tags.{COLOR} = '{v}red'", {"red", "red-big"}),
    "not-equals": (lambda v: f"tags.{COLOR} != '{v}red'", {"blue"}),
    "like": (lambda v: f"tags.{COLOR} LIKE '{v}bl%'", {"blue"}),
    "two-tags-and": (
        lambda v: f"tags.{COLOR} = '{v}red' AND tags.{SIZE} = '{v}big'",
        {"red-big"},
    ),
    "back-quoted-key": (lambda v: f"tags.`{SPACED}` = '{v}core'", {"red"}),
}


@pytest.mark.parametrize("case", list(_FILTERS))
@feature("search.by-tag")
def test_tag_filter_matches_exactly(client, shared_models, probe, conformance_state, case):
    # given four models: red, blue, one without tags, and one red and big
    value_prefix = conformance_state.ledger.prefix  # unique to this run: tag values on it are ours

    def create(by_hint: dict[str, str]) -> None:
        for role in _MODELS:
            tags = _MODELS[role](value_prefix)
            with probe.prerequisite("create_registered_model with tags"):
                client.create_registered_model(by_hint[f"tag-{role}"], tags=tags or None)

    by_hint = shared_models.get("roles", [f"tag-{role}" for role in _MODELS], create)
    minted = {role: by_hint[f"tag-{role}"] for role in _MODELS}
    build, roles = _FILTERS[case]
    filter_string = build(value_prefix)

    # when the registry is searched with the tag filter
    with probe.feature("search_registered_models(tags...)"):
        found = names_of(search_all(client, filter_string))

    # then exactly the expected models of ours match, each once (the untagged one never)
    ours = set(minted.values())
    ours_found = sorted(name for name in found if name in ours)
    expected = sorted(minted[role] for role in roles)
    by_name = {name: role for role, name in minted.items()}
    assert ours_found == expected, (
        f"filter {filter_string} returned our models {[by_name[n] for n in ours_found]}, "
        f"expected exactly {sorted(roles)} (models: {by_name})"
    )
