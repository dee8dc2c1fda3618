"""Core feature ``model.tags``: setting, overwriting and deleting a registered model's tags.

Every change is judged against the model's tags as last read or answered (a registry may add
tags of its own), and a bystander model carrying the same key (set under test) must keep it.
Tags given at creation are ``model.create``'s; here every tag is set on an existing model.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.scenarios.markers import feature
from conformance.scenarios.states import held, model_state, state_of_model

KEYS = {"plain": "owner", "dotted": "rc.owner", "spaced": "rc owner"}
BYSTANDERS = "the bystander's"


def _set(client, probe, name: str, key: str, value: str, last: Any = None) -> None:
    """set_registered_model_tag under test; ``last``: the model as last read or answered, when
    nothing was written to it since (its state is then not read again before the call)."""
    read = lambda: model_state(client, name)  # noqa: E731
    state = read if last is None else held(state_of_model(last), read)
    with probe.feature("set_registered_model_tag", state=state):
        client.set_registered_model_tag(name, key, value)


def _read(client, probe, name: str) -> Any:
    with probe.feature("get_registered_model"):
        return client.get_registered_model(name)


def _tags(model: Any) -> dict[str, str]:
    return dict(model.tags or {})


def _two_models(client, probe, name: str, bystander: str, key: str) -> Any:
    """Create both; the bystander gets ``key`` with a value of its own. The model as its
    creation answered it (a registry may add tags of its own)."""
    with probe.prerequisite("create_registered_model"):
        created = client.create_registered_model(name)
        other = client.create_registered_model(bystander)
    _set(client, probe, bystander, key, BYSTANDERS, other)
    return created


def _assert_bystander_kept(client, probe, bystander: str, key: str, what: str) -> None:
    value = _tags(_read(client, probe, bystander)).get(key)
    assert value == BYSTANDERS, (
        f"{what} changed {bystander!r}'s tag {key!r} from {BYSTANDERS!r} to {value!r}"
    )


@pytest.mark.parametrize("key_kind", list(KEYS))
@feature("model.tags")
def test_set_and_overwrite_are_read_back_on_that_model_only(client, names, probe, key_kind):
    # given two models, the bystander already tagged with the same key
    key = KEYS[key_kind]
    name, bystander = names("mtag-set"), names("mtag-bystander")
    created = _two_models(client, probe, name, bystander, key)
    before = _tags(created)

    # when a tag is set on the model, then set again to another value
    _set(client, probe, name, key, "first", created)
    first = _read(client, probe, name)
    _set(client, probe, name, key, "second", first)
    second = _read(client, probe, name)

    # then each value is read back in turn, and the bystander keeps its own
    assert _tags(first) == {**before, key: "first"}, (
        f"{name!r} tags after setting {key!r}='first': {_tags(first)}, expected "
        f"{ {**before, key: 'first'} }"
    )
    assert _tags(second) == {**before, key: "second"}, (
        f"{name!r} tags after setting {key!r} to 'first' then 'second': {_tags(second)}, "
        f"expected { {**before, key: 'second'} }"
    )
    _assert_bystander_kept(client, probe, bystander, key, f"tagging {name!r}")


@feature("model.tags")
def test_delete_removes_that_key_of_that_model_only(client, names, probe):
    # given a model with two tags, and a bystander carrying one of the keys too
    key, kept = KEYS["plain"], "rc.kept"
    name, bystander = names("mtag-delete"), names("mtag-delete-bystander")
    created = _two_models(client, probe, name, bystander, key)
    _set(client, probe, name, key, "to delete", created)
    _set(client, probe, name, kept, "to keep")
    tagged = _read(client, probe, name)

    # when one tag is deleted
    with probe.feature(
        "delete_registered_model_tag",
        state=held(state_of_model(tagged), lambda: model_state(client, name)),
    ):
        client.delete_registered_model_tag(name, key)

    # then that key is gone from that model only
    after = _tags(_read(client, probe, name))
    expected = {k: v for k, v in _tags(tagged).items() if k != key}
    assert after == expected, f"{name!r} tags after deleting {key!r}: {after}, expected {expected}"
    _assert_bystander_kept(client, probe, bystander, key, f"deleting {key!r} from {name!r}")
