"""Core feature ``uri.models``: ``models:/`` URIs and download URIs.

Loading ``models:/<name>/<version>`` goes through ``get_model_version_download_uri``;
``/latest`` and ``/<stage>`` through ``get_latest_versions`` first, ``@<alias>`` through
``get_model_version_by_alias``. The models are the tiny ones of a run the scenarios share
(registering only reads it); stages and aliases are set best-effort: where a registry refuses
them, those URIs are the ``stages`` and ``alias.set-get`` rows', and are judged without.
"""

from __future__ import annotations

from conformance.scenarios import file_trees, model_runs, prerequisites, stages, states, tiny_model
from conformance.scenarios.markers import feature


def _register(client, probe, name: str, run: model_runs.LoggedFolders, count: int) -> list[str]:
    """``name`` with one version per tiny model ``model-1``...``model-<count>`` of ``run``,
    registered with the run id (MLflow's server refuses a run's artifact location without it)."""
    with probe.prerequisite("register tiny models from run artifacts"):
        client.create_registered_model(name)
        versions = list(
            model_runs.register_logged(
                client, name, model_runs.LoggedFolders(run.run_id, run.artifact_uris[:count])
            )
        )
    assert versions == [str(n) for n in range(1, count + 1)], f"registered as {versions}"
    return versions


def _assert_loads(probe, uri: str, slope: float, accepted: str, why: str) -> None:
    with probe.after_acceptance(f"load_model({uri})", accepted=accepted):
        got = model_runs.predictions(uri)
    assert got == tiny_model.expected(slope), (
        f"{uri} predicts {got}, expected {tiny_model.expected(slope)} ({why})"
    )


@feature("uri.models")
def test_download_uri_serves_the_registered_files(
    client, names, probe, fluent, experiment_id, tmp_path
):
    # given a version registered from a run's folder: a tiny MLflow model and a binary file
    name = names("uri-download")
    folder = tiny_model.save(tmp_path / "model", 1.5)
    file_trees.write_tree(folder, {"extra/weights.bin": file_trees.NON_MLFLOW_FILES["weights.bin"]})
    sent = file_trees.read_tree(folder)
    with probe.prerequisite("log the folder as run artifacts"):
        run = client.create_run(experiment_id)
        client.log_artifacts(run.info.run_id, str(folder), "model")
        client.set_terminated(run.info.run_id)
    source = f"{run.info.artifact_uri.rstrip('/')}/model"
    with probe.prerequisite("register the folder"):
        client.create_registered_model(name)
        client.create_model_version(name, source, run_id=run.info.run_id)

    # when its download URI is asked for, and downloaded; and models:/<name>/1 downloaded
    with probe.feature("get_model_version_download_uri"):
        download_uri = client.get_model_version_download_uri(name, "1")
    accepted = f"{name} v1 (download URI {download_uri})"
    with probe.after_acceptance("download the download URI", accepted=accepted):
        direct = file_trees.download_tree(download_uri, tmp_path / "direct")
    with probe.after_acceptance(f"download models:/{name}/1", accepted=accepted):
        through_uri = file_trees.download_tree(f"models:/{name}/1", tmp_path / "models-uri")

    # then both are the registered files, byte for byte
    for what, got in (("the download URI", direct), (f"models:/{name}/1", through_uri)):
        difference = file_trees.tree_difference(sent, got)
        assert not difference, f"{what} of {name} v1 ({download_uri}): {difference}"


@feature("uri.models")
def test_latest_skips_a_deleted_newest_version(
    client, names, probe, fluent, experiment_id, shared_runs
):
    # given versions 1-3 (slopes 1, 2, 3), the newest of which is deleted (where the registry
    # deletes versions: version.delete's row; else latest is version 3)
    name = names("uri-latest")
    with probe.prerequisite("log model folders as run artifacts"):
        run = model_runs.tiny_models_run(shared_runs, client, experiment_id)
    _register(client, probe, name, run, 3)
    deleted = prerequisites.best_effort(
        probe,
        "delete_model_version",
        lambda: client.delete_model_version(name, "3"),
        state=lambda: states.latest_version_numbers(client, name),
        before=("3",),
    )
    expected = "2" if deleted else "3"

    # when models:/<name>/latest is resolved and loaded
    with probe.feature(f"get_latest_versions({name}) (resolving models:/{name}/latest)"):
        latest = stages.resolved_version(client, name)

    # then it is the highest live version: 2 (3 where it was not deleted)
    gone = " after v3 was deleted" if deleted else ""
    assert latest == expected, f"models:/{name}/latest resolves to v{latest}{gone}"
    accepted = f"{name} v1-v3" + gone
    slope = model_runs.TINY_SLOPES[int(expected) - 1]
    _assert_loads(probe, f"models:/{name}/latest", slope, accepted, f"v{expected}'s{gone}")


@feature("uri.models")
def test_version_stage_and_alias_uris_load_their_versions(
    client, names, probe, fluent, experiment_id, shared_runs
):
    # given versions 1 and 2 (slopes 1 and 2), both in Staging, and an alias on version 1
    name = names("uri-stage-alias")
    with probe.prerequisite("log model folders as run artifacts"):
        run = model_runs.tiny_models_run(shared_runs, client, experiment_id)
    _register(client, probe, name, run, 2)
    one, two = model_runs.TINY_SLOPES[0], model_runs.TINY_SLOPES[1]
    state = lambda: states.model_state(client, name)  # noqa: E731
    with stages.stage_api():
        staged = all(
            prerequisites.best_effort(
                probe,
                "transition_model_version_stage",
                lambda v=version: client.transition_model_version_stage(name, v, "Staging"),
                state=state,
            )
            for version in ("1", "2")
        )
    aliased = prerequisites.best_effort(
        probe,
        "set_registered_model_alias",
        lambda: client.set_registered_model_alias(name, "rc-pinned", "1"),
        state=state,
    )

    # when each is loaded through its URI, then each is its own version
    accepted = f"{name} v1 and v2"
    with probe.feature(f"get_model_version_download_uri({name}, 1) (models:/{name}/1)"):
        client.get_model_version_download_uri(name, "1")
    _assert_loads(probe, f"models:/{name}/1", one, accepted, "v1's")
    if staged:
        with probe.feature(f"get_latest_versions({name}, Staging) (models:/{name}/Staging)"):
            in_staging = stages.resolved_version(client, name, "Staging")
        assert in_staging == "2", (
            f"models:/{name}/Staging resolves to v{in_staging}; v1 and v2 are in Staging"
        )
        _assert_loads(probe, f"models:/{name}/Staging", two, accepted, "v2's, highest in Staging")
    if aliased:
        _assert_loads(probe, f"models:/{name}@rc-pinned", one, accepted, "v1's, the aliased one")
