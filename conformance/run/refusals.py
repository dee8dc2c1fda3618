"""What an answer to a registry call means: the refusal vocabulary of DESIGN.md ("Verdicts").

Each rule is about the kind of answer, never about which call it answers:

* ``REFUSAL``: "this operation is not offered": a bare HTTP 404/405/501 (no MLflow error code),
  ``ENDPOINT_NOT_FOUND``, ``NOT_IMPLEMENTED``, ``FEATURE_DISABLED``, a ``NotImplementedError``;
  and the parameter refusals ``INVALID_PARAMETER_VALUE``/``BAD_REQUEST`` (the probe checks that
  they left the state unchanged).
* ``ENTITY``: "does not exist", "already exists", "wrong state". The scenario has just created or
  observed the entities its calls are about, so such an answer to a call under test contradicts
  what it saw: a wrong answer, never a missing feature.
* ``AUTH``: 401, 403, ``UNAUTHENTICATED``, ``PERMISSION_DENIED``, ``CUSTOMER_UNAUTHORIZED``: a right
  is missing, which says nothing about the feature.
* ``TRANSPORT``: nobody answered, or "try again later": connection refused or reset, timeouts,
  a request MLflow's client could not complete, 408/429/503/504, ``TEMPORARILY_UNAVAILABLE`` and
  the other rate and deadline codes; and an answer that broke off on the way: short of the length
  it declared, or a body that ends mid-JSON-value (its parser ran out of input), whatever its
  status (a cut error answer is no bare status). What did not arrive whole was not said, so it
  cannot be judged; a body that is complete and still not JSON is ``MALFORMED``.
* ``MALFORMED``: everything else: 500 and other statuses without an MLflow error body, HTML, a
  body without ``error_code``, a database error wrapped as ``BAD_REQUEST``, any error code outside
  this vocabulary, and exceptions that are not answers at all.

An answer is judged the same whoever read it: MLflow's REST client (an ``MlflowException``) or
MLflow's artifact repositories, which raise the ``requests.HTTPError`` of the answer itself. A
download of several files that failed is reported by MLflow as one text listing each file's
failure: it is judged by its worst part, a wrong answer before one that allows no verdict, that
before a refusal.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
from dataclasses import dataclass
from enum import Enum

import requests
import urllib3
from mlflow.exceptions import MlflowException, RestException

NOT_OFFERED_CODES = frozenset({"ENDPOINT_NOT_FOUND", "NOT_IMPLEMENTED", "FEATURE_DISABLED"})
PARAMETER_CODES = frozenset({"INVALID_PARAMETER_VALUE", "BAD_REQUEST"})
ENTITY_CODES = frozenset({"RESOURCE_DOES_NOT_EXIST", "RESOURCE_ALREADY_EXISTS", "INVALID_STATE"})
AUTH_CODES = frozenset({"UNAUTHENTICATED", "PERMISSION_DENIED", "CUSTOMER_UNAUTHORIZED"})
TRANSIENT_CODES = frozenset(
    {"TEMPORARILY_UNAVAILABLE", "REQUEST_LIMIT_EXCEEDED", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED"}
)
#: Statuses that need no MLflow error body to be understood.
NOT_OFFERED_STATUSES = frozenset({404, 405, 501})
AUTH_STATUSES = frozenset({401, 403})
TRANSIENT_STATUSES = frozenset({408, 429, 503, 504})

# How MLflow's REST client words an answer without a JSON body.
_BARE_STATUS = re.compile(r"failed with error code (\d{3}) != \d{3}")
# With retries lowered, urllib3 turns a retryable status into this instead of returning the answer.
_RETRIED_STATUS = re.compile(r"too many (\d{3}) error responses")
# How MLflow's REST client words any failure to get an answer at all (its http_request).
_NO_ANSWER = re.compile(r"^API request to \S+ failed with exception ")
# How MLflow's REST client quotes an answer's body that is not JSON (a 2xx answer's, or an error
# answer's: then only its status speaks): "API request to ... <why>. Response body: '<body>'".
_BODY_MARK = ". Response body: '"
_CUT_SHORT = "the answer broke off: its JSON body ends mid-value"
# The start of a JSON token, all that is left where a parser stopped at a cut (see _ran_out).
_PARTIAL_TOKEN = re.compile(
    r"u[0-9a-fA-F]{0,4}(?:\\(?:u[0-9a-fA-F]{0,4})?)?"  # an escape, or a surrogate pair's
    r"|-|\.|[eE][+-]?|t(?:ru?)?|f(?:a(?:ls?)?)?|n(?:ul?)?"  # a number's or a literal's start
)
# How urllib3 and http.client word an answer that ended before its declared end.
# (Only as the whole exception's text: the words inside a registry's own message are its answer.)
_BROKEN_OFF = re.compile(
    r"\(?'?(?:Connection broken: |Response ended prematurely|IncompleteRead\()"
)
# How MLflow's artifact repositories list the files a download could not fetch, one part each.
_DOWNLOAD_FAILURES = re.compile(r"^The following failures occurred while downloading")
_DOWNLOAD_PART = re.compile(r"^##### File (.*?) #####$", re.M)
# The worst part of a download decides it: a wrong answer, then no verdict, then a refusal.
_PART_RANK = ("malformed", "entity", "auth", "transport", "refusal")
# How SQLAlchemy prefixes a database driver's exception: "(psycopg.errors.UndefinedFunction) ...".
_DATABASE_ERROR = re.compile(
    r"\((sqlalchemy|psycopg2?|pymysql|MySQLdb|mysql\.connector|sqlite3|pyodbc|pymssql)[\w.]*\)"
)


class Kind(str, Enum):
    REFUSAL = "refusal"
    ENTITY = "entity"
    AUTH = "auth"
    TRANSPORT = "transport"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class Classification:
    kind: Kind
    reason: str
    #: A refusal of the call's parameters (INVALID_PARAMETER_VALUE, BAD_REQUEST), not of the
    #: operation: it means "not offered" only for what the call asked, with the state unchanged.
    about_parameters: bool = False

    @property
    def not_offered(self) -> bool:
        """A refusal of the operation itself, whatever its parameters."""
        return self.kind is Kind.REFUSAL and not self.about_parameters


def classify(exc: BaseException, status: int | None = None) -> Classification:
    """Classify an exception raised by a registry call.

    ``status``: the HTTP status of the answer behind it, when the caller saw the exchange;
    MLflow's ``RestException`` keeps the answer's JSON body but not its status.
    """
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        # An artifact download's answer, raised as is: its status and body are at hand.
        if ends_mid_json(exc.response.text):
            return Classification(Kind.TRANSPORT, f"{_CUT_SHORT}: {_first_line(exc)}")
        return _classify_answer(*_status_and_code(exc.response), _first_line(exc))
    retried = _RETRIED_STATUS.search(str(exc))
    if retried:
        code = int(retried.group(1))
        kind = Kind.TRANSPORT if code in TRANSIENT_STATUSES else Kind.MALFORMED
        return Classification(kind, f"HTTP {code} from the registry")
    if _is_transport(exc) or _NO_ANSWER.match(str(exc)) or _BROKEN_OFF.match(str(exc)):
        # No answer came back (refused, reset, timed out, or the client broke on the way):
        # nothing the registry said can be judged.
        return Classification(Kind.TRANSPORT, _first_line(exc))
    if isinstance(exc, json.JSONDecodeError) and _ran_out(exc):
        return Classification(Kind.TRANSPORT, f"{_CUT_SHORT}: {exc.msg}")
    if isinstance(exc, NotImplementedError):
        return Classification(Kind.REFUSAL, f"not implemented: {_first_line(exc) or 'no message'}")
    if not isinstance(exc, MlflowException):
        return Classification(Kind.MALFORMED, f"{type(exc).__name__}: {_first_line(exc)}")
    if _DOWNLOAD_FAILURES.match(str(exc.message)):
        return _worst_part(str(exc.message))
    if _broke_off(str(exc.message)):
        return Classification(Kind.TRANSPORT, f"{_CUT_SHORT}: {_first_line(exc)}")
    message = _first_line(exc)
    if isinstance(exc, RestException):
        code = str(exc.json.get("error_code") or "")
        if code.isdigit():  # a proxy's status as the code; MLflow's client reads it so too
            status, code = status or int(code), ""
        return _classify_answer(status, code, message)
    bare = _BARE_STATUS.search(str(exc.message))
    if bare:  # the answer had no JSON body: only its status speaks
        return _classify_answer(int(bare.group(1)), "", message)
    return _classify_answer(None, exc.error_code, message)  # raised in-process, by a store


def _classify_answer(status: int | None, code: str, message: str) -> Classification:
    """One answer: its HTTP status (None in-process) and MLflow error code ("" when it has none)."""
    if status in AUTH_STATUSES or code in AUTH_CODES:
        return Classification(Kind.AUTH, _with_code(code or f"HTTP {status}", message))
    if status in TRANSIENT_STATUSES or code in TRANSIENT_CODES:
        return Classification(Kind.TRANSPORT, _with_code(code or f"HTTP {status}", message))
    if not code:
        kind = Kind.REFUSAL if status in NOT_OFFERED_STATUSES else Kind.MALFORMED
        answer = f"HTTP {status}" if status else "an error answer"
        return Classification(kind, f"{answer} without an MLflow error code: {message}")
    if code in NOT_OFFERED_CODES:
        return Classification(Kind.REFUSAL, _with_code(code, message))
    if code in PARAMETER_CODES:
        if code == "BAD_REQUEST" and _DATABASE_ERROR.search(message):
            # MLflow's SQL stores report any database exception as BAD_REQUEST: a crash, not a no.
            return Classification(
                Kind.MALFORMED, f"database error reported as BAD_REQUEST: {message}"
            )
        return Classification(Kind.REFUSAL, _with_code(code, message), about_parameters=True)
    if code in ENTITY_CODES:
        return Classification(Kind.ENTITY, _with_code(code, message))
    return Classification(Kind.MALFORMED, _with_code(code, message))


def _broke_off(message: str) -> bool:
    """Whether MLflow quotes an answer's body that is not JSON, and the body ends mid-value. (An
    empty body did not break off: it is a bare status, MLflow's empty 2xx is "{}".)"""
    head, mark, body = message.partition(_BODY_MARK)
    if not (mark and message.startswith("API request to ") and body.endswith("'")):
        return False
    if "not in a valid JSON format" not in head and not _BARE_STATUS.search(head):
        return False
    return ends_mid_json(body[:-1])


