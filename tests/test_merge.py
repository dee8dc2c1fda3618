"""Merging real results documents into one multi-target matrix."""

from __future__ import annotations

import pytest

from conformance import results
from conformance.catalogue import CATALOGUE_VERSION, FEATURES
from conformance.results import merge
from tests import report_documents


# Function scope: tests change their copy (the runs themselves happen once per process).
@pytest.fixture
def embedded(tmp_path_factory):
    return report_documents.embedded(tmp_path_factory)


@pytest.fixture
def sqlite(tmp_path_factory, migrated_sqlite):
    return report_documents.sqlite(tmp_path_factory, migrated_sqlite)


def test_two_runs_make_one_valid_document_with_both_targets(embedded, sqlite):
    merged = merge.merge([embedded, sqlite], ["a.json", "b.json"])

    results.validate(merged)
    assert [t["id"] for t in merged["targets"]] == [
        embedded["targets"][0]["id"],
        sqlite["targets"][0]["id"],
    ]
    assert len(merged["verdicts"]) == 2 * len(FEATURES)
    assert len(merged["scenarios"]) == len(embedded["scenarios"]) + len(sqlite["scenarios"])
    assert merged["features"] == embedded["features"]
    assert merged["started"] == min(embedded["started"], sqlite["started"])
    assert merged["finished"] == max(embedded["finished"], sqlite["finished"])
    assert merged["complete"] is True
    runs = [t["run"] for t in merged["targets"]]
    assert [run["source"] for run in runs] == ["a.json", "b.json"]
    assert runs[1]["started"] == sqlite["started"]


def test_an_incomplete_run_makes_the_merge_incomplete(embedded, sqlite):
    sqlite["complete"] = False
    merged = merge.merge([embedded, sqlite])
    assert merged["complete"] is False
    assert [t["run"]["complete"] for t in merged["targets"]] == [True, False]


def test_colliding_target_ids_are_made_unique_everywhere(embedded):
    merged = merge.merge([embedded, embedded, embedded])

    base = embedded["targets"][0]["id"]
    ids = [t["id"] for t in merged["targets"]]
    assert ids == [base, f"{base}-2", f"{base}-3"]
    for target_id in ids:
        assert sum(v["target"] == target_id for v in merged["verdicts"]) == len(FEATURES)
        assert sum(s["target"] == target_id for s in merged["scenarios"]) == len(
            embedded["scenarios"]
        )


def test_merging_a_merge_keeps_each_targets_own_run(embedded, sqlite):
    first = merge.merge([embedded, sqlite], ["a.json", "b.json"])
    again = merge.merge([first, embedded], ["ab.json", "c.json"])

    assert [t["run"]["source"] for t in again["targets"]] == ["a.json", "b.json", "c.json"]
    assert len({t["id"] for t in again["targets"]}) == 3


def test_different_catalogue_versions_are_refused_naming_both(embedded, sqlite):
    sqlite["suite"]["catalogue"] = "999"
    with pytest.raises(merge.MergeError) as caught:
        merge.merge([embedded, sqlite], ["old.json", "new.json"])
    message = str(caught.value)
    assert f"old.json (catalogue {CATALOGUE_VERSION})" in message
    assert "new.json (catalogue 999)" in message


def test_an_invalid_document_is_refused_by_name(embedded):
    broken = dict(embedded, verdicts="nope")
    with pytest.raises(merge.MergeError, match=r"broken\.json is not a results document"):
        merge.merge([embedded, broken], ["good.json", "broken.json"])


def test_a_verdict_for_an_unknown_target_is_refused(embedded):
    embedded["verdicts"][0]["target"] = "ghost"
    with pytest.raises(merge.MergeError, match="no target 'ghost'"):
        merge.merge([embedded], ["x.json"])


def test_nothing_to_merge():
    with pytest.raises(merge.MergeError, match="nothing to merge"):
        merge.merge([])
