"""Calls a scenario expects to fail: which MLflow error codes may answer, and over HTTP with
which status (MLflow's own mapping, ``mlflow.exceptions.ERROR_CODE_TO_HTTP_STATUS``).

:func:`expect_error` expects one code (or, if asked, a clean refusal); any other answer is
judged by the refusal vocabulary (:func:`unexpected`, also the judge of the wire rows'
:func:`conformance.scenarios.rest.expect_envelope`): an operation not offered at all makes the
scenario unsupported, transport and auth trouble leave it without a verdict, and anything else
is a wrong answer. :func:`expect_codes` judges the same way, but a call may accept several codes
(MLflow answers an alias that does not exist with INVALID_PARAMETER_VALUE where other
registries say RESOURCE_DOES_NOT_EXIST), and on HTTP targets the answer's status and JSON body
are checked too.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, NoReturn

from mlflow.exceptions import ERROR_CODE_TO_HTTP_STATUS, MlflowException, RestException

from conformance.run import http_exchanges
from conformance.run.probe import Inconclusive, Unsupported, answer_status, no_verdict
from conformance.run.refusals import Classification, Kind, classify

MISSING = "RESOURCE_DOES_NOT_EXIST"
DUPLICATE = "RESOURCE_ALREADY_EXISTS"
INVALID = "INVALID_PARAMETER_VALUE"

#: How a registry may say that an alias resolves to nothing: MLflow's stores answer
#: INVALID_PARAMETER_VALUE ("alias ... not found"), others RESOURCE_DOES_NOT_EXIST.
ALIAS_GONE = (MISSING, INVALID)


def expect_error(
    code: str, what: str, call: Callable[..., Any], *args: Any, or_refused: bool = False
) -> Exception:
    """Run ``call(*args)`` and check that the registry answers with MLflow error ``code``.

    Any other answer is judged by the refusal vocabulary: an operation not offered at all (a
    bare 404, ``ENDPOINT_NOT_FOUND``, ...) makes the scenario unsupported, transport and auth
    trouble leave it without a verdict, and any other code is a wrong answer. ``or_refused``: a
    clean refusal does as well as ``code`` (a write that must not act, refused as it is refused
    everywhere; whether it changed anything the scenario judges by the state it reads after).
    """
    try:
        with http_exchanges.recording() as exchanges:
            result = call(*args)
    except Exception as exc:
        error = exc
    else:
        raise AssertionError(f"{what}: expected error {code}, but the registry answered {result!r}")
    if isinstance(error, MlflowException) and _sent_code(error) == code:
        return error
    answer = classify(error, answer_status(exchanges))
    if or_refused and answer.kind is Kind.REFUSAL:
        return error
    unexpected(what, code, answer, error)


def expect_codes(
    codes: Collection[str], what: str, call: Callable[..., Any], *args: Any, **kwargs: Any
) -> str:
    """Run ``call`` and check that the registry answers with one of MLflow's error ``codes``
    (over HTTP: with MLflow's status for that code and a JSON error body); the code it sent."""
    try:
        with http_exchanges.recording() as exchanges:
            result = call(*args, **kwargs)
    except Exception as exc:
        error = exc
    else:
        raise AssertionError(
            f"{what}: expected error {' or '.join(codes)}, but the registry answered {result!r}"
        )
    sent = _sent_code(error) if isinstance(error, MlflowException) else ""
    if sent in codes:
        _check_http_answer(what, sent, exchanges)
        return sent
    unexpected(what, " or ".join(codes), classify(error, answer_status(exchanges)), error)


def unexpected(
    what: str,
    expected: str,
    answer: Classification,
    error: BaseException,
    *,
    offered: bool = False,
) -> NoReturn:
    """Judge an answer that is not the error ``expected``: an operation not offered at all makes
    the scenario unsupported (unless the scenario has seen it ``offered``: then it is a wrong
    answer like any other), transport and auth trouble leave it without a verdict, and anything
    else is a wrong answer."""
    if answer.not_offered and not offered:
        raise Unsupported(f"{what}: {answer.reason}") from error
    if answer.kind in (Kind.TRANSPORT, Kind.AUTH):
        raise Inconclusive(no_verdict(what, answer)) from None
    raise AssertionError(f"{what}: expected error {expected}, got {answer.reason[:300]}") from error


def _sent_code(error: MlflowException) -> str:
    """The error code as the registry sent it (MLflow's client maps codes it does not know)."""
    if isinstance(error, RestException):
        return str(error.json.get("error_code") or "")
    return error.error_code


def _check_http_answer(what: str, code: str, exchanges: list[dict[str, Any]]) -> None:
    """On an HTTP target, the failing exchange (the last one) has MLflow's status for ``code``
    and a JSON body (MLflow's client read ``code`` from it); in-process targets have none."""
    if not exchanges:
        return
    last = exchanges[-1]
    expected = ERROR_CODE_TO_HTTP_STATUS[code]
    assert last.get("status") == expected, (
        f"{what}: answered {code} with HTTP status {last.get('status')}; MLflow maps {code} "
        f"to {expected} ({last.get('request')})"
    )
    content_type = str(last.get("content_type") or "")
    assert "json" in content_type.lower(), (
        f"{what}: answered {code} (HTTP {expected}) with content type {content_type!r}, "
        "not MLflow's JSON error envelope"
    )
