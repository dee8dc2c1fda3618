"""Seed row 4 depends on where the foreign run's artifacts live; the suite says which, and tells a
refused registration from an accepted one that cannot be consumed.

Measured with real servers (``slow``): two ``mlflow server``s on SQLite whose artifacts live in
one S3 bucket (moto) that both servers and the consumer address directly (``s3://``), and two
whose artifacts each server proxies (``mlflow-artifacts:``). The foreign tracking server of each
run is the second server of its deployment.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import (
    ENDPOINT_NOT_FOUND,
    INVALID_PARAMETER_VALUE,
    PERMISSION_DENIED,
    RESOURCE_DOES_NOT_EXIST,
)

from conformance.run.probe import Inconclusive, NonConformant, Probe
from conformance.scenarios.foreign_artifacts import (
    ForeignModel,
    accepted_version,
    foreign_storage,
)
from tests import servers
from tests.answering_server import Answer, answering
from tests.report_documents import run_with_document

ROW_4 = "register.from-foreign-run"
ONLY_ROW_4 = ["-m", "feature_register_from_foreign_run"]
PROXIED = "mlflow-artifacts: proxied by the foreign tracking server"
ACCEPTED_UNCONSUMABLE = "the registry accepted the foreign version"
#: What a tracking server without an artifact proxy may answer to artifact requests.
NO_ARTIFACT_PROXY = Answer(
    404, '{"error_code": "ENDPOINT_NOT_FOUND", "message": "no artifact proxy here"}'
)


@contextmanager
def _mlflow_server(folder: Path, migrated: Path, **options: Any) -> Iterator[str]:
    """``mlflow server`` on a copy of the migrated SQLite file, in a folder of its own."""
    folder.mkdir()
    database = servers.copy_database(migrated, folder / "mlflow.db")
    with servers.mlflow_server(f"sqlite:///{database}", folder, **options) as url:
        yield url


def _row_4(document: dict[str, Any], label: str) -> tuple[str, list[dict[str, Any]]]:
    """The row-4 verdict of the target labelled ``label`` and its scenarios."""
    [target] = [t["id"] for t in document["targets"] if t["label"] == label]
    [verdict] = [
        v["verdict"]
        for v in document["verdicts"]
        if v["target"] == target and v["feature"] == ROW_4
    ]
    scenarios = [s for s in document["scenarios"] if s["target"] == target]
    assert len(scenarios) == 4, scenarios  # two scenarios, two ways of holding a model
    return verdict, scenarios


def _storage_named(scenario: dict[str, Any]) -> str:
    [context] = [e for e in scenario["evidence"] if e.get("role") == "context"]
    return context["foreign_artifacts"]


@pytest.fixture(scope="module")
def shared_bucket(
    tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path
) -> dict[str, Any]:
    """Row 4 with target and foreign server on one S3 bucket, artifacts not proxied."""
    folder = tmp_path_factory.mktemp("shared-bucket")
    with ExitStack() as stack, pytest.MonkeyPatch.context() as patch:
        store = stack.enter_context(servers.s3_object_store(folder))
        target, foreign = (
            stack.enter_context(
                _mlflow_server(
                    folder / role,
                    migrated_sqlite,
                    env=store.env,
                    artifacts=servers.s3_artifacts(store, role),
                )
            )
            for role in ("target", "foreign")
        )
        for name, value in store.env.items():  # the suite's producer and consumer use S3 too
            patch.setenv(name, value)
        completed, document = run_with_document(
            folder,
            *("--registry-uri", target, "--target-label", "shared bucket"),
            *("--foreign-tracking-uri", foreign, *ONLY_ROW_4),
        )
    return {"document": document, "output": completed.stdout[-4000:]}


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> dict[str, Any]:
    """Row 4 with a foreign server that proxies its artifacts, against three targets:

    * ``server``: an ``mlflow server`` that proxies its own artifacts;
    * ``accepting``: a registry that takes any source (MLflow's SQL store in-process), whose
      consumer reads artifacts through that same server, as the ``mlflow server`` 2.22 and 1.30
      that a reviewer measured accept the foreign source and then cannot serve it;
    * ``accepting, no proxy``: the same registry, with a tracking server that answers artifact
      requests with a refusal (``ENDPOINT_NOT_FOUND``).
    """
    folder = tmp_path_factory.mktemp("proxied")
    with ExitStack() as stack:
        server = stack.enter_context(_mlflow_server(folder / "target", migrated_sqlite))
        foreign = stack.enter_context(_mlflow_server(folder / "foreign", migrated_sqlite))
        no_proxy = stack.enter_context(answering(NO_ARTIFACT_PROXY))
        registries = [
            f"sqlite:///{servers.copy_database(migrated_sqlite, folder / f'{name}.db')}"
            for name in ("accepting", "accepting-no-proxy")
        ]
        completed, document = run_with_document(
            folder,
            *("--registry-uri", server, "--tracking-uri", server, "--target-label", "server"),
            *("--registry-uri", registries[0], "--tracking-uri", server),
            *("--target-label", "accepting"),
            *("--registry-uri", registries[1], "--tracking-uri", no_proxy),
            *("--target-label", "accepting, no proxy"),
            *("--foreign-tracking-uri", foreign, *ONLY_ROW_4),
        )
    return {"document": document, "output": completed.stdout[-4000:]}


@pytest.mark.slow
def test_servers_sharing_an_object_store_register_and_serve_foreign_models(shared_bucket):
    verdict, scenarios = _row_4(shared_bucket["document"], "shared bucket")
    assert verdict == "supported", shared_bucket["output"]
    for scenario in scenarios:
        assert scenario["outcome"] == "passed", scenario
        # a passed cell still says which deployment it describes
        assert _storage_named(scenario).startswith("s3: "), scenario["evidence"]
        [context] = [e for e in scenario["evidence"] if e.get("role") == "context"]
        assert context["artifact_location"].startswith("s3://rc-artifacts/foreign/"), context


@pytest.mark.slow
def test_a_server_refuses_a_foreign_servers_proxied_artifacts_and_says_so(proxied):
    verdict, scenarios = _row_4(proxied["document"], "server")
    assert verdict == "unsupported", proxied["output"]
    for scenario in scenarios:
        assert _storage_named(scenario) == PROXIED
        assert f"foreign artifacts: {PROXIED})" in scenario["reason"], scenario["reason"]
        assert "INVALID_PARAMETER_VALUE" in scenario["reason"], scenario["reason"]


@pytest.mark.slow
@pytest.mark.parametrize("label", ["accepting", "accepting, no proxy"])
def test_an_accepted_foreign_version_the_consumer_cannot_get_is_failed(proxied, label):
    verdict, scenarios = _row_4(proxied["document"], label)
    assert verdict == "non-conformant", proxied["output"]
    outcomes = {s["outcome"] for s in scenarios}
    assert outcomes == {"failed"}, scenarios  # never unsupported: the registration was accepted
    loads = [s for s in scenarios if "test_consumer_of_the_registry_loads" in s["nodeid"]]
    for scenario in loads:
        assert ACCEPTED_UNCONSUMABLE in scenario["reason"], scenario["reason"]
        assert f"foreign artifacts: {PROXIED}" in scenario["reason"], scenario["reason"]
    if label == "accepting, no proxy":  # the consumer was refused: still the target's fault
        consumer = [e for s in loads for e in s["evidence"] if e.get("role") == "after-acceptance"]
        assert len(consumer) == len(loads), consumer
        assert all("ENDPOINT_NOT_FOUND" in e["exception"] for e in consumer), consumer


@pytest.mark.parametrize(
    ("location", "foreign_uri", "storage"),
    [
        ("mlflow-artifacts:/1/abc/artifacts/model", "http://foreign:5000", PROXIED),
        (
            "http://foreign:5000/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model",
            "http://foreign:5000",
            "http: proxied by the foreign tracking server",
        ),
        ("s3://bucket/1/abc/artifacts/model", "http://foreign:5000", "s3: storage addressed "),
        ("gs://bucket/1/abc/artifacts", "http://foreign:5000", "gs: storage addressed "),
        ("file:///srv/mlruns/1/abc/artifacts", "http://foreign:5000", "file: local path"),
        ("/srv/mlruns/1/abc/artifacts", "http://foreign:5000", "file: local path"),
        (
            "file:///tmp/reference-backend-x/artifacts/1/abc/artifacts",
            "memory://foreign",
            "file: folder of the in-process memory:// foreign instance",
        ),
    ],
)
def test_the_foreign_storage_is_named_by_scheme_and_kind(location, foreign_uri, storage):
    assert foreign_storage(location, foreign_uri).startswith(storage)


MODEL = ForeignModel("run", "s3://bucket/model", "s3: test storage", {})


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (MlflowException("no such endpoint", ENDPOINT_NOT_FOUND), "refusal"),
        (MlflowException("bad path", INVALID_PARAMETER_VALUE), "refusal"),
        (NotImplementedError("download"), "refusal"),
        (MlflowException("no MLmodel", RESOURCE_DOES_NOT_EXIST), "entity"),
        (OSError("no such file"), "malformed"),
    ],
    ids=["not-offered", "parameter", "not-implemented", "entity", "not-an-answer"],
)
def test_after_acceptance_any_answer_but_the_model_is_a_wrong_answer(answer, kind):
    probe = Probe()
    with (
        pytest.raises(NonConformant, match=ACCEPTED_UNCONSUMABLE) as raised,
        probe.after_acceptance("download", accepted=accepted_version(MODEL)),
    ):
        raise answer
    assert "foreign artifacts: s3: test storage" in str(raised.value)
    assert probe.fault is raised.value, "a fault of the consumer is final for the probe"
    assert probe.evidence[-1]["role"] == "after-acceptance"
    assert probe.evidence[-1]["classified_as"] == kind  # a refusal elsewhere, a fault here


@pytest.mark.parametrize(
    "answer",
    [
        requests.exceptions.ConnectionError("connection refused"),
        MlflowException("who are you", PERMISSION_DENIED),
    ],
    ids=["transport", "auth"],
)
def test_after_acceptance_no_answer_leaves_no_verdict(answer):
    with pytest.raises(Inconclusive), Probe().after_acceptance("download", accepted="v1"):
        raise answer
