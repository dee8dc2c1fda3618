"""Core feature ``errors.codes``: MLflow's error codes for missing, duplicate and invalid input,
and over HTTP MLflow's status for each (404 for RESOURCE_DOES_NOT_EXIST, 400 for
RESOURCE_ALREADY_EXISTS and INVALID_PARAMETER_VALUE) with a JSON body.

The calls are reads and creations: every registry offers them, so an error answer here is about
the input, never a missing feature. (MLflow's client reads a model before most writes to it, so
a write on a missing model is answered by that read.)
"""

from __future__ import annotations

from mlflow.exceptions import MlflowException

from conformance.scenarios.error_answers import DUPLICATE, INVALID, MISSING, expect_codes
from conformance.scenarios.markers import feature
from conformance.scenarios.prerequisites import SOURCE_ROOT, model_with_versions
from conformance.scenarios.searches import names_present
from conformance.scenarios.states import model_state, version_state


def _state(client, name: str) -> object:
    """The model's state for the probe, or how its read was answered when it could not be read
    (this feature's reads may be the very calls a registry does not offer)."""
    try:
        return model_state(client, name)
    except MlflowException as exc:
        return f"unreadable: {exc.error_code}"


@feature("errors.codes")
def test_missing_model_is_resource_does_not_exist(client, names, probe):
    # given a name that no model has
    name = names("errors-no-model")

    # when the model, and a version of it, are read
    # then each answer is RESOURCE_DOES_NOT_EXIST (over HTTP: 404)
    expect_codes(
        [MISSING],
        f"get_registered_model({name!r}), never created",
        client.get_registered_model,
        name,
    )
    expect_codes(
        [MISSING],
        f"get_model_version({name!r}, 1) of a model never created",
        client.get_model_version,
        name,
        "1",
    )


@feature("errors.codes")
def test_missing_version_is_resource_does_not_exist(client, names, probe):
    # given a model with one version
    name = names("errors-no-version")
    sources = model_with_versions(client, probe, name, 1)

    # when a version it never had is read, and its download URI asked for
    # then each answer is RESOURCE_DOES_NOT_EXIST (over HTTP: 404), and version 1 is still there
    expect_codes(
        [MISSING],
        f"get_model_version({name!r}, 7), never created",
        client.get_model_version,
        name,
        "7",
    )
    expect_codes(
        [MISSING],
        f"get_model_version_download_uri({name!r}, 7), never created",
        client.get_model_version_download_uri,
        name,
        "7",
    )
    with probe.feature("get_model_version"):
        kept = version_state(client, name, "1")
    assert kept is not None, f"{name!r} v1 is missing"
    assert kept["source"] == sources["1"].source, f"{name!r} v1 reads source {kept['source']!r}"


@feature("errors.codes")
def test_duplicate_name_is_resource_already_exists(client, names, probe):
    # given a model with a tag
    name = names("errors-duplicate")
    with probe.feature("create_registered_model", state=lambda: _state(client, name)):
        client.create_registered_model(name, tags={"rc.first": "yes"})
    before = model_state(client, name)
    assert before is not None, f"{name!r} was created, but get_registered_model says it is missing"
    assert before["tags"].get("rc.first") == "yes", f"{name!r} was created with a tag: {before}"

    # when the name is created again
    # then the answer is RESOURCE_ALREADY_EXISTS (over HTTP: 400), and nothing changed
    expect_codes(
        [DUPLICATE],
        f"create_registered_model({name!r}) of a name in use",
        lambda: client.create_registered_model(name, tags={"rc.second": "yes"}),
    )
    after = model_state(client, name)
    assert after == before, f"the refused creation changed {name!r}: {before} -> {after}"


@feature("errors.codes")
def test_invalid_arguments_are_invalid_parameter_value(client, names, probe):
    # given a model with one version, and a name that no model has
    name, unused = names("errors-invalid"), names("errors-invalid-tag")
    model_with_versions(client, probe, name, 1, SOURCE_ROOT)

    # when a version that is not a number is read, and a model is created with an empty tag key
    # then each answer is INVALID_PARAMETER_VALUE (over HTTP: 400), and nothing was created
    expect_codes(
        [INVALID],
        f"get_model_version({name!r}, 'one'), not a number",
        client.get_model_version,
        name,
        "one",
    )
    expect_codes(
        [INVALID],
        f"create_registered_model({unused!r}) with an empty tag key",
        lambda: client.create_registered_model(unused, tags={"": "empty key"}),
    )
    assert names_present(client, unused) == [], (
        f"create_registered_model({unused!r}) was refused, but the model exists"
    )