def ends_mid_json(body: str) -> bool:
    """Whether ``body`` is the start of a JSON text that ended early (never an empty body)."""
    if not body.strip():
        return False
    try:
        json.loads(body)
    except json.JSONDecodeError as exc:
        return _ran_out(exc)
    return False


def _ran_out(exc: json.JSONDecodeError) -> bool:
    """Whether the parser stopped because the text ended (rather than at a wrong character):
    at its end, inside a string, or at a token that the end cut short (``-``, ``1.``, ``1e+``,
    ``tr``, ``\\u6``: from where the parser stopped, nothing but that token's start is left)."""
    return (
        exc.pos >= len(exc.doc.rstrip())
        or exc.msg.startswith("Unterminated string")
        or _PARTIAL_TOKEN.fullmatch(exc.doc, exc.pos) is not None
    )


def _worst_part(message: str) -> Classification:
    """A download's failures, each file's judged as an answer of its own; the worst decides."""
    pieces = _DOWNLOAD_PART.split(message)[1:]  # path, text, path, text, ...
    parts = [
        (path, classify(MlflowException(text.strip())))
        for path, text in zip(pieces[::2], pieces[1::2], strict=True)
    ]
    if not parts:
        return Classification(Kind.MALFORMED, message.splitlines()[0][:500])
    path, worst = min(parts, key=lambda part: _PART_RANK.index(part[1].kind.value))
    return Classification(worst.kind, f"downloading {path}: {worst.reason}"[:500])


def _status_and_code(response: requests.Response) -> tuple[int, str]:
    """An answer's status and the MLflow error code of its JSON body ("" without one)."""
    try:
        body = response.json()
    except ValueError:  # HTML, text, or nothing
        return response.status_code, ""
    code = str(body.get("error_code") or "") if isinstance(body, dict) else ""
    return response.status_code, "" if code.isdigit() else code


def _with_code(code: str, message: str) -> str:
    return message if code in message else f"{code}: {message}"


def _is_transport(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(
            current,
            requests.exceptions.ConnectionError
            | requests.exceptions.Timeout
            | requests.exceptions.ChunkedEncodingError  # the answer broke off on the way
            | urllib3.exceptions.ProtocolError
            | http.client.IncompleteRead,
        ):
            return True
        if isinstance(current, ConnectionError | TimeoutError | socket.timeout):
            return True
        current = current.__cause__ or current.__context__
    return False


def _first_line(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, MlflowException) else str(exc)
    return str(text).strip().splitlines()[0][:500] if str(text).strip() else ""
