"""Seed row 13: search registered models by their exact name (``name = '...'``).

Names are unique in a registry, and ours carry the run's unique prefix, so the whole result of
an exact-name filter can be judged, not only our part of it. ``name IN (...)``, which MLflow
does not document for registered models, is the extended feature ``search.name-in``
(``test_search_name_in.py``): this row is about the exact name only.
"""

from __future__ import annotations

import pytest

from conformance.scenarios.markers import feature
from conformance.scenarios.searches import NEAR_MISS_KINDS, names_of, near_misses, search_all


@feature("search.by-name")
def test_name_equals_returns_exactly_that_model(client, names, probe):
    # given the model we look for and two more of ours, one named like it plus a suffix
    wanted, longer, other = names("exact"), names("exact-longer"), names("other")
    for name in (wanted, longer, other):
        with probe.prerequisite("create_registered_model"):
            client.create_registered_model(name)

    # when the registry is searched for that name
    with probe.feature("search_registered_models(name = ...)"):
        found = names_of(search_all(client, f"name = '{wanted}'"))

    # then exactly that model comes back, once
    assert found == [wanted], f"filter name = '{wanted}' returned {found}, expected [{wanted!r}]"


@pytest.mark.parametrize("near_miss", NEAR_MISS_KINDS)
@feature("search.by-name")
def test_name_equals_is_exact_and_case_sensitive(client, shared_models, probe, near_miss):
    # given a model (the near misses only read it: they share it), and a name that differs from
    # its name by case, by a cut, or by a suffix
    hint = "NearMiss"

    def create(minted: dict[str, str]) -> None:
        with probe.prerequisite("create_registered_model"):
            client.create_registered_model(minted[hint])

    name = shared_models.get("near-miss", [hint], create)[hint]
    asked = near_misses(name, hint)[near_miss]

    # when the registry is searched for the model's name and for the near miss
    with probe.feature("search_registered_models(name = ...)"):
        found_exact = names_of(search_all(client, f"name = '{name}'"))
        found_near = names_of(search_all(client, f"name = '{asked}'"))

    # then the name finds the model and the near miss finds nothing
    assert found_exact == [name], f"filter name = '{name}' returned {found_exact}, expected it"
    assert found_near == [], (
        f"filter name = '{asked}' ({near_miss} of the model {name!r}) returned {found_near}; "
        "no model has that exact name"
    )
