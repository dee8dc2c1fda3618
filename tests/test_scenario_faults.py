"""Proof that the scenarios see kinds of breakage that weaker versions of them let pass.

Each fault of ``tests/broken_backends.FAULTS`` is served by a reference backend of its own; one
serial run of the scenarios concerned measures them all (serial: a fault that damages other
entities must not reach into a scenario running beside the one it is meant for). For each fault,
the scenarios named in ``EXPECTED`` must end as stated:

* a listing fault shown only on the first walk is final (no retry turns it into a pass);
* a listing that never ends (empty pages with fresh tokens, or the same pages over again) ends
  the walk as a failure, within its bound;
* damage to the entities next to the one operated on (tags, stage, description) shows in the
  snapshots of "the others are unchanged";
* marks the scenario wrote are what it expects, not what the registry read back: a write that
  was accepted and dropped leaves no verdict rather than a pass;
* a touch that moves no timestamp fails the last-update ordering, and a touch that is refused
  leaves the scenario judged without it, saying so in its evidence;
* a version the registry accepted and then refuses to hand out is a wrong answer, not a missing
  feature; a registry that does not resolve ``models:/<name>/latest`` (no get_latest_versions)
  lacks that way of naming a version, which leaves the rows that use it partial;
* a refusal that nevertheless changed the state is no clean refusal: under test a failure, in a
  best-effort step (another feature's) a broken prerequisite.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests import broken_backends as broken
from tests import report_documents

#: The scenario files whose scenarios the faults are about.
SCENARIO_FILES = (
    "search_list",
    "search_by_name",
    "version_delete",
    "model_delete",
    "version_tags",
    "version_description",
    "stages",
    "model_rename",
    "register_non_mlflow_format",
    "register_mlflow_format",
    "register_from_run",
)
LAST_UPDATED = "last_updated_timestamp"
CREATED = "creation_timestamp"

#: fault -> [(scenario function, text its node id must contain, outcome it must have)]
EXPECTED: dict[str, list[tuple[str, str, str]]] = {
    "listing-wrong-once": [
        ("test_unfiltered_listing_returns_every_model_exactly_once", "", "failed")
    ],
    "listing-never-ends": [
        ("test_unfiltered_listing_returns_every_model_exactly_once", "", "failed"),
        ("test_name_equals_returns_exactly_that_model", "", "failed"),
    ],
    "listing-starts-over": [
        ("test_unfiltered_listing_returns_every_model_exactly_once", "", "failed"),
        ("test_name_equals_returns_exactly_that_model", "", "failed"),
    ],
    "version-delete-damages-others": [("test_delete_removes_that_version_only", "", "failed")],
    "model-delete-damages-others": [
        ("test_delete_removes_the_model_and_its_versions_only", "", "failed")
    ],
    "tag-damages-other-versions": [
        ("test_set_tag_is_read_back_on_that_version_only", "", "failed")
    ],
    "description-damages-other-versions": [
        ("test_update_description_is_returned_read_back_and_confined", "", "failed")
    ],
    "transition-damages-other-versions": [
        ("test_transition_reports_the_canonical_stage", "", "failed")
    ],
    "rename-drops-version-tags": [("test_rename_moves_versions_and_frees_old_name", "", "failed")],
    "model-tags-dropped": [("test_rename_moves_versions_and_frees_old_name", "", "error")],
    "updates-keep-timestamps": [
        ("test_order_by_key_and_direction", LAST_UPDATED, "failed"),
        ("test_order_by_key_and_direction", CREATED, "failed"),
    ],
    "archived-not-kept": [("test_every_documented_stage_can_be_taken", "", "failed")],
    "downloads-refused": [
        ("test_folder_without_mlmodel_registers_and_downloads_intact", "", "failed"),
        ("test_each_version_downloads_its_own_files", "", "failed"),
        ("test_load_model_by_stage", "", "failed"),
    ],
    "latest-versions-refused": [
        ("test_register_mlflow_model_and_load_version", "", "passed"),
        ("test_latest_loads_the_newest_version", "", "unsupported"),
        ("test_register_from_run_records_run_and_loads", "", "passed"),
        ("test_versions_from_two_runs_keep_their_runs", "", "unsupported"),
        ("test_transition_reports_the_canonical_stage", "", "passed"),
        ("test_latest_versions_per_stage", "", "unsupported"),
        ("test_load_model_by_stage", "", "unsupported"),
    ],
    "version-tags-refused-after-change": [
        ("test_set_tag_is_read_back_on_that_version_only", "", "failed"),
        ("test_rename_moves_versions_and_frees_old_name", "", "error"),
        ("test_delete_removes_that_version_only", "", "error"),
    ],
    "model-descriptions-refused": [("test_order_by_key_and_direction", LAST_UPDATED, "passed")],
}
#: What a registry without get_latest_versions (Unity Catalog) must read: the rows that load
#: models:/<name>/latest or /<Stage> are partial, never non-conformant.
WITHOUT_LATEST = {
    "register.mlflow-format": "partial",
    "register.from-run": "partial",
    "stages": "partial",
}


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The scenarios concerned against every fault's backend, in one serial run."""
    return report_documents.real_run(
        tmp_path_factory.mktemp("faults"),
        "-p",
        "tests.broken_backends",
        *(f"--registry-uri={broken.fault_uri(name)}" for name in EXPECTED),
        "-k",
        " or ".join(SCENARIO_FILES),
    )


