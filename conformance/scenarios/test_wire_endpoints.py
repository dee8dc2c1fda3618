"""Core feature ``wire.endpoints``: the registry's RPCs on their documented methods and paths,
answering JSON objects (HTTP targets only).

Every request is the call under test, made with ``requests`` below MLflow's client (which takes
an empty body for ``{}`` and never reads the content type); each answer is checked as documented
(:func:`conformance.scenarios.rest.documented`) and each write by the next documented read.
Each write is given what it could change (``state``): one refused as invalid that still acted is
a wrong answer, not "not offered".
"""

from __future__ import annotations

import functools

from conformance.scenarios.markers import feature
from conformance.scenarios.prerequisites import SOURCE_ROOT
from conformance.scenarios.rest import documented
from conformance.scenarios.states import held, latest_held, model_state, version_state


def _tags(entity: dict) -> dict[str, str]:
    return {tag["key"]: tag.get("value", "") for tag in entity.get("tags", [])}


@feature("wire.endpoints")
def test_registered_model_endpoints(client, rest, names, probe):
    # given a name no model has
    name = names("wire-model")
    state = functools.partial(model_state, client, name)

    # when the model is created, read, edited, tagged, untagged, searched and deleted by REST
    with probe.feature("POST registered-models/create", state=held(None, state)):
        created = documented(
            rest.ok_answer(
                "POST",
                "registered-models/create",
                json_body={"name": name, "tags": [{"key": "rc.first", "value": "1"}]},
            ),
            "registered_model",
        )
    assert created["registered_model"].get("name") == name, f"create answered {created}"
    with probe.feature("PATCH registered-models/update", state=state):
        updated = documented(
            rest.ok_answer(
                "PATCH",
                "registered-models/update",
                json_body={"name": name, "description": "wire"},
            ),
            "registered_model",
        )
    assert updated["registered_model"].get("description") == "wire", f"update answered {updated}"
    with probe.feature("POST registered-models/set-tag", state=state):
        documented(
            rest.ok_answer(
                "POST",
                "registered-models/set-tag",
                json_body={"name": name, "key": "rc.second", "value": "2"},
            ),
            None,
        )
    with probe.feature("DELETE registered-models/delete-tag (a JSON body)", state=state):
        documented(
            rest.ok_answer(
                "DELETE",
                "registered-models/delete-tag",
                json_body={"name": name, "key": "rc.first"},
            ),
            None,
        )

    # then the next reads show every edit
    with probe.feature("GET registered-models/get"):
        read = documented(
            rest.ok_answer("GET", "registered-models/get", params={"name": name}),
            "registered_model",
        )["registered_model"]
    assert (read.get("name"), read.get("description"), _tags(read)) == (
        name,
        "wire",
        {"rc.second": "2"},
    ), f"after create, update, set-tag and delete-tag, get answered {read}"
    with probe.feature("GET registered-models/search"):
        found = documented(
            rest.ok_answer(
                "GET", "registered-models/search", params={"filter": f"name = '{name}'"}
            ),
            "registered_models",
        )["registered_models"]
    assert [model.get("name") for model in found] == [name], f"search answered {found}"

    # and a DELETE with a JSON body deletes the model
    with probe.feature("DELETE registered-models/delete (a JSON body)", state=state):
        documented(
            rest.ok_answer("DELETE", "registered-models/delete", json_body={"name": name}), None
        )
    with probe.feature("GET registered-models/get of the deleted model"):
        gone = rest.send("GET", "registered-models/get", params={"name": name})
    assert gone.status == 404, f"{name} was deleted, but get answered {gone.status}: {gone.text}"


