"""Seed row 13: search registered models by their exact name.

Names are unique in a registry, and ours carry the run's unique prefix, so the whole result of
an exact-name filter can be judged, not only our part of it. ``name IN (...)`` is not in
MLflow's documentation (both OSS stores accept it): it is its own scenario, so a registry that
only lacks it shows ``partial``.
"""

from __future__ import annotations

import pytest

from conformance.markers import feature
from conformance.scenario_support import names_of, search_all


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


def _swap_hint_case(name: str, hint: str) -> str:
    return name.removesuffix(hint) + hint.swapcase()


# Names that no model has, each one character-level step away from a model we create.
_NEAR_MISSES = {
    "other-case": lambda name, hint: _swap_hint_case(name, hint),
    "prefix-of-name": lambda name, hint: name[:-2],
    "name-plus-suffix": lambda name, hint: name + "x",
}


@pytest.mark.parametrize("near_miss", list(_NEAR_MISSES))
@feature("search.by-name")
def test_name_equals_is_exact_and_case_sensitive(client, names, probe, near_miss):
    # given a model, and a name that differs from its name by case, by a cut, or by a suffix
    hint = "NearMiss"
    name = names(hint)
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(name)
    asked = _NEAR_MISSES[near_miss](name, hint)
    assert asked != name

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


@feature("search.by-name")
def test_name_in_list_returns_exactly_those_models(client, names, probe):
    # given three models of ours; the list names two of them and one name nobody has
    first, second, third = names("in-a"), names("in-b"), names("in-c")
    for name in (first, second, third):
        with probe.prerequisite("create_registered_model"):
            client.create_registered_model(name)
    nobody = names("in-nobody")

    # when the registry is searched with name IN (...)
    filter_string = f"name IN ('{first}', '{second}', '{nobody}')"
    with probe.feature("search_registered_models(name IN (...))"):
        found = names_of(search_all(client, filter_string))

    # then exactly the two listed models that exist come back, once each
    assert sorted(found) == sorted([first, second]), (
        f"filter {filter_string} returned {found}, expected exactly {[first, second]}"
    )
