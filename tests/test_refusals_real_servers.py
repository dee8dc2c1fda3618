"""The refusal vocabulary against what real registries answer: a real ``mlflow server`` on SQLite
and the reference backend behind MLflow's handlers (``serve_in_thread``), read by the stock
``MlflowClient`` (and by its REST layer for an endpoint the server does not have)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from mlflow.protos.model_registry_pb2 import GetRegisteredModel
from mlflow.tracking import MlflowClient
from mlflow.utils.credentials import get_default_host_creds
from mlflow.utils.rest_utils import call_endpoint

from conformance.outcomes import Outcome
from conformance.run.phase_outcome import outcome_of
from conformance.run.probe import Probe
from conformance.run.refusals import Kind
from conformance.scenarios.error_answers import expect_error
from reference_backend.server import serve_in_thread

pytestmark = pytest.mark.slow

P, U, F, E = Outcome.PASSED, Outcome.UNSUPPORTED, Outcome.FAILED, Outcome.ERROR


@pytest.fixture(scope="module")
def reference_http() -> Iterator[str]:
    with serve_in_thread() as url:
        yield url


@pytest.fixture(params=["reference-http", "mlflow-server"])
def server(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # as the suite runs the client
    fixture = "reference_http" if request.param == "reference-http" else "mlflow_sqlite_server"
    return request.getfixturevalue(fixture)


def _judged(judge: Callable[[], object]) -> Outcome:
    try:
        judge()
    except BaseException as exc:  # Unsupported is a pytest outcome, not an Exception
        return outcome_of(exc)
    return Outcome.PASSED


def _as_feature(probe: Probe, call: Callable[[], object], **state) -> Outcome:
    def judge() -> None:
        with probe.feature("call under test", **state):
            call()

    return _judged(judge)


def _as_prerequisite(call: Callable[[], object]) -> Outcome:
    def judge() -> None:
        with Probe().prerequisite("prerequisite"):
            call()

    return _judged(judge)


def _check(
    call: Callable[[], object],
    kind: Kind,
    outcomes: tuple[Outcome, Outcome, Outcome],
    expected_code: str = "RESOURCE_DOES_NOT_EXIST",
    **state,
) -> None:
    """``call``'s answer has ``kind``, and gives ``outcomes`` as the call under test, as a
    prerequisite and to ``expect_error(expected_code)``."""
    probe = Probe()
    as_feature = _as_feature(probe, call, **state)
    assert probe.evidence[-1]["classified_as"] == kind.value, probe.evidence
    got = (
        as_feature,
        _as_prerequisite(call),
        _judged(lambda: expect_error(expected_code, "the call", call)),
    )
    assert got == outcomes, probe.evidence


def _name(hint: str) -> str:
    return f"rc-vocab-{hint}-{uuid.uuid4().hex[:8]}"


def test_a_missing_model_is_an_answer_about_an_entity(server: str):
    client = MlflowClient(server, server)
    _check(lambda: client.get_registered_model(_name("missing")), Kind.ENTITY, (F, E, P))


def test_a_taken_name_is_an_answer_about_an_entity(server: str):
    client = MlflowClient(server, server)
    name = _name("taken")
    client.create_registered_model(name)
    try:
        _check(
            lambda: client.create_registered_model(name),
            Kind.ENTITY,
            (F, E, P),
            expected_code="RESOURCE_ALREADY_EXISTS",
        )
    finally:
        client.delete_registered_model(name)


def test_a_filter_it_does_not_take_is_a_parameter_refusal(server: str):
    client = MlflowClient(server, server)
    call = lambda: client.search_registered_models(filter_string="name ~~ 'x'")  # noqa: E731
    _check(call, Kind.REFUSAL, (U, U, F))


def test_a_source_it_refuses_is_a_parameter_refusal_that_changed_nothing(server: str):
    client = MlflowClient(server, server)
    name = _name("source")
    client.create_registered_model(name)
    try:
        call = lambda: client.create_model_version(name, "file:///tmp/rc-no-run", run_id=None)  # noqa: E731
        versions = lambda: client.get_registered_model(name).latest_versions  # noqa: E731
        _check(call, Kind.REFUSAL, (U, U, F), state=versions)
    finally:
        client.delete_registered_model(name)


@pytest.mark.parametrize(("method", "endpoint"), [
    ("GET", "/api/2.0/mlflow/registered-models/no-such-operation"),  # 404, HTML
    ("POST", "/api/2.0/mlflow/registered-models/get"),  # 405, HTML
])  # fmt: skip
def test_an_endpoint_it_does_not_have_is_not_offered(server: str, method: str, endpoint: str):
    creds = get_default_host_creds(server)
    call = lambda: call_endpoint(creds, endpoint, method, "{}", GetRegisteredModel.Response())  # noqa: E731
    _check(call, Kind.REFUSAL, (U, U, U))
