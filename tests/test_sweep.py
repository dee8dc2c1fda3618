"""``registry-conformance sweep``: a run killed with SIGKILL mid-way leaves entities on a real
``mlflow server``; the sweep lists exactly those, deletes them only with ``--yes``, and never
touches the look-alikes around them (a shorter prefix, a longer namespace, ``_`` and ``%``
that LIKE would match, another case, another namespace that starts with this one and ``-``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mlflow.entities import ViewType
from mlflow.tracking import MlflowClient

from tests import servers
from tests.wire_proxy import Break, Exchange, wire_proxy

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[1]
#: A ``_`` in the namespace: LIKE reads it as any one character.
NAMESPACE = f"rcsweep_t{os.getpid()}"
LOOK_ALIKES = [
    NAMESPACE[:-1] + "-main-1-model",  # a prefix of the namespace
    NAMESPACE + "x-main-1-model",  # the namespace with a different suffix
    NAMESPACE + "2-gw0-1-model",
    NAMESPACE.replace("_", "X") + "-main-1-model",  # matches LIKE 'rcsweep_t...-%'
    NAMESPACE + "_main-1-model",
    NAMESPACE + "%main-1-model",
    NAMESPACE.upper() + "-main-1-model",  # SQLite's LIKE ignores case
    NAMESPACE,
    NAMESPACE + "-x-main-1-model",  # namespace NS-x's: it starts with "NS-" too
    NAMESPACE + "-2-gw0-1-model",
]
RUN = (sys.executable, "-m", "conformance.cli", "run", "-q")
LOOK_ALIKE_EXPERIMENTS = [
    NAMESPACE.replace("_", "X") + "-main",
    NAMESPACE.upper() + "-main",
    NAMESPACE + "x-main",
    NAMESPACE,
    NAMESPACE + "-x-main",
]
#: What the killed run (serial: its process is ``main``) names: ``NS-main`` and ``NS-main-...``.
RUN_PREFIX = NAMESPACE + "-main"


def _of_run(name: str) -> bool:
    return name == RUN_PREFIX or name.startswith(RUN_PREFIX + "-")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("sweep-server")
    database = servers.copy_database(migrated_sqlite, workdir / "mlflow.db")
    with servers.mlflow_server(f"sqlite:///{database}", workdir) as url:
        _fill_look_alikes(MlflowClient(tracking_uri=url, registry_uri=url))
        yield url


def _fill_look_alikes(client: MlflowClient) -> None:
    for name in LOOK_ALIKE_EXPERIMENTS:
        experiment = client.create_experiment(name)
        run = client.create_run(experiment)
        client.set_terminated(run.info.run_id)
    for index, name in enumerate(LOOK_ALIKES):
        client.create_registered_model(name, tags={"kept": str(index)}, description=f"d{index}")
        for _ in range(2):
            version = client.create_model_version(name, f"s3://bucket/{index}", tags={"v": name})
        client.set_registered_model_alias(name, "champion", version.version)
        client.transition_model_version_stage(name, version.version, "Staging")


def _dump(client: MlflowClient) -> dict[str, Any]:
    """Every registered model, version and active experiment of the server, as values."""
    models = {}
    for model in client.search_registered_models(max_results=1000):
        versions = client.search_model_versions(f"name = '{model.name}'", max_results=1000)
        models[model.name] = (
            model.description,
            dict(model.tags),
            dict(model.aliases),
            sorted(
                (v.version, v.source, v.current_stage, dict(v.tags), v.description)
                for v in versions
            ),
        )
    experiments = {
        experiment.name: sorted(
            run.info.run_id
            for run in client.search_runs([experiment.experiment_id], run_view_type=ViewType.ALL)
        )
        for experiment in client.search_experiments(max_results=1000)
    }
    return {"models": models, "experiments": experiments}


def _of_namespace(dump: dict[str, Any]) -> dict[str, Any]:
    return {
        kind: {name: value for name, value in entities.items() if _of_run(name)}
        for kind, entities in dump.items()
    }


def _env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def _command(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args],
        cwd=folder,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _kill_a_run_mid_way(server: str, folder: Path, client: MlflowClient) -> None:
    """Start a whole run; SIGKILL it once its scenarios have made a model and an experiment."""
    with (folder / "run.log").open("w") as log:
        process = subprocess.Popen(
            [*RUN, "--registry-uri", server, "--namespace", NAMESPACE],
            cwd=folder,
            env=_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 180
            while not _made_a_model_and_an_experiment(client):
                assert process.poll() is None, (folder / "run.log").read_text()[-3000:]
                assert time.monotonic() < deadline, "no model and experiment in 180 s"
                time.sleep(0.1)
        finally:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    time.sleep(1)  # a request the server was serving when the run died ends


def _made_a_model_and_an_experiment(client: MlflowClient) -> bool:
    """Two calls (a model lives for one scenario: the run is killed while one exists)."""
    pattern = f"name LIKE '{NAMESPACE}-%'"
    return any(_of_run(model.name) for model in client.search_registered_models(pattern)) and any(
        _of_run(experiment.name) for experiment in client.search_experiments(filter_string=pattern)
    )


def _listed(stdout: str) -> dict[str, set[str]]:
    """The model names and experiment names the sweep printed."""
    lines = [line.split() for line in stdout.splitlines() if line.startswith("  ")]
    return {
        "models": {words[1] for words in lines if words[0] == "model"},
        "experiments": {words[2] for words in lines if words[0] == "experiment"},
    }


def test_a_killed_runs_leftovers_are_swept_and_nothing_else(server: str, tmp_path: Path):
    client = MlflowClient(tracking_uri=server, registry_uri=server)
    look_alikes = _dump(client)
    assert not _of_namespace(look_alikes)["models"]
    _kill_a_run_mid_way(server, tmp_path, client)
    left = _dump(client)
    assert "registry-conformance: namespace " + NAMESPACE in (tmp_path / "run.log").read_text()
    assert _of_namespace(left)["models"]
    assert _of_namespace(left)["experiments"]
    sweep = ("sweep", "--namespace", NAMESPACE, "--registry-uri", server)

    dry = _command(tmp_path, *sweep)

    assert dry.returncode == 0, dry.stderr
    assert _listed(dry.stdout) == {kind: set(v) for kind, v in _of_namespace(left).items()}
    assert "nothing deleted" in dry.stdout
    assert _dump(client) == left

    done = _command(tmp_path, *sweep, "--yes")

    assert done.returncode == 0, done.stdout + done.stderr
    after = _dump(client)
    assert after == {
        kind: {name: v for name, v in entities.items() if name not in left_of_run}
        for (kind, entities), left_of_run in zip(
            left.items(), _of_namespace(left).values(), strict=True
        )
    }
    assert after == look_alikes
    again = _command(tmp_path, *sweep)
    assert _listed(again.stdout) == {"models": set(), "experiments": set()}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--namespace", "rc%", "--registry-uri", "http://127.0.0.1:9"), "is not a namespace"),
        (("--namespace", "rc1", "--registry-uri", "http://u:hunter2@127.0.0.1:9"), "cannot list"),
    ],
    ids=["wildcard-namespace", "unreachable"],
)
def test_a_sweep_that_cannot_list_is_one_line(tmp_path: Path, args: tuple[str, ...], says: str):
    completed = _command(tmp_path, "sweep", *args)

    assert completed.returncode == 2
    (line,) = completed.stderr.strip().splitlines()
    assert says in line
    assert "hunter2" not in completed.stdout + completed.stderr


def _without_server_info(exchange: Exchange) -> None:
    if exchange.path in ("/api/3.0/mlflow/server-info", "/api/3.0/mlflow/server-features"):
        exchange.answer(404, b"<!doctype html><title>404 Not Found</title>", "text/html")


def test_a_registry_without_server_info_is_swept_as_one_without_workspaces(tmp_path: Path):
    """An MLflow 2 server (or another registry) has no ``server-info``: MLflow's client cannot
    tell whether it has workspaces, and the sweep takes that refusal for none."""
    namespace = "rcnoinfo"
    mine = [f"{namespace}-main-1-model", f"{namespace}-gw0-2-model"]
    others = [f"{namespace}2-main-1-model", f"{namespace.upper()}-main-1-model"]
    broken = Break("answers server-info and server-features with 404", request=_without_server_info)
    with (
        servers.reference_server("sweep-no-server-info", workdir=tmp_path) as upstream,
        wire_proxy(upstream, broken) as url,
    ):
        client = MlflowClient(tracking_uri=url, registry_uri=url)
        for name in mine + others:
            client.create_registered_model(name)
        sweep = ("sweep", "--namespace", namespace, "--registry-uri", url)

        dry = _command(tmp_path, *sweep)
        done = _command(tmp_path, *sweep, "--yes")

        left = sorted(model.name for model in client.search_registered_models())
    assert dry.returncode == 0, dry.stderr
    assert _listed(dry.stdout)["models"] == set(mine)
    assert done.returncode == 0, done.stdout + done.stderr
    assert left == sorted(others)
