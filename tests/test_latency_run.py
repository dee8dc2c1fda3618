"""A run records the registry's speed in its results document: every request it made to the
target (counted independently at requests' transport by bench/request_counter.py) appears in
``targets[i].performance``, serial and under xdist; an in-process target says not measured."""

from __future__ import annotations

import json
import os

import pytest

from tests import report_documents
from tests.servers import reference_server

BENCH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench")


@pytest.mark.parametrize("parallel", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_every_request_to_the_target_is_in_the_document(tmp_path, monkeypatch, parallel):
    counts = tmp_path / "counted"
    with reference_server("latency-run") as url:
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join([BENCH, os.environ.get("PYTHONPATH", "")]))
        monkeypatch.setenv("RC_BENCH_COUNT_URL", url)
        monkeypatch.setenv("RC_BENCH_COUNT_FILE", str(counts))
        done, document = report_documents.run_with_document(
            tmp_path,
            "--registry-uri",
            url,
            "-m",
            "feature_model_rename or feature_version_tags",
            "-p",
            "request_counter",
            *parallel,
        )
    assert done.returncode == 0, done.stdout[-3000:]
    counted = 0
    for path in tmp_path.glob("counted.*.json"):
        counted += sum(n for _, _, n in json.loads(path.read_text())["places"])
    performance = document["targets"][0]["performance"]
    assert performance["requests"] == counted
    assert counted > 20
    operations = {op["operation"]: op["count"] for op in performance["operations"]}
    assert operations["POST /api/2.0/mlflow/registered-models/rename"] >= 1
    assert operations["POST /api/2.0/mlflow/model-versions/set-tag"] >= 1
    assert sum(operations.values()) == counted


def test_an_embedded_run_says_not_measured(tmp_path):
    document = report_documents.real_run(tmp_path, "-m", "feature_model_rename")
    assert document["targets"][0]["performance"] == {
        "not_measured": "in-process target: the run made no HTTP request to time"
    }
