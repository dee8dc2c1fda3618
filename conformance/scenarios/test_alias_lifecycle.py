"""Core feature ``alias.lifecycle``: aliases through version deletion and model renaming.

Whether the alias is still *listed* after these operations is also part of ``version.delete``
and ``model.rename``; here it must also *resolve* (``get_model_version_by_alias``) as it should:
not at all once its version is gone, to the same version under a model's new name, and not
under the old one. Deleting and renaming are other rows' operations: a registry that does not
offer one leaves its scenario not applicable.
"""

from __future__ import annotations

import pytest

from conformance.scenarios.error_answers import ALIAS_GONE, MISSING, expect_codes
from conformance.scenarios.markers import feature
from conformance.scenarios.prerequisites import best_effort, model_with_versions
from conformance.scenarios.states import registry_state, version_state


def _set_aliases(client, probe, name: str, aliases: dict[str, str]) -> None:
    with probe.prerequisite("set_registered_model_alias"):
        for alias, version in aliases.items():
            client.set_registered_model_alias(name, alias, version)


def _resolves_to(client, probe, name: str, alias: str, accepted: str) -> tuple[str, str, str]:
    """What the alias resolves to. The registry accepted it (and the deletion or rename), so any
    answer but a version is wrong, never "not offered"; so a scenario first asks about an alias
    that must not resolve (``expect_codes``), where a registry that does not resolve aliases at
    all says so."""
    with probe.after_acceptance(f"get_model_version_by_alias({name}, {alias})", accepted=accepted):
        found = client.get_model_version_by_alias(name, alias)
    return found.name, str(found.version), found.source


@feature("alias.lifecycle")
def test_deleting_a_version_drops_its_aliases(client, names, probe):
    # given a model with two versions, an alias on each
    name = names("alias-life-delete")
    sources = model_with_versions(client, probe, name, 2)
    _set_aliases(client, probe, name, {"doomed": "1", "kept": "2"})

    # when the first version is deleted
    if not best_effort(
        probe,
        "delete_model_version",
        lambda: client.delete_model_version(name, "1"),
        state=lambda: registry_state(client, {name: sources}),
    ):
        pytest.skip("the registry does not offer deleting versions (version.delete)")

    # then its alias resolves to nothing and is not listed; the other one is as it was
    expect_codes(
        ALIAS_GONE,
        f"get_model_version_by_alias({name!r}, 'doomed') after deleting v1, its version",
        client.get_model_version_by_alias,
        name,
        "doomed",
    )
    accepted = f"alias 'kept' -> v2 of {name!r}, and the deletion of v1"
    source = sources["2"].source
    assert _resolves_to(client, probe, name, "kept", accepted) == (name, "2", source), (
        f"after deleting v1 of {name!r}, the alias 'kept' no longer resolves to v2"
    )


@feature("alias.lifecycle")
def test_aliases_follow_a_rename(client, names, probe):
    # given a model with a version and an alias on it
    old, new = names("alias-life-old"), names("alias-life-new")
    sources = model_with_versions(client, probe, old, 1)
    _set_aliases(client, probe, old, {"champion": "1"})

    # when the model is renamed
    if not best_effort(
        probe,
        "rename_registered_model",
        lambda: client.rename_registered_model(old, new),
        state=lambda: registry_state(client, {old: sources, new: []}),
    ):
        pytest.skip("the registry does not offer renaming models (model.rename)")
    with probe.prerequisite(f"read v1 under the new name {new!r}"):
        carried = version_state(client, new, "1")
    if carried is None:
        pytest.skip(
            f"the rename of {old!r} did not carry its versions to {new!r}: model.rename's "
            "row judges that, and no alias can follow a version that is gone"
        )

    # then the alias no longer resolves under the old name, and under the new one to the same
    # version
    expect_codes(
        [MISSING, *ALIAS_GONE],
        f"get_model_version_by_alias({old!r}, 'champion') under the old name",
        client.get_model_version_by_alias,
        old,
        "champion",
    )
    accepted = f"alias 'champion' -> v1 of {old!r}, and its rename to {new!r}"
    source = sources["1"].source
    assert _resolves_to(client, probe, new, "champion", accepted) == (new, "1", source), (
        f"after renaming {old!r} to {new!r}, the alias 'champion' does not resolve to v1 there"
    )
