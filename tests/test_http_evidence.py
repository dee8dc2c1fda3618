"""Over HTTP, the evidence of a refused or broken call carries the exchange behind it."""

from __future__ import annotations

import json

import pytest
import requests

from conformance.run import http_exchanges
from tests.servers import reference_server

pytestmark = pytest.mark.slow


def test_a_refusal_over_http_shows_the_request_and_the_servers_answer(
    pytester: pytest.Pytester,
):
    with reference_server("http-evidence") as url:
        outcome = pytester.runpytest_subprocess(
            "-p",
            "no:cacheprovider",
            "--pyargs",
            "conformance.scenarios",
            "-m",
            "feature_register_mlflow_format",
            "--registry-uri",
            url,
            "--results-json",
            "results.json",
        )
    assert outcome.ret == 0, outcome.stdout.str()[-2000:]
    document = json.loads((pytester.path / "results.json").read_text())
    (refused,) = [s for s in document["scenarios"] if s["outcome"] == "unsupported"]
    (entry,) = [e for e in refused["evidence"] if e["role"] == "feature"]
    last = entry["http"][-1]
    assert last["request"].startswith("POST http://127.0.0.1:")
    assert last["request"].endswith("/api/2.0/mlflow/model-versions/create")
    assert last["status"] == 400
    assert json.loads(last["response_body"])["error_code"] == "INVALID_PARAMETER_VALUE"
    assert last["response_body"].startswith('{\n  "error_code": "INVALID_PARAMETER_VALUE",\n')
    assert '\n  "source": "file://' in last["request_body"]


def test_nothing_is_recorded_outside_a_probe_and_secrets_are_masked():
    http_exchanges.install()
    with reference_server("http-evidence-mask") as url:
        requests.get(f"{url}/health", timeout=10)  # outside recording(): untouched
        with http_exchanges.recording() as exchanges:
            requests.get(
                f"{url}/api/2.0/mlflow/registered-models/get",
                params={"name": "absent", "token": "s3cr3t"},
                headers={"Authorization": "Bearer s3cr3t"},
                timeout=10,
            )
    (exchange,) = exchanges
    assert "s3cr3t" not in json.dumps(exchange)
    assert exchange["status"] == 404
    assert "RESOURCE_DOES_NOT_EXIST" in exchange["response_body"]


def test_json_bodies_are_indented_then_clipped():
    http_exchanges.install()
    description = "word " * 400
    with reference_server("http-evidence-clip") as url, http_exchanges.recording() as exchanges:
        requests.post(
            f"{url}/api/2.0/mlflow/registered-models/create",
            json={"name": "clipped", "description": description},
            timeout=10,
        ).raise_for_status()
    (exchange,) = exchanges
    for body in (exchange["request_body"], exchange["response_body"]):
        assert len(body) == http_exchanges.BODY_LIMIT + 1
        assert body.endswith("…")
    assert exchange["request_body"].startswith('{\n  "name": "clipped",\n  "description": "word')
    assert exchange["response_body"].startswith('{\n  "registered_model": {\n    "name": "clipped"')
