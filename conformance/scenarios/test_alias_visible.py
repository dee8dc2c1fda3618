"""Aliases where models and versions are read: ``alias.visible`` (core: the gets and the model
search) and ``alias.in-version-search`` (extended: version-search results, which MLflow's SQL store
leaves without aliases, mlflow#9783, #16734). Setting the aliases is ``alias.set-get``'s (a
prerequisite here).
"""

from __future__ import annotations

from typing import Any

from conformance.run.probe import Unsupported
from conformance.scenarios.markers import feature
from conformance.scenarios.prerequisites import model_with_versions
from conformance.scenarios.searches import search_all

#: alias -> version, two aliases on the first version and one on the second
ALIASES = {"champion": "1", "stable": "1", "challenger": "2"}
#: How many pages a version search of our two versions may take before it is an endless one.
VERSION_PAGES = 20


def _aliased_model(client, probe, name: str) -> None:
    model_with_versions(client, probe, name, 2)
    with probe.prerequisite("set_registered_model_alias"):
        for alias, version in ALIASES.items():
            client.set_registered_model_alias(name, alias, version)


def _model_aliases(model: Any) -> dict[str, str]:
    return {alias: str(version) for alias, version in (model.aliases or {}).items()}


def _expected_version_aliases() -> dict[str, list[str]]:
    return {
        version: sorted(alias for alias, v in ALIASES.items() if v == version)
        for version in sorted(set(ALIASES.values()))
    }


def _version_aliases(versions: list[Any]) -> dict[str, list[str]]:
    return {str(mv.version): sorted(mv.aliases or []) for mv in versions}


def _search_versions(client, filter_string: str) -> list[Any]:
    """Every version a search returns, following page tokens (bounded: an endless walk fails)."""
    found: list[Any] = []
    token = None
    for _ in range(VERSION_PAGES):
        page = client.search_model_versions(filter_string, max_results=100, page_token=token)
        found.extend(page)
        token = page.token
        if not token:
            return found
    raise AssertionError(
        f"search_model_versions({filter_string}) still handed out a next-page token after "
        f"{VERSION_PAGES} pages ({len(found)} versions): the listing would never end"
    )


def _search_models(client, probe, name: str) -> list[Any]:
    """Every registered model a search by ``name`` returns, with the first name filter the
    registry offers (``=``, else ``LIKE``): which filters it offers is not this feature's."""
    refused: Unsupported | None = None
    for filter_string in (f"name = '{name}'", f"name LIKE '{name}'"):
        try:
            with probe.feature(f"search_registered_models({filter_string})"):
                return search_all(client, filter_string)
        except Unsupported as exc:
            refused = exc
    assert refused is not None
    raise refused


@feature("alias.visible")
def test_aliases_are_reported_on_the_model_and_its_versions(client, names, probe):
    # given a model with two versions and three aliases
    name = names("alias-visible-get")
    _aliased_model(client, probe, name)

    # when the model and each version are read
    with probe.feature("get_registered_model"):
        model = client.get_registered_model(name)
    with probe.feature("get_model_version"):
        versions = [client.get_model_version(name, version) for version in ("1", "2")]

    # then the model lists every alias, and each version its own
    assert _model_aliases(model) == ALIASES, (
        f"get_registered_model({name!r}) reports aliases {_model_aliases(model)}, set {ALIASES}"
    )
    assert _version_aliases(versions) == _expected_version_aliases(), (
        f"get_model_version of {name!r} v1, v2 report aliases {_version_aliases(versions)}, "
        f"expected {_expected_version_aliases()}"
    )


@feature("alias.visible")
def test_aliases_are_reported_in_model_search_results(client, names, probe):
    # given a model with two versions and three aliases
    name = names("alias-visible-search")
    _aliased_model(client, probe, name)

    # when the model search is asked for that model
    models = [model for model in _search_models(client, probe, name) if model.name == name]

    # then the result carries its aliases
    assert len(models) == 1, (
        f"search_registered_models by the name {name!r} returned that model {len(models)} times"
    )
    assert _model_aliases(models[0]) == ALIASES, (
        f"search_registered_models reports {name!r} with aliases {_model_aliases(models[0])}, "
        f"set {ALIASES}"
    )


def _versions_carry_their_aliases(client, probe, name: str, expected: dict[str, list[str]]):
    filter_string = f"name = '{name}'"
    with probe.feature("search_model_versions"):
        versions = _search_versions(client, filter_string)
    assert sorted(str(mv.version) for mv in versions) == ["1", "2"], (
        f"search_model_versions({filter_string}) returned versions "
        f"{[str(mv.version) for mv in versions]}, expected each of 1 and 2 once"
    )
    assert _version_aliases(versions) == expected, (
        f"search_model_versions reports {name!r}'s versions with aliases "
        f"{_version_aliases(versions)}, expected {expected} (mlflow#9783)"
    )


@feature("alias.in-version-search")
def test_version_search_results_carry_their_aliases(client, names, probe):
    # given a model with two versions and three aliases
    name = names("alias-version-search")
    _aliased_model(client, probe, name)

    # when the version search is asked for its versions, then each carries its own aliases
    _versions_carry_their_aliases(client, probe, name, _expected_version_aliases())


@feature("alias.in-version-search")
def test_version_search_drops_a_deleted_alias(client, names, probe):
    # given a model with two versions and three aliases, "stable" then deleted
    name = names("alias-version-deleted")
    _aliased_model(client, probe, name)
    with probe.prerequisite("delete_registered_model_alias"):
        client.delete_registered_model_alias(name, "stable")

    # when the version search is asked, then the deleted alias is on no version
    _versions_carry_their_aliases(client, probe, name, {"1": ["champion"], "2": ["challenger"]})
