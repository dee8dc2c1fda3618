"""The registry's speed in the reports: a compact table per target (slowest total first) in HTML
and Markdown when the document has it, one line when it was not measured, nothing when absent.
The timings are real: MLflow's client against a reference server, timed by the send wrapper."""

from __future__ import annotations

import copy
import html
import re
from typing import Any

import pytest
from mlflow import MlflowClient

from conformance import results
from conformance.report import html as report_html
from conformance.report import markdown as report_markdown
from conformance.run import http_exchanges, latency
from tests import report_documents
from tests.report_documents import HOSTILE, SECRETS
from tests.servers import reference_server

NOT_MEASURED = {"not_measured": "in-process target: the run made no HTTP request to time"}


@pytest.fixture(scope="module")
def speed() -> dict[str, Any]:
    """What a run reports of a reference server after 3 creates, 2 reads and 1 search."""
    http_exchanges.install()
    latency.reset()
    with reference_server("report-speed") as url:
        client = MlflowClient(tracking_uri=url, registry_uri=url)
        for n in range(3):
            client.create_registered_model(f"speed-{n}")
        client.get_registered_model("speed-0")
        client.get_registered_model("speed-1")
        client.search_registered_models()
        target = type("Uris", (), {"registry_uri": url, "tracking_uri": url})()
        performance = latency.performance(target)
    latency.reset()
    return performance


@pytest.fixture(scope="module")
def measured(tmp_path_factory, speed) -> dict[str, Any]:
    document = report_documents.embedded(tmp_path_factory)
    document["targets"][0]["performance"] = speed
    results.validate(document)
    return document


def _markdown_speed_rows(text: str) -> list[list[str]]:
    block = text.split("**Registry speed:", 1)[1]
    rows = [line for line in block.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def test_markdown_shows_a_table_slowest_total_first(measured, speed):
    text = report_markdown.render(measured)
    assert "**Registry speed: reference backend (embedded)** (6 requests)" in text
    header, align, *rows = _markdown_speed_rows(text)
    assert header == ["Operation", "Count", "Total ms", "p50 ms", "p95 ms", "max ms"]
    assert align == [":-", "-:", "-:", "-:", "-:", "-:"]
    assert [(row[0], row[1]) for row in rows] == [
        (op["operation"], str(op["count"])) for op in speed["operations"]
    ]
    counts = {row[0]: int(row[1]) for row in rows}
    assert counts == {
        "POST /api/2.0/mlflow/registered-models/create": 3,
        "GET /api/2.0/mlflow/registered-models/get": 2,
        "GET /api/2.0/mlflow/registered-models/search": 1,
    }
    totals = [float(row[2].replace(",", "")) for row in rows]
    assert totals == sorted(totals, reverse=True)
    assert rows[0][2] == f"{speed['operations'][0]['total_ms']:,.1f}"


def test_html_shows_the_same_table(measured, speed):
    page = report_html.render(measured)
    (table,) = re.findall(r'<table class="speed".*?</table>', page, re.S)
    cells = [
        [
            html.unescape(re.sub(r"<[^>]+>", "", cell))
            for cell in re.findall(r"<t[hd][^>]*>.*?</t[hd]>", row)
        ]
        for row in re.findall(r"<tr>.*?</tr>", table, re.S)
    ]
    assert cells[0] == ["Operation", "Count", "Total ms", "p50 ms", "p95 ms", "max ms"]
    assert [row[:2] for row in cells[1:]] == [
        [op["operation"], str(op["count"])] for op in speed["operations"]
    ]
    assert "<dd>6 requests made by the run, per operation below (slowest total first)</dd>" in page


def test_absent_shows_nothing_and_not_measured_one_line(tmp_path_factory):
    document = report_documents.embedded(tmp_path_factory)
    # a run records "not measured" for its in-process target; documents of older runs have no key
    assert document["targets"][0].pop("performance") == NOT_MEASURED
    for render in (report_html.render, report_markdown.render):
        assert "registry speed" not in render(document).lower()
    document["targets"][0]["performance"] = NOT_MEASURED
    results.validate(document)
    markdown = report_markdown.render(document)
    assert (
        "**Registry speed: reference backend (embedded)**: not measured (in-process target: "
        "the run made no HTTP request to time)" in markdown
    )
    page = report_html.render(document)
    assert "<dd>not measured (in-process target: the run made no HTTP request to time)</dd>" in page
    assert '<table class="speed"' not in page


def test_hostile_operations_stay_text_and_secrets_never_show(measured):
    document = copy.deepcopy(measured)
    operation = f"GET https://user:s3cr3t-pw@evil.example/x?token=xyz-query-token|{HOSTILE}"
    document["targets"][0]["performance"]["operations"].append(
        {"operation": operation, "count": 1, "total_ms": 9e9, "p50_ms": 1, "p95_ms": 1, "max_ms": 1}
    )
    page = report_html.render(document)
    markdown = report_markdown.render(document)
    assert HOSTILE not in page
    assert html.escape(HOSTILE, quote=False) in page
    assert "<script>" not in markdown
    assert "\\<script\\>" in markdown
    header, _, first, *_ = _markdown_speed_rows(markdown.replace("\\|", "¦"))
    assert len(first) == len(header)  # the pipe stayed inside its cell
    for secret in SECRETS:
        assert secret not in page
        assert secret not in markdown
