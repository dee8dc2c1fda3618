"""Seed row 12: managing MLflow model stages.

MLflow 3 deprecates the stage API (FutureWarning) but every stock client still has it. Versions
point at an object-store source (``s3://...``) except where a scenario loads a model by stage.
"""

from __future__ import annotations

import pytest
from mlflow.entities.model_registry import ModelVersion

from conformance.scenarios import marks, model_runs, prerequisites, states, tiny_model
from conformance.scenarios.markers import feature
from conformance.scenarios.prerequisites import model_with_versions
from conformance.scenarios.stages import STAGE_API_DEPRECATION, resolved_version

pytestmark = pytest.mark.filterwarnings(f"ignore:{STAGE_API_DEPRECATION}:FutureWarning")

STAGES = ("None", "Staging", "Production", "Archived")


def _stages_of(client, name: str, versions: list[str]) -> dict[str, str]:
    """Each version's current stage, read with get_model_version."""
    return {version: client.get_model_version(name, version).current_stage for version in versions}


def _marked_bystander(
    client, probe, name: str, version: str, created: ModelVersion | None = None
) -> dict:
    """Mark a version that the scenario does not move (tag, description, alias); its state (as
    the marks' read-back read it). ``created``: as :func:`marks.mark_version`'s."""
    return marks.mark_version(
        client, probe, name, version, under_test=["transition_model_version_stage"], created=created
    )


def _assert_untouched(client, name: str, version: str, before: dict, what: str) -> None:
    after = states.version_state(client, name, version)
    assert after == before, f"{what} changed v{version} of {name}: {before} -> {after}"


def _transition(
    client,
    probe,
    name: str,
    version: str,
    stage: str,
    archive: bool = False,
    created: ModelVersion | None = None,
):
    """Transition (the call under test) and check the returned version. A refusal must leave
    the version and the model (its latest version per stage, which archiving moves) as they
    were. ``created``: the version as the registry last answered it (creating or reading it),
    when nothing was written on it since (:func:`states.created_state`)."""
    state = (
        states.created_state(client, name, {version: created})
        if created is not None
        else lambda: states.registry_state(client, {name: [version]})
    )
    with probe.feature("transition_model_version_stage", state=state):
        returned = client.transition_model_version_stage(
            name, version, stage, archive_existing_versions=archive
        )
    assert returned.name == name, f"transition returned a version of {returned.name!r}"
    assert str(returned.version) == version, (
        f"transitioning {name} v{version} returned version {returned.version!r}"
    )
    return returned


@feature("stages")
def test_every_documented_stage_can_be_taken(client, names, probe):
    # given a version in stage None
    name = names("stages-every")
    created = prerequisites.answers_of(model_with_versions(client, probe, name, 1)).get("1")

    # when it is moved into each of MLflow's stages in turn, None last
    # (the registry is not asked which stages it has: MLflow's get_model_version_stages answers
    # its own constant without a request, so only transitions show what the registry does)
    for stage in (*STAGES[1:], STAGES[0]):
        returned = _transition(client, probe, name, "1", stage, created=created)

        # then the answer and a read of the version both show that stage
        assert returned.current_stage == stage, (
            f"transition to {stage!r} returned stage {returned.current_stage!r}"
        )
        created = client.get_model_version(name, "1")  # nothing is written on it until the next
        stored = created.current_stage
        assert stored == stage, f"after transition to {stage!r}, {name} v1 is in {stored!r}"


@feature("stages")
@pytest.mark.parametrize(
    ("requested", "canonical"),
    [
        ("Staging", "Staging"),
        ("Production", "Production"),
        ("Archived", "Archived"),
        ("staging", "Staging"),
        ("PRODUCTION", "Production"),
        ("archived", "Archived"),
    ],
)
def test_transition_reports_the_canonical_stage(client, names, probe, requested, canonical):
    # given a model with two versions in stage None, the second one marked
    name = names(f"stages-{requested}")
    created = prerequisites.answers_of(model_with_versions(client, probe, name, 2))
    bystander = _marked_bystander(client, probe, name, "2", created.get("2"))

    # when version 1 is transitioned to the requested stage name
    returned = _transition(client, probe, name, "1", requested, created=created.get("1"))

    # then the returned and the stored version are in the canonical stage; version 2 is untouched
    assert returned.current_stage == canonical, (
        f"transition to {requested!r} returned stage {returned.current_stage!r}, "
        f"expected {canonical!r}"
    )
    stored = client.get_model_version(name, "1").current_stage
    assert stored == canonical, f"after moving v1 to {requested!r}, it is in {stored!r}"
    _assert_untouched(client, name, "2", bystander, f"moving v1 to {requested!r}")


@feature("stages")
@pytest.mark.parametrize("stage", ["Staging", "Production"])
def test_several_versions_share_a_stage(client, names, probe, stage):
    # given a model with three versions in stage None, the third one marked
    name = names(f"stages-shared-{stage}")
    created = prerequisites.answers_of(model_with_versions(client, probe, name, 3))
    bystander = _marked_bystander(client, probe, name, "3", created.get("3"))

    # when versions 1 and 2 are moved to the same stage without archiving
    for version in ("1", "2"):
        returned = _transition(client, probe, name, version, stage, created=created.get(version))
        assert returned.current_stage == stage, (
            f"transition of v{version} to {stage!r} returned {returned.current_stage!r}"
        )

    # then both are in that stage at once, and version 3 is untouched
    stages = _stages_of(client, name, ["1", "2"])
    assert stages == {"1": stage, "2": stage}, (
        f"after moving v1 and v2 to {stage!r} (archive_existing_versions=False): {stages}"
    )
    _assert_untouched(client, name, "3", bystander, f"moving v1 and v2 to {stage!r}")