@feature("wire.endpoints")
def test_model_version_endpoints(client, rest, names, probe):
    # given a model
    name = names("wire-versions")
    source = f"{SOURCE_ROOT}/{name}/1"
    with probe.prerequisite("POST registered-models/create"):
        rest.ok("POST", "registered-models/create", json_body={"name": name})

    # when a version is created, edited, tagged and untagged by REST
    with probe.feature("POST model-versions/create", state=latest_held(client, name, ())):
        created = documented(
            rest.ok_answer(
                "POST", "model-versions/create", json_body={"name": name, "source": source}
            ),
            "model_version",
        )["model_version"]
    assert (created.get("name"), str(created.get("version")), created.get("source")) == (
        name,
        "1",
        source,
    ), f"create answered {created}"
    version = {"name": name, "version": "1"}
    state = functools.partial(version_state, client, name, "1")
    with probe.feature("PATCH model-versions/update", state=state):
        updated = documented(
            rest.ok_answer(
                "PATCH", "model-versions/update", json_body={**version, "description": "wire"}
            ),
            "model_version",
        )["model_version"]
    assert updated.get("description") == "wire", f"update answered {updated}"
    with probe.feature("POST model-versions/set-tag", state=state):
        documented(
            rest.ok_answer(
                "POST", "model-versions/set-tag", json_body={**version, "key": "rc.a", "value": "1"}
            ),
            None,
        )
        documented(
            rest.ok_answer(
                "POST", "model-versions/set-tag", json_body={**version, "key": "rc.b", "value": "2"}
            ),
            None,
        )
    with probe.feature("DELETE model-versions/delete-tag (a JSON body)", state=state):
        documented(
            rest.ok_answer(
                "DELETE", "model-versions/delete-tag", json_body={**version, "key": "rc.a"}
            ),
            None,
        )

    # then the next reads show every edit, and the download URI is answered
    with probe.feature("GET model-versions/get"):
        read = documented(
            rest.ok_answer("GET", "model-versions/get", params=version), "model_version"
        )["model_version"]
    assert (str(read.get("version")), read.get("description"), _tags(read)) == (
        "1",
        "wire",
        {"rc.b": "2"},
    ), f"after create, update, set-tag and delete-tag, get answered {read}"
    with probe.feature("GET model-versions/search"):
        found = documented(
            rest.ok_answer("GET", "model-versions/search", params={"filter": f"name = '{name}'"}),
            "model_versions",
        )["model_versions"]
    assert [(v.get("name"), str(v.get("version"))) for v in found] == [(name, "1")], (
        f"search answered {found}"
    )
    with probe.feature("GET model-versions/get-download-uri"):
        uri = documented(
            rest.ok_answer("GET", "model-versions/get-download-uri", params=version),
            "artifact_uri",
        )["artifact_uri"]
    assert isinstance(uri, str), f"get-download-uri answered {uri!r}"
    assert uri, "get-download-uri answered an empty URI"

    # and a DELETE with a JSON body deletes the version
    with probe.feature("DELETE model-versions/delete (a JSON body)", state=state):
        documented(rest.ok_answer("DELETE", "model-versions/delete", json_body=version), None)
    with probe.feature("GET model-versions/get of the deleted version"):
        gone = rest.send("GET", "model-versions/get", params=version)
    assert gone.status == 404, f"v1 was deleted, but get answered {gone.status}: {gone.text}"


@feature("wire.endpoints")
def test_rename_and_alias_endpoints(client, rest, names, probe):
    # given a model with one version
    name, renamed = names("wire-rename"), names("wire-renamed")
    with probe.prerequisite("POST registered-models/create and model-versions/create"):
        rest.ok("POST", "registered-models/create", json_body={"name": name})
        rest.ok(
            "POST",
            "model-versions/create",
            json_body={"name": name, "source": f"{SOURCE_ROOT}/{name}/1"},
        )

    # when it is renamed, and an alias set, read and deleted by REST
    # a refused rename that acted anyway leaves the old name changed or gone
    old_state = functools.partial(model_state, client, name)
    with probe.feature("POST registered-models/rename", state=old_state):
        answer = documented(
            rest.ok_answer(
                "POST", "registered-models/rename", json_body={"name": name, "new_name": renamed}
            ),
            "registered_model",
        )["registered_model"]
    assert answer.get("name") == renamed, f"rename answered {answer}"
    alias = {"name": renamed, "alias": "wire"}
    state = functools.partial(model_state, client, renamed)
    with probe.feature("POST registered-models/alias", state=state):
        documented(
            rest.ok_answer("POST", "registered-models/alias", json_body={**alias, "version": "1"}),
            None,
        )
    with probe.feature("GET registered-models/alias"):
        aliased = documented(
            rest.ok_answer("GET", "registered-models/alias", params=alias), "model_version"
        )["model_version"]
    assert (aliased.get("name"), str(aliased.get("version"))) == (renamed, "1"), (
        f"the alias resolved to {aliased}"
    )
    with probe.feature("DELETE registered-models/alias (a JSON body)", state=state):
        documented(rest.ok_answer("DELETE", "registered-models/alias", json_body=alias), None)

    # then the model answers under its new name only, without the alias
    with probe.feature("GET registered-models/get"):
        read = documented(
            rest.ok_answer("GET", "registered-models/get", params={"name": renamed}),
            "registered_model",
        )["registered_model"]
        old = rest.send("GET", "registered-models/get", params={"name": name})
    assert read.get("name") == renamed, f"get answered {read}"
    assert not read.get("aliases"), f"the alias was deleted, but get answered {read}"
    assert old.status == 404, f"{name} was renamed, but get answered {old.status}: {old.text}"
