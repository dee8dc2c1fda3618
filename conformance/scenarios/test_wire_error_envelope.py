"""Core feature ``wire.error-envelope``: errors in MLflow's JSON envelope (``error_code``,
``message``) with the status MLflow gives the code (HTTP targets only).

Each request below must fail; :func:`conformance.scenarios.rest.expect_envelope` checks the
answer on the wire. (``errors.codes`` measures the codes through MLflow's client, which shows
its own text where the message is missing.)
"""

from __future__ import annotations

from conformance.scenarios.error_answers import DUPLICATE, INVALID, MISSING
from conformance.scenarios.markers import feature
from conformance.scenarios.prerequisites import SOURCE_ROOT
from conformance.scenarios.rest import expect_envelope


@feature("wire.error-envelope")
def test_missing_entities_answer_404_envelopes(rest, names, probe):
    # given a model with one version, and a name no model has
    name, unused = names("wire-missing"), names("wire-never")
    with probe.prerequisite("POST registered-models/create and model-versions/create"):
        rest.ok("POST", "registered-models/create", json_body={"name": name})
        rest.ok(
            "POST",
            "model-versions/create",
            json_body={"name": name, "source": f"{SOURCE_ROOT}/{name}/1"},
        )

    # when the missing model and a missing version are read, edited and deleted
    # then each answer is RESOURCE_DOES_NOT_EXIST in the envelope, with 404
    with probe.feature("requests about a missing model or version"):
        expect_envelope(rest, MISSING, "GET", "registered-models/get", params={"name": unused})
        expect_envelope(
            rest, MISSING, "DELETE", "registered-models/delete", json_body={"name": unused}
        )
        expect_envelope(
            rest, MISSING, "GET", "model-versions/get", params={"name": name, "version": "7"}
        )
        expect_envelope(
            rest,
            MISSING,
            "PATCH",
            "model-versions/update",
            json_body={"name": name, "version": "7", "description": "none"},
        )


@feature("wire.error-envelope")
def test_invalid_requests_answer_400_envelopes(rest, names, probe):
    # given a model
    name = names("wire-invalid")
    with probe.prerequisite("POST registered-models/create"):
        rest.ok("POST", "registered-models/create", json_body={"name": name})

    # when it is created again, a model is created without a name, a version that is not a
    # number is read, and a search is asked for a max_results that is not a number
    # then each answer is its code in the envelope, with 400
    with probe.feature("requests with a name in use or invalid parameters"):
        expect_envelope(
            rest, DUPLICATE, "POST", "registered-models/create", json_body={"name": name}
        )
        expect_envelope(rest, INVALID, "POST", "registered-models/create", json_body={})
        expect_envelope(
            rest, INVALID, "GET", "model-versions/get", params={"name": name, "version": "one"}
        )
        expect_envelope(
            rest, INVALID, "GET", "registered-models/search", params={"max_results": "many"}
        )
