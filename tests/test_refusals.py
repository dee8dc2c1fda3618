"""The refusal vocabulary (DESIGN.md, "Verdicts") against real answers.

Every answer is served by a real HTTP server (``tests/answering_server.py``) and read by the
stock ``MlflowClient``, and by MLflow's artifact download (which raises a ``requests.HTTPError``
of its own); what they raise is classified, and judged by the probe as the call under test, as a
prerequisite, as a step after an accepted operation, and by ``expect_error`` (a scenario that
reads a missing model).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import mlflow.artifacts
import pytest
import requests
from mlflow.exceptions import MlflowException, RestException
from mlflow.protos.databricks_pb2 import BAD_REQUEST, INVALID_PARAMETER_VALUE
from mlflow.tracking import MlflowClient
from mlflow.utils.rest_utils import augmented_raise_for_status

from conformance.outcomes import Outcome
from conformance.run.phase_outcome import outcome_of
from conformance.run.probe import Probe
from conformance.run.refusals import Kind, classify
from conformance.scenarios.error_answers import expect_error
from tests.answering_server import Answer, answering
from tests.servers import free_port

P, U, F, E = Outcome.PASSED, Outcome.UNSUPPORTED, Outcome.FAILED, Outcome.ERROR


def _json(status: int, **body: str) -> Answer:
    return Answer(status, json.dumps(body))


def _text(status: int, body: str, content_type: str = "text/plain") -> Answer:
    return Answer(status, body, content_type)


def _code(code: str, status: int = 400) -> Answer:
    return _json(status, error_code=code, message=f"the registry says {code}")


#: answer -> its kind, and the outcome it gives as the call under test, as a prerequisite, and
#: to expect_error("RESOURCE_DOES_NOT_EXIST", ...)
TABLE: dict[str, tuple[Answer, Kind, Outcome, Outcome, Outcome]] = {
    # "this operation is not offered"
    "bare 404": (_text(404, "<html>no</html>", "text/html"), Kind.REFUSAL, U, U, U),
    "404, a body without error_code": (_json(404, detail="Not Found"), Kind.REFUSAL, U, U, U),
    "bare 405": (_text(405, "Method Not Allowed"), Kind.REFUSAL, U, U, U),
    "bare 501": (_text(501, "Not Implemented"), Kind.REFUSAL, U, U, U),
    "ENDPOINT_NOT_FOUND": (_code("ENDPOINT_NOT_FOUND", 404), Kind.REFUSAL, U, U, U),
    "NOT_IMPLEMENTED": (_code("NOT_IMPLEMENTED", 501), Kind.REFUSAL, U, U, U),
    "FEATURE_DISABLED": (_code("FEATURE_DISABLED"), Kind.REFUSAL, U, U, U),
    # parameter refusals: not offered for these parameters; another code than expected
    "INVALID_PARAMETER_VALUE": (_code("INVALID_PARAMETER_VALUE"), Kind.REFUSAL, U, U, F),
    "BAD_REQUEST": (_code("BAD_REQUEST"), Kind.REFUSAL, U, U, F),
    # about entities the scenario has just observed: a wrong answer
    "RESOURCE_DOES_NOT_EXIST": (_code("RESOURCE_DOES_NOT_EXIST", 404), Kind.ENTITY, F, E, P),
    "RESOURCE_ALREADY_EXISTS": (_code("RESOURCE_ALREADY_EXISTS"), Kind.ENTITY, F, E, F),
    "INVALID_STATE": (_code("INVALID_STATE"), Kind.ENTITY, F, E, F),
    # MLflow's server sends INVALID_STATE as HTTP 500, which its client retries: the body is lost
    "INVALID_STATE as HTTP 500": (_code("INVALID_STATE", 500), Kind.MALFORMED, F, E, F),
    # broken or outside the vocabulary
    "HTML 500": (_text(500, "<html>Internal</html>", "text/html"), Kind.MALFORMED, F, E, F),
    "INTERNAL_ERROR": (_code("INTERNAL_ERROR", 500), Kind.MALFORMED, F, E, F),
    "bare 502": (_text(502, "Bad Gateway"), Kind.MALFORMED, F, E, F),
    "bare 400": (_text(400, "<html>Bad</html>", "text/html"), Kind.MALFORMED, F, E, F),
    "400, a body without error_code": (_json(400, error="bad"), Kind.MALFORMED, F, E, F),
    "HTML 200": (_text(200, "<html>ok</html>", "text/html"), Kind.MALFORMED, F, E, F),
    "an unknown code": (_code("QUOTA_EXCEEDED"), Kind.MALFORMED, F, E, F),
    "a code MLflow knows, outside the vocabulary": (_code("ABORTED", 409), Kind.MALFORMED, F, E, F),
    "database error as BAD_REQUEST": (
        _json(
            400,
            error_code="BAD_REQUEST",
            message="(sqlalchemy.exc.OperationalError) (1761, 'Foreign key constraint')",
        ),
        Kind.MALFORMED,
        F,
        E,
        F,
    ),
    # a right is missing
    "bare 401": (_text(401, "Unauthorized"), Kind.AUTH, E, E, E),
    "401, a body without error_code": (_json(401, error="unauthorized"), Kind.AUTH, E, E, E),
    "UNAUTHENTICATED": (_code("UNAUTHENTICATED", 401), Kind.AUTH, E, E, E),
    "bare 403": (_text(403, "<html>Forbidden</html>", "text/html"), Kind.AUTH, E, E, E),
    "PERMISSION_DENIED": (_code("PERMISSION_DENIED", 403), Kind.AUTH, E, E, E),
    "CUSTOMER_UNAUTHORIZED": (_code("CUSTOMER_UNAUTHORIZED", 401), Kind.AUTH, E, E, E),
    # try again later, or nobody answered
    "bare 503": (_text(503, "Service Unavailable"), Kind.TRANSPORT, E, E, E),
    "TEMPORARILY_UNAVAILABLE": (_code("TEMPORARILY_UNAVAILABLE", 503), Kind.TRANSPORT, E, E, E),
    "bare 429": (_text(429, "Too Many Requests"), Kind.TRANSPORT, E, E, E),
    "bare 504": (_text(504, "Gateway Timeout"), Kind.TRANSPORT, E, E, E),
    "connection reset": (Answer(action="reset"), Kind.TRANSPORT, E, E, E),
    "no answer in time": (Answer(action="stall", stall_s=3), Kind.TRANSPORT, E, E, E),
}

#: After an accepted operation nothing means "not offered": every kind is a wrong answer, but
#: those that allow no verdict.
AFTER_ACCEPTANCE = {
    Kind.REFUSAL: F,
    Kind.ENTITY: F,
    Kind.MALFORMED: F,
    Kind.AUTH: E,
    Kind.TRANSPORT: E,
}


@pytest.fixture(autouse=True)
def _fail_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """As the suite runs MLflow's client: no retries, a short timeout (the stall is longer)."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "1")


