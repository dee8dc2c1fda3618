"""Hostile input over HTTP: the served reference backend never answers 5xx and never falls over.

Every endpoint of MLflow's registry and webhook services, and every tracking endpoint served, is
read from MLflow's own protobuf service descriptors (method, path, request fields) and fuzzed with
hypothesis: malformed and non-object JSON, wrong types, huge and negative numbers, unknown fields,
unicode edge cases (lone surrogates, NUL, bidi controls, very long strings), missing fields, junk
query strings and path segments. Identifiers are drawn partly from entities seeded before each
endpoint, so requests also reach the store, not only MLflow's validation.

Property of every answer: below 500; JSON; a 4xx carries MLflow's error envelope (``error_code``,
``message``) whose code maps to that very status in MLflow's ``ERROR_CODE_TO_HTTP_STATUS`` (what
MLflow's server answers for that code). After each endpoint the server still answers; at the end
it is still running and logged no traceback.

Bounded and reproducible: ``derandomize=True`` (the seed comes from the test), no example
database, ``EXAMPLES_PER_ENDPOINT`` each.
"""

from __future__ import annotations

import http.client
import json
import math
import urllib.parse
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mlflow.exceptions import ERROR_CODE_TO_HTTP_STATUS
from mlflow.protos import databricks_pb2
from mlflow.protos.model_registry_pb2 import ModelRegistryService
from mlflow.protos.service_pb2 import MlflowService
from mlflow.protos.webhooks_pb2 import WebhookService

from tests.served_reference import ServedReference, served_reference_backend

pytestmark = pytest.mark.slow

EXAMPLES_PER_ENDPOINT = 60
REQUEST_TIMEOUT_S = 30

# The tracking endpoints the reference backend serves (README: experiments, runs, metric
# history, inputs and outputs, logged models, artifacts listing). Traces, workspaces, datasets,
# scorers, gateway, ... answer NOT_IMPLEMENTED (test_unserved_endpoints_refuse_in_json).
SERVED_TRACKING_RPCS = frozenset(
    {
        "getExperimentByName",
        "createExperiment",
        "searchExperiments",
        "getExperiment",
        "deleteExperiment",
        "restoreExperiment",
        "updateExperiment",
        "setExperimentTag",
        "deleteExperimentTag",
        "createRun",
        "updateRun",
        "deleteRun",
        "restoreRun",
        "getRun",
        "searchRuns",
        "logMetric",
        "logParam",
        "setTag",
        "deleteTag",
        "logBatch",
        "logModel",
        "logInputs",
        "logOutputs",
        "getMetricHistory",
        "getMetricHistoryBulkInterval",
        "listArtifacts",
        "createPresignedUploadUrl",
        "createPresignedDownloadUrl",
        "createLoggedModel",
        "finalizeLoggedModel",
        "getLoggedModel",
        "deleteLoggedModel",
        "searchLoggedModels",
        "setLoggedModelTags",
        "deleteLoggedModelTag",
        "listLoggedModelArtifacts",
        "LogLoggedModelParams",
    }
)


@dataclass(frozen=True)
class Endpoint:
    rpc: str
    method: str
    path: str  # with {placeholders} for path parameters
    request: Descriptor

    @property
    def id(self) -> str:
        return f"{self.method} {self.path.removeprefix('/api/')}"


def _endpoints(service: Any, wanted: frozenset[str] | None) -> list[Endpoint]:
    found = []
    for method in service.DESCRIPTOR.methods:
        if wanted is not None and method.name not in wanted:
            continue
        for endpoint in method.GetOptions().Extensions[databricks_pb2.rpc].endpoints:
            path = f"/api/{endpoint.since.major}.0{endpoint.path}"
            found.append(Endpoint(method.name, endpoint.method, path, method.input_type))
    return found


REGISTRY_ENDPOINTS = _endpoints(ModelRegistryService, None)
TRACKING_ENDPOINTS = _endpoints(MlflowService, SERVED_TRACKING_RPCS)
WEBHOOK_ENDPOINTS = _endpoints(WebhookService, None)
ENDPOINTS = REGISTRY_ENDPOINTS + TRACKING_ENDPOINTS + WEBHOOK_ENDPOINTS

