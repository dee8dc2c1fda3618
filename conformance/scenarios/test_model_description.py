"""Core feature ``model.description``: editing a registered model's description.

The update's answer is checked as well as the next read: a registry that stores the new text
but answers with the model as it was misleads every client that trusts the answer.
"""

from __future__ import annotations

from conformance.scenarios.markers import feature
from conformance.scenarios.states import description_of, model_state

BYSTANDER = "The bystander's own description."


def _update(client, probe, name: str, description: str):
    """update_registered_model (the call under test); its answer, checked."""
    with probe.feature("update_registered_model", state=lambda: model_state(client, name)):
        returned = client.update_registered_model(name, description=description)
    assert returned.name == name, f"updating {name!r} answered the model {returned.name!r}"
    assert description_of(returned) == description, (
        f"update_registered_model({name!r}, {description!r}) answered the description "
        f"{description_of(returned)!r}"
    )
    return returned


def _read_description(client, probe, name: str) -> str:
    with probe.feature("get_registered_model"):
        return description_of(client.get_registered_model(name))


@feature("model.description")
def test_update_replaces_the_description_of_that_model_only(client, names, probe):
    # given two models, the bystander with a description of its own
    name, bystander = names("description-edited"), names("description-bystander")
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(name)
        client.create_registered_model(bystander)
    _update(client, probe, bystander, BYSTANDER)

    # when the first model's description is set
    new = "A new description: ünïcode, quotes ' \" and a\nnewline."
    _update(client, probe, name, new)

    # then it is read back, and the bystander keeps its own
    assert _read_description(client, probe, name) == new, (
        f"get_registered_model({name!r}) does not show the description just set ({new!r})"
    )
    kept = _read_description(client, probe, bystander)
    assert kept == BYSTANDER, (
        f"setting the description of {name!r} changed {bystander!r}'s from {BYSTANDER!r} to "
        f"{kept!r}"
    )


@feature("model.description")
def test_second_update_replaces_the_first(client, names, probe):
    # given a model whose description was set once
    name = names("description-twice")
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(name)
    _update(client, probe, name, "first description")

    # when it is set again
    _update(client, probe, name, "second description")

    # then only the second one is read back
    read = _read_description(client, probe, name)
    assert read == "second description", (
        f"after setting 'first description' then 'second description', {name!r} reads {read!r}"
    )
