"""Extended feature ``search.name-in``: search registered models with ``name IN (...)``.

MLflow documents ``name IN`` for model-version search only; both of MLflow's own stores accept it
for registered models too, and some servers refuse it (a clean refusal: ``unsupported``). Our
names carry the run's unique prefix, so the whole result of such a filter can be judged.
"""

from __future__ import annotations

from conformance.scenarios.markers import feature
from conformance.scenarios.searches import names_of, near_misses, search_all


def _in_filter(listed: list[str]) -> str:
    return "name IN (" + ", ".join(f"'{name}'" for name in listed) + ")"


@feature("search.name-in")
def test_name_in_list_returns_exactly_those_models(client, names, probe):
    # given three models of ours; the list names two of them and one name nobody has
    first, second, third = names("in-a"), names("in-b"), names("in-c")
    for name in (first, second, third):
        with probe.prerequisite("create_registered_model"):
            client.create_registered_model(name)
    nobody = names("in-nobody")

    # when the registry is searched with name IN (...)
    filter_string = _in_filter([first, second, nobody])
    with probe.feature("search_registered_models(name IN (...))"):
        found = names_of(search_all(client, filter_string))

    # then exactly the two listed models that exist come back, once each
    assert sorted(found) == sorted([first, second]), (
        f"filter {filter_string} returned {found}, expected exactly {[first, second]}"
    )


@feature("search.name-in")
def test_name_in_is_exact_and_case_sensitive(client, names, probe):
    # given a model, and names one step away from its name (other case, cut short, suffixed)
    hint = "InNearMiss"
    name = names(hint)
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(name)
    misses = sorted(near_misses(name, hint).values())

    # when the registry is searched with a list of the near misses, and with the list plus the name
    only_misses, with_name = _in_filter(misses), _in_filter([*misses, name])
    with probe.feature("search_registered_models(name IN (...))"):
        found_misses = names_of(search_all(client, only_misses))
        found_with_name = names_of(search_all(client, with_name))

    # then the near misses find nothing, and adding the name finds exactly the model
    assert found_misses == [], (
        f"filter {only_misses} returned {found_misses}; no model has any of those exact names "
        f"(the model is {name!r})"
    )
    assert found_with_name == [name], f"filter {with_name} returned {found_with_name}, expected it"