@feature("stages")
@pytest.mark.parametrize(("stage", "other"), [("Staging", "Production"), ("Production", "Staging")])
def test_archive_existing_versions(client, names, probe, stage, other):
    # given versions 1 and 2 in the stage, 3 in the other active stage, 4 and 5 in None
    name = names(f"stages-archive-{stage}")
    created = prerequisites.answers_of(model_with_versions(client, probe, name, 5))
    for version, target_stage in (("1", stage), ("2", stage), ("3", other)):
        _transition(client, probe, name, version, target_stage, created=created.get(version))
    bystanders = {
        "3": _marked_bystander(client, probe, name, "3"),
        "5": _marked_bystander(client, probe, name, "5", created.get("5")),
    }

    # when version 4 is moved to the stage with archive_existing_versions=True
    returned = _transition(client, probe, name, "4", stage, archive=True, created=created.get("4"))

    # then 4 is in the stage, 1 and 2 are archived, 3 and 5 are left alone
    assert returned.current_stage == stage, (
        f"transition of v4 to {stage!r} returned {returned.current_stage!r}"
    )
    stages = _stages_of(client, name, ["1", "2", "4"])
    expected = {"1": "Archived", "2": "Archived", "4": stage}
    assert stages == expected, (
        f"after moving v4 to {stage!r} with archive_existing_versions=True: stages are "
        f"{stages}, expected {expected}"
    )
    for version, before in bystanders.items():
        _assert_untouched(client, name, version, before, f"moving v4 to {stage!r} (archiving)")


@feature("stages")
def test_latest_versions_per_stage(client, names, probe):
    # given versions 1-7 in Archived, Production, Archived, Production, Staging, Staging, None
    name = names("stages-latest")
    layout = ["Archived", "Production", "Archived", "Production", "Staging", "Staging", "None"]
    created = prerequisites.answers_of(model_with_versions(client, probe, name, len(layout)))
    for version, stage in enumerate(layout, start=1):
        if stage != "None":
            _transition(client, probe, name, str(version), stage, created=created.get(str(version)))
    highest = {"Production": "4", "Staging": "6", "Archived": "3", "None": "7"}

    # when the latest versions of some stages are asked for
    for stages in (["Production"], ["Staging"], ["Archived"], ["None"], ["Staging", "Production"]):
        with probe.feature(f"get_latest_versions(stages={stages})"):
            latest = client.get_latest_versions(name, stages=stages)

        # then there is exactly the highest version of each of those stages
        got = sorted((v.current_stage, str(v.version)) for v in latest)
        expected = sorted((stage, highest[stage]) for stage in stages)
        assert got == expected, (
            f"get_latest_versions({name!r}, stages={stages}) returned (stage, version) {got}, "
            f"expected {expected}"
        )


@feature("stages")
@pytest.mark.parametrize("stage", ["Staging", "Production"])
def test_load_model_by_stage(client, names, probe, fluent, experiment_id, stage, shared_runs):
    # given versions 1-4 (slopes 1-4, from a run the scenarios share: registering only reads
    # it): 1 and 3 in Staging, 2 in Production, 4 in None
    slopes = list(model_runs.TINY_SLOPES)
    name = names(f"stages-load-{stage}")
    with probe.prerequisite("register tiny models from run artifacts"):
        logged = model_runs.tiny_models_run(shared_runs, client, experiment_id)
        client.create_registered_model(name)
        created = model_runs.register_logged(client, name, logged)
    assert list(created) == ["1", "2", "3", "4"], (
        f"four registrations gave versions {list(created)}"
    )
    for version, target_stage in (("1", "Staging"), ("2", "Production"), ("3", "Staging")):
        _transition(client, probe, name, version, target_stage, created=created[version])
    resolved = {"Staging": "3", "Production": "2"}[stage]

    # when models:/<name>/<stage> is resolved and loaded
    resolving = f"get_latest_versions({name}, [{stage}]) (resolving models:/{name}/{stage})"
    with probe.feature(resolving):
        resolved_to = resolved_version(client, name, stage)
    assert resolved_to == resolved, (
        f"models:/{name}/{stage} resolves to v{resolved_to}, expected v{resolved}, the highest "
        f"version in {stage}"
    )
    loading = f"load_model(models:/{name}/{stage})"
    accepted = f"the transitions of {name} v1-v3, v{resolved} as the latest in {stage}"
    with probe.after_acceptance(loading, accepted=accepted):
        got = model_runs.predictions(f"models:/{name}/{stage}")

    # then it is the highest version in that stage
    slope = slopes[int(resolved) - 1]
    assert got == tiny_model.expected(slope), (
        f"models:/{name}/{stage} predicts {got}: expected version {resolved}'s "
        f"{tiny_model.expected(slope)} (predictions of versions 1-4: "
        f"{[tiny_model.expected(s) for s in slopes]})"
    )