def _read_missing_model(url: str) -> Callable[[], object]:
    client = MlflowClient(tracking_uri=url, registry_uri=url)
    return lambda: client.get_registered_model("rc-missing")


def _outcome(judged: Callable[[], object]) -> Outcome:
    """The outcome a scenario gets from whatever ``judged`` raises (as phase_outcome decides)."""
    try:
        judged()
    except BaseException as exc:  # Unsupported is a pytest outcome, not an Exception
        return outcome_of(exc)
    return Outcome.PASSED


def _in_feature(probe: Probe, call: Callable[[], object]) -> None:
    with probe.feature("get_registered_model"):
        call()


def _in_prerequisite(probe: Probe, call: Callable[[], object]) -> None:
    with probe.prerequisite("get_registered_model"):
        call()


def _after_acceptance(probe: Probe, call: Callable[[], object]) -> None:
    with probe.after_acceptance("load the version", accepted="version 1"):
        call()


def _download_model_folder(url: str, into: Path) -> Callable[[], object]:
    """A consumer downloading a model folder that the tracking server at ``url`` proxies."""
    location = url.replace("http://", "mlflow-artifacts://", 1) + "/1/a-run/artifacts/model"
    return lambda: mlflow.artifacts.download_artifacts(
        location, dst_path=str(into), tracking_uri=url
    )


def _raised(call: Callable[[], object]) -> BaseException:
    with pytest.raises(Exception) as caught:
        call()
    return caught.value


@pytest.mark.parametrize("case", TABLE)
def test_every_kind_of_answer_through_the_stock_client(case: str):
    answer, kind, as_feature, as_prerequisite, as_expected_error = TABLE[case]
    with answering(answer) as url:
        call = _read_missing_model(url)
        probe = Probe()
        assert _outcome(lambda: _in_feature(probe, call)) is as_feature
        assert probe.evidence[-1]["classified_as"] == kind.value, probe.evidence
        assert _outcome(lambda: _in_prerequisite(Probe(), call)) is as_prerequisite
        assert _outcome(lambda: _after_acceptance(Probe(), call)) is AFTER_ACCEPTANCE[kind]
        assert (
            _outcome(lambda: expect_error("RESOURCE_DOES_NOT_EXIST", "a missing model", call))
            is as_expected_error
        )


#: Answers MLflow's artifact repositories raise as the ``requests.HTTPError`` of the answer
#: (the statuses its HTTP session retries, 5xx among them, come back as a RetryError instead).
RAISED_AS_HTTP_ERRORS = {
    "bare 404",
    "404, a body without error_code",
    "bare 405",
    "bare 501",
    "ENDPOINT_NOT_FOUND",
    "NOT_IMPLEMENTED",
    "FEATURE_DISABLED",
    "INVALID_PARAMETER_VALUE",
    "BAD_REQUEST",
    "RESOURCE_DOES_NOT_EXIST",
    "RESOURCE_ALREADY_EXISTS",
    "INVALID_STATE",
    "bare 400",
    "400, a body without error_code",
    "an unknown code",
    "a code MLflow knows, outside the vocabulary",
    "database error as BAD_REQUEST",
    "bare 401",
    "401, a body without error_code",
    "UNAUTHENTICATED",
    "bare 403",
    "PERMISSION_DENIED",
    "CUSTOMER_UNAUTHORIZED",
}


