"""Extended feature ``version.copy``: ``MlflowClient.copy_model_version``.

MLflow's client reads the source version, creates the destination model if it is missing, and
creates a version whose source is ``models:/<src>/<version>`` with the source's run id. It wraps
a refusal of that version in its own error ("may not yet support model version URI sources"),
so the scenarios judge the registry's answer inside it.
"""

from __future__ import annotations

from mlflow.exceptions import MlflowException

from conformance.scenarios import file_trees, model_runs, prerequisites, states, tiny_model
from conformance.scenarios.markers import feature


def _copy(client, probe, src_uri: str, dst: str, state):
    with probe.feature(f"copy_model_version({src_uri}, {dst})", state=state):
        try:
            return client.copy_model_version(src_uri, dst)
        except MlflowException as wrapped:
            cause = wrapped.__cause__
            raise (cause if isinstance(cause, Exception) else wrapped) from None


def _source_model(client, probe, name: str, run_id: str, uris: list[str]) -> list[str]:
    """The source model, one version per artifact location of the run ``run_id`` (MLflow's
    server refuses such a location without its run id). Its versions are created under test: a
    copy is a version created from another (the same store operation), so a registry whose
    version creation breaks is judged here too."""
    with probe.prerequisite("create_registered_model"):
        empty = states.latest_numbers_of(client.create_registered_model(name))
    with probe.feature(
        "create_model_version (the source versions)",
        state=states.latest_held(client, name, empty),
    ):
        return [str(client.create_model_version(name, uri, run_id).version) for uri in uris]


def _version(entity) -> tuple[str, str, str, str | None]:
    return (entity.name, str(entity.version), entity.source, entity.run_id)


@feature("version.copy")
def test_copy_to_a_new_model_is_its_version_1(
    client, names, probe, fluent, experiment_id, shared_runs
):
    # given a source model with versions 1 and 2 (slopes 1 and 2) and a name nobody has
    with probe.prerequisite("log model folders as run artifacts"):
        run = model_runs.tiny_models_run(shared_runs, client, experiment_id)
    src, dst = names("copy-src"), names("copy-dst")
    _source_model(client, probe, src, run.run_id, run.artifact_uris[:2])
    before = _version(client.get_model_version(src, "1"))

    # when version 1 is copied to the new name
    # (MLflow's client creates the destination model before the version: a registry that refuses
    # the version still has it, so the state is not compared on a refusal here)
    copied = _copy(client, probe, f"models:/{src}/1", dst, None)

    # then the copy is version 1 of the new model, with the source URI MLflow records and the
    # source version's run id
    expected = (dst, "1", f"models:/{src}/1", before[3])
    assert _version(copied) == expected, f"copy_model_version answered {_version(copied)}"
    stored = _version(client.get_model_version(dst, "1"))
    assert stored == expected, f"{dst} v1 reads back {stored}, expected {expected}"
    # and it loads as the source's version 1 (not version 2), which is left as it was
    slope = model_runs.TINY_SLOPES[0]
    with probe.after_acceptance(f"load models:/{dst}/1", accepted=f"the copy {dst} v1"):
        got = model_runs.predictions(f"models:/{dst}/1")
    assert got == tiny_model.expected(slope), (
        f"the copy of {src} v1 predicts {got}, v1 predicts {tiny_model.expected(slope)} (v2: "
        f"{tiny_model.expected(model_runs.TINY_SLOPES[1])})"
    )
    after = _version(client.get_model_version(src, "1"))
    assert after == before, f"copying changed the source version: {before} -> {after}"


@feature("version.copy")
def test_copy_to_an_existing_model_is_its_next_version_with_the_same_files(
    client, names, probe, fluent, experiment_id, shared_runs, tmp_path
):
    # given a source version, and a destination model that has two versions already
    with probe.prerequisite("log model folders as run artifacts"):
        run = model_runs.tiny_models_run(shared_runs, client, experiment_id)
    src, dst = names("copy-src"), names("copy-dst-existing")
    _source_model(client, probe, src, run.run_id, run.artifact_uris[2:3])
    prerequisites.model_with_versions(client, probe, dst, 2)
    held = states.latest_numbers_of(client.get_registered_model(dst))

    # when the source version is copied to it
    copied = _copy(client, probe, f"models:/{src}/1", dst, states.latest_held(client, dst, held))

    # then the copy is the destination's version 3, and downloads as the source's files
    assert (copied.name, str(copied.version)) == (dst, "3"), (
        f"copying into {dst} (versions 1, 2) answered {copied.name} v{copied.version}"
    )
    accepted = f"the copy {dst} v3"
    with probe.after_acceptance(f"download models:/{dst}/3", accepted=accepted):
        copy_files = file_trees.download_tree(f"models:/{dst}/3", tmp_path / "copy")
    with probe.prerequisite(f"download models:/{src}/1"):
        source_files = file_trees.download_tree(f"models:/{src}/1", tmp_path / "source")
    difference = file_trees.tree_difference(source_files, copy_files)
    assert not difference, f"{dst} v3, copied from {src} v1: {difference}"