# Seeded identifiers: the strategies draw these tokens, each request gets the current values.
MODEL, OTHER, FRESH, RUN, EXPERIMENT, EXPERIMENT_NAME, LOGGED = (
    "<model>",
    "<other>",
    "<fresh>",
    "<run>",
    "<experiment>",
    "<experiment-name>",
    "<logged>",
)


@dataclass
class Seed:
    """Entities made before each endpoint is fuzzed (earlier fuzzing may have deleted the last)."""

    model: str
    other: str
    run: str
    experiment: str
    experiment_name: str
    logged: str

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str):
            for token, real in (
                (MODEL, self.model),
                (OTHER, self.other),
                (FRESH, f"fz-fresh-{uuid.uuid4().hex[:8]}"),
                (RUN, self.run),
                (EXPERIMENT_NAME, self.experiment_name),
                (EXPERIMENT, self.experiment),
                (LOGGED, self.logged),
            ):
                value = value.replace(token, real)
            return value
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if isinstance(value, dict):
            return {self.resolve(key): self.resolve(item) for key, item in value.items()}
        return value


# Hostile values

LONG = 70_000  # past 65,535 and every column width MLflow's SQL stores use
HOSTILE_STRINGS = [
    "",
    " ",
    "\t\n",
    "\x00",
    "a\x00b",
    "\ud800",  # lone surrogates: valid JSON escapes, not encodable as UTF-8
    "\udfff",
    "a\ud83d",
    "\u202ename\u202c",  # bidi override
    "\u200f\u05e9\u05dd",  # RTL mark, Hebrew
    "\ufeff",
    "\U0001f600" * 20,
    "\u0130\u00df\uff21",  # dotted capital I, sharp s, fullwidth A: case folding and width
    "e\u0301",  # combining accent
    "x" * 257,
    "x" * 5001,
    "x" * LONG,
    "..",
    "../../etc/passwd",
    "a/b",
    "a:b",
    "%",
    "%25%00",
    "'",
    '"',
    "\\",
    "a' OR '1'='1",
    "`",
    "*",
    "null",
    "true",
    "NaN",
    "-1",
    "0",
    "1e400",
    "9" * 40,
    "models:/",
    "runs:/",
    "file:///etc/passwd",
]
HUGE_NUMBERS = [
    0,
    -1,
    -(2**31),
    2**31,
    2**53 + 1,
    2**63 - 1,
    2**63,
    -(2**63) - 1,
    2**64,
    10**100,
    -(10**100),
    1.5,
    -0.0,
    1e308,
    -1e308,
    5e-324,
    math.inf,
    -math.inf,
    math.nan,
]


def _json_leaf() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.sampled_from(HUGE_NUMBERS),
        st.integers(),
        st.floats(),
        st.sampled_from(HOSTILE_STRINGS),
        st.text(st.characters(exclude_categories=()), max_size=30),
    )


JSON_ANY = st.recursive(
    _json_leaf(),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=10), children, max_size=4),
    ),
    max_leaves=12,
)
ANY_TEXT = st.one_of(
    st.sampled_from(HOSTILE_STRINGS),
    st.text(st.characters(exclude_categories=()), max_size=40),
)

