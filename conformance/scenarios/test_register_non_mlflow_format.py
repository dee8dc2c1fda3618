"""Seed row 2: registering a folder that is not an MLflow model (no ``MLmodel``).

The folder is logged as a run's artifacts and registered with ``create_model_version``; two
sources name it: the run's concrete artifact location, and the run-relative ``runs:/`` URI
(documented for ``create_model_version``). ``mlflow.register_model("runs:/<run>/<folder>")`` is
not a way: MLflow 3's client looks for an ``MLmodel`` there, then for a logged model named like
the folder, and fails before it reaches any registry. Both ways register from the same runs
(``shared_runs``: registering only reads a run).
"""

from __future__ import annotations

import pytest

from conformance.scenarios import file_trees, states
from conformance.scenarios.markers import feature

WAYS = ("artifact-location", "runs-uri")


def _log_folder(client, experiment_id, folder, artifact_path: str) -> tuple[str, str]:
    """Log ``folder`` under ``artifact_path`` of a new run; return (run id, its artifact URI)."""
    run = client.create_run(experiment_id)
    client.log_artifacts(run.info.run_id, str(folder), artifact_path)
    client.set_terminated(run.info.run_id)
    return run.info.run_id, f"{run.info.artifact_uri.rstrip('/')}/{artifact_path}"


def _source(way: str, run_id: str, artifact_uri: str, artifact_path: str) -> str:
    return artifact_uri if way == "artifact-location" else f"runs:/{run_id}/{artifact_path}"


@feature("register.non-mlflow-format")
@pytest.mark.parametrize("way", WAYS)
def test_folder_without_mlmodel_registers_and_downloads_intact(
    client, names, probe, fluent, experiment_id, shared_runs, way, tmp_path
):
    # given a folder without MLmodel (text, binary, a subfolder) logged as a run's artifacts
    def log(workdir):
        folder = file_trees.write_tree(workdir / "weights", file_trees.NON_MLFLOW_FILES)
        return _log_folder(client, experiment_id, folder, "weights")

    name = names(f"non-mlflow-{way}")
    with probe.prerequisite("log the folder as run artifacts"):
        run_id, artifact_uri = shared_runs.get("non-mlflow-folder", log)
    with probe.prerequisite("create_registered_model"):
        empty = states.latest_numbers_of(client.create_registered_model(name))
    source = _source(way, run_id, artifact_uri, "weights")

    # when the folder is registered as a version
    with probe.feature(
        f"create_model_version({way})", state=states.latest_held(client, name, empty)
    ):
        created = client.create_model_version(name, source=source, run_id=run_id)

    # then the version is version 1 with that source
    assert created.name == name, f"create_model_version returned a version of {created.name!r}"
    assert str(created.version) == "1", f"first version of a new model is {created.version!r}"
    assert created.source == source, (
        f"create_model_version returned source {created.source!r}, sent {source!r}"
    )
    assert created.status in states.CREATION_STATUSES, (
        f"create_model_version returned status {created.status!r}"
    )
    assert client.get_model_version(name, "1").status == "READY", f"{name} v1 is not READY"

    # and downloading models:/<name>/1 returns every file, byte for byte
    with probe.after_acceptance(f"download_artifacts(models:/{name}/1)", accepted=f"{name} v1"):
        downloaded = file_trees.download_tree(f"models:/{name}/1", tmp_path / "download")
    difference = file_trees.tree_difference(file_trees.NON_MLFLOW_FILES, downloaded)
    assert not difference, (
        f"models:/{name}/1 downloads differently from the registered folder: {difference}"
    )


@feature("register.non-mlflow-format")
@pytest.mark.parametrize("way", WAYS)
def test_each_version_downloads_its_own_files(
    client, names, probe, fluent, experiment_id, shared_runs, way, tmp_path
):
    # given two folders without MLmodel, same file names, different bytes, in one run
    first_files = file_trees.NON_MLFLOW_FILES
    second_files = {path: content[::-1] + b"-v2" for path, content in first_files.items()}

    def log(workdir):
        run = client.create_run(experiment_id)
        run_id, root = run.info.run_id, run.info.artifact_uri.rstrip("/")
        for label, files in (("first", first_files), ("second", second_files)):
            folder = file_trees.write_tree(workdir / label, files)
            client.log_artifacts(run_id, str(folder), label)
        client.set_terminated(run_id)
        return run_id, root

    name = names(f"non-mlflow-two-{way}")
    with probe.prerequisite("log the folders as run artifacts"):
        run_id, root = shared_runs.get("non-mlflow-two-folders", log)
    with probe.prerequisite("create_registered_model"):
        empty = states.latest_numbers_of(client.create_registered_model(name))

    # when both are registered as versions of one model
    with probe.feature(
        f"create_model_version({way})", state=states.latest_held(client, name, empty)
    ):
        versions = [
            str(
                client.create_model_version(
                    name, source=_source(way, run_id, f"{root}/{label}", label), run_id=run_id
                ).version
            )
            for label in ("first", "second")
        ]
    assert versions == ["1", "2"], f"two registrations of a new model gave versions {versions}"

    # then each version's download URI serves that version's files, byte for byte
    for version, files in (("1", first_files), ("2", second_files)):
        accepted = f"{name} v{version}"
        with probe.after_acceptance(
            f"get_model_version_download_uri({name}, {version})", accepted=accepted
        ):
            download_uri = client.get_model_version_download_uri(name, version)
        assert download_uri, f"{name} v{version} has no download URI"
        with probe.after_acceptance(f"download_artifacts({download_uri})", accepted=accepted):
            downloaded = file_trees.download_tree(download_uri, tmp_path / f"download-{version}")
        difference = file_trees.tree_difference(files, downloaded)
        assert not difference, (
            f"{name} v{version} (download URI {download_uri}) differs from its folder: {difference}"
        )
