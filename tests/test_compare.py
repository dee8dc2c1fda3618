"""Comparing two real runs: regressions, fixes, targets matched by id or label."""

from __future__ import annotations

import pytest

from conformance.catalogue import CATALOGUE_VERSION, FEATURES
from conformance.results import compare
from tests import report_documents


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    return report_documents.embedded(tmp_path_factory)


@pytest.fixture(scope="module")
def one_feature(tmp_path_factory):
    """The same target with only seed row 9 run: every other row goes not-tested."""
    return report_documents.real_run(
        tmp_path_factory.mktemp("one-feature"), "-m", "feature_model_rename"
    )


def test_the_same_run_has_no_changes(full):
    comparison = compare.compare(full, full)
    assert comparison == compare.Comparison((), (), (), (), (CATALOGUE_VERSION,) * 2)
    assert compare.format_comparison(comparison) == ["regressions: 0", "fixes: 0"]


def test_lost_coverage_is_a_regression_and_regained_a_fix(full, one_feature):
    worse = compare.compare(full, one_feature)
    better = compare.compare(one_feature, full)

    # what the full run measured (in-process: not the wire rows) and the other run did not
    lost = [f for f in FEATURES if f.id != "model.rename" and not f.http_only]
    assert len(worse.regressions) == len(lost)
    assert not worse.fixes
    first = worse.regressions[0]
    assert (first.feature, first.before, first.after) == (FEATURES[0].id, "supported", "not-tested")
    assert first.note == "no scenario ran"
    assert "model.rename" not in {change.feature for change in worse.regressions}
    assert [c.feature for c in better.fixes] == [c.feature for c in worse.regressions]
    lines = compare.format_comparison(worse)
    by_level = ", ".join(
        f"{sum(f.level == level for f in lost)} {level}"
        for level in sorted({f.level for f in lost})
    )
    assert lines[0] == f"regressions: {len(lost)} ({by_level})"
    assert "#1 register.mlflow-format: supported -> not-tested: no scenario ran" in lines[1]


def test_targets_match_by_label_when_ids_differ(full):
    head = report_documents.with_hostile_target(full)
    renamed = head["targets"][0]["id"] = "renamed"
    for item in head["verdicts"] + head["scenarios"]:
        if item["target"] == full["targets"][0]["id"]:
            item["target"] = renamed

    comparison = compare.compare(full, head)

    assert not comparison.regressions
    assert not comparison.fixes
    assert comparison.removed_targets == ()
    (new,) = comparison.new_targets
    assert new.startswith("hostile [evil ")
    assert "s3cr3t" not in new


def test_a_verdict_that_gets_worse_on_a_matched_target(full):
    head = report_documents.with_hostile_target(full)
    head["targets"] = head["targets"][1:]
    head["targets"][0]["label"] = full["targets"][0]["label"]

    comparison = compare.compare(full, head)

    afters = {change.after for change in comparison.regressions}
    assert afters == {"non-conformant", "inconclusive", "partial", "unsupported", "not-tested"}
    assert comparison.regressions[0].target.startswith("hostile (was reference-embedded)")
    assert not comparison.new_targets
    assert not comparison.removed_targets