# Meaningful values per field name: seeded identifiers and near-valid variants.
POOLS: dict[str, list[Any]] = {
    "name": [MODEL, OTHER, FRESH, f"{MODEL}-missing", EXPERIMENT_NAME],
    "new_name": [FRESH, OTHER, MODEL],
    "experiment_name": [EXPERIMENT_NAME, FRESH, "Default"],
    "version": ["1", "2", "3", "0", "-1", "01", " 1", "1.0", "1e2", "2147483648", "9" * 30],
    "alias": ["champion", "latest", "LATEST", "v1", "Champion", "a b"],
    "key": ["k", "mlflow.prompt.is_prompt", "mlflow.runName", "m", "p", "a/b", ".."],
    "value": ["v", "true", "", "1"],
    "stage": ["Staging", "Production", "None", "Archived", "staging", "Nope"],
    "source": [
        "s3://bucket/path",
        f"models:/{MODEL}/1",
        f"models:/{MODEL}@champion",
        f"models:/{MODEL}/Production",
        f"models:/{MODEL}/latest",
        f"models:/{LOGGED}",
        "models:/m-missing",
        f"runs:/{RUN}/model",
        "runs:/missing/model",
        "file:///etc",
        "/tmp",
        "mlflow-artifacts:/x",
        "s3://b/../../x",
        "dbfs:/x",
        "http://127.0.0.1:1/x",
    ],
    "run_id": [RUN, "missing", RUN.upper()],
    "run_uuid": [RUN, "missing"],
    "run_ids": [RUN, "missing"],
    "source_run_id": [RUN, "missing"],
    "experiment_id": ["0", EXPERIMENT, "999999", "-1", "abc"],
    "experiment_ids": ["0", EXPERIMENT, "999999"],
    "model_id": [LOGGED, "m-missing"],
    "filter": [
        f"name = '{MODEL}'",
        "name LIKE 'fz-%'",
        "name ILIKE '%M%'",
        "tags.k = 'v'",
        "tags.`k` != 'v' AND name = 'x'",
        "version_number > 1",
        "run_id IN ('a', 'b')",
        "name IN ()",
        "name =",
        "(((",
        "name = 'a' OR name = 'b'",
        "attribute.name = 'x'",
        "metrics.m > 1",
        "params.p = '1'",
        "creation_timestamp > -1",
        "name = 'x' AND",
        "tags.mlflow.prompt.is_prompt = 'true'",
    ],
    "order_by": [
        "name ASC",
        "name DESC",
        "creation_timestamp DESC",
        "last_updated_timestamp",
        "timestamp ASC",
        "version_number DESC",
        "name ASC, name DESC",
        "junk",
        "metrics.m",
        "name SIDEWAYS",
    ],
    "page_token": ["", "abc", "eyJ9", "eyJuYW1lIjogMX0=", "W10=", "=="],
    "max_results": [0, 1, 2, -1, 1000, 1001, 50_000, 200_001, 10**9],
    "metric_key": ["m", "missing"],
    "path": ["", "x", "../..", "/etc", "model"],
    "description": ["d", ""],
    "run_link": ["http://x", ""],
    "status": ["RUNNING", "FINISHED", "FAILED", "KILLED", "SCHEDULED", "READY", "PENDING"],
    "view_type": ["ACTIVE_ONLY", "DELETED_ONLY", "ALL", "NONE"],
    "model_json": [
        '{"artifact_path": "m", "flavors": {}}',
        json.dumps(
            {
                "artifact_path": "m",
                "flavors": {"python_function": {}},
                "utc_time_created": "2024-01-01 00:00:00.000000",
                "run_id": RUN,
            }
        ),
        json.dumps({"artifact_path": 1, "flavors": [], "utc_time_created": None, "run_id": 2}),
        json.dumps({"artifact_path": [], "flavors": "x", "utc_time_created": 1, "run_id": RUN}),
        "{}",
        "[]",
        "1",
        "{",
        '"x"',
    ],
}


def _scalar(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    """A value for one (non-repeated) occurrence of ``field``: plausible, hostile or mistyped."""
    pool = POOLS.get(field.name, [])
    choices: list[st.SearchStrategy[Any]] = [JSON_ANY]
    if pool:
        choices.append(st.sampled_from(pool))
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        choices.append(st.deferred(lambda: _message(field.message_type, depth=1)))
    elif field.type == FieldDescriptor.TYPE_ENUM:
        names = [value.name for value in field.enum_type.values]
        numbers = [value.number for value in field.enum_type.values]
        choices += [st.sampled_from(names), st.sampled_from(numbers), ANY_TEXT]
    elif field.type == FieldDescriptor.TYPE_BOOL:
        choices.append(st.sampled_from([True, False, "true", "false", "yes", 0, 1, 2]))
    elif field.type in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES):
        choices.append(ANY_TEXT)
    else:  # numbers
        choices += [
            st.sampled_from(HUGE_NUMBERS),
            st.integers(),
            st.sampled_from(["1", "-1", "abc", "1e5", "0x10", ""]),
        ]
    return st.one_of(choices)


