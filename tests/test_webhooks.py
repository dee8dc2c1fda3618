"""Webhooks outside the scenarios: the run's cleanup and the sweep remove the run's webhooks and
nothing else; the reference backend signs as MLflow does and the suite's check agrees with
MLflow's own signer; served, each event is delivered once (the store's delivery, not also the
handlers'); and a real ``mlflow server`` whose URL policy allows the suite's receiver (MLflow's
own variables) delivers, signed: both webhook rows supported (by default the policy refuses the
receiver and delivery is not tested: tests/test_mlflow_server_verdicts.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from mlflow.entities.webhook import WebhookEvent, WebhookStatus
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import ENDPOINT_NOT_FOUND
from mlflow.tracking import MlflowClient
from mlflow.webhooks.delivery import _generate_hmac_signature

from conformance.run import sweep
from conformance.run.ledger import Ledger
from conformance.scenarios.webhooks import (
    DELIVERY_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    UNUSED_PUBLIC_URL,
    Delivery,
    Receiver,
)
from reference_backend import webhooks as reference_webhooks
from reference_backend.server import serve_in_thread
from tests import report_documents, servers

EVENT = WebhookEvent.from_str("registered_model.created")


def _create(client: MlflowClient, name: str, url: str = UNUSED_PUBLIC_URL, **kwargs):
    return client.create_webhook(name=name, url=url, events=[EVENT], **kwargs)


def _names(client: MlflowClient) -> set[str]:
    return {webhook.name for webhook in client.list_webhooks()}  # (the tests make a few)


def test_the_cleanup_removes_the_runs_webhooks_and_nothing_else():
    uri = "memory://rc-webhooks-cleanup"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    ledger = Ledger("rcwebhooks")
    minted = [ledger.mint_webhook(hint, uri, uri) for hint in ("a", "b", "never-created")]
    for name in minted[:2]:
        _create(client, name, status=WebhookStatus.DISABLED)
    others = [f"{minted[0]}x", "rcwebhooks-main-1", minted[0].upper()]
    for name in others:
        _create(client, name, status=WebhookStatus.DISABLED)

    assert ledger.sweep() == []

    assert _names(client) == set(others)
    assert ledger.unconfirmed("gone?") == []


def test_the_sweep_lists_and_deletes_the_namespaces_webhooks_only():
    uri = "memory://rc-webhooks-sweep"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    namespace = "rcswept_hooks"
    ours = [f"{namespace}-gw0-1-hook", f"{namespace}-main-7-hook"]
    look_alikes = [f"{namespace}x-main-1-hook", namespace, f"{namespace.upper()}-main-1-hook"]
    for name in ours + look_alikes:
        _create(client, name, status=WebhookStatus.DISABLED)

    found = sweep.find(namespace, uri, uri)
    assert sorted(webhook.name for webhook in found.webhooks) == sorted(ours)
    assert all(line.startswith("webhook ") for line in found.lines())

    assert sweep.delete(found, uri, uri) == []
    assert _names(client) == set(look_alikes)


def test_a_refused_deletion_is_a_leftover_and_a_capped_listing_is_no_obstacle(monkeypatch):
    """A registry (or a gateway) that lists webhooks, caps the page size below what a client may
    ask for, and answers their deletion with 405: the run's webhooks are found and, kept, are
    reported as left behind, never taken for "nothing to remove"."""
    uri = "memory://rc-webhooks-refused-deletion"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    ledger = Ledger("rcrefused")
    [name] = [ledger.mint_webhook("a", uri, uri)]
    _create(client, name)
    store = client._get_registry_client().store
    listed = store.list_webhooks

    def capped(max_results=None, page_token=None):
        if max_results is not None and max_results > 50:
            raise MlflowException.invalid_parameter_value("max_results must be at most 50")
        return listed(max_results, page_token)

    def refused(webhook_id):
        raise MlflowException("Method Not Allowed", error_code=ENDPOINT_NOT_FOUND)

    monkeypatch.setattr(store, "list_webhooks", capped)
    monkeypatch.setattr(store, "delete_webhook", refused)

    [left] = ledger.sweep()
    [swept] = sweep.delete(sweep.find("rcrefused", uri, uri), uri, uri)

    assert left.name == name
    assert "ENDPOINT_NOT_FOUND" in left.reason
    assert swept.name == f"webhook {name}"
    assert _names(client) == {name}
    monkeypatch.undo()
    assert ledger.sweep() == []
    assert _names(client) == set()


def test_the_reference_signature_is_mlflows_and_the_suite_checks_it():
    secret, delivery_id, timestamp, body = "s3cret", "d-1", "1700000000", '{"a": "é"}'
    mlflow_signature = _generate_hmac_signature(secret, delivery_id, timestamp, body)
    assert reference_webhooks.signature(secret, delivery_id, timestamp, body) == mlflow_signature
    headers = {
        SIGNATURE_HEADER.lower(): mlflow_signature,
        DELIVERY_ID_HEADER.lower(): delivery_id,
        TIMESTAMP_HEADER.lower(): timestamp,
    }
    delivery = Delivery("/", headers, body.encode())
    assert delivery.signature_problem(secret) is None
    assert "gives" in (delivery.signature_problem("another secret") or "")
    tampered = Delivery("/", {**headers, TIMESTAMP_HEADER.lower(): "1700000001"}, body.encode())
    assert tampered.signature_problem(secret) is not None


@pytest.mark.parametrize("served", [False, True], ids=["embedded", "served"])
def test_each_event_is_delivered_once_signed(served: bool):
    with Receiver().running() as receiver:
        if served:
            with serve_in_thread() as url:
                _one_event(MlflowClient(tracking_uri=url, registry_uri=url), receiver)
        else:
            uri = "memory://rc-webhooks-once"
            _one_event(MlflowClient(tracking_uri=uri, registry_uri=uri), receiver)


def _one_event(client: MlflowClient, receiver: Receiver) -> None:
    _create(client, "rc-once", url=receiver.url, secret="k")
    client.create_registered_model("rc-once-model", tags={"t": "v"})
    assert receiver.wait_for(bool, 10) is not None
    time.sleep(0.5)  # a second delivery would come as fast as the first
    [delivery] = receiver.deliveries()
    assert delivery.signature_problem("k") is None
    body = delivery.payload()
    assert (body["entity"], body["action"]) == ("registered_model", "created")
    # (MLflow's handlers pass an absent description on as "")
    assert {**body["data"], "description": body["data"]["description"] or None} == {
        "name": "rc-once-model",
        "tags": {"t": "v"},
        "description": None,
    }


#: MLflow's variables that let its server send webhooks to http URLs on 127.0.0.1.
ALLOW_THE_RECEIVER = {
    "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
    "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
}


@pytest.mark.slow
def test_mlflow_server_delivers_where_its_policy_allows_the_receiver(
    tmp_path: Path, migrated_sqlite: Path
):
    database = servers.copy_database(migrated_sqlite, tmp_path / "mlflow.db")
    with servers.mlflow_server(f"sqlite:///{database}", tmp_path, env=ALLOW_THE_RECEIVER) as url:
        done, document = report_documents.run_with_document(
            tmp_path,
            "--registry-uri",
            url,
            "-m",
            "feature_webhooks_crud or feature_webhooks_delivery",
        )
    verdicts = {v["feature"]: v["verdict"] for v in document["verdicts"]}
    assert (verdicts["webhooks.crud"], verdicts["webhooks.delivery"]) == (
        "supported",
        "supported",
    ), done.stdout[-3000:]
    assert document["leftovers"] == [], document["leftovers"]