@pytest.mark.parametrize("case", TABLE)
def test_every_kind_of_answer_to_an_artifact_download(case: str, tmp_path: Path):
    answer, kind, as_feature, as_prerequisite, _ = TABLE[case]
    with answering(answer) as url:
        call = _download_model_folder(url, tmp_path)
        raised = _raised(call)
        assert isinstance(raised, requests.HTTPError) is (case in RAISED_AS_HTTP_ERRORS), raised
        assert classify(raised).kind is kind, raised
        probe = Probe()
        assert _outcome(lambda: _in_feature(probe, call)) is as_feature
        assert probe.evidence[-1]["classified_as"] == kind.value, probe.evidence
        assert _outcome(lambda: _in_prerequisite(Probe(), call)) is as_prerequisite
        assert _outcome(lambda: _after_acceptance(Probe(), call)) is AFTER_ACCEPTANCE[kind]


@pytest.mark.parametrize(
    ("case", "kind"),
    [
        ("bare 429", Kind.TRANSPORT),
        ("bare 503", Kind.TRANSPORT),
        ("bare 504", Kind.TRANSPORT),
        ("TEMPORARILY_UNAVAILABLE", Kind.TRANSPORT),
        ("HTML 500", Kind.MALFORMED),
        ("INTERNAL_ERROR", Kind.MALFORMED),
        ("bare 502", Kind.MALFORMED),
        # the body is at hand, unlike behind MLflow's REST client: its code speaks
        ("INVALID_STATE as HTTP 500", Kind.ENTITY),
        ("bare 403", Kind.AUTH),
        ("bare 405", Kind.REFUSAL),
    ],
)
def test_an_http_error_is_judged_by_its_status_and_body(case: str, kind: Kind):
    """Whatever status it carries: as raised by MLflow's check of an artifact answer."""
    with answering(TABLE[case][0]) as url:
        response = requests.get(f"{url}/api/2.0/mlflow-artifacts/artifacts/model", timeout=5)
    raised = _raised(lambda: augmented_raise_for_status(response))
    assert isinstance(raised, requests.HTTPError), raised
    assert classify(raised).kind is kind, raised


def test_nobody_listening_is_transport():
    call = _read_missing_model(f"http://127.0.0.1:{free_port()}")
    assert classify(_raised(call)).kind is Kind.TRANSPORT
    assert _outcome(lambda: _in_feature(Probe(), call)) is E
    assert _outcome(lambda: _in_prerequisite(Probe(), call)) is E
    assert _outcome(lambda: expect_error("RESOURCE_DOES_NOT_EXIST", "missing", call)) is E


def test_a_request_the_client_cannot_complete_has_no_answer_to_judge(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("MLFLOW_TRACKING_CLIENT_CERT_PATH", "/nonexistent/client-cert.pem")
    with answering(_json(200)) as url:
        call = _read_missing_model(url)
        assert classify(_raised(call)).kind is Kind.TRANSPORT
        assert _outcome(lambda: _in_feature(Probe(), call)) is E


@pytest.mark.parametrize("case", ["bare 401", "PERMISSION_DENIED"])
def test_an_auth_answer_names_the_credentials_the_client_reads(
    case: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "s3cret-token-value")
    with answering(TABLE[case][0]) as url:
        call = _read_missing_model(url)
        with pytest.raises(Exception) as caught, Probe().feature("get_registered_model"):
            call()
    message = str(caught.value)
    for variable in ("USERNAME", "PASSWORD", "TOKEN", "AUTH", "AWS_SIGV4", "CLIENT_CERT_PATH"):
        assert f"MLFLOW_TRACKING_{variable}" in message
    assert "set here: MLFLOW_TRACKING_TOKEN" in message
    assert "s3cret-token-value" not in message


def test_a_status_unseen_leaves_a_codeless_body_malformed():
    # Without the exchange (outside the probe) a RestException does not tell its status.
    codeless = RestException({"error": "unauthorized"})
    assert classify(codeless).kind is Kind.MALFORMED
    assert classify(codeless, status=401).kind is Kind.AUTH
    assert classify(codeless, status=404).kind is Kind.REFUSAL


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (MlflowException("bad", error_code=INVALID_PARAMETER_VALUE), Kind.REFUSAL),
        (MlflowException("boom"), Kind.MALFORMED),  # INTERNAL_ERROR
        (NotImplementedError("rename is not supported"), Kind.REFUSAL),
        (KeyError("latest_versions"), Kind.MALFORMED),
    ],
)
def test_in_process_stores_raise_without_http(exc: BaseException, kind: Kind):
    assert classify(exc).kind is kind


def test_a_parameter_refusal_is_not_a_missing_operation():
    parameters = classify(MlflowException("Invalid order by key", error_code=BAD_REQUEST))
    assert parameters.kind is Kind.REFUSAL
    assert not parameters.not_offered
    operation = classify(NotImplementedError("no rename"))
    assert operation.kind is Kind.REFUSAL
    assert operation.not_offered
