"""Core feature ``alias.set-get``: setting, moving and deleting aliases, and resolving them.

Once the registry has accepted an alias, resolving it (``get_model_version_by_alias``, loading
``models:/<name>@<alias>``) uses what it accepted: any answer but the right version is wrong,
never "not offered". Where aliases are listed (models, versions, search results) is
``alias.visible``'s; here they are only resolved.
"""

from __future__ import annotations

from typing import Any

from conformance.scenarios import model_runs, tiny_model
from conformance.scenarios.error_answers import ALIAS_GONE, expect_codes
from conformance.scenarios.markers import feature
from conformance.scenarios.prerequisites import model_with_versions
from conformance.scenarios.states import model_state


def _set(client, probe, name: str, alias: str, version: str) -> None:
    with probe.feature("set_registered_model_alias", state=lambda: model_state(client, name)):
        client.set_registered_model_alias(name, alias, version)


def _resolve(client, probe, name: str, alias: str, accepted: str) -> Any:
    with probe.after_acceptance(f"get_model_version_by_alias({name}, {alias})", accepted=accepted):
        return client.get_model_version_by_alias(name, alias)


def _assert_resolves(client, probe, name: str, alias: str, version: str, source: str) -> None:
    found = _resolve(client, probe, name, alias, f"alias {alias!r} -> v{version} of {name!r}")
    got = (found.name, str(found.version), found.source)
    assert got == (name, version, source), (
        f"get_model_version_by_alias({name!r}, {alias!r}) answered {got}; the alias was set to "
        f"v{version} ({source})"
    )


@feature("alias.set-get")
def test_alias_resolves_to_its_version_and_moves(client, names, probe):
    # given a model with two versions, and an alias on the first
    name = names("alias-move")
    sources = model_with_versions(client, probe, name, 2)
    _set(client, probe, name, "champion", "1")
    _assert_resolves(client, probe, name, "champion", "1", sources["1"].source)

    # when the alias is set again, on the second version
    _set(client, probe, name, "champion", "2")

    # then it resolves to the second version
    _assert_resolves(client, probe, name, "champion", "2", sources["2"].source)


@feature("alias.set-get")
def test_deleted_alias_no_longer_resolves(client, names, probe):
    # given a model with a version and two aliases on it
    name = names("alias-delete")
    sources = model_with_versions(client, probe, name, 1)
    _set(client, probe, name, "doomed", "1")
    _set(client, probe, name, "kept", "1")

    # when one alias is deleted
    with probe.feature("delete_registered_model_alias", state=lambda: model_state(client, name)):
        client.delete_registered_model_alias(name, "doomed")

    # then it resolves to nothing, and the other alias still resolves
    expect_codes(
        ALIAS_GONE,
        f"get_model_version_by_alias({name!r}, 'doomed') after deleting that alias",
        client.get_model_version_by_alias,
        name,
        "doomed",
    )
    _assert_resolves(client, probe, name, "kept", "1", sources["1"].source)


@feature("alias.set-get")
def test_model_uri_with_alias_loads_the_aliased_version(
    client, names, probe, fluent, experiment_id, tmp_path
):
    # given two loadable versions (slopes 1 and 2), and an alias on the first, not the latest
    slopes = [1.0, 2.0]
    name = names("alias-load")
    with probe.prerequisite("register tiny models from run artifacts"):
        versions = model_runs.register_tiny_models(client, experiment_id, name, slopes, tmp_path)
    assert versions == ["1", "2"], f"two registrations gave versions {versions}"
    _set(client, probe, name, "champion", "1")

    # when models:/<name>@champion is loaded
    uri = f"models:/{name}@champion"
    with probe.after_acceptance(f"load_model({uri})", accepted=f"alias champion -> v1 of {name}"):
        got = model_runs.predictions(uri)

    # then it is version 1 (version 2, the latest, predicts otherwise)
    assert got == tiny_model.expected(1.0), (
        f"{uri} predicts {got}: expected version 1's {tiny_model.expected(1.0)} (version 2, the "
        f"latest, predicts {tiny_model.expected(2.0)})"
    )
