"""Seed row 8: setting, overwriting and deleting a model version's tags.

Every change is judged against the version's tags as read just before it (a registry may add
tags of its own to new versions), and the other version of the same model, which carries the
same key with another value (written under test) and the marks of ``mark_version``, must stay
as it was through every change.
"""

from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException

from conformance.run.probe import Inconclusive, no_verdict
from conformance.run.refusals import Kind, classify
from conformance.scenarios.error_answers import MISSING
from conformance.scenarios.markers import feature
from conformance.scenarios.marks import mark_version
from conformance.scenarios.prerequisites import SOURCE_ROOT
from conformance.scenarios.states import held, version_state, version_tags

KEYS = {"plain": "owner", "dotted": "rc.owner", "spaced": "rc owner"}


def _two_versions(client, probe, name, key):
    """Versions ``(mine, other)``; the other one carries ``key`` with a value of its own."""
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(name)
    with probe.prerequisite("create_model_version"):
        mine = client.create_model_version(name, f"{SOURCE_ROOT}/{name}/v1", run_id=None)
        made = client.create_model_version(name, f"{SOURCE_ROOT}/{name}/v2", run_id=None)
    mine, other = str(mine.version), str(made.version)
    marked = mark_version(
        client, probe, name, other, under_test=["set_model_version_tag"], created=made
    )
    with probe.feature(
        "set_model_version_tag", state=held(marked, lambda: version_state(client, name, other))
    ):
        client.set_model_version_tag(name, other, key, "the other version's")
    return mine, other


def _tags_of(state):
    """The tags in a :func:`version_state` (the version must exist: it was just written to)."""
    assert state is not None, "a version this scenario has just tagged is missing"
    return state["tags"]


@pytest.mark.parametrize("key_kind", list(KEYS))
@feature("version.tags")
def test_set_tag_is_read_back_on_that_version_only(client, names, probe, key_kind):
    # given a model with two versions, the other one already tagged with the same key
    key = KEYS[key_kind]
    name = names("tag-set")
    mine, other = _two_versions(client, probe, name, key)
    mine_state, before_other = version_state(client, name, mine), version_state(client, name, other)
    before_mine = _tags_of(mine_state)

    # when a tag is set on one version
    with probe.feature(
        "set_model_version_tag", state=held(mine_state, lambda: version_state(client, name, mine))
    ):
        client.set_model_version_tag(name, mine, key, "team-a")

    # then that version reads it back, and the other version's tags are unchanged
    after_mine, expected = version_tags(client, name, mine), {**before_mine, key: "team-a"}
    assert after_mine == expected, (
        f"v{mine} tags after setting {key!r}='team-a': {after_mine}, expected {expected}"
    )
    after_other = version_state(client, name, other)
    assert after_other == before_other, (
        f"setting a tag on v{mine} changed v{other}: {before_other} -> {after_other}"
    )


@feature("version.tags")
def test_setting_a_tag_again_overwrites_its_value(client, names, probe):
    # given a version tagged once
    key = KEYS["plain"]
    name = names("tag-overwrite")
    mine, other = _two_versions(client, probe, name, key)
    mine_state, before_other = version_state(client, name, mine), version_state(client, name, other)
    before_mine = _tags_of(mine_state)
    with probe.feature(
        "set_model_version_tag", state=held(mine_state, lambda: version_state(client, name, mine))
    ):
        client.set_model_version_tag(name, mine, key, "first")

    # when the same key is set to another value
    with probe.feature("set_model_version_tag", state=lambda: version_state(client, name, mine)):
        client.set_model_version_tag(name, mine, key, "second")

    # then only the new value is read back, and the other version is unchanged
    after_mine, expected = version_tags(client, name, mine), {**before_mine, key: "second"}
    assert after_mine == expected, (
        f"v{mine} tags after setting {key!r} to 'first' then 'second': {after_mine}, "
        f"expected {expected}"
    )
    after_other = version_state(client, name, other)
    assert after_other == before_other, (
        f"overwriting a tag on v{mine} changed v{other}: {before_other} -> {after_other}"
    )


@feature("version.tags")
def test_delete_tag_removes_that_key_only(client, names, probe):
    # given a version with two tags, the other version carrying one of the keys too
    key, kept = KEYS["plain"], "rc.kept"
    name = names("tag-delete")
    mine, other = _two_versions(client, probe, name, key)
    before_other = version_state(client, name, other)
    with probe.feature("set_model_version_tag", state=lambda: version_state(client, name, mine)):
        client.set_model_version_tag(name, mine, key, "to delete")
        client.set_model_version_tag(name, mine, kept, "to keep")
    tagged_state = version_state(client, name, mine)
    tagged = _tags_of(tagged_state)

    # when one tag is deleted
    with probe.feature(
        "delete_model_version_tag",
        state=held(tagged_state, lambda: version_state(client, name, mine)),
    ):
        client.delete_model_version_tag(name, mine, key)

    # then that key is gone from that version only
    after_mine = version_tags(client, name, mine)
    expected = {k: v for k, v in tagged.items() if k != key}
    assert after_mine == expected, (
        f"v{mine} tags after deleting {key!r}: {after_mine}, expected {expected}"
    )
    after_other = version_state(client, name, other)
    assert after_other == before_other, (
        f"deleting {key!r} from v{mine} changed v{other}: {before_other} -> {after_other}"
    )


@feature("version.tags")
def test_deleting_an_absent_tag_is_harmless(client, names, probe):
    # given a version whose tag was just deleted
    key = KEYS["plain"]
    name = names("tag-delete-absent")
    mine, other = _two_versions(client, probe, name, key)
    before_other = version_state(client, name, other)
    with probe.feature("set_model_version_tag", state=lambda: version_state(client, name, mine)):
        client.set_model_version_tag(name, mine, key, "short-lived")
    with probe.feature("delete_model_version_tag", state=lambda: version_state(client, name, mine)):
        client.delete_model_version_tag(name, mine, key)
    before_mine = version_tags(client, name, mine)
    assert key not in before_mine, f"v{mine} still has {key!r} after its deletion: {before_mine}"

    # when the same, now absent, key is deleted again
    answer = None
    try:
        client.delete_model_version_tag(name, mine, key)
    except MlflowException as exc:
        answer = exc

    # then it is a no-op (MLflow), "no such tag" or a clean refusal, and nothing else changed
    if answer is not None and answer.error_code != MISSING:
        verdict = classify(answer)
        if verdict.kind in (Kind.TRANSPORT, Kind.AUTH):
            raise Inconclusive(no_verdict("delete_model_version_tag", verdict)) from None
        assert verdict.kind is Kind.REFUSAL, (
            f"deleting the absent tag {key!r} of v{mine} broke the registry: {verdict.reason}"
        )
    after_mine = version_tags(client, name, mine)
    assert after_mine == before_mine, (
        f"deleting the absent tag {key!r} changed v{mine}'s tags: {before_mine} -> {after_mine}"
    )
    after_other = version_state(client, name, other)
    assert after_other == before_other, (
        f"deleting the absent tag {key!r} of v{mine} changed v{other}: "
        f"{before_other} -> {after_other}"
    )
