"""Core feature ``wire.request-tolerance``: requests with fields the registry does not know, or a
``charset`` in their content type, answered as without (HTTP targets only).

MLflow's client sends only the fields of its own proto, as plain ``application/json``; a newer
client sends fields an older registry lacks, and other clients label their JSON with a charset.
Each write is given what it could change (``state``): a registry that refuses the unknown field
or the charset as invalid, yet acts on the request, answers wrongly rather than "not offered".
"""

from __future__ import annotations

import functools
import json

from conformance.scenarios.markers import feature
from conformance.scenarios.prerequisites import SOURCE_ROOT
from conformance.scenarios.states import held, latest_held, model_state

#: A field of no registry request, as a client of a later MLflow would send one.
UNKNOWN = "rc_field_of_a_later_client"
#: Accents, a dash, CJK and an emoji: read as anything but UTF-8, they come back changed.
TEXT = "Zoë, modèle — 模型 ✓ 🚀"
AGAIN = "Ångström, 第二版 ✓"


@feature("wire.request-tolerance")
def test_unknown_fields_are_ignored(client, rest, names, probe):
    # given a name no model has
    name = names("wire-unknown")
    state = functools.partial(model_state, client, name)

    # when a model and a version are created with a field no request has, and read with a
    # query parameter no request has
    with probe.feature(
        "POST registered-models/create with an unknown field", state=held(None, state)
    ):
        rest.ok(
            "POST",
            "registered-models/create",
            json_body={"name": name, "description": "known", UNKNOWN: {"nested": [1, "x"]}},
        )
    with probe.feature(
        "POST model-versions/create with an unknown field", state=latest_held(client, name, ())
    ):
        created = rest.ok(
            "POST",
            "model-versions/create",
            json_body={"name": name, "source": f"{SOURCE_ROOT}/{name}/1", UNKNOWN: 7},
        ).get("model_version", {})
    with probe.feature("GET registered-models/get with an unknown parameter"):
        model = rest.ok("GET", "registered-models/get", params={"name": name, UNKNOWN: "yes"}).get(
            "registered_model", {}
        )

    # then everything was done as asked, the unknown field ignored
    assert str(created.get("version")) == "1", f"create answered {created}"
    assert (model.get("name"), model.get("description")) == (name, "known"), f"get answered {model}"


@feature("wire.request-tolerance")
def test_json_labelled_with_a_charset_is_read_as_utf8(client, rest, names, probe):
    # given a name no model has
    name = names("wire-charset")
    state = functools.partial(model_state, client, name)
    labelled = "application/json; charset=utf-8"

    # when the model is created, and its description updated, by bodies labelled with the
    # charset and holding non-ASCII text as UTF-8 (not \\u escapes)
    with probe.feature(f"POST registered-models/create as {labelled}", state=held(None, state)):
        rest.ok(
            "POST",
            "registered-models/create",
            data=json.dumps({"name": name, "description": TEXT}, ensure_ascii=False).encode(),
            content_type=labelled,
        )
    with probe.feature("GET registered-models/get"):
        created = rest.ok("GET", "registered-models/get", params={"name": name})
    with probe.feature(f"PATCH registered-models/update as {labelled}", state=state):
        rest.ok(
            "PATCH",
            "registered-models/update",
            data=json.dumps({"name": name, "description": AGAIN}, ensure_ascii=False).encode(),
            content_type=labelled,
        )
    with probe.feature("GET registered-models/get"):
        updated = rest.ok("GET", "registered-models/get", params={"name": name})

    # then the text reads back exactly
    first = created.get("registered_model", {}).get("description")
    second = updated.get("registered_model", {}).get("description")
    assert first == TEXT, f"created with description {TEXT!r}, read back {first!r}"
    assert second == AGAIN, f"updated to description {AGAIN!r}, read back {second!r}"
