"""Core feature ``model.create``: creating registered models with tags and a description.

Registries have accepted tags given at creation and silently dropped them (GitLab's registry,
mlflow#8008), so the answer and the next read are both checked. A registry may add tags of its
own: every given tag must be there with its value, and no tag of a deleted model may come back.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.scenarios.error_answers import DUPLICATE, expect_codes
from conformance.scenarios.markers import feature
from conformance.scenarios.prerequisites import best_effort
from conformance.scenarios.states import description_of, model_state

FIRST_TAGS = {"rc.team": "platform", "rc owner": "ml ops", "rc.shared": "first"}
FIRST_DESCRIPTION = "Created with tags and a description: ünïcode, quotes ' \" and a\nnewline."
SECOND_TAGS = {"rc.shared": "second", "rc.other": "second"}
SECOND_DESCRIPTION = "The second model of this name."


def _create(client, probe, name: str, tags: dict[str, str], description: str) -> Any:
    """Create ``name`` with tags and a description: the call under test."""
    with probe.feature(
        "create_registered_model(tags, description)", state=lambda: model_state(client, name)
    ):
        return client.create_registered_model(name, tags=tags, description=description)


def _assert_reports(what: str, model: Any, tags: dict[str, str], description: str) -> None:
    """``model``: an entity, or a :func:`model_state` (a dict)."""
    if isinstance(model, dict):
        reported, reported_description = model["tags"], model["description"]
    else:
        reported, reported_description = dict(model.tags or {}), description_of(model)
    lost = {key: reported.get(key) for key, value in tags.items() if reported.get(key) != value}
    assert not lost, (
        f"{what} reports tags {reported}; created with {tags} (wrong or missing: {lost})"
    )
    assert reported_description == description, (
        f"{what} reports description {reported_description!r}; created with {description!r}"
    )


@feature("model.create")
def test_create_keeps_tags_and_description(client, names, probe):
    # given a new name
    name = names("create-tagged")

    # when a model is created with tags and a description
    created = _create(client, probe, name, FIRST_TAGS, FIRST_DESCRIPTION)

    # then the answer and the next read both report them
    assert created.name == name, f"create_registered_model({name!r}) answered {created.name!r}"
    _assert_reports(
        f"the answer of create_registered_model({name!r})", created, FIRST_TAGS, FIRST_DESCRIPTION
    )
    with probe.feature("get_registered_model"):
        read = client.get_registered_model(name)
    _assert_reports(f"get_registered_model({name!r})", read, FIRST_TAGS, FIRST_DESCRIPTION)


@feature("model.create")
def test_duplicate_name_is_refused_and_changes_nothing(client, names, probe):
    # given a model created with tags and a description
    name = names("create-duplicate")
    _create(client, probe, name, FIRST_TAGS, FIRST_DESCRIPTION)
    before = model_state(client, name)
    assert before is not None, f"{name!r} was created, but get_registered_model says it is missing"
    _assert_reports(f"get_registered_model({name!r})", before, FIRST_TAGS, FIRST_DESCRIPTION)

    # when the same name is created again, with other tags and another description
    expect_codes(
        [DUPLICATE],
        f"create_registered_model({name!r}) of a name in use",
        lambda: client.create_registered_model(
            name, tags=SECOND_TAGS, description=SECOND_DESCRIPTION
        ),
    )

    # then the model is exactly as it was
    after = model_state(client, name)
    assert after == before, f"the refused second creation changed {name!r}: {before} -> {after}"


@feature("model.create")
def test_deleted_name_is_created_again_as_a_new_model(client, names, probe):
    # given a model created with tags and a description, then deleted
    name = names("create-again")
    _create(client, probe, name, FIRST_TAGS, FIRST_DESCRIPTION)
    if not best_effort(
        probe,
        "delete_registered_model",
        lambda: client.delete_registered_model(name),
        state=lambda: model_state(client, name),
    ):
        pytest.skip(
            "the registry does not offer deleting registered models (model.delete): "
            "no name is ever free again"
        )

    # when the name is created again with other tags and another description
    created = _create(client, probe, name, SECOND_TAGS, SECOND_DESCRIPTION)

    # then the new model has exactly what it was given, nothing of the deleted one
    _assert_reports(f"the answer of re-creating {name!r}", created, SECOND_TAGS, SECOND_DESCRIPTION)
    with probe.feature("get_registered_model"):
        read = client.get_registered_model(name)
    _assert_reports(
        f"get_registered_model({name!r}) after re-creating it",
        read,
        SECOND_TAGS,
        SECOND_DESCRIPTION,
    )
    left_over = {
        key: value
        for key, value in (read.tags or {}).items()
        if key in FIRST_TAGS and key not in SECOND_TAGS
    }
    assert not left_over, (
        f"{name!r}, deleted and created again, still carries the deleted model's tags {left_over}"
    )
