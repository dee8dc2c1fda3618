"""The registry's speed as a side effect: every request through requests' session is timed per
operation (real MLflow client, real reference server), and summarised per target."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import jsonschema
import pytest
import requests
from mlflow import MlflowClient

from conformance import results
from conformance.run import http_exchanges, latency
from tests.servers import reference_server


@dataclass
class Uris:
    registry_uri: str
    tracking_uri: str


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with reference_server("latency") as url:
        yield url


@pytest.fixture
def fresh() -> Iterator[None]:
    http_exchanges.install()
    latency.reset()
    yield
    latency.reset()


def by_operation(summary: dict) -> dict[str, dict]:
    return {op["operation"]: op for op in summary["operations"]}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "http://H:5000/api/2.0/mlflow/registered-models/get?name=rc-abc123-x",
            ("http://h:5000", "/api/2.0/mlflow/registered-models/get"),
        ),
        (
            "https://reg.example/api/2.0/mlflow/logged-models/m-0f3e5b2a9c8d4e1f/tags",
            ("https://reg.example:443", "/api/2.0/mlflow/logged-models/{id}/tags"),
        ),
        (
            "http://127.0.0.1:80/api/2.0/mlflow-artifacts/artifacts/1/3fa2b1c0d9e8/artifacts/model/MLmodel",
            ("http://127.0.0.1:80", "/api/2.0/mlflow-artifacts/artifacts/{path}"),
        ),
        (
            "http://[::1]:8080/prefix/api/3.0/mlflow/webhooks/42",
            ("http://[::1]:8080", "/prefix/api/3.0/mlflow/webhooks/{id}"),
        ),
    ],
)
def test_an_operation_is_the_method_path_without_entity_values(url, expected):
    assert latency.operation_path(url) == expected


def test_every_request_is_counted_per_operation_inside_and_outside_recording(server, fresh):
    client = MlflowClient(tracking_uri=server, registry_uri=server)
    for n in range(3):
        client.create_registered_model(f"latency-a-{n}")
    with http_exchanges.recording() as exchanges:  # evidence does not change the count
        client.get_registered_model("latency-a-0")
    client.get_registered_model("latency-a-1")
    with pytest.raises(Exception, match="RESOURCE_DOES_NOT_EXIST"):
        client.get_registered_model("latency-absent")

    summary = latency.performance(Uris(server, server))

    assert len(exchanges) == 1
    operations = by_operation(summary)
    assert set(operations) == {
        "POST /api/2.0/mlflow/registered-models/create",
        "GET /api/2.0/mlflow/registered-models/get",
    }
    assert operations["POST /api/2.0/mlflow/registered-models/create"]["count"] == 3
    assert operations["GET /api/2.0/mlflow/registered-models/get"]["count"] == 3
    assert summary["requests"] == 6
    for op in summary["operations"]:
        assert 0 < op["p50_ms"] <= op["p95_ms"] <= op["max_ms"] <= op["total_ms"]
    totals = [op["total_ms"] for op in summary["operations"]]
    assert totals == sorted(totals, reverse=True)
    schema = results.schema()["properties"]["targets"]["items"]["properties"]["performance"]
    jsonschema.validate(summary, schema)


def test_a_target_counts_only_its_own_addresses(server, fresh):
    with reference_server("latency-other") as other:
        MlflowClient(tracking_uri=other, registry_uri=other).create_registered_model("elsewhere")
        MlflowClient(tracking_uri=server, registry_uri=server).create_registered_model("here")
        this = latency.performance(Uris(server, server))
        both = latency.performance(Uris(server, other))  # registry here, tracking there
    assert this["requests"] == 1
    assert both["requests"] == 2
    assert set(by_operation(both)) == {"POST /api/2.0/mlflow/registered-models/create"}
    assert by_operation(both)["POST /api/2.0/mlflow/registered-models/create"]["count"] == 2


def test_a_refused_connection_is_a_request_too(fresh):
    with reference_server("latency-gone") as gone:
        pass  # stopped: nothing listens there any more
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{gone}/api/2.0/mlflow/registered-models/get", timeout=5)
    assert latency.performance(Uris(gone, gone))["requests"] == 1


def test_concurrent_requests_are_all_counted(server, fresh):
    def reads() -> None:
        session = requests.Session()
        for _ in range(25):
            session.get(f"{server}/api/2.0/mlflow/registered-models/search", timeout=10)

    threads = [threading.Thread(target=reads) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    (op,) = latency.performance(Uris(server, server))["operations"]
    assert (op["operation"], op["count"]) == ("GET /api/2.0/mlflow/registered-models/search", 100)


def test_another_process_snapshot_adds_to_this_ones(server, fresh):
    requests.get(f"{server}/health", timeout=10)
    worker = latency.snapshot()
    latency.reset()
    requests.get(f"{server}/health", timeout=10)
    latency.absorb(worker)
    latency.absorb(worker)
    (op,) = latency.performance(Uris(server, server))["operations"]
    assert (op["operation"], op["count"]) == ("GET /health", 3)


def test_attach_writes_each_targets_summary_into_the_document(server, fresh):
    requests.get(f"{server}/health", timeout=10)
    document = {"targets": [{"id": "http"}, {"id": "embedded"}]}
    latency.attach(document, [Uris(server, server), Uris("memory://x", "memory://x")])
    assert document["targets"][0]["performance"]["requests"] == 1
    assert document["targets"][1]["performance"] == {
        "not_measured": "in-process target: the run made no HTTP request to time"
    }


def test_percentiles_are_observed_values():
    samples = [float(n) for n in range(1, 21)]  # 1..20
    assert latency.percentile(samples, 0.95) == 19.0
    assert latency.percentile(samples, 0.5) == 10.0
    assert latency.percentile([7.0], 0.95) == 7.0
