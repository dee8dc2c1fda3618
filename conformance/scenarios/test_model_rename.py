"""Seed row 9: renaming registered models."""

from __future__ import annotations

from conformance.scenarios.error_answers import MISSING, expect_error
from conformance.scenarios.markers import feature
from conformance.scenarios.marks import check_marks, mark_model, mark_version
from conformance.scenarios.prerequisites import SOURCE_ROOT
from conformance.scenarios.states import (
    held,
    registry_state,
    state_of_model,
    state_of_version,
    version_state,
    versions_state,
)


@feature("model.rename")
def test_rename_moves_versions_and_frees_old_name(client, names, probe):
    # given a model with one version, both marked with a tag, a description, an alias, a stage
    # (features of their own, set best-effort: without them there is less to judge)
    old, new = names("rename-old"), names("rename-new")
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(old)
    with probe.prerequisite("create_model_version"):
        made = client.create_model_version(old, f"{SOURCE_ROOT}/{old}/model", run_id=None)
    version = str(made.version)
    marks = []  # checked in the snapshot below, which reads them all anyway
    mark_model(client, probe, old, pending=marks)
    mark_version(client, probe, old, version, pending=marks, created=made)
    # (the marks read back as written: check_marks checks that, so these are what it set)
    both = {old: [version], new: []}
    snapshot = registry_state(client, both)
    check_marks(probe, snapshot, marks)
    before = snapshot[old]

    # when it is renamed
    with probe.feature(
        "rename_registered_model", state=held(snapshot, lambda: registry_state(client, both))
    ):
        client.rename_registered_model(old, new)

    # then only the new name exists, with the model's marks, and the version with its own
    renamed = client.get_registered_model(new)
    assert renamed.name == new, f"get_registered_model({new!r}) answered {renamed.name!r}"
    after = {"model": state_of_model(renamed), "versions": versions_state(client, new, [version])}
    assert after == before, f"the rename changed the model or its version: {before} -> {after}"
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
    both = {old: sources, new: []}
    snapshot = registry_state(client, both)
    before = snapshot[old]["versions"]

    # when it is renamed
    # (MLflow's client returns nothing: what the rename did is judged by reading it back)
    with probe.feature(
        "rename_registered_model", state=held(snapshot, lambda: registry_state(client, both))
    ):
        client.rename_registered_model(old, new)

    # then every version answers under the new name with its source, and none under the old
    assert client.get_registered_model(new).name == new
    after = {}  # each version's state, as read under the new name
    for version, source in sources.items():
        moved = client.get_model_version(new, version)
        after[version] = state_of_version(moved)
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
    assert after == before, f"the rename changed the versions: {before} -> {after}"
    expect_error(
        MISSING, f"get_registered_model of the old name {old!r}", client.get_registered_model, old
    )


@feature("model.rename")
def test_rename_onto_a_taken_name_is_refused_and_changes_nothing(client, names, probe):
    # given two marked models with a marked version each; the first one got its name by a rename
    draft, mover, taken = names("rename-draft"), names("rename-mover"), names("rename-taken")
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(draft)
        client.create_registered_model(taken)
    with probe.prerequisite("create_model_version"):
        mover_version = str(
            client.create_model_version(draft, f"{SOURCE_ROOT}/mover", run_id=None).version
        )
        taken_made = client.create_model_version(taken, f"{SOURCE_ROOT}/taken", run_id=None)
    taken_version = str(taken_made.version)
    with probe.feature(
        "rename_registered_model",
        state=lambda: registry_state(client, {draft: [mover_version], mover: []}),
    ):
        client.rename_registered_model(draft, mover)
    moved = version_state(client, mover, mover_version)
    assert moved is not None, f"renaming {draft!r} to {mover!r} lost its v{mover_version}"
    marks = []  # checked in the snapshot below, which reads them all anyway
    for name, version, made in ((mover, mover_version, None), (taken, taken_version, taken_made)):
        mark_model(client, probe, name, pending=marks)
        mark_version(client, probe, name, version, pending=marks, created=made)
    both = {mover: [mover_version], taken: [taken_version]}
    before = registry_state(client, both)
    check_marks(probe, before, marks)

    # when the first is renamed onto the second one's name
    expect_error(
        "RESOURCE_ALREADY_EXISTS",
        f"rename_registered_model({mover!r} -> {taken!r}, a name in use)",
        client.rename_registered_model,
        mover,
        taken,
    )

    # then the rename is refused with RESOURCE_ALREADY_EXISTS and both models are as they were
    after = registry_state(client, both)
    assert after == before, f"the refused rename changed the models: {before} -> {after}"