def _value(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    if field.is_repeated:
        return st.one_of(st.lists(_scalar(field), max_size=4), _scalar(field))
    return _scalar(field)


def _message(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """A JSON object for ``descriptor``: any subset of its fields, maybe unknown ones too."""
    if depth > 2:
        return st.dictionaries(st.text(max_size=8), _json_leaf(), max_size=2)
    fields = {
        field.name: _value(field)
        for field in descriptor.fields
        if depth == 0 or field.type != FieldDescriptor.TYPE_MESSAGE
    }
    known = st.fixed_dictionaries({}, optional=fields)
    unknown = st.dictionaries(
        st.one_of(st.sampled_from(["runId", "unknown", "__proto__", ""]), ANY_TEXT),
        JSON_ANY,
        max_size=2,
    )
    return st.tuples(known, unknown).map(lambda pair: {**pair[1], **pair[0]})


# Raw bodies that are not a JSON object, or not JSON at all.
RAW_BODIES = [
    b"",
    b"{",
    b"}",
    b"[]",
    b"[{}]",
    b"null",
    b"0",
    b"-1e999",
    b"true",
    b'"x"',
    b'"{}"',
    b'"[1]"',
    b'"\\"x\\""',
    b"NaN",
    b'{"name": NaN}',
    b'{"name": "a", "name": "b"}',
    b'{"name": "\\ud800"}',
    b"\xff\xfe{}",
    b"\xef\xbb\xbf{}",
    b'{"name": "\xc3\x28"}',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b"{" + b'"k": 1,' * 10_000 + b'"k": 2}',
]
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "text/plain",
    "application/x-www-form-urlencoded",
    None,
]


def _encode(value: Any) -> bytes:
    """JSON text as a client could send it: ensure_ascii keeps lone surrogates as escapes."""
    return json.dumps(value, allow_nan=True).encode()


@dataclass(frozen=True)
class Request:
    path_params: Mapping[str, str]
    query: list[tuple[str, str]] | None  # GET: pairs to percent-encode; None = no query string
    raw_query: str | None  # GET: sent as is
    body: Any  # a JSON value to encode (tokens resolved first) ...
    raw_body: bytes | None  # ... or these bytes
    content_type: str | None


PATH_PARAM = st.one_of(
    st.sampled_from([LOGGED, "m-missing", "k", "mlflow.runName", "..", ".", "%", "\x00", "-1"]),
    st.text(st.characters(exclude_categories=(), exclude_characters="/"), min_size=1, max_size=40),
)
RAW_QUERIES = ["%", "%zz", "a=%ff%fe", "&&==&", "name", "=x", "name=%00", "name=%ED%A0%80"]


def _query_pairs(descriptor: Descriptor) -> st.SearchStrategy[list[tuple[str, str]]]:
    keys = [field.name for field in descriptor.fields]
    value = st.one_of(
        st.sampled_from([v for pool in POOLS.values() for v in pool]).map(str),
        ANY_TEXT,
        st.sampled_from(HUGE_NUMBERS).map(str),
        st.sampled_from(["true", "false", "TRUE", "2", ""]),
    )
    key = st.one_of(st.sampled_from(keys or ["name"]), st.sampled_from(["unknown", ""]), ANY_TEXT)
    return st.lists(st.tuples(key, value), max_size=6)


def requests_for(endpoint: Endpoint) -> st.SearchStrategy[Request]:
    params = [part[1:-1] for part in endpoint.path.split("/") if part.startswith("{")]
    path_params = st.fixed_dictionaries({name: PATH_PARAM for name in params})
    object_body = _message(endpoint.request)
    raw = st.one_of(st.sampled_from(RAW_BODIES), st.binary(max_size=64))
    content_type = st.one_of(st.just("application/json"), st.sampled_from(CONTENT_TYPES))
    if endpoint.method == "GET":
        return st.one_of(
            st.builds(
                Request, path_params, _query_pairs(endpoint.request), st.none(), st.none(),
                st.none(), st.none(),
            ),
            st.builds(
                Request, path_params, st.none(), st.sampled_from(RAW_QUERIES), st.none(),
                st.none(), st.none(),
            ),
            # Without a query string MLflow reads a GET's parameters from its JSON body.
            st.builds(Request, path_params, st.none(), st.none(), object_body, st.none(),
                      content_type),
            st.builds(Request, path_params, st.none(), st.none(), st.none(), raw,
                      content_type),
        )  # fmt: skip
    return st.one_of(
        st.builds(Request, path_params, st.none(), st.none(), object_body, st.none(),
                  content_type),
        st.builds(Request, path_params, st.none(), st.none(), st.none(), raw, content_type),
    )  # fmt: skip


# Python's http.server refuses a request line over 64 KiB with its own HTML 414, before any
# MLflow code runs; query strings are cut below that.
MAX_QUERY = 60_000


def _quote(text: str) -> str:
    return urllib.parse.quote(text.encode("utf-8", "surrogatepass"), safe="")


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: bytes


def send(base_url: str, endpoint: Endpoint, request: Request, seed: Seed) -> Answer:
    path = endpoint.path
    for name, value in request.path_params.items():
        path = path.replace(f"{{{name}}}", _quote(seed.resolve(value)))
    if request.query is not None:
        pairs = [(seed.resolve(key), seed.resolve(value)) for key, value in request.query]
        query = "&".join(f"{_quote(key)}={_quote(value)}" for key, value in pairs)[:MAX_QUERY]
        path = f"{path}?{query}" if query else path
    elif request.raw_query is not None:
        path = f"{path}?{request.raw_query}"
    body = request.raw_body
    if request.body is not None:
        body = _encode(seed.resolve(request.body))
    headers = {"Content-Type": request.content_type} if request.content_type else {}
    host, port = urllib.parse.urlsplit(base_url).netloc.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=REQUEST_TIMEOUT_S)
    try:
        connection.request(endpoint.method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.getheader("Content-Type", ""), response.read())
    finally:
        connection.close()


