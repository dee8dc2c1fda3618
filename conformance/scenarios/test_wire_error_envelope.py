"""Core feature ``wire.error-envelope``: errors in MLflow's JSON envelope (``error_code``,
``message``) with the status MLflow gives the code (HTTP targets only).

Each endpoint first answers a good request (a 200 proves it is offered), then must fail the
bad one; :func:`conformance.scenarios.rest.expect_envelope` checks that answer on the wire, so a
missing entity answered by a bare 404 page is a wrong answer here, not "not offered". Where
registries may sensibly pick different codes, any of them will do if its status matches it:
which code MLflow picks is ``errors.codes``' question, measured through MLflow's client (which
shows its own text where the message is missing).
"""

from __future__ import annotations

from conformance.scenarios.error_answers import DUPLICATE, INVALID, MISSING
from conformance.scenarios.markers import feature
from conformance.scenarios.prerequisites import SOURCE_ROOT
from conformance.scenarios.rest import expect_envelope

#: A request whose parameters are invalid: refused as invalid, or as a bad request.
REFUSED = (INVALID, "BAD_REQUEST")


@feature("wire.error-envelope")
def test_missing_entities_answer_404_envelopes(rest, names, probe):
    # given a model with one version, another model, and a name no model has
    name, spare, unused = names("wire-missing"), names("wire-spare"), names("wire-never")
    version = {"name": name, "version": "1"}
    with probe.prerequisite("POST registered-models/create and model-versions/create"):
        for model in (name, spare):
            rest.ok("POST", "registered-models/create", json_body={"name": model})
        rest.ok(
            "POST",
            "model-versions/create",
            json_body={"name": name, "source": f"{SOURCE_ROOT}/{name}/1"},
        )
    # and each endpoint below answers a request about an entity that exists
    with probe.prerequisite("the endpoints below, about entities that exist"):
        rest.ok("GET", "registered-models/get", params={"name": name})
        rest.ok("DELETE", "registered-models/delete", json_body={"name": spare})
        rest.ok("GET", "model-versions/get", params=version)
        rest.ok("PATCH", "model-versions/update", json_body={**version, "description": "here"})

    # when the missing model and a missing version are read, edited and deleted
    # then each answer is RESOURCE_DOES_NOT_EXIST in the envelope, with 404
    with probe.feature("requests about a missing model or version"):
        expect_envelope(
            rest, MISSING, "GET", "registered-models/get", offered=True, params={"name": unused}
        )
        expect_envelope(
            rest,
            MISSING,
            "DELETE",
            "registered-models/delete",
            offered=True,
            json_body={"name": unused},
        )
        expect_envelope(
            rest,
            MISSING,
            "GET",
            "model-versions/get",
            offered=True,
            params={"name": name, "version": "7"},
        )
        expect_envelope(
            rest,
            MISSING,
            "PATCH",
            "model-versions/update",
            offered=True,
            json_body={"name": name, "version": "7", "description": "none"},
        )


@feature("wire.error-envelope")
def test_invalid_requests_answer_400_envelopes(rest, names, probe):
    # given a model with one version, read and found by the endpoints below
    name = names("wire-invalid")
    with probe.prerequisite("POST registered-models/create and model-versions/create"):
        rest.ok("POST", "registered-models/create", json_body={"name": name})
        rest.ok(
            "POST",
            "model-versions/create",
            json_body={"name": name, "source": f"{SOURCE_ROOT}/{name}/1"},
        )
    with probe.prerequisite("GET model-versions/get and registered-models/search"):
        rest.ok("GET", "model-versions/get", params={"name": name, "version": "1"})
        rest.ok("GET", "registered-models/search", params={"max_results": "5"})

    # when it is created again, a model is created without a name, a version that is not a
    # number is read, and a search is asked for a max_results that is not a number
    # then each answer is a sensible code in the envelope, with the status MLflow gives it
    with probe.feature("requests with a name in use or invalid parameters"):
        expect_envelope(
            rest,
            DUPLICATE,
            "POST",
            "registered-models/create",
            offered=True,
            json_body={"name": name},
        )
        expect_envelope(
            rest, REFUSED, "POST", "registered-models/create", offered=True, json_body={}
        )
        expect_envelope(
            rest,
            (*REFUSED, MISSING),  # no version is named "one"
            "GET",
            "model-versions/get",
            offered=True,
            params={"name": name, "version": "one"},
        )
        expect_envelope(
            rest,
            REFUSED,
            "GET",
            "registered-models/search",
            offered=True,
            params={"max_results": "many"},
        )
