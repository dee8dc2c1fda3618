"""Seed row 9: renaming registered models."""

from __future__ import annotations

from conformance.markers import feature
from conformance.scenario_support import (
    SOURCE_ROOT,
    best_effort,
    expect_error,
    names_present,
    versions_present,
)

MISSING = "RESOURCE_DOES_NOT_EXIST"


@feature("model.rename")
def test_rename_moves_versions_and_frees_old_name(client, names, probe):
    # given a model with a tag, a description and one version
    old, new = names("rename-old"), names("rename-new")
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(old)
    # (tags and descriptions are features of their own: without them there is less to judge)
    best_effort(
        probe, "set_registered_model_tag", client.set_registered_model_tag, old, "team", "a"
    )
    best_effort(
        probe, "update_registered_model", client.update_registered_model, old, description="d"
    )
    with probe.prerequisite("create_model_version"):
        made = client.create_model_version(old, f"{SOURCE_ROOT}/{old}/model", run_id=None)
    version = str(made.version)
    before = client.get_registered_model(old)  # what the registry made of the tag and description

    # when it is renamed
    with probe.feature("rename_registered_model", state=lambda: names_present(client, old, new)):
        client.rename_registered_model(old, new)

    # then only the new name exists, with its tag, description and version
    renamed = client.get_registered_model(new)
    assert renamed.name == new, f"get_registered_model({new!r}) answered {renamed.name!r}"
    assert renamed.tags == before.tags, (
        f"the rename changed the model's tags: {before.tags} -> {renamed.tags}"
    )
    assert (renamed.description or "") == (before.description or ""), (
        f"the rename changed the description: {before.description!r} -> {renamed.description!r}"
    )
    moved = client.get_model_version(new, version)
    assert (moved.name, str(moved.version)) == (new, version), (
        f"get_model_version({new!r}, {version!r}) answered {moved.name} v{moved.version}"
    )
    expect_error(
        MISSING, f"get_registered_model of the old name {old!r}", client.get_registered_model, old
    )


@feature("model.rename")
def test_rename_carries_every_version(client, names, probe):
    # given a model with three versions, each with its own source
    old, new = names("rename-many-old"), names("rename-many-new")
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(old)
    sources = {}
    for index in range(3):
        source = f"{SOURCE_ROOT}/{old}/model-{index}"
        with probe.prerequisite("create_model_version"):
            made = client.create_model_version(old, source, run_id=None)
        sources[str(made.version)] = source

    # when it is renamed
    with probe.feature("rename_registered_model", state=lambda: names_present(client, old, new)):
        returned = client.rename_registered_model(old, new)

    # then every version answers under the new name with its source, and none under the old
    if returned is not None:  # MLflow's client returns None; a model, if any, must be the new one
        assert returned.name == new, (
            f"rename_registered_model returned a model named {returned.name!r}"
        )
    assert client.get_registered_model(new).name == new
    for version, source in sources.items():
        moved = client.get_model_version(new, version)
        assert (moved.name, str(moved.version), moved.source) == (new, version, source), (
            f"after the rename, get_model_version({new!r}, {version!r}) answered "
            f"{moved.name} v{moved.version} from {moved.source!r}, expected {new} v{version} "
            f"from {source!r}"
        )
        expect_error(
            MISSING,
            f"get_model_version of the old name, v{version}",
            client.get_model_version,
            old,
            version,
        )
    expect_error(
        MISSING, f"get_registered_model of the old name {old!r}", client.get_registered_model, old
    )


@feature("model.rename")
def test_rename_onto_a_taken_name_is_refused_and_changes_nothing(client, names, probe):
    # given two models with a version each; the first one got its name by a rename
    draft, mover, taken = names("rename-draft"), names("rename-mover"), names("rename-taken")
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(draft)
        client.create_registered_model(taken)
    with probe.prerequisite("create_model_version"):
        mover_version = str(
            client.create_model_version(draft, f"{SOURCE_ROOT}/mover", run_id=None).version
        )
        taken_version = str(
            client.create_model_version(taken, f"{SOURCE_ROOT}/taken", run_id=None).version
        )
    with probe.feature(
        "rename_registered_model", state=lambda: names_present(client, draft, mover)
    ):
        client.rename_registered_model(draft, mover)
    before = _snapshot(client, (mover, mover_version), (taken, taken_version))

    # when the first is renamed onto the second one's name
    refused = expect_error(
        "RESOURCE_ALREADY_EXISTS",
        f"rename_registered_model({mover!r} -> {taken!r}, a name in use)",
        client.rename_registered_model,
        mover,
        taken,
    )

    # then the rename is refused with RESOURCE_ALREADY_EXISTS and both models are as they were
    after = _snapshot(client, (mover, mover_version), (taken, taken_version))
    assert after == before, (
        f"the refused rename ({refused.error_code}) changed the models: {before} -> {after}"
    )


def _snapshot(client, *model_versions):
    """``{name: {version: source}}`` of each (model, version); ``None`` for a missing model."""
    return {
        name: versions_present(client, name, [version]) if names_present(client, name) else None
        for name, version in model_versions
    }