def check(endpoint: Endpoint, answer: Answer) -> None:
    shown = answer.body[:300]
    assert answer.status < 500, f"{endpoint.id}: {answer.status} {shown!r}"
    assert answer.content_type.startswith("application/json"), (
        f"{endpoint.id}: {answer.status} {answer.content_type} {shown!r}"
    )
    document = json.loads(answer.body)
    assert isinstance(document, dict), f"{endpoint.id}: {shown!r}"
    if answer.status >= 400:
        code, message = document.get("error_code"), document.get("message")
        assert isinstance(code, str), f"{endpoint.id}: {shown!r}"
        assert isinstance(message, str), f"{endpoint.id}: {shown!r}"
        assert ERROR_CODE_TO_HTTP_STATUS.get(code) == answer.status, (
            f"{endpoint.id}: {code} answered with HTTP {answer.status}, MLflow maps it to "
            f"{ERROR_CODE_TO_HTTP_STATUS.get(code)}"
        )


# The served backend and its seed


def _call(url: str, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """A well-formed request that must succeed (seeding, liveness)."""
    connection = http.client.HTTPConnection(urllib.parse.urlsplit(url).netloc, timeout=30)
    try:
        if method == "GET":
            path = f"{path}?{urllib.parse.urlencode(body)}"
            connection.request(method, f"/api/2.0/mlflow/{path}")
        else:
            headers = {"Content-Type": "application/json"}
            connection.request(method, f"/api/2.0/mlflow/{path}", _encode(body), headers)
        response = connection.getresponse()
        text = response.read()
        assert response.status == 200, f"{method} {path}: {response.status} {text[:300]!r}"
        return json.loads(text)
    finally:
        connection.close()


def make_seed(url: str) -> Seed:
    tag = uuid.uuid4().hex[:8]
    model, other, experiment_name = f"fz-{tag}", f"fz-{tag}-other", f"fz-exp-{tag}"
    experiment = _call(url, "POST", "experiments/create", {"name": experiment_name})
    experiment_id = experiment["experiment_id"]
    run = _call(url, "POST", "runs/create", {"experiment_id": experiment_id})["run"]["info"]
    run_id = run["run_id"]
    _call(
        url,
        "POST",
        "runs/log-batch",
        {
            "run_id": run_id,
            "metrics": [{"key": "m", "value": 1.0, "timestamp": 1, "step": 0}],
            "params": [{"key": "p", "value": "1"}],
            "tags": [{"key": "k", "value": "v"}],
        },
    )
    logged = _call(
        url,
        "POST",
        "logged-models",
        {"experiment_id": experiment_id, "source_run_id": run_id, "tags": [{"key": "k"}]},
    )["model"]["info"]["model_id"]
    _call(url, "POST", "registered-models/create", {"name": model, "tags": [{"key": "k"}]})
    _call(url, "POST", "registered-models/create", {"name": other})
    for source in ("s3://bucket/1", "s3://bucket/2"):
        _call(url, "POST", "model-versions/create", {"name": model, "source": source})
    _call(url, "POST", "model-versions/set-tag", {"name": model, "version": "1", "key": "k"})
    alias = {"name": model, "alias": "champion", "version": "1"}
    _call(url, "POST", "registered-models/alias", alias)
    return Seed(model, other, run_id, experiment_id, experiment_name, logged)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedReference]:
    workdir: Path = tmp_path_factory.mktemp("fuzz")
    with served_reference_backend(workdir, f"fuzz-{uuid.uuid4().hex[:8]}") as served:
        yield served


