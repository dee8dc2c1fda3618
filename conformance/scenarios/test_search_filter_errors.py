"""Core feature ``search.filter-errors``: malformed filters are INVALID_PARAMETER_VALUE (over
HTTP: 400 with MLflow's JSON error body), never an internal error.

MLflow's grammar has no ``OR`` and no ``IS NULL``, wants string values quoted, and knows a few
attributes only (``name`` for registered models; ``name``, ``run_id``, ``source_path``,
``version_number`` for versions). Each scenario first searches with a well-formed filter, which
must find exactly our model or version: a registry that refuses every filter is not refusing
malformed ones.
Registered models are searched through the registry's store (``searches.model_search``: without
the client's prompt clause, which is another row's).
"""

from __future__ import annotations

from conformance.scenarios.error_answers import INVALID, expect_codes
from conformance.scenarios.markers import feature
from conformance.scenarios.prerequisites import model_with_versions
from conformance.scenarios.searches import model_search, names_of
from conformance.scenarios.version_search import keys, search_by_name, search_versions

#: The page size of searches sent to the store directly (the file store has no default).
PAGE_SIZE = 100
#: An attribute no registry search knows.
UNKNOWN_ATTRIBUTE = "rc_no_such_attribute"


def _malformed(name: str, other_key: str) -> dict[str, str]:
    """What is wrong -> a filter that is wrong that way (and otherwise about our model)."""
    return {
        "OR": f"name = '{name}' OR {other_key} = '{name}'",
        "an unquoted value": "name = unquoted",
        "an unknown attribute": f"{UNKNOWN_ATTRIBUTE} = '{name}'",
    }


@feature("search.filter-errors")
def test_malformed_model_filters_are_invalid(client, names, probe):
    # given a model, found by a well-formed filter
    name = names("filter-errors-model")
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(name)
    search = model_search(client)
    accepted, found = search_by_name(client, probe, name)
    assert names_of(found) == [name], f"search_registered_models({accepted}) returned {found}"

    # when registered models are searched with malformed filters
    # then each is refused as INVALID_PARAMETER_VALUE (over HTTP: 400)
    for wrong, filter_string in _malformed(name, "name").items():
        expect_codes(
            [INVALID],
            f"search_registered_models({filter_string!r}), a filter with {wrong}",
            search,
            filter_string,
            max_results=PAGE_SIZE,
        )


@feature("search.filter-errors")
def test_malformed_version_filters_are_invalid(client, names, probe):
    # given a model with a version, found by a well-formed filter
    name = names("filter-errors-version")
    model_with_versions(client, probe, name, 1)
    with probe.feature(f"search_model_versions(name = '{name}')"):
        found = keys(search_versions(client, f"name = '{name}'"))
    assert found == [(name, "1")], f"search_model_versions(name = '{name}') returned {found}"

    # when versions are searched with malformed filters
    # then each is refused as INVALID_PARAMETER_VALUE (over HTTP: 400)
    for wrong, filter_string in _malformed(name, "run_id").items():
        expect_codes(
            [INVALID],
            f"search_model_versions({filter_string!r}), a filter with {wrong}",
            client.search_model_versions,
            filter_string,
        )


@feature("search.filter-errors")
def test_operators_outside_the_grammar_are_invalid(client, names, probe):
    # given a model with a version, each found by a well-formed filter
    name = names("filter-errors-operator")
    model_with_versions(client, probe, name, 1)
    search = model_search(client)
    accepted, models = search_by_name(client, probe, name)
    well_formed = f"name = '{name}'"
    with probe.feature(f"search_model_versions({well_formed})"):
        versions = keys(search_versions(client, well_formed))
    assert names_of(models) == [name], f"search_registered_models({accepted}) returned {models}"
    assert versions == [(name, "1")], f"search_model_versions({well_formed}) returned {versions}"

    # when both searches are asked with an operator MLflow's grammar lacks (IS NULL)
    # then each is refused as INVALID_PARAMETER_VALUE (over HTTP: 400), not an internal error
    filter_string = f"tags.`{UNKNOWN_ATTRIBUTE}` IS NULL"
    expect_codes(
        [INVALID],
        f"search_registered_models({filter_string!r})",
        search,
        filter_string,
        max_results=PAGE_SIZE,
    )
    expect_codes(
        [INVALID],
        f"search_model_versions({filter_string!r})",
        client.search_model_versions,
        filter_string,
    )
