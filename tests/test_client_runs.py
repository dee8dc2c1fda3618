"""``run --client`` for real: two MLflow clients from the package index, each in an environment uv
builds, against a served reference backend; one document with a column per client.

The environments live in this session's temporary folder (``REGISTRY_CONFORMANCE_CACHE``), so
the first run builds them; uv's own cache of wheels is the user's, so a build downloads only
what uv has not seen before. Measured on the 2-core machine with uv's cache warm and the machine
lightly loaded: each build 4-7 s, each run of the scenarios (``-n 2``) 20-25 s, about 65 s for
the first invocation; the second (cached: no build; one feature) 25 s at load 9, mostly two
MLflow imports. With other work loading the machine, the test took 82 s in all at load 7.5 and
210-240 s at load 10-12.
With uv's cache cold, a build downloads MLflow and its dependencies once per machine: MLflow
3.1.4's environment was built in 9 s from an empty uv cache (680 MB fetched from the index).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path

import pytest

from conformance.catalogue import FEATURES
from conformance.cli.client_envs import MARKER
from tests.served_reference import served_reference_backend

pytestmark = pytest.mark.slow

#: The oldest 3.x client the suite supports, and the one it is developed with.
CLIENTS = ("mlflow==3.1.4", f"mlflow=={version('mlflow')}")


def _run(folder, cache, *args):
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env["REGISTRY_CONFORMANCE_CACHE"] = str(cache)
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )


def test_two_clients_make_one_document_with_a_column_per_client(tmp_path):
    if version("mlflow") == "3.1.4":
        pytest.skip("the dev environment's MLflow is the other client")
    cache = tmp_path / "cache"
    with served_reference_backend(tmp_path, "clients") as served:
        clients = [arg for spec in CLIENTS for arg in ("--client", spec)]
        outputs = ["--results-json", "doc.json", "--report-md", "r.md", "--junitxml", "j.xml"]
        done = _run(tmp_path, cache, *clients, "--registry-uri", served.url, "-n", "2", *outputs)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        # The runs' own outputs are temporary files: only the merged ones are announced.
        assert [line for line in done.stdout.splitlines() if "wrote the" in line] == [
            "wrote the results document: doc.json",
            "wrote the Markdown matrix: r.md",
            "wrote the JUnit XML: j.xml",
        ]
        assert "registry-conformance-clients-" not in done.stdout
        built = re.findall(r"client (\S+) \(MLflow (\S+)\): (\S+) \(built in \d+ s\)", done.stdout)
        assert [(spec, mlflow) for spec, mlflow, _ in built] == [
            (spec, spec.split("==")[1]) for spec in CLIENTS
        ]
        for _, _, path in built:
            assert path.startswith(str(cache / "clients"))
            assert json.loads((Path(path) / MARKER).read_text())["mlflow"]

        document = json.loads((tmp_path / "doc.json").read_text(encoding="utf-8"))
        targets = document["targets"]
        assert [t["client"]["mlflow"] for t in targets] == [s.split("==")[1] for s in CLIENTS]
        assert [t["client"]["requested"] for t in targets] == list(CLIENTS)
        base = targets[0]["base"]["id"]
        for target in targets:
            mlflow = target["client"]["mlflow"]
            assert target["base"]["id"] == base
            assert target["id"] == f"{base}-client-{mlflow.replace('.', '-')}"
            assert target["label"].endswith(f" · client {mlflow}")
            verdicts = [v for v in document["verdicts"] if v["target"] == target["id"]]
            assert len(verdicts) == len(FEATURES)
            # Both clients measured the reference backend: the core features hold for each.
            held = {v["feature"] for v in verdicts if v["verdict"] == "supported"}
            assert {"model.rename", "version.tags", "search.by-tag"} <= held
        assert "| " + " | ".join(t["label"] for t in targets) + " |" in (
            (tmp_path / "r.md").read_text(encoding="utf-8").replace("\\", "")
        )
        suites = ET.parse(tmp_path / "j.xml").getroot().findall("testsuite")
        assert [s.get("name").split("(")[-1] for s in suites] == [
            f"client MLflow {s.split('==')[1]})" for s in CLIENTS
        ]

        again = _run(
            tmp_path, cache, *clients, "--registry-uri", served.url, "-m", "feature_model_rename"
        )
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert again.stdout.count("(reused)") == len(CLIENTS)
    assert [line for line in again.stdout.splitlines() if "(reused)" in line] == [
        line.replace(line[line.rindex("(") :], "(reused)")
        for line in done.stdout.splitlines()
        if "(built in" in line
    ]