EXAMPLES_RUN: dict[str, int] = {}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.id for e in ENDPOINTS])
def test_hostile_requests_get_mlflow_error_answers(served: ServedReference, endpoint: Endpoint):
    seed = make_seed(served.url)
    EXAMPLES_RUN[endpoint.id] = 0

    @settings(
        max_examples=EXAMPLES_PER_ENDPOINT,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(request=requests_for(endpoint))
    def fuzz(request: Request) -> None:
        EXAMPLES_RUN[endpoint.id] += 1
        check(endpoint, send(served.url, endpoint, request, seed))

    fuzz()
    # Still serving, and still consistent: the seed's untouched twin reads back.
    got = _call(served.url, "GET", "registered-models/search", {"max_results": "1"})
    assert "next_page_token" in got or "registered_models" in got
    assert served.process.poll() is None


UNSERVED_ROUTES = [
    ("POST", "/api/2.0/mlflow/traces"),
    ("PATCH", "/api/2.0/mlflow/traces/tr-1"),
    ("GET", "/api/2.0/mlflow/traces/tr-1/info"),
    ("GET", "/api/3.0/mlflow/traces/tr-1"),
]


@pytest.mark.parametrize(("method", "path"), UNSERVED_ROUTES)
def test_unserved_endpoints_refuse_in_json(served: ServedReference, method: str, path: str):
    """What the backend does not implement is NOT_IMPLEMENTED (501) in MLflow's envelope, the
    answer MLflow's client and the suite read as "not offered", not an HTML 500."""
    endpoint = Endpoint(
        "unserved", method, path, ModelRegistryService.DESCRIPTOR.methods[0].input_type
    )
    body = Request({}, None, None, {"experiment_ids": ["0"], "name": "x"}, None, "application/json")
    answer = send(served.url, endpoint, body, make_seed(served.url))
    assert answer.content_type.startswith("application/json"), answer
    document = json.loads(answer.body)
    assert (answer.status, document["error_code"]) in {
        (501, "NOT_IMPLEMENTED"),
        (400, "INVALID_PARAMETER_VALUE"),
    }, answer


def test_the_server_survived_and_logged_no_traceback(served: ServedReference):
    total = sum(EXAMPLES_RUN.values())
    print(f"\nfuzzed {len(EXAMPLES_RUN)} endpoints with {total} requests")
    assert served.process.poll() is None
    _call(served.url, "GET", "registered-models/search", {})
    log = served.log()
    assert "Traceback" not in log, log[-5000:]
    assert "ERROR" not in log, log[-5000:]
