"""Platform emulations of the reference backend: each behaves as its platform, verdict for verdict.

The suite itself runs against ``memory://NAME?emulate=E`` for every emulation, and against MLflow's
real file store (the measurement the ``mlflow-file-store`` emulation copies); then each refusal is
checked directly: its error code, MLflow's own message where MLflow is the platform, and a
registry left as it was.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import requests
from mlflow import MlflowClient
from mlflow.entities.model_registry import RegisteredModelTag
from mlflow.entities.model_registry.prompt_version import IS_PROMPT_TAG_KEY
from mlflow.exceptions import MlflowException

from conformance import documented
from conformance.catalogue import FEATURES
from reference_backend import plugin
from reference_backend.emulation_guard import EmulationGuard
from reference_backend.emulations import EMULATIONS, MLFLOW_SERVER_SQL
from reference_backend.instances import drop_instance, get_instance
from reference_backend.server import serve_in_thread

REPO_ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).with_name("reference-backend")
INVALID = "INVALID_PARAMETER_VALUE"
PROMPT_CLAUSE = f"tag.`{IS_PROMPT_TAG_KEY}` != 'true'"  # what MLflow's client appends

#: mlflow-server-sql: what tests/test_mlflow_server_verdicts.py measures on `mlflow server`.
SERVER_SQL_MEASURED = {
    "register.mlflow-format": "partial",
    "register.from-foreign-run": "unsupported",
    "search.list": "partial",
    # the SQL store leaves aliases out of version search results (mlflow#9783)
    "alias.in-version-search": "non-conformant",
    # the SQL store keeps no model_id on versions: model-versions/get answers none
    "uri.logged-models": "non-conformant",
    # MLflow's parsers let IS NULL filters and page tokens of non-object JSON escape (500)
    "search.pagination": "non-conformant",
    "search.filter-errors": "non-conformant",
    # no workspaces without --enable-workspaces
    "workspaces.isolation": "not-tested",
    # MLflow's webhook URL policy refuses the suite's receiver (http, 127.0.0.1)
    "webhooks.delivery": "not-tested",
}
#: mlflow-file-store: what the suite measured on MLflow 3.17.2's file store, in-process
#: (`registry-conformance --registry-uri /tmp/x/mlruns`, MLFLOW_ALLOW_FILE_STORE=true).
#: Measured again below.
FILE_STORE_MEASURED = {
    # rename drops the model's tags and aliases (and crashes if a version has tags)
    "model.rename": "non-conformant",
    "alias.lifecycle": "non-conformant",
    "search.pagination": "non-conformant",
    "search.filter-errors": "non-conformant",
    # a 250-character tag key of accented letters is too long for a file name: OSError
    "data.shapes": "non-conformant",
    # the file store has no workspaces
    "workspaces.isolation": "not-tested",
    # the file store has no webhooks (MLflow's base store: NotImplementedError)
    "webhooks.crud": "unsupported",
    "webhooks.delivery": "unsupported",
}
#: What the file store measures where 8 concurrent creators race for a version number: in 3 of
#: 6 runs one of them got INTERNAL_ERROR, in the others all got their numbers. The emulation
#: (``races_not_emulated``) measures the won race.
FILE_STORE_RACES = {"version.numbering": {"supported", "non-conformant"}}


def all_features(exceptions: dict[str, str]) -> dict[str, str]:
    """The verdicts of an in-process target: the wire rows are not tested (not HTTP)."""
    return {
        f.id: exceptions.get(f.id, "not-tested" if f.http_only else "supported") for f in FEATURES
    }


def azureml_documented() -> dict[str, str]:
    """The seed's "Azure ML with MLflow" column, which the emulation reads, claims as verdicts."""
    [column] = [c for c in documented.load() if c.platform == "azureml"]
    return {feature: cell.claim for feature, cell in column.cells.items()}


# The suite against every emulation, and against the file store it emulates: one serial run.

FOREIGN_URI = "memory://emulation-foreign"
EMULATED = {name: f"memory://emulation-{name}?emulate={name}" for name in EMULATIONS}


@dataclass(frozen=True)
class SuiteRun:
    document: dict[str, Any]
    output: str
    file_store_uri: str

    def verdicts(self, registry_uri: str) -> dict[str, str]:
        targets = self.document["targets"]
        target = next(t["id"] for t in targets if t["registry_uri"] == registry_uri)
        verdicts = self.document["verdicts"]
        return {v["feature"]: v["verdict"] for v in verdicts if v["target"] == target}