def _scenarios(document: dict[str, Any], fault: str, function: str, part: str) -> list[dict]:
    target = next(
        t["id"] for t in document["targets"] if t["registry_uri"] == broken.fault_uri(fault)
    )
    return [
        s
        for s in document["scenarios"]
        if s["target"] == target and f"::{function}[" in s["nodeid"] and part in s["nodeid"]
    ]


@pytest.mark.parametrize("fault", list(EXPECTED))
def test_the_scenarios_see_the_fault(document, fault):
    for function, part, outcome in EXPECTED[fault]:
        scenarios = _scenarios(document, fault, function, part)
        assert scenarios, f"{function} ({part or 'every case'}) did not run against {fault}"
        wrong = {s["nodeid"]: f"{s['outcome']}: {s.get('reason', '')[:300]}" for s in scenarios}
        wrong = {nodeid: text for nodeid, text in wrong.items() if not text.startswith(outcome)}
        assert not wrong, (
            f"{broken.FAULTS[fault].does}: expected {outcome} from {function}, got {wrong}"
        )


@pytest.mark.parametrize("fault", ["listing-never-ends", "listing-starts-over"])
def test_a_listing_that_never_ends_is_a_failure_within_its_bound(document, fault):
    for scenario in _scenarios(document, fault, "test_name_equals_returns_exactly_that_model", ""):
        assert "the listing would never end" in scenario["reason"], scenario["reason"]


def test_a_refused_best_effort_step_is_in_the_evidence(document):
    scenarios = _scenarios(
        document, "model-descriptions-refused", "test_order_by_key_and_direction", LAST_UPDATED
    )
    for scenario in scenarios:
        refused = [
            entry
            for entry in scenario["evidence"]
            if entry.get("role") == "best-effort" and entry.get("classified_as") == "refusal"
        ]
        assert refused, scenario["evidence"]
        assert all(entry["call"].startswith("update_registered_model") for entry in refused)
        assert "broken backend:" in refused[0]["exception"]


def test_a_registry_without_latest_versions_is_partial_where_it_loads_latest(document):
    target = next(
        t["id"]
        for t in document["targets"]
        if t["registry_uri"] == broken.fault_uri("latest-versions-refused")
    )
    verdicts = {
        v["feature"]: v["verdict"]
        for v in document["verdicts"]
        if v["target"] == target and v["feature"] in WITHOUT_LATEST
    }
    assert verdicts == WITHOUT_LATEST


def test_a_best_effort_step_refused_after_a_change_is_a_broken_prerequisite(document):
    scenarios = _scenarios(
        document,
        "version-tags-refused-after-change",
        "test_rename_moves_versions_and_frees_old_name",
        "",
    )
    for scenario in scenarios:
        assert "prerequisite set_model_version_tag broke" in scenario["reason"], scenario
        assert "but it changed the state" in scenario["reason"], scenario
        assert not any(entry.get("role") == "best-effort" for entry in scenario["evidence"])


def test_every_fault_is_expected_somewhere():
    assert set(EXPECTED) == set(broken.FAULTS)
