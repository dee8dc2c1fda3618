"""Seed row 11: deleting one version of a registered model."""

from __future__ import annotations

import pytest

from conformance.markers import feature
from conformance.scenario_support import (
    SOURCE_ROOT,
    expect_error,
    model_with_versions,
    names_present,
    versions_present,
)

MISSING = "RESOURCE_DOES_NOT_EXIST"


@pytest.mark.parametrize("which", ["first", "middle", "last"])
@feature("version.delete")
def test_delete_removes_that_version_only(client, names, probe, which):
    # given a model with three versions
    name = names(f"vdelete-{which}")
    sources = model_with_versions(client, probe, name, 3)
    doomed = list(sources)[{"first": 0, "middle": 1, "last": 2}[which]]

    # when one of them is deleted
    with probe.feature(
        "delete_model_version", state=lambda: versions_present(client, name, sources)
    ):
        client.delete_model_version(name, doomed)

    # then that version answers RESOURCE_DOES_NOT_EXIST; the model and the others stay
    expect_error(
        MISSING,
        f"get_model_version of the deleted v{doomed} of {name!r}",
        client.get_model_version,
        name,
        doomed,
    )
    assert names_present(client, name) == [name], f"deleting v{doomed} removed the model {name!r}"
    others = {version: source for version, source in sources.items() if version != doomed}
    remaining = versions_present(client, name, others)
    assert remaining == others, (
        f"after deleting v{doomed} of {name!r}, the other versions read {remaining}, "
        f"expected {others}"
    )


@pytest.mark.parametrize(("count", "which"), [(2, "latest"), (1, "only")], ids=["latest", "only"])
@feature("version.delete")
def test_deleted_number_is_never_handed_out_again(client, names, probe, count, which):
    # given a model with versions, the latest (or only) one of which is deleted
    name = names(f"vdelete-renumber-{which}")
    sources = model_with_versions(client, probe, name, count)
    doomed = list(sources)[-1]
    with probe.feature(
        "delete_model_version", state=lambda: versions_present(client, name, sources)
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