@pytest.fixture(scope="module")
def suite_run(tmp_path_factory: pytest.TempPathFactory) -> SuiteRun:
    workdir = tmp_path_factory.mktemp("emulation")
    file_store = str(workdir / "mlruns")
    results = workdir / "results.json"
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env["MLFLOW_ALLOW_FILE_STORE"] = "true"  # MLflow 3.17 refuses its file store otherwise
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance.cli",
            *(f"--registry-uri={uri}" for uri in [*EMULATED.values(), file_store]),
            f"--foreign-tracking-uri={FOREIGN_URI}",
            f"--results-json={results}",
        ],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = f"{completed.stdout[-6000:]}\n{completed.stderr[-3000:]}"
    assert results.is_file(), output
    return SuiteRun(json.loads(results.read_text()), output, file_store)


def test_azureml_emulation_measures_as_the_seeds_documented_column(suite_run: SuiteRun):
    # the column covers the seed's rows; features the seed article does not cover have no claim
    documented_claims = azureml_documented()
    measured = suite_run.verdicts(EMULATED["azureml"])
    covered = {feature: measured[feature] for feature in documented_claims}
    assert covered == documented_claims, suite_run.output


def test_mlflow_server_sql_emulation_matches_the_measured_server(suite_run: SuiteRun):
    expected = all_features(SERVER_SQL_MEASURED)
    assert suite_run.verdicts(EMULATED["mlflow-server-sql"]) == expected, suite_run.output


def test_mlflow_file_store_emulation_matches_mlflows_file_store(suite_run: SuiteRun):
    expected = all_features(FILE_STORE_MEASURED)
    measured = suite_run.verdicts(suite_run.file_store_uri)
    raced = {feature: measured.pop(feature) for feature in FILE_STORE_RACES}
    assert all(raced[f] in verdicts for f, verdicts in FILE_STORE_RACES.items()), raced
    assert measured == {f: v for f, v in expected.items() if f not in raced}, suite_run.output
    assert suite_run.verdicts(EMULATED["mlflow-file-store"]) == expected, suite_run.output
    assert set(FILE_STORE_RACES) == EMULATIONS["mlflow-file-store"].races_not_emulated


# Each refusal, directly.


class Emulated(NamedTuple):
    """A fresh emulating instance: its URI, a stock client of it, its registry store."""

    uri: str
    client: MlflowClient
    store: Any


@pytest.fixture
def open_emulated() -> Iterator[Callable[[str], Emulated]]:
    """Opens fresh instances with a given emulation; they are dropped afterwards."""
    uris = []

    def open_(emulation: str) -> Emulated:
        uri = f"memory://emulated-{uuid.uuid4().hex[:12]}?emulate={emulation}"
        uris.append(uri)
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        return Emulated(uri, client, get_instance(uri).registry_store)

    yield open_
    for uri in uris:
        drop_instance(uri)


def refusal(call: Callable[..., Any], *args: Any, **kwargs: Any) -> MlflowException:
    with pytest.raises(MlflowException) as raised:
        call(*args, **kwargs)
    return raised.value


def answer(call: Callable[..., Any], *args: Any) -> tuple[str, str] | None:
    """``(error code, message)`` of a refused call, None for an accepted one."""
    try:
        call(*args)
    except MlflowException as error:
        return error.error_code, error.message
    return None


def folder(path: Path, mlflow_format: bool) -> Path:
    """A folder with a weights file, and an ``MLmodel`` file if ``mlflow_format``."""
    path.mkdir(parents=True)
    (path / "weights.bin").write_bytes(b"\x00\x01")
    if mlflow_format:
        (path / "MLmodel").write_text("flavors: {}\n")
    return path


def snapshot(client: MlflowClient, *names: str) -> dict[str, Any]:
    """What a refusal must leave as it was: each model's tags, aliases, versions and sources."""
    state = {}
    for name in names:
        try:
            model = client.get_registered_model(name)
        except MlflowException:
            state[name] = None
            continue
        versions = client.search_model_versions(f"name = '{name}'")
        state[name] = (
            model.tags,
            model.aliases,
            sorted((str(v.version), v.source, v.run_id) for v in versions),
        )
    return state


