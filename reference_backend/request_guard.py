"""MLflow's JSON error envelope for requests that MLflow's Flask handlers answer with an HTML 500.

MLflow's handlers end in an unhandled exception, which Flask answers with a plain-HTML 500 that
MLflow's client retries and reports as a server fault, on:

* a body that is JSON but not an object (``[]``, ``1``, ``"x"``, a double-encoded string that is
  not JSON), nested too deep for Python's parser, or holding lone surrogates (``"\\ud800"``:
  valid JSON, no valid Unicode; protobuf's parser fails with a ``SystemError``);
* a parameter of a type its schema checks do not expect (``{"max_results": []}`` or
  ``Infinity``: ``int()`` raises ``TypeError``/``OverflowError``, they catch ``ValueError``);
* an artifact path longer than the file system allows (``OSError`` ``ENAMETOOLONG``);
* an operation this backend does not implement (traces, ...): the abstract store's
  ``NotImplementedError``;
* a webhook event or status its enums do not know (``ENTITY_UNSPECIFIED``, an action the entity
  does not have): ``WebhookEvent.from_proto`` raises a ``ValueError``.

Here bad input is ``INVALID_PARAMETER_VALUE`` (400), with the message MLflow gives a wrong
content type or a wrongly typed parameter, and the missing operation ``NOT_IMPLEMENTED`` (501),
as the in-process store refuses it; both in MLflow's JSON envelope (see DIFFERENCES.md).
"""

from __future__ import annotations

import errno
import functools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import NOT_IMPLEMENTED
from mlflow.utils.validation import invalid_value

if TYPE_CHECKING:
    from flask import Flask, Response

# Where MLflow's protobuf and JSON handlers live (artifact up- and downloads carry other bodies).
_JSON_API_PREFIXES = (
    "/api/2.0/mlflow/",
    "/api/3.0/mlflow/",
    "/ajax-api/2.0/mlflow/",
    "/ajax-api/3.0/mlflow/",
)
# The one handler that reads the raw body, where MLflow's others take "no JSON" for "{}".
_RAW_BODY_PATH_SUFFIX = "/runs/log-batch"
# The one handler that decodes a JSON document inside the body, and expects an object there.
_MODEL_JSON_PATH_SUFFIX = "/runs/log-model"
_NOT_AN_OBJECT = "Bad Request. The request body must be a JSON object."
_NOT_UNICODE = "Bad Request. The request body holds a string that is not valid Unicode."
_MODEL_NOT_AN_OBJECT = "Malformed model info: model_json must be a JSON object."


def _error_response(error: MlflowException) -> Response:
    from flask import Response

    return Response(
        error.serialize_as_json(),
        status=error.get_http_status_code(),
        mimetype="application/json",
    )


def _has_lone_surrogate(document: Any) -> bool:
    """Whether a decoded JSON document holds a string (key or value) UTF-8 cannot encode."""
    pending = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def body_problem() -> str | None:
    """Why MLflow's handlers would fail on this request's body, or None.

    Mirrors ``mlflow.server.handlers._get_normalized_request_json``: a GET with a query string
    is read from it; a POST/PUT that is not ``application/json`` is refused by MLflow itself; a
    body that is not JSON at all counts as empty (except for log-batch, whose handler reads it
    raw); a JSON string is decoded once more. log-model's ``model_json`` must decode to an
    object, if it decodes.
    """
    from flask import request

    if not request.path.startswith(_JSON_API_PREFIXES):
        return None
    if request.method == "GET" and request.args:
        return None
    if request.method in ("POST", "PUT"):
        content_type = (request.content_type or "").split(";")[0]
        if content_type != "application/json":
            return None
    try:
        body = request.get_json(force=True, silent=True)
        if isinstance(body, str):
            body = json.loads(body)
    except (ValueError, RecursionError):
        return _NOT_AN_OBJECT
    if body is None:
        return _NOT_AN_OBJECT if request.path.endswith(_RAW_BODY_PATH_SUFFIX) else None
    if not isinstance(body, dict):
        return _NOT_AN_OBJECT
    if _has_lone_surrogate(body):
        return _NOT_UNICODE
    if request.path.endswith(_MODEL_JSON_PATH_SUFFIX) and not _is_object_or_no_json(
        body.get("model_json")
    ):
        return _MODEL_NOT_AN_OBJECT
    return None


def _is_object_or_no_json(text: Any) -> bool:
    """Whether MLflow's log-model handler can read ``text``: not a JSON document at all (it
    refuses that itself) or a JSON object."""
    if not isinstance(text, str):
        return True
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        return True


def _refuse_unreadable_body() -> Response | None:
    if problem := body_problem():
        return _error_response(MlflowException.invalid_parameter_value(problem))
    return None


def _not_implemented(error: NotImplementedError) -> Response:
    from flask import request

    detail = f": {error}" if str(error) else ""
    message = f"{request.method} {request.path} is not implemented by the reference backend{detail}"
    return _error_response(MlflowException(message, NOT_IMPLEMENTED))


def _typed_schema_check(check: Callable[..., None]) -> Callable[..., None]:
    """MLflow's per-parameter schema check, with a type its validators trip on refused as
    MLflow refuses a wrong type (its own message) instead of escaping as a ``TypeError``."""

    @functools.wraps(check)
    def checked(schema: Any, param: str, value: Any, proto_parsing_succeeded: bool = False):
        try:
            return check(schema, param, value, proto_parsing_succeeded)
        except (TypeError, ValueError, AttributeError, OverflowError) as error:
            hint = f" Hint: Value was of type '{type(value).__name__}'."
            raise MlflowException.invalid_parameter_value(
                invalid_value(param, value, hint)
                + " See the API docs for more information about request parameters."
            ) from error

    checked.__wrapped_by_reference_backend__ = True  # type: ignore[attr-defined]
    return checked


def _name_too_long(error: OSError) -> Response:
    """A path the request names that the file system refuses as too long is bad input (MLflow's
    local artifact repository lets ``ENAMETOOLONG`` escape); any other OS error stays a 500."""
    if error.errno != errno.ENAMETOOLONG:
        raise error
    return _error_response(
        MlflowException.invalid_parameter_value(f"Invalid path: {error.strerror}")
    )


def _webhook_enum(error: ValueError) -> Response:
    """A webhook request whose events or status MLflow's enums cannot read is bad input; any
    other ``ValueError`` stays a 500."""
    from flask import request

    if "/mlflow/webhooks" not in request.path:
        raise error
    return _error_response(
        MlflowException.invalid_parameter_value(f"Invalid webhook event or status: {error}")
    )


def install(app: Flask) -> None:
    """Add the answers to MLflow's app and handlers (once per process, before its first
    request)."""
    from mlflow.server import handlers

    app.before_request(_refuse_unreadable_body)
    app.register_error_handler(NotImplementedError, _not_implemented)
    app.register_error_handler(OSError, _name_too_long)
    app.register_error_handler(ValueError, _webhook_enum)
    check = handlers._validate_param_against_schema
    if not getattr(check, "__wrapped_by_reference_backend__", False):
        handlers._validate_param_against_schema = _typed_schema_check(check)
