"""`compare` flags operations whose p95 grew by more than a factor: measured against a real
server that answers at once, then the same one answering 50 ms late."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from conformance.results import compare
from conformance.run import http_exchanges, latency
from tests import report_documents
from tests.answering_server import Answer, answering

GET = "GET /api/2.0/mlflow/registered-models/get"
POST = "POST /api/2.0/mlflow/registered-models/create"
DELETE = "DELETE /api/2.0/mlflow/registered-models/delete"


@dataclass
class Uris:
    registry_uri: str
    tracking_uri: str


def timed(answer: Answer) -> dict[str, Any]:
    """The performance a run would report of a server after 10 reads, 10 writes, 3 deletes."""
    http_exchanges.install()
    latency.reset()
    with answering(answer) as url, requests.Session() as session:
        for n in range(10):
            session.get(f"{url}/api/2.0/mlflow/registered-models/get?name=m{n}", timeout=10)
            session.post(f"{url}/api/2.0/mlflow/registered-models/create", timeout=10)
        for _ in range(3):
            session.delete(f"{url}/api/2.0/mlflow/registered-models/delete", timeout=10)
        performance = latency.performance(Uris(url, url))
    latency.reset()
    return performance


@pytest.fixture(scope="module")
def skeleton(tmp_path_factory) -> dict[str, Any]:
    return report_documents.embedded(tmp_path_factory)


def with_speed(document: dict[str, Any], performance: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(document)
    document["targets"][0]["performance"] = copy.deepcopy(performance)
    return document


@pytest.fixture(scope="module")
def fast() -> dict[str, Any]:
    return timed(Answer(body="{}"))


@pytest.fixture(scope="module")
def slow() -> dict[str, Any]:
    return timed(Answer(body="{}", action="stall", stall_s=0.05))


def test_a_server_that_got_slower_is_flagged_per_operation(skeleton, fast, slow):
    comparison = compare.compare(with_speed(skeleton, fast), with_speed(skeleton, slow))

    assert not comparison.regressions
    assert sorted(s.operation for s in comparison.slowdowns) == [GET, POST]  # 3 deletes: too few
    for slowdown in comparison.slowdowns:
        assert slowdown.after_p95_ms >= 50
        assert slowdown.factor > compare.P95_FACTOR
        assert slowdown.count == 10
        assert slowdown.target == "reference-embedded [reference backend (embedded)]"
    lines = compare.format_comparison(comparison)
    assert lines[:2] == ["regressions: 0", "fixes: 0"]
    assert lines[2] == (
        "slowdowns: 2 (p95 more than 2x the base's; operations of at least 5 requests and 5 ms)"
    )
    assert lines[3].startswith("  reference-embedded [reference backend (embedded)] / ")
    assert re.search(r": p95 [\d.,]+ -> [\d.,]+ ms \(\d+\.\dx, 10 requests\)$", lines[3])


def test_faster_or_a_higher_factor_is_no_slowdown(skeleton, fast, slow):
    faster = compare.compare(with_speed(skeleton, slow), with_speed(skeleton, fast))
    assert faster.slowdowns == ()
    assert faster.p95_factor == compare.P95_FACTOR
    assert "slowdowns: 0 (" in compare.format_comparison(faster)[2]
    lenient = compare.compare(with_speed(skeleton, fast), with_speed(skeleton, slow), 10_000)
    assert lenient.slowdowns == ()


def test_fast_operations_and_few_samples_are_noise(skeleton, slow):
    head = copy.deepcopy(slow)
    base = copy.deepcopy(slow)
    for op in base["operations"]:
        op["p95_ms"] = 0.1
    for op in head["operations"]:
        if op["operation"] == GET:
            op["p95_ms"] = compare.P95_FLOOR_MS - 0.01  # 49x, but under the floor
    flagged = compare.compare(with_speed(skeleton, base), with_speed(skeleton, head)).slowdowns
    assert [s.operation for s in flagged] == [POST]  # DELETE: 3 requests only


def test_without_timings_on_both_sides_nothing_is_said(skeleton, fast):
    untimed = compare.compare(skeleton, with_speed(skeleton, fast))
    assert (untimed.slowdowns, untimed.p95_factor) == ((), None)
    assert compare.format_comparison(untimed) == ["regressions: 0", "fixes: 0"]
    in_process = {"not_measured": "in-process target: the run made no HTTP request to time"}
    both = compare.compare(with_speed(skeleton, in_process), with_speed(skeleton, in_process))
    assert both.p95_factor is None