def test_azureml_refuses_rename_and_container_delete_leaving_the_model(open_emulated):
    client = open_emulated("azureml").client
    client.create_registered_model("kept", tags={"team": "a"})
    client.create_model_version("kept", "s3://bucket/kept/1")
    client.create_model_version("kept", "s3://bucket/kept/2")
    client.set_registered_model_alias("kept", "champion", "1")
    before = snapshot(client, "kept", "renamed")

    renamed = refusal(client.rename_registered_model, "kept", "renamed")
    deleted = refusal(client.delete_registered_model, "kept")

    assert (renamed.error_code, deleted.error_code) == (INVALID, INVALID)
    assert "Renaming models is not supported in Azure Machine Learning" in renamed.message
    assert "doesn't support deleting the entire model container" in deleted.message
    assert snapshot(client, "kept", "renamed") == before
    # deleting versions, what Azure ML advises instead, works
    client.delete_model_version("kept", "2")
    assert [v.version for v in client.search_model_versions("name = 'kept'")] == [1]


def test_azureml_refuses_the_clients_prompt_clause_and_real_tag_filters(open_emulated):
    _, client, store = open_emulated("azureml")
    client.create_registered_model("tagged", tags={"team": "a"})

    # without the client's prompt clause, listings and name filters work
    assert [m.name for m in store.search_registered_models(None, 100)] == ["tagged"]
    assert [m.name for m in store.search_registered_models("name = 'tagged'", 100)] == ["tagged"]
    ordered = store.search_registered_models(None, 100, ["creation_timestamp DESC"])
    assert [m.name for m in ordered] == ["tagged"]
    # the client appends the clause to every search: refused, in Azure ML's words (#42155)
    for search in (
        lambda: client.search_registered_models(),
        lambda: store.search_registered_models(f"name = 'tagged' AND {PROMPT_CLAUSE}", 100),
    ):
        refused = refusal(search)
        assert refused.error_code == INVALID
        assert "(we currently do not support OR)" in refused.message

    for tag_filter in (
        "tags.team = 'a'",
        f"tag.`{IS_PROMPT_TAG_KEY}` = 'true'",  # another prompt clause is a tag filter
        "name = 'tagged' AND tags.team != 'b'",
    ):
        refused = refusal(store.search_registered_models, tag_filter)
        assert refused.error_code == INVALID
        assert refused.message.startswith("Currently unsupported filter string format")
        assert refused.message.endswith(f"Provided filter string: {tag_filter}")


@pytest.mark.parametrize("comparator", ["LIKE", "ILIKE"])
def test_azureml_refuses_like_and_ilike_in_both_searches(open_emulated, comparator):
    _, client, store = open_emulated("azureml")
    client.create_registered_model("pattern")
    client.create_model_version("pattern", "s3://bucket/pattern/1")

    # (the store's search: the client's would meet the prompt clause's refusal first)
    models = refusal(store.search_registered_models, f"name {comparator} 'pat%'", 100)
    versions = refusal(client.search_model_versions, f"name {comparator} 'pat%'")

    assert (models.error_code, versions.error_code) == (INVALID, INVALID)
    assert "LIKE and ILIKE are not supported" in models.message
    assert client.search_model_versions("name = 'pattern'")[0].name == "pattern"


def test_azureml_registers_only_mlflow_format_folders(open_emulated, tmp_path: Path):
    client = open_emulated("azureml").client
    client.create_registered_model("formats")
    run = client.create_run("0").info
    client.log_artifacts(run.run_id, str(folder(tmp_path / "raw", False)), "raw")
    client.log_artifacts(run.run_id, str(folder(tmp_path / "model", True)), "model")
    before = snapshot(client, "formats")

    refused = [
        refusal(client.create_model_version, "formats", source, run_id=run_id)
        for source, run_id in (
            (folder(tmp_path / "local-raw", False).as_uri(), None),
            (f"{run.artifact_uri}/raw", run.run_id),
            (f"runs:/{run.run_id}/raw", run.run_id),
        )
    ]

    assert {r.error_code for r in refused} == {INVALID}
    assert all(
        r.message.startswith("Model source must be a directory containing an mlflow MLmodel")
        for r in refused
    )
    assert snapshot(client, "formats") == before
    # MLflow-format folders register (local, run artifacts, runs:/); remote storage on trust
    for source, run_id in (
        (folder(tmp_path / "local-model", True).as_uri(), None),
        (f"{run.artifact_uri}/model", run.run_id),
        (f"runs:/{run.run_id}/model", run.run_id),
        ("s3://bucket/unreadable", None),
    ):
        client.create_model_version("formats", source, run_id=run_id)
    assert len(client.search_model_versions("name = 'formats'")) == 4


