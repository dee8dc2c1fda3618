"""Seed row 10: deleting a registered model (the container) with its versions."""

from __future__ import annotations

from mlflow.exceptions import MlflowException

from conformance.run.refusals import Kind, classify
from conformance.scenarios.error_answers import MISSING, expect_error
from conformance.scenarios.markers import feature
from conformance.scenarios.marks import check_marks, mark_model, mark_version
from conformance.scenarios.prerequisites import SOURCE_ROOT, answers_of, model_with_versions
from conformance.scenarios.states import created_state, held, registry_state, versions_state


@feature("model.delete")
def test_delete_removes_the_model_and_its_versions_only(client, names, probe):
    # given a model with two versions, and a marked bystander model with one marked version
    doomed, bystander = names("delete-doomed"), names("delete-bystander")
    doomed_versions = model_with_versions(client, probe, doomed, 2)
    bystander_versions = model_with_versions(client, probe, bystander, 1)
    marks = []  # checked in the snapshot below, which reads them all anyway
    mark_model(client, probe, bystander, pending=marks)
    for version, created in bystander_versions.items():
        mark_version(client, probe, bystander, version, pending=marks, created=created.answer)
    models = {doomed: doomed_versions, bystander: bystander_versions}
    snapshot = registry_state(client, models)
    check_marks(probe, snapshot, marks)
    before = {bystander: snapshot[bystander]}

    # when the first model is deleted
    with probe.feature(
        "delete_registered_model", state=held(snapshot, lambda: registry_state(client, models))
    ):
        client.delete_registered_model(doomed)

    # then it and each of its versions answer RESOURCE_DOES_NOT_EXIST; the bystander is intact
    expect_error(
        MISSING,
        f"get_registered_model of the deleted {doomed!r}",
        client.get_registered_model,
        doomed,
    )
    for version in doomed_versions:
        expect_error(
            MISSING,
            f"get_model_version of v{version} of the deleted {doomed!r}",
            client.get_model_version,
            doomed,
            version,
        )
    after = registry_state(client, {bystander: bystander_versions})
    assert after == before, (
        f"deleting {doomed!r} changed the model {bystander!r}: {before} -> {after}"
    )


@feature("model.delete")
def test_deleted_name_registers_again_from_scratch(client, names, probe):
    # given a model with two versions, and a brand-new model to compare numbering with
    name, fresh = names("delete-reuse"), names("delete-fresh")
    old_versions = model_with_versions(client, probe, name, 2)
    first_of_fresh = next(iter(model_with_versions(client, probe, fresh, 1)))

    # when the model is deleted
    with probe.feature(
        "delete_registered_model",
        state=created_state(client, name, answers_of(old_versions)),
    ):
        client.delete_registered_model(name)

    # then the name can be registered again, and its first version is numbered like a new model's
    try:
        client.create_registered_model(name)
    except MlflowException as exc:
        verdict = classify(exc)
        if verdict.kind is not Kind.REFUSAL:
            raise
        raise AssertionError(
            f"create_registered_model({name!r}) after deleting that model was refused: "
            f"{verdict.reason}; the name should be free"
        ) from exc
    reborn = client.get_registered_model(name)
    assert reborn.name == name
    source = f"{SOURCE_ROOT}/{name}/reborn"
    with probe.prerequisite("create_model_version on the re-registered model"):
        made = client.create_model_version(name, source, run_id=None)
    assert str(made.version) == first_of_fresh, (
        f"the first version of the re-registered {name!r} is v{made.version}; a new model's first "
        f"version is v{first_of_fresh} (the deleted model had {sorted(old_versions)})"
    )
    remaining = {
        version: state["source"] if state else None
        for version, state in versions_state(client, name, old_versions).items()
    }
    expected = {v: (source if v == first_of_fresh else None) for v in old_versions}
    assert remaining == expected, (
        f"after re-registering {name!r}, the deleted model's versions read {remaining}, "
        f"expected {expected} (only the new version)"
    )
