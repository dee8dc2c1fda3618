"""A registry whose creation answers show less than its reads (a tag it adds of its own) and
that cleanly refuses stage transitions: the scenarios that hold creation answers instead of
reading the versions again still judge the refusal a clean one (``unsupported``), never
"refused but changed the state" (``non-conformant``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import unlike_answers
from tests.report_documents import real_run

pytestmark = pytest.mark.slow


def test_a_refusal_is_clean_where_creation_answers_show_less_than_reads(tmp_path: Path):
    document = real_run(
        tmp_path,
        "-p",
        "tests.unlike_answers",
        f"--registry-uri={unlike_answers.SCHEME}://registry",
        "-m",
        "feature_stages or feature_version_delete or feature_version_tags",
    )
    verdicts = {v["feature"]: v for v in document["verdicts"]}
    assert verdicts["stages"]["verdict"] == "unsupported", verdicts["stages"]
    assert "has no stages" in verdicts["stages"]["note"], verdicts["stages"]
    # the versions' marks (a stage among them) are judged without the refused stage, not broken
    for feature in ("version.delete", "version.tags"):
        assert verdicts[feature]["verdict"] == "supported", verdicts[feature]
