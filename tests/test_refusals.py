"""Refusal, malformed answer and transport trouble are told apart from real MLflow exceptions."""

import pytest
import requests
from mlflow.exceptions import MlflowException, RestException
from mlflow.protos.databricks_pb2 import BAD_REQUEST, INVALID_PARAMETER_VALUE

from conformance.refusals import Kind, classify


def _bare_http(status: int) -> MlflowException:
    """What MLflow's REST client raises for an answer without a JSON body."""
    response = requests.Response()
    response.status_code = status
    response._content = b"<html>nope</html>"
    from mlflow.utils.rest_utils import verify_rest_response

    with pytest.raises(MlflowException) as caught:
        verify_rest_response(response, "/api/2.0/mlflow/registered-models/rename")
    return caught.value


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (RestException({"error_code": "INVALID_PARAMETER_VALUE", "message": "no"}), Kind.REFUSAL),
        (RestException({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "x"}), Kind.REFUSAL),
        (RestException({"error_code": "NOT_IMPLEMENTED", "message": "x"}), Kind.REFUSAL),
        (RestException({"error_code": "PERMISSION_DENIED", "message": "x"}), Kind.REFUSAL),
        (RestException({"error_code": "INTERNAL_ERROR", "message": "boom"}), Kind.MALFORMED),
        (RestException({"message": "no code"}), Kind.MALFORMED),
        (RestException({"error_code": "TEMPORARILY_UNAVAILABLE", "message": "x"}), Kind.TRANSPORT),
        (MlflowException("bad", error_code=INVALID_PARAMETER_VALUE), Kind.REFUSAL),
        (MlflowException("boom"), Kind.MALFORMED),
        (NotImplementedError("rename is not supported"), Kind.REFUSAL),
        (KeyError("latest_versions"), Kind.MALFORMED),
    ],
)
def test_classify_exceptions(exc, kind):
    assert classify(exc).kind is kind


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (404, Kind.REFUSAL),
        (405, Kind.REFUSAL),
        (501, Kind.REFUSAL),
        (500, Kind.MALFORMED),
        (400, Kind.MALFORMED),
        (502, Kind.MALFORMED),
    ],
)
def test_bare_http_statuses(status, kind):
    verdict = classify(_bare_http(status))
    assert verdict.kind is kind
    assert str(status) in verdict.reason


def test_transport_errors_are_found_through_the_exception_chain():
    # MLflow's REST client raises inside `except` without `from`: only __context__ links them.
    outer = MlflowException("API request to http://h failed with exception refused")
    outer.__context__ = requests.exceptions.ConnectionError("refused")
    assert classify(outer).kind is Kind.TRANSPORT


@pytest.mark.parametrize(
    ("status", "kind"),
    [(500, Kind.MALFORMED), (502, Kind.MALFORMED), (503, Kind.TRANSPORT), (429, Kind.TRANSPORT)],
)
def test_statuses_hidden_behind_exhausted_retries(status, kind):
    # What MLflow's client raises for a retryable status once MLFLOW_HTTP_REQUEST_MAX_RETRIES=0.
    exc = MlflowException(
        "API request to http://h/api/2.0/mlflow/model-versions/get failed with exception "
        "HTTPConnectionPool(host='h', port=5000): Max retries exceeded with url: /x "
        f"(Caused by ResponseError('too many {status} error responses'))"
    )
    verdict = classify(exc)
    assert verdict.kind is kind
    assert verdict.reason == f"HTTP {status} from the registry"


def test_a_database_crash_reported_as_bad_request_is_not_a_refusal():
    # MLflow's SQL store on PostgreSQL, archive_existing_versions with a string version (3.17.2).
    crash = MlflowException(
        "(psycopg.errors.UndefinedFunction) operator does not exist: integer <> character varying",
        error_code=BAD_REQUEST,
    )
    assert classify(crash).kind is Kind.MALFORMED
    refusal = MlflowException("Invalid order by key 'creation_timestamp'", error_code=BAD_REQUEST)
    assert classify(refusal).kind is Kind.REFUSAL
