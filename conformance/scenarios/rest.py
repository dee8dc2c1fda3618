"""What the wire scenarios (the ``wire.`` features) stand on: requests to the target's REST API
itself, below MLflow's client, which hides retries, coerces types, takes an empty body for ``{}``
and shows its own text for an error without a message.

Requests go out through MLflow's ``http_request`` with the host credentials of the client's own
registry store, so they carry exactly the authentication and TLS settings MLflow's client sends
(``MLFLOW_TRACKING_TOKEN``, username and password, ``MLFLOW_TRACKING_INSECURE_TLS``, client
certificates...), its headers and its time limit; the run's retry setting applies too. Each one
passes through ``requests``, so the probe records it as evidence like any other exchange.

A 200 answer is read as MLflow's client reads it (an empty body is ``{}``): how strictly an
answer keeps the format is ``wire.endpoints``' question (:func:`documented`), so that one row, not
every wire row, fails where only the format is wrong. Any other answer is raised as
``requests.HTTPError``, which the probe classifies by the refusal vocabulary (a bare 404/405 is
"not offered", a 401 no verdict, a 500 a wrong answer).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import requests
from mlflow.exceptions import ERROR_CODE_TO_HTTP_STATUS
from mlflow.utils.rest_utils import http_request

from conformance.run.refusals import classify
from conformance.run.registry_client import direct
from conformance.scenarios.error_answers import unexpected

#: Where MLflow's REST API mounts the registry's RPCs (``_REST_API_PATH_PREFIX`` + ``/mlflow/``).
API = "/api/2.0/mlflow/"
JSON = "application/json"


@dataclass(frozen=True)
class Answer:
    """One answer of the REST API, as it came over the wire."""

    request: str
    status: int
    content_type: str
    text: str
    response: requests.Response

    def body(self) -> Any:
        """The JSON body as MLflow's client reads it: an empty body is ``{}``; a body that is
        not JSON raises ``ValueError`` (a wrong answer, to the probe)."""
        return json.loads(self.text) if self.text.strip() else {}


class Rest:
    """The target's REST API, with the credentials and settings of MLflow's client."""

    def __init__(self, client: Any) -> None:
        store = getattr(direct(client), "store", None)
        host_creds = getattr(store, "get_host_creds", None)
        if host_creds is None:
            raise TypeError(f"{type(store).__name__} is no REST store: not an HTTP target")
        self._host_creds = host_creds

    def send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        data: bytes | None = None,
        content_type: str = JSON,
    ) -> Answer:
        """``method`` on ``API + path``: ``params`` in the query string (a list repeats the
        key), ``json_body`` as JSON, or ``data`` as given with ``content_type``."""
        kwargs: dict[str, Any] = {"params": params}
        headers = None
        if json_body is not None:
            kwargs["json"] = json_body
        elif data is not None:
            kwargs["data"] = data
            headers = {"Content-Type": content_type}
        response = http_request(
            self._host_creds(),
            API + path,
            method,
            raise_on_status=False,
            extra_headers=headers,
            **kwargs,
        )
        return Answer(
            f"{method} {API}{path}",
            response.status_code,
            response.headers.get("Content-Type", ""),
            response.text,
            response,
        )

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        """The JSON body of a 200 answer (:meth:`Answer.body`); any other status is raised as
        ``requests.HTTPError`` for the probe to classify."""
        return self.ok_answer(method, path, **kwargs).body()

    def ok_answer(self, method: str, path: str, **kwargs: Any) -> Answer:
        """:meth:`ok`, keeping the whole answer (its content type and raw body)."""
        answer = self.send(method, path, **kwargs)
        if answer.status != 200:
            raise requests.HTTPError(
                f"{answer.request} answered HTTP {answer.status}: {answer.text[:300]}",
                response=answer.response,
            )
        return answer


def documented(answer: Answer, field: str | None) -> dict[str, Any]:
    """The answer's JSON object, checked as ``wire.endpoints`` requires: labelled
    ``application/json``, a JSON object (not an empty body), holding ``field`` (None: ``{}``)."""
    assert answer.content_type.split(";")[0].strip().lower() == JSON, (
        f"{answer.request} answered 200 with Content-Type {answer.content_type!r}, not {JSON}"
    )
    assert answer.text.strip(), (
        f"{answer.request} answered 200 with an empty body, not a JSON object ({{}} at least)"
    )
    body = json.loads(answer.text)
    assert isinstance(body, dict), f"{answer.request} answered {answer.text[:200]!r}: no object"
    if field is not None:
        assert isinstance(body.get(field), dict | list | str), (
            f"{answer.request} answered {answer.text[:300]!r}, without its field {field!r}"
        )
    return body


def expect_envelope(
    rest: Rest,
    codes: str | Collection[str],
    method: str,
    path: str,
    *,
    offered: bool = False,
    **kwargs: Any,
) -> dict:
    """Send a request that must fail with one of MLflow's error ``codes``: its answer must be
    MLflow's JSON envelope (``error_code``, ``message``) with the status MLflow gives the code it
    sent. Which of several sensible codes a registry picks is ``errors.codes``' question.

    Any other answer is judged as :func:`conformance.scenarios.error_answers.unexpected` judges
    it: one that only says "not offered" (a bare 404/405, ENDPOINT_NOT_FOUND) makes the scenario
    unsupported, unless the scenario has seen the endpoint answer (``offered``): then a bare 404
    for a missing entity is the very envelope fault this checks; one that allows no verdict
    (401/403, 429/503/504, no answer) leaves it inconclusive."""
    codes = (codes,) if isinstance(codes, str) else tuple(codes)
    answer = rest.send(method, path, **kwargs)
    what = f"{answer.request} ({_shown(kwargs)})"
    expected = " or ".join(codes)
    assert answer.status >= 400, (
        f"{what}: expected error {expected}, but the registry answered HTTP {answer.status}: "
        f"{answer.text[:300]}"
    )
    try:
        body = json.loads(answer.text)
    except ValueError:
        body = None
    code = body.get("error_code") if isinstance(body, dict) else None
    if code not in codes:
        shown = " ".join(answer.text.split())[:300]
        error = requests.HTTPError(
            f"{answer.content_type or 'no content type'}: {shown}", response=answer.response
        )
        unexpected(
            what, f"{expected} in MLflow's JSON envelope", classify(error), error, offered=offered
        )
    status = ERROR_CODE_TO_HTTP_STATUS[code]
    assert answer.status == status, (
        f"{what}: answered {code} with HTTP status {answer.status}; MLflow maps {code} to {status}"
    )
    assert answer.content_type.split(";")[0].strip().lower() == JSON, (
        f"{what}: answered {code} with Content-Type {answer.content_type!r}, not {JSON}"
    )
    message = body.get("message")
    assert isinstance(message, str), f"{what}: answered {code} with message {message!r}"
    assert message.strip(), (
        f"{what}: answered {code} without a message (the envelope is error_code and message): "
        f"{answer.text[:300]}"
    )
    return body


def _shown(kwargs: dict[str, Any]) -> str:
    given = {key: value for key, value in kwargs.items() if value is not None}
    return ", ".join(f"{key}={value!r}" for key, value in given.items())[:200] or "no parameters"
