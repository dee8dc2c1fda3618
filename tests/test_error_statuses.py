"""errors.codes judges the HTTP status of an error answer, not only its code (slow: it starts two
reference-backend servers, ~30 s).

A proxy in front of a real ``reference-backend serve`` (``tests/wire_proxy.py``) forwards every
exchange; one that answers RESOURCE_DOES_NOT_EXIST with HTTP 400 instead of MLflow's 404 (body
untouched, so MLflow's client still reads the right code) must make exactly errors.codes
non-conformant, and the faithful proxy must leave it supported: the status check can fail, and it
fails only on the status.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import report_documents, servers
from tests.wire_proxy import wire_proxy

pytestmark = pytest.mark.slow


def test_missing_answered_with_the_wrong_status_fails_errors_codes_only(tmp_path: Path):
    # one registry each: the run pairs every target with its own tracking server
    with (
        servers.reference_server("error-statuses-faithful") as faithful_upstream,
        servers.reference_server("error-statuses-wrong") as wrong_upstream,
        wire_proxy(faithful_upstream, "faithful") as faithful,
        wire_proxy(wrong_upstream, "missing-as-400") as wrong_status,
    ):
        completed, document = report_documents.run_with_document(
            tmp_path,
            f"--registry-uri={faithful}",
            f"--registry-uri={wrong_status}",
            "-m",
            "feature_errors_codes or feature_version_details or feature_model_delete",
        )
    targets = {t["registry_uri"]: t["id"] for t in document["targets"]}
    verdicts = {
        (v["target"], v["feature"]): v["verdict"]
        for v in document["verdicts"]
        if v["feature"] in ("errors.codes", "version.details", "model.delete")
    }
    output = completed.stdout[-4000:] + completed.stderr[-2000:]
    assert verdicts[(targets[faithful], "errors.codes")] == "supported", output
    assert verdicts[(targets[wrong_status], "errors.codes")] == "non-conformant", output
    # the rows that read missing entities judge the code, not the status
    for feature in ("version.details", "model.delete"):
        assert verdicts[(targets[wrong_status], feature)] == "supported", (feature, output)
    reasons = [
        s["reason"]
        for s in document["scenarios"]
        if s["target"] == targets[wrong_status] and s["outcome"] == "failed"
    ]
    assert reasons, output
    assert all("HTTP status 400" in reason and "404" in reason for reason in reasons), reasons