def test_azureml_refuses_runs_of_another_tracking_server(open_emulated):
    client, foreign = open_emulated("azureml").client, open_emulated("azureml").client
    client.create_registered_model("crossing")
    foreign_run = foreign.create_run("0").info.run_id
    own_run = client.create_run("0").info.run_id
    before = snapshot(client, "crossing")

    by_id = refusal(client.create_model_version, "crossing", "s3://b/m", run_id=foreign_run)
    by_uri = refusal(client.create_model_version, "crossing", f"runs:/{foreign_run}/m")

    assert (by_id.error_code, by_uri.error_code) == (INVALID, INVALID)
    assert "Cross-workspace operations are not supported" in by_id.message
    assert f"run '{foreign_run}' is not tracked in this workspace" in by_uri.message
    assert snapshot(client, "crossing") == before
    client.create_model_version("crossing", "s3://b/m", run_id=own_run)


def test_mlflow_server_sql_refuses_unowned_local_sources_and_creation_timestamp(
    open_emulated, tmp_path: Path
):
    client = open_emulated("mlflow-server-sql").client
    foreign = open_emulated("mlflow-server-sql").client
    client.create_registered_model("served")
    foreign_run = foreign.create_run("0").info
    foreign_source = f"{foreign_run.artifact_uri}/model"
    before = snapshot(client, "served")

    local = refusal(client.create_model_version, "served", folder(tmp_path / "m", True).as_uri())
    stranger = refusal(
        client.create_model_version, "served", foreign_source, run_id=foreign_run.run_id
    )
    ordered = refusal(client.search_registered_models, order_by=["creation_timestamp ASC"])

    assert {local.error_code, stranger.error_code, ordered.error_code} == {INVALID}
    assert "To use a local path as a model version source, the run_id" in local.message
    assert stranger.message == (
        f"Invalid model version source: '{foreign_source}'. The run_id request parameter must "
        "identify the resource that contains the source."
    )
    assert ordered.message.startswith("Invalid order by key 'creation_timestamp' specified.")
    assert snapshot(client, "served") == before
    client.search_registered_models(order_by=["timestamp DESC"])


def test_mlflow_server_sql_source_rule_answers_as_mlflows_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    """The guard against MLflow's own handler checks, case by case, message for message."""
    from mlflow.server import handlers

    uri = f"memory://server-rule-{uuid.uuid4().hex[:12]}"
    try:
        tracking = get_instance(uri).tracking_store
        run = tracking.create_run("0", "me", None, [], "r").info
        other = tracking.create_run("0", "me", None, [], "o").info
        logged = tracking.create_logged_model("0", source_run_id=run.run_id)
        monkeypatch.setattr(handlers, "_tracking_store", tracking)
        inside, inside_model = f"{run.artifact_uri}/model", f"{logged.artifact_location}/x"
        cases = [
            (folder(tmp_path / "m", True).as_uri(), None, None),
            (inside, run.run_id, None),
            (inside, other.run_id, None),
            (inside, "no-such-run", None),
            (inside.removeprefix("file://"), run.run_id, None),
            (f"runs:/{run.run_id}/model", run.run_id, None),
            (f"runs:/{run.run_id}/model", None, None),
            (f"runs:/{run.run_id}/model", other.run_id, None),
            (f"runs:/{run.run_id}/model", None, logged.model_id),
            (f"models:/{logged.model_id}", None, logged.model_id),
            (f"models:/{logged.model_id}", run.run_id, None),
            (f"models:/{logged.model_id}", None, "m-other"),
            ("models:/registered/1", None, None),
            (inside_model, None, logged.model_id),
            (inside_model, None, "m-unknown"),
            ("s3://bucket/model", "a-run-of-another-server", None),
        ]
        guard = EmulationGuard(MLFLOW_SERVER_SQL, tracking)
        for source, run_id, model_id in cases:
            # how MLflow's _create_model_version handler picks its check
            check = handlers._validate_source_model if model_id else handlers._validate_source_run
            mlflows = answer(check, source, model_id or run_id)
            ours = answer(guard.check_source, source, run_id, model_id)
            assert ours == mlflows, (source, run_id, model_id)
    finally:
        drop_instance(uri)


