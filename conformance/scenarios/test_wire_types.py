"""Core feature ``wire.types``: versions as JSON strings, timestamps as JSON integers, in every
answer that carries them (HTTP targets only).

MLflow's client parses answers with protobuf's JSON parser, which takes ``"1700000000000"`` for
an int64 as readily as ``1700000000000``, and turns what it read into Python types: a registry
that writes timestamps as strings (protobuf's own JSON mapping does) looks right through it and
breaks every other client. Only the raw JSON shows the types.
"""

from __future__ import annotations

from typing import Any

from conformance.scenarios.markers import feature
from conformance.scenarios.prerequisites import SOURCE_ROOT

TIMESTAMPS = ("creation_timestamp", "last_updated_timestamp")


def _wrong_types(where: str, entity: Any, *, version: bool) -> list[str]:
    """What in one answered model or version has the wrong JSON type (its latest versions too)."""
    if not isinstance(entity, dict):
        return [f"{where} is {entity!r}, not an object"]
    wrong = [
        f"{where}.{key} = {entity.get(key)!r}"
        for key in TIMESTAMPS
        if type(entity.get(key)) is not int  # bool is an int to isinstance
    ]
    if version:
        number = entity.get("version")
        if not (isinstance(number, str) and number.isdigit()):
            wrong.append(f"{where}.version = {number!r}")
    for index, latest in enumerate(entity.get("latest_versions", [])):
        wrong += _wrong_types(f"{where}.latest_versions[{index}]", latest, version=True)
    return wrong


def _check(answers: dict[str, Any]) -> None:
    wrong = []
    for where, (entity, is_version) in answers.items():
        wrong += _wrong_types(where, entity, version=is_version)
    assert not wrong, (
        "version must be a JSON string of digits and timestamps JSON integers; the registry "
        "answered " + "; ".join(wrong)
    )


def _model_with_two_versions(rest: Any, probe: Any, name: str) -> dict[str, Any]:
    """Create ``name`` and two versions by REST, under test: their answers are judged too."""
    with probe.feature("POST registered-models/create, model-versions/create"):
        model = rest.ok("POST", "registered-models/create", json_body={"name": name})
        versions = [
            rest.ok(
                "POST",
                "model-versions/create",
                json_body={"name": name, "source": f"{SOURCE_ROOT}/{name}/{number}"},
            )
            for number in (1, 2)
        ]
    return {
        "registered-models/create: registered_model": (model.get("registered_model"), False),
        **{
            f"model-versions/create #{index}: model_version": (answer.get("model_version"), True)
            for index, answer in enumerate(versions, start=1)
        },
    }


@feature("wire.types")
def test_single_answers_carry_typed_fields(rest, names, probe):
    # given a model with two versions, created by REST
    name = names("wire-types")
    answers = _model_with_two_versions(rest, probe, name)

    # when the model and a version are read, and the version edited
    with probe.feature("GET registered-models/get, model-versions/get; PATCH its update"):
        model = rest.ok("GET", "registered-models/get", params={"name": name})
        version = rest.ok("GET", "model-versions/get", params={"name": name, "version": "2"})
        updated = rest.ok(
            "PATCH",
            "model-versions/update",
            json_body={"name": name, "version": "2", "description": "typed"},
        )

    # then every answer carries versions as strings and timestamps as integers
    _check(
        {
            **answers,
            "registered-models/get: registered_model": (model.get("registered_model"), False),
            "model-versions/get: model_version": (version.get("model_version"), True),
            "model-versions/update: model_version": (updated.get("model_version"), True),
        }
    )


@feature("wire.types")
def test_search_and_alias_answers_carry_typed_fields(rest, names, probe):
    # given a model with two versions, created by REST, and an alias on version 1
    name = names("wire-types-lists")
    answers = _model_with_two_versions(rest, probe, name)
    with probe.prerequisite("POST registered-models/alias"):
        rest.ok(
            "POST",
            "registered-models/alias",
            json_body={"name": name, "alias": "typed", "version": "1"},
        )

    # when both searches find them, and the alias is resolved
    with probe.feature("GET model-versions/search, registered-models/search, alias"):
        found_versions = rest.ok(
            "GET", "model-versions/search", params={"filter": f"name = '{name}'"}
        ).get("model_versions", [])
        found_models = rest.ok(
            "GET", "registered-models/search", params={"filter": f"name = '{name}'"}
        ).get("registered_models", [])
        aliased = rest.ok("GET", "registered-models/alias", params={"name": name, "alias": "typed"})

    # then both versions and the model are found, every one with typed fields
    assert len(found_versions) == 2, f"searching name = '{name}' found {found_versions}"
    assert len(found_models) == 1, f"searching name = '{name}' found {found_models}"
    _check(
        {
            **answers,
            **{
                f"model-versions/search: model_versions[{index}]": (entry, True)
                for index, entry in enumerate(found_versions)
            },
            "registered-models/search: registered_models[0]": (found_models[0], False),
            "registered-models/alias: model_version": (aliased.get("model_version"), True),
        }
    )
