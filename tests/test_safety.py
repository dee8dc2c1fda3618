"""On a shared registry the suite touches only what it created, leaves nothing behind, and does
not collide with itself (parallel workers, concurrent runs, interrupted runs)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from tests import registry_dump, servers

pytestmark = pytest.mark.slow


def _suite(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "-q", "-p", "no:warnings", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_concurrent_runs_share_a_server_and_spare_what_is_not_theirs(tmp_path: Path):
    with servers.reference_server("safety") as url:
        client = MlflowClient(tracking_uri=url, registry_uri=url)
        # given a model the suite did not create, with every kind of state
        client.create_registered_model("precious", tags={"owner": "ops"}, description="keep")
        for source in ("s3://b/one", "s3://b/two"):
            client.create_model_version("precious", source)
        client.set_model_version_tag("precious", "1", "approved", "yes")
        client.set_registered_model_alias("precious", "champion", "2")
        client.transition_model_version_stage("precious", "1", "Production")
        before = registry_dump.snapshot(client, "precious")

        # when two runs (one of them with two workers) measure the same server at once
        runs = [
            _suite(
                "--registry-uri",
                url,
                "--results-json",
                str(tmp_path / "a.json"),
                "-n",
                "2",
                cwd=tmp_path,
            ),
            _suite("--registry-uri", url, "--results-json", str(tmp_path / "b.json"), cwd=tmp_path),
        ]
        outputs = [run.communicate(timeout=600)[0] for run in runs]

        # then both see the same, untroubled matrix, and only "precious" is left, unchanged
        documents = [json.loads((tmp_path / f"{x}.json").read_text()) for x in "ab"]
        for document, output in zip(documents, outputs, strict=True):
            verdicts = {v["feature"]: v["verdict"] for v in document["verdicts"]}
            troubled = {
                f: v for f, v in verdicts.items() if v in ("non-conformant", "inconclusive")
            }
            assert troubled == {}, output[-3000:]
            assert document["leftovers"] == []
        assert documents[0]["namespace"] != documents[1]["namespace"]
        assert registry_dump.snapshot(client, "precious") == before
        assert registry_dump.model_names(client) == {"precious"}
        assert [e.name for e in client.search_experiments()] == ["Default"]


def test_an_interrupted_run_cleans_up_and_says_it_is_incomplete(tmp_path: Path, migrated_sqlite):
    database = servers.copy_database(migrated_sqlite, tmp_path / "interrupted.db")
    uri = f"sqlite:///{database}"
    results = tmp_path / "results.json"
    run = _suite(
        "--registry-uri", uri, "--results-json", str(results), "-p", "no:xdist", cwd=tmp_path
    )
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    started = time.monotonic()
    while not registry_dump.model_names(client) and time.monotonic() < started + 300:
        assert run.poll() is None, f"the run ended first:\n{run.communicate()[0][-3000:]}"
        time.sleep(0.05)  # interrupt while scenarios have models in flight
    if not registry_dump.model_names(client):
        run.kill()
        pytest.fail(f"no model within 300 s:\n{run.communicate()[0][-3000:]}")
    run.send_signal(signal.SIGINT)
    # Ended within the cleanup's own time limit (the scenario limit, 120 s), with margin for load.
    output = run.communicate(timeout=240)[0]

    assert run.returncode == pytest.ExitCode.INTERRUPTED, output[-2000:]
    document = json.loads(results.read_text())
    assert document["complete"] is False
    assert registry_dump.model_names(client) == set()


def test_what_cannot_be_removed_is_reported_from_every_worker(tmp_path: Path):
    # given a registry that refuses to delete registered models
    def leftovers(*parallel: str) -> tuple[list[dict], str]:
        results = tmp_path / f"results{len(parallel)}.json"
        run = _suite(
            "-p",
            "tests.broken_backends",
            "--registry-uri",
            "broken://model-delete--refuse",
            "-m",
            "feature_model_rename",
            "--results-json",
            str(results),
            *parallel,
            cwd=Path(__file__).resolve().parents[1],
        )
        output = run.communicate(timeout=300)[0]
        document = json.loads(results.read_text())
        assert all(x["name"].startswith(document["namespace"]) for x in document["leftovers"])
        return document["leftovers"], output

    # when the same scenarios run in one process and on two workers
    serial, serial_output = leftovers()
    parallel, parallel_output = leftovers("-n", "2")

    # then both report the same number of models left behind, with the registry's reason
    assert serial, serial_output[-2000:]
    assert len(parallel) == len(serial), parallel_output[-2000:]
    assert all("not supported" in x["reason"] for x in serial + parallel)
    assert "left behind:" in parallel_output


def test_names_never_created_are_not_reported_left_behind(tmp_path: Path):
    """A registry with no registry endpoints refuses every creation: the names the run minted
    name nothing there, so nothing is "left behind" (it was 149 phantom names)."""
    results = tmp_path / "results.json"
    run = _suite(
        "-p",
        "tests.vocabulary_backends",
        "--registry-uri",
        "vocab://no-registry",
        "-m",
        "feature_model_rename or feature_model_delete",
        "--results-json",
        str(results),
        cwd=Path(__file__).resolve().parents[1],
    )
    output = run.communicate(timeout=300)[0]

    document = json.loads(results.read_text())
    assert {v["verdict"] for v in document["verdicts"] if v["feature"] == "model.rename"} == {
        "unsupported"
    }, output[-2000:]
    assert document["leftovers"] == []
    assert "left behind" not in output