def test_mlflow_file_store_emulation_answers_as_mlflows_file_store(
    open_emulated, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from mlflow.store.model_registry.file_store import FileStore

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")

    stores = {
        "file store": FileStore(str(tmp_path / "mlruns")),
        "emulation": open_emulated("mlflow-file-store").store,
    }
    observed = {}
    for label, store in stores.items():
        store.create_registered_model("m", tags=[RegisteredModelTag("team", "a")], description="d")
        store.create_model_version("m", "s3://bucket/m/1")
        store.set_registered_model_alias("m", "champion", "1")
        store.rename_registered_model("m", "n")
        renamed = store.get_registered_model("n")
        observed[label] = {
            "percent in name": answer(store.create_registered_model, "a%b"),
            "rename to percent": answer(store.rename_registered_model, "n", "x%y"),
            "order by timestamp": answer(
                store.search_registered_models, None, 10, ["timestamp DESC"]
            ),
            "order by creation": answer(
                store.search_registered_models, None, 10, ["creation_timestamp DESC"]
            ),
            "renamed": (renamed.tags, renamed.aliases, renamed.description),
            "versions follow": [v.name for v in store.search_model_versions("name = 'n'", 10)],
        }
    assert observed["emulation"] == observed["file store"]
    assert observed["emulation"]["percent in name"][0] == INVALID
    assert observed["emulation"]["renamed"] == ({}, {}, "d")


# Addresses: an emulation belongs to its instance.


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("memory://x?emulate=nonesuch", ["'nonesuch'", *EMULATIONS]),
        ("memory://x?emulate=", ["''", *EMULATIONS]),
        ("memory://x?emulate=azureml&emulate=azureml", ["'azureml' and 'azureml'"]),
        ("memory://x?colour=blue", ["['colour']", "'emulate'", *EMULATIONS]),
        ("memory://x?profile=azureml", ["['profile']", "'emulate'", *EMULATIONS]),
    ],
)
def test_bad_emulations_and_options_are_refused_naming_the_valid_ones(uri: str, words: list[str]):
    error = refusal(get_instance, uri)
    assert error.error_code == INVALID
    assert all(word in error.message for word in words), error.message


def test_a_name_keeps_the_emulation_it_was_created_with():
    name = f"kept-emulation-{uuid.uuid4().hex[:12]}"
    uri = f"memory://{name}?emulate=azureml"
    try:
        instance = get_instance(uri)
        assert instance.uri == uri
        assert plugin.tracking_store(uri) is instance.tracking_store
        assert plugin.registry_store(uri) is instance.registry_store
        for other in (f"memory://{name}", f"memory://{name}?emulate=mlflow-file-store"):
            for builder in (plugin.tracking_store, plugin.registry_store):
                error = refusal(builder, other)
                assert error.error_code == INVALID
                assert "already exists with emulation 'azureml'" in error.message
    finally:
        drop_instance(uri)


# The command line and HTTP serving.


def test_emulation_names_need_no_mlflow_import():
    """The command line checks and lists emulation names before its slow MLflow import."""
    code = "import sys, reference_backend.cli; print('mlflow' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert completed.stdout.strip() == "False", completed.stderr


def test_cli_refuses_an_unknown_emulation_naming_the_valid_ones(tmp_path: Path):
    completed = subprocess.run(
        [str(CLI), "serve", "--emulate", "nonesuch"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert completed.returncode == 2
    assert all(name in completed.stderr for name in EMULATIONS), completed.stderr


@pytest.mark.slow
def test_served_azureml_emulator_refuses_with_a_clean_mlflow_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with serve_in_thread(emulation="azureml") as url:
        client = MlflowClient(url, url)
        client.create_registered_model("served")
        answered = requests.post(
            f"{url}/api/2.0/mlflow/registered-models/rename",
            json={"name": "served", "new_name": "other"},
            timeout=30,
        )
        assert answered.status_code == 400
        assert answered.headers["Content-Type"].startswith("application/json")
        assert answered.json()["error_code"] == INVALID
        assert "Renaming models is not supported" in answered.json()["message"]
        # (a listing without the client's prompt clause, which the emulation refuses)
        store = client._get_registry_client().store
        assert [m.name for m in store.search_registered_models(None, 100)] == ["served"]

        # a served instance reads its proxied artifacts: a run folder without MLmodel is refused
        run = client.create_run("0").info
        client.log_artifacts(run.run_id, str(folder(tmp_path / "raw", False)), "raw")
        client.log_artifacts(run.run_id, str(folder(tmp_path / "model", True)), "model")
        raw_source = f"{run.artifact_uri}/raw"
        raw = refusal(client.create_model_version, "served", raw_source, run_id=run.run_id)
        assert raw.error_code == INVALID
        assert "Model source must be a directory containing an mlflow MLmodel" in raw.message
        made = client.create_model_version("served", f"{run.artifact_uri}/model", run.run_id)
        assert str(made.version) == "1"
