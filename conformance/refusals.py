"""Tell a clean refusal from a malformed answer and from transport trouble.

A refusal is what a registry says when it does not offer an operation: an MLflow error body
with an error code in the 4xx range (or NOT_IMPLEMENTED), a bare HTTP 404/405/501 for the
endpoint, or a client/plugin ``NotImplementedError``. A 500, an HTML page for anything else,
or a body without an error code is a malformed answer: the registry accepted and broke.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from enum import Enum

import requests
from mlflow.exceptions import MlflowException, RestException

_BARE_STATUS = re.compile(r"failed with error code (\d{3}) != \d{3}")
# With retries lowered, urllib3 turns a retryable status into this instead of returning the answer.
_RETRIED_STATUS = re.compile(r"too many (\d{3}) error responses")
_TRANSIENT_STATUSES = frozenset({408, 429, 503, 504})
# How SQLAlchemy prefixes a database driver's exception: "(psycopg.errors.UndefinedFunction) ...".
_DATABASE_ERROR = re.compile(
    r"\((sqlalchemy|psycopg2?|pymysql|MySQLdb|mysql\.connector|sqlite3|pyodbc|pymssql)[\w.]*\)"
)
_REFUSING_BARE_STATUSES = frozenset({404, 405, 501})
# Codes that say "try again later" or "who are you": no verdict about the feature can be drawn.
_TRANSIENT_CODES = frozenset(
    {
        "TEMPORARILY_UNAVAILABLE",
        "DEADLINE_EXCEEDED",
        "REQUEST_LIMIT_EXCEEDED",
        "RESOURCE_EXHAUSTED",
        "UNAUTHENTICATED",
        "CUSTOMER_UNAUTHORIZED",
        "CANCELLED",
    }
)
_REFUSING_SERVER_CODES = frozenset({"NOT_IMPLEMENTED"})


class Kind(str, Enum):
    REFUSAL = "refusal"
    TRANSPORT = "transport"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class Classification:
    kind: Kind
    reason: str


def classify(exc: BaseException) -> Classification:
    """Classify an exception raised by a registry call."""
    retried = _RETRIED_STATUS.search(str(exc))
    if retried:
        status = int(retried.group(1))
        kind = Kind.TRANSPORT if status in _TRANSIENT_STATUSES else Kind.MALFORMED
        return Classification(kind, f"HTTP {status} from the registry")
    if _is_transport(exc):
        return Classification(Kind.TRANSPORT, _first_line(exc))
    if isinstance(exc, NotImplementedError):
        return Classification(Kind.REFUSAL, f"not implemented: {_first_line(exc) or 'no message'}")
    if isinstance(exc, MlflowException):
        return _classify_mlflow(exc)
    return Classification(Kind.MALFORMED, f"{type(exc).__name__}: {_first_line(exc)}")


def _classify_mlflow(exc: MlflowException) -> Classification:
    name = exc.error_code  # MlflowException keeps the code's name, e.g. "INVALID_PARAMETER_VALUE"
    message = _first_line(exc)
    if name in _TRANSIENT_CODES:
        return Classification(Kind.TRANSPORT, message)
    bare = _BARE_STATUS.search(str(exc.message))
    if bare and not isinstance(exc, RestException):
        # The answer had no JSON error body: only "no such endpoint" statuses count as refusals.
        status = int(bare.group(1))
        if status in _REFUSING_BARE_STATUSES:
            return Classification(Kind.REFUSAL, f"HTTP {status} without an MLflow error body")
        return Classification(Kind.MALFORMED, f"HTTP {status} without an MLflow error body")
    if isinstance(exc, RestException) and not exc.json.get("error_code"):
        return Classification(Kind.MALFORMED, f"error body without error_code: {message}")
    if name == "BAD_REQUEST" and _DATABASE_ERROR.search(message):
        # MLflow's SQL stores report any database exception as BAD_REQUEST: a crash, not a no.
        return Classification(Kind.MALFORMED, f"database error reported as BAD_REQUEST: {message}")
    if exc.get_http_status_code() < 500 or name in _REFUSING_SERVER_CODES:
        return Classification(Kind.REFUSAL, message if name in message else f"{name}: {message}")
    return Classification(Kind.MALFORMED, message if name in message else f"{name}: {message}")


def _is_transport(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
            return True
        if isinstance(current, ConnectionError | TimeoutError | socket.timeout):
            return True
        current = current.__cause__ or current.__context__
    return False


def _first_line(exc: BaseException) -> str:
    text = exc.message if isinstance(exc, MlflowException) else str(exc)
    return str(text).strip().splitlines()[0][:500] if str(text).strip() else ""
