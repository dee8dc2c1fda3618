"""Seed row 11: deleting one version of a registered model."""

from __future__ import annotations

import pytest

from conformance.scenarios.error_answers import MISSING, expect_error
from conformance.scenarios.markers import feature
from conformance.scenarios.marks import check_marks, mark_model, mark_version
from conformance.scenarios.prerequisites import SOURCE_ROOT, answers_of, model_with_versions
from conformance.scenarios.searches import names_present
from conformance.scenarios.states import created_state, held, registry_state


@pytest.mark.parametrize("which", ["first", "middle", "last"])
@feature("version.delete")
def test_delete_removes_that_version_only(client, names, probe, which):
    # given a model with three versions, all marked (tag, description, alias, stage)
    name = names(f"vdelete-{which}")
    sources = model_with_versions(client, probe, name, 3)
    marks = []  # checked in the snapshot below, which reads them all anyway
    mark_model(client, probe, name, pending=marks)
    for version, created in sources.items():
        mark_version(client, probe, name, version, pending=marks, created=created.answer)
    doomed = list(sources)[{"first": 0, "middle": 1, "last": 2}[which]]
    snapshot = registry_state(client, {name: sources})
    check_marks(probe, snapshot, marks)
    before = snapshot[name]

    # when one of them is deleted
    with probe.feature(
        "delete_model_version",
        state=held(snapshot, lambda: registry_state(client, {name: sources})),
    ):
        client.delete_model_version(name, doomed)

    # then that version answers RESOURCE_DOES_NOT_EXIST; the model and the others stay as they were
    expect_error(
        MISSING,
        f"get_model_version of the deleted v{doomed} of {name!r}",
        client.get_model_version,
        name,
        doomed,
    )
    others = [version for version in sources if version != doomed]
    after = registry_state(client, {name: others})[name]
    assert after["model"] is not None, f"deleting v{doomed} removed the model {name!r}"
    expected = {
        "model": {
            **before["model"],
            # the deleted version's alias goes with it, and the latest versions move
            "aliases": {a: v for a, v in before["model"]["aliases"].items() if v != doomed},
            "latest_versions": after["model"]["latest_versions"],
        },
        "versions": {v: state for v, state in before["versions"].items() if v != doomed},
    }
    assert after == expected, (
        f"after deleting v{doomed} of {name!r}, the model and the other versions read {after}, "
        f"expected {expected}"
    )


@pytest.mark.parametrize(("count", "which"), [(2, "latest"), (1, "only")], ids=["latest", "only"])
@feature("version.delete")
def test_deleted_number_is_never_handed_out_again(client, names, probe, count, which):
    # given a model with versions, the latest (or only) one of which is deleted
    name = names(f"vdelete-renumber-{which}")
    sources = model_with_versions(client, probe, name, count)
    doomed = list(sources)[-1]
    with probe.feature(
        "delete_model_version", state=created_state(client, name, answers_of(sources))
    ):
        client.delete_model_version(name, doomed)

    # when another version is created
    with probe.prerequisite("create_model_version after a delete"):
        made = client.create_model_version(name, f"{SOURCE_ROOT}/{name}/after", run_id=None)

    # then it gets a number never handed out before, and the deleted one stays deleted
    assert str(made.version) not in sources, (
        f"the version created after deleting v{doomed} of {name!r} got number v{made.version}, "
        f"already handed out (numbers so far: {sorted(sources)})"
    )
    assert names_present(client, name) == [name], f"deleting v{doomed} removed the model {name!r}"
    expect_error(
        MISSING,
        f"get_model_version of the deleted v{doomed} of {name!r}",
        client.get_model_version,
        name,
        doomed,
    )
