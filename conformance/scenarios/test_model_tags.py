"""Core feature ``model.tags``: setting, overwriting and deleting a registered model's tags.

Every change is judged against the model's tags as read just before it (a registry may add
tags of its own), and a bystander model carrying the same key (set under test) must keep it.
Tags given at creation are ``model.create``'s; here every tag is set on an existing model.
"""

from __future__ import annotations

import pytest

from conformance.scenarios.markers import feature
from conformance.scenarios.support import model_state

KEYS = {"plain": "owner", "dotted": "rc.owner", "spaced": "rc owner"}


def _set(client, probe, name: str, key: str, value: str) -> None:
    with probe.feature("set_registered_model_tag", state=lambda: model_state(client, name)):
        client.set_registered_model_tag(name, key, value)


def _tags(client, name: str) -> dict[str, str]:
    return dict(client.get_registered_model(name).tags or {})


def _two_models(client, probe, name: str, bystander: str, key: str) -> dict[str, str]:
    """Create both; the bystander gets ``key`` with a value of its own. Its tags, as read."""
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(name)
        client.create_registered_model(bystander)
    _set(client, probe, bystander, key, "the bystander's")
    return _tags(client, bystander)


@pytest.mark.parametrize("key_kind", list(KEYS))
@feature("model.tags")
def test_set_and_overwrite_are_read_back_on_that_model_only(client, names, probe, key_kind):
    # given two models, the bystander already tagged with the same key
    key = KEYS[key_kind]
    name, bystander = names("mtag-set"), names("mtag-bystander")
    bystander_tags = _two_models(client, probe, name, bystander, key)
    assert bystander_tags.get(key) == "the bystander's", (
        f"{bystander!r} does not read back the tag {key!r} just set: {bystander_tags}"
    )
    before = _tags(client, name)

    # when a tag is set on the model, then set again to another value
    _set(client, probe, name, key, "first")
    after_first = _tags(client, name)
    _set(client, probe, name, key, "second")
    after_second = _tags(client, name)

    # then each value is read back in turn, and the bystander keeps its own
    assert after_first == {**before, key: "first"}, (
        f"{name!r} tags after setting {key!r}='first': {after_first}, expected "
        f"{ {**before, key: 'first'} }"
    )
    assert after_second == {**before, key: "second"}, (
        f"{name!r} tags after setting {key!r} to 'first' then 'second': {after_second}, "
        f"expected { {**before, key: 'second'} }"
    )
    assert _tags(client, bystander) == bystander_tags, (
        f"tagging {name!r} changed {bystander!r}'s tags: {bystander_tags} -> "
        f"{_tags(client, bystander)}"
    )


@feature("model.tags")
def test_delete_removes_that_key_of_that_model_only(client, names, probe):
    # given a model with two tags, and a bystander carrying one of the keys too
    key, kept = KEYS["plain"], "rc.kept"
    name, bystander = names("mtag-delete"), names("mtag-delete-bystander")
    bystander_tags = _two_models(client, probe, name, bystander, key)
    _set(client, probe, name, key, "to delete")
    _set(client, probe, name, kept, "to keep")
    tagged = _tags(client, name)

    # when one tag is deleted
    with probe.feature("delete_registered_model_tag", state=lambda: model_state(client, name)):
        client.delete_registered_model_tag(name, key)

    # then that key is gone from that model only
    after = _tags(client, name)
    expected = {k: v for k, v in tagged.items() if k != key}
    assert after == expected, f"{name!r} tags after deleting {key!r}: {after}, expected {expected}"
    assert _tags(client, bystander) == bystander_tags, (
        f"deleting {key!r} from {name!r} changed {bystander!r}'s tags: {bystander_tags} -> "
        f"{_tags(client, bystander)}"
    )
