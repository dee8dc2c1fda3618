"""Seed row 7: editing a model version's description."""

from __future__ import annotations

import pytest

from conformance.scenarios.markers import feature
from conformance.scenarios.marks import mark_version
from conformance.scenarios.prerequisites import SOURCE_ROOT
from conformance.scenarios.states import description_of, held, version_state

_TEXTS = {
    "plain": "scored 0.91 on the holdout set",
    "markdown-unicode": "# Résumé\n\n* précision 0,91 — 模型 ✓\n* `threshold = 0.5`\n",
}


#: What the scenarios write on the second version, which must keep it.
SECOND_DESCRIPTION = "version two's own"


def _two_versions(client, probe, name):
    """Versions ``(first, second)``; the second one is marked and described first (its
    description written under test: a wrong answer to it is one about the feature)."""
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(name)
    with probe.prerequisite("create_model_version"):
        first = client.create_model_version(name, f"{SOURCE_ROOT}/{name}/v1", run_id=None)
        second = client.create_model_version(name, f"{SOURCE_ROOT}/{name}/v2", run_id=None)
    v1, v2 = str(first.version), str(second.version)
    marked = mark_version(
        client, probe, name, v2, under_test=["update_model_version"], created=second
    )
    with probe.feature(
        "update_model_version", state=held(marked, lambda: version_state(client, name, v2))
    ):
        client.update_model_version(name, v2, description=SECOND_DESCRIPTION)
    return v1, v2


@pytest.mark.parametrize("text", list(_TEXTS))
@feature("version.description")
def test_update_description_is_returned_read_back_and_confined(client, names, probe, text):
    # given a model with two versions, the second already described
    name = names("describe")
    v1, v2 = _two_versions(client, probe, name)
    other_before = version_state(client, name, v2)
    new = _TEXTS[text]

    # when version 1's description is updated
    with probe.feature("update_model_version", state=lambda: version_state(client, name, v1)):
        returned = client.update_model_version(name, v1, description=new)

    # then the returned version carries it, a read shows it, and version 2 keeps its own
    assert returned is not None, "update_model_version returned nothing, expected the version"
    assert (returned.name, str(returned.version)) == (name, v1), (
        f"update_model_version returned version {returned.name} v{returned.version}, "
        f"expected {name} v{v1}"
    )
    assert description_of(returned) == new, (
        f"update_model_version returned description {returned.description!r}, expected {new!r}"
    )
    read = client.get_model_version(name, v1)
    assert description_of(read) == new, (
        f"get_model_version v1 reads description {read.description!r}, expected {new!r}"
    )
    assert read.source == f"{SOURCE_ROOT}/{name}/v1", f"v1's source changed to {read.source!r}"
    other = version_state(client, name, v2)
    assert other == {**other_before, "description": SECOND_DESCRIPTION}, (
        f"updating v1 changed v2: {other_before} -> {other} (its description was "
        f"{SECOND_DESCRIPTION!r})"
    )


@feature("version.description")
def test_second_update_overwrites_the_first(client, names, probe):
    # given a model with two versions, version 1 already described once
    name = names("redescribe")
    v1, v2 = _two_versions(client, probe, name)
    other_before = version_state(client, name, v2)
    with probe.feature("update_model_version", state=lambda: version_state(client, name, v1)):
        first = client.update_model_version(name, v1, description="first description")
    assert first is not None, "update_model_version returned nothing, expected the version"
    assert description_of(first) == "first description", (
        f"the first update_model_version returned description {first.description!r}"
    )

    # when it is described again
    with probe.feature("update_model_version", state=lambda: version_state(client, name, v1)):
        second = client.update_model_version(name, v1, description="second description")

    # then the second description replaces the first, in the answer and on read
    assert second is not None, "update_model_version returned nothing, expected the version"
    assert description_of(second) == "second description", (
        f"the second update_model_version returned description {second.description!r}, "
        "expected 'second description'"
    )
    read = client.get_model_version(name, v1)
    assert description_of(read) == "second description", (
        f"get_model_version v1 reads description {read.description!r} after two updates, "
        "expected 'second description'"
    )
    other = version_state(client, name, v2)
    assert other == {**other_before, "description": SECOND_DESCRIPTION}, (
        f"updating v1 twice changed v2: {other_before} -> {other} (its description was "
        f"{SECOND_DESCRIPTION!r})"
    )
