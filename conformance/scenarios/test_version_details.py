"""Seed row 6: retrieving details of a registered model's versions.

Versions here point at an object-store source (``s3://...``) that no registry dereferences at
creation (MLflow's servers only check it for ``..``), so these scenarios judge the details a
registry keeps, independently of how it handles model artifacts.
"""

from __future__ import annotations

import time

import pytest

from conformance.scenarios.error_answers import MISSING, expect_error
from conformance.scenarios.markers import feature
from conformance.scenarios.prerequisites import SOURCE_ROOT, model_with_versions

#: Allowance between this machine's clock and the registry's when checking timestamps; far
#: below the factor of 1000 that tells milliseconds from seconds or microseconds.
CLOCK_SKEW_MS = 5_000


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@feature("version.details")
def test_get_model_version_reports_documented_fields(client, names, probe, experiment_id):
    # given a version created with a source, a run id and a description
    name = names("details-fields")
    source = f"{SOURCE_ROOT}/{name}/model"
    description = "Version details: ünïcode, quotes ' \" and a\nnewline."
    with probe.prerequisite("create_run"):
        run_id = client.create_run(experiment_id).info.run_id
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(name)
    before = _now_ms()
    with probe.prerequisite("create_model_version"):
        created = client.create_model_version(
            name, source=source, run_id=run_id, description=description
        )
    after = _now_ms()
    assert str(created.version) == "1", f"first version of a new model is {created.version!r}"

    # when that version is read
    with probe.feature("get_model_version"):
        version = client.get_model_version(name, "1")

    # then every documented field holds what was given, or what a fresh version has
    assert version.name == name, f"get_model_version({name!r}, 1) returned name {version.name!r}"
    assert str(version.version) == "1", f"asked for version 1, got {version.version!r}"
    assert version.source == source, f"v1 source is {version.source!r}, created with {source!r}"
    assert version.run_id == run_id, f"v1 run_id is {version.run_id!r}, created with {run_id!r}"
    assert version.status == "READY", f"v1 status is {version.status!r}, expected READY"
    assert version.current_stage == "None", (
        f"a new version's stage is {version.current_stage!r}, expected 'None'"
    )
    assert version.description == description, (
        f"v1 description is {version.description!r}, created with {description!r}"
    )
    for field in ("creation_timestamp", "last_updated_timestamp"):
        value = getattr(version, field)
        assert isinstance(value, int), f"v1 {field} is {value!r}, not an integer of milliseconds"
        assert before - CLOCK_SKEW_MS <= value <= after + CLOCK_SKEW_MS, (
            f"v1 {field} is {value}, but the version was created between {before} and {after} "
            "(epoch milliseconds)"
        )
    assert version.last_updated_timestamp >= version.creation_timestamp, (
        f"v1 was last updated ({version.last_updated_timestamp}) before it was created "
        f"({version.creation_timestamp})"
    )


@feature("version.details")
def test_version_created_with_tags_reports_them(client, names, probe):
    # given a version created with tags (and none set afterwards)
    name = names("details-tags")
    tags = {"framework": "tiny", "stage-hint": "candidate", "owner.team": "ml platform"}
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(name)
    with probe.prerequisite("create_model_version"):
        client.create_model_version(name, f"{SOURCE_ROOT}/{name}/1", tags=tags)

    # when that version is read
    with probe.feature("get_model_version"):
        version = client.get_model_version(name, "1")

    # then it reports exactly those tags
    assert dict(version.tags or {}) == tags, (
        f"v1 reports tags {dict(version.tags or {})}, created with {tags}"
    )


@feature("version.details")
def test_registered_model_reports_latest_version(client, names, probe):
    # given a model with three versions, all in stage None
    name = names("details-latest")
    versions = list(model_with_versions(client, probe, name, 3, SOURCE_ROOT))
    assert versions == ["1", "2", "3"], f"three creations gave versions {versions}"

    # when the model is read
    with probe.feature("get_registered_model"):
        model = client.get_registered_model(name)

    # then its latest versions are exactly version 3 (the highest) for stage None
    latest = [
        (str(v.version), v.current_stage, v.source, v.name) for v in model.latest_versions or []
    ]
    assert latest == [("3", "None", f"{SOURCE_ROOT}/{name}/3", name)], (
        f"{name} has versions 1-3 in stage None; latest_versions is {latest}, "
        "expected only version 3"
    )

    # and a specific older version is still reported as itself
    with probe.feature("get_model_version"):
        second = client.get_model_version(name, "2")
    assert (str(second.version), second.source) == ("2", f"{SOURCE_ROOT}/{name}/2"), (
        f"get_model_version({name!r}, 2) returned version {second.version!r} with source "
        f"{second.source!r}"
    )


@feature("version.details")
@pytest.mark.parametrize("missing", ["version", "model"])
def test_missing_version_is_resource_does_not_exist(client, names, probe, missing):
    # given a model with one version, or a name that was never registered
    name = names(f"details-missing-{missing}")
    if missing == "version":
        model_with_versions(client, probe, name, 1, SOURCE_ROOT)
        version = "7"
    else:
        version = "1"

    # when a version that does not exist is read
    # then the registry answers RESOURCE_DOES_NOT_EXIST
    expect_error(
        MISSING,
        f"get_model_version({name!r}, {version}) of a missing {missing}",
        client.get_model_version,
        name,
        version,
    )
