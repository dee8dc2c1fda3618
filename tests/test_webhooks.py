"""Webhooks outside the scenarios: the run's cleanup and the sweep remove the run's webhooks and
nothing else, and a minted webhook name fits MLflow's limit whatever the namespace; the
reference backend signs as MLflow does and the suite's check agrees with MLflow's own signer;
served, each event is delivered once (the store's delivery, not also the handlers'); listings
paged by offset, missing or endless, and a test delivery reported without a body
(``tests/webhook_variants.py``) get the verdicts of their kinds of answer; and a real
``mlflow server`` whose URL policy allows the suite's receiver (MLflow's own variables)
delivers, signed: both webhook rows supported (by default the policy refuses the receiver and
delivery is not tested: tests/test_mlflow_server_verdicts.py)."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest
from mlflow.entities.webhook import WebhookEvent, WebhookStatus
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import ENDPOINT_NOT_FOUND
from mlflow.store.entities.paged_list import PagedList
from mlflow.tracking import MlflowClient
from mlflow.utils.validation import _validate_webhook_name
from mlflow.webhooks.delivery import _generate_hmac_signature

from conformance.namespaces import is_namespace
from conformance.run import sweep
from conformance.run.ledger import Ledger
from conformance.run.probe import Inconclusive
from conformance.scenarios.webhooks import (
    DELIVERY_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    UNUSED_PUBLIC_URL,
    Delivery,
    Receiver,
    listed,
    steady_listing,
)
from reference_backend import webhooks as reference_webhooks
from reference_backend.server import serve_in_thread
from tests import report_documents, servers
from tests import webhook_variants as variants

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


#: Every hint the scenarios mint webhook names with.
SCENARIO_HINTS = [
    *(f"hook-create-{i}" for i in (1, 2, 3)),
    "hook-update",
    "hook-renamed",
    "hook-doomed",
    "hook-kept",
    "hook-test",
    "hook-event",
]


def test_minted_webhook_names_fit_mlflows_limit_with_the_longest_namespace():
    uri = "memory://rc-webhooks-long-namespace"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    namespace = "n" * 38 + "-c9"  # run --client's longest: 41 characters with its -cN
    assert is_namespace(namespace)
    assert not is_namespace(f"{namespace}x")
    ledger = Ledger(namespace, worker="gw15")
    ledger._counter = itertools.count(99_990)  # a long run's counter
    minted = [ledger.mint_webhook(hint, uri, uri) for hint in SCENARIO_HINTS]
    assert len(set(minted)) == len(minted)
    for name in minted:
        _validate_webhook_name(name)  # MLflow's own check: at most 63 characters, ends alnum
        assert name.startswith(ledger.prefix), name
        _create(client, name, status=WebhookStatus.DISABLED)
    found = sweep.find(namespace, uri, uri)
    assert sorted(webhook.name for webhook in found.webhooks) == sorted(minted)
    assert ledger.sweep() == []
    assert _names(client) == set()
    # a short namespace keeps the hints whole
    short = Ledger("rc1", worker="gw0")
    assert short.mint_webhook("hook-create-1", uri, uri) == "rc1-gw0-1-hook-create-1"


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


# --- listings --------------------------------------------------------------------------------


def _listing_client(variant: str, webhooks: int) -> MlflowClient:
    """A client of the variant's registry, holding at least ``webhooks`` webhooks."""
    client = MlflowClient(tracking_uri=variants.uri(variant), registry_uri=variants.uri(variant))
    for index in range(webhooks):
        _create(
            client, f"rc-listing-{variant}-{index}-{time.time_ns()}", status=WebhookStatus.DISABLED
        )
    return client


def test_a_listing_paged_by_offset_while_someone_creates_a_webhook_has_no_verdict():
    client = _listing_client("offset-newcomer", 3)
    # the offset pages shift under the walk: a webhook is listed twice, no fault of the registry
    ids = [webhook["id"] for webhook in listed(client, page_size=2)]
    assert len(ids) > len(set(ids))
    with pytest.raises(Inconclusive, match="changed while list_webhooks was walked"):
        steady_listing(client, page_size=2)


def test_a_listing_that_repeats_or_loses_a_webhook_while_nothing_changes_is_wrong():
    client = _listing_client("offset", 3)
    assert len(steady_listing(client, page_size=2)) == len(listed(client))

    class Repeating:
        """The first page's last webhook again, alone, as the second page."""

        def list_webhooks(self, max_results=None, page_token=None):
            if page_token == "repeat":
                return PagedList(list(client.list_webhooks(max_results=max_results))[-1:], "2")
            page = client.list_webhooks(max_results=max_results, page_token=page_token)
            return PagedList(page, "repeat") if max_results == 2 and not page_token else page

    with pytest.raises(AssertionError, match="in pages of 2 listed webhooks more than once"):
        steady_listing(Repeating(), page_size=2)

    class Losing:
        """The first page of 2 without its last webhook (the next page starts after it)."""

        def list_webhooks(self, max_results=None, page_token=None):
            page = client.list_webhooks(max_results=max_results, page_token=page_token)
            if max_results == 2 and not page_token:
                return PagedList(list(page)[:-1], page.token)
            return page

    with pytest.raises(AssertionError, match="in pages of 2 left out"):
        steady_listing(Losing(), page_size=2)


def test_a_listing_that_hands_out_a_page_token_twice_ends_at_once():
    client = _listing_client("endless", 1)
    calls = []

    class Counting:
        def list_webhooks(self, **arguments):
            calls.append(arguments)
            return client.list_webhooks(**arguments)

    with pytest.raises(AssertionError, match="twice: the listing would never end"):
        listed(Counting())
    assert len(calls) <= 3


#: variant -> the verdicts of webhooks.crud and webhooks.delivery, and the outcome and reason of
#: the listing's scenario
VARIANT_VERDICTS = {
    "offset": ("supported", "supported", "passed", ""),
    "offset-newcomer": (
        "inconclusive",
        "supported",
        "error",
        "changed while list_webhooks was walked",
    ),
    "refused": ("partial", "supported", "unsupported", "list_webhooks (pages of 2)"),
    "endless": ("non-conformant", "supported", "failed", "the listing would never end"),
    "no-body": ("supported", "supported", "passed", ""),
}


def test_webhook_variants_get_the_verdicts_of_their_kinds_of_answer(tmp_path: Path):
    done, document = report_documents.run_with_document(
        tmp_path,
        "-p",
        "tests.webhook_variants",
        *(f"--registry-uri={variants.uri(variant)}" for variant in VARIANT_VERDICTS),
        "-m",
        "feature_webhooks_crud or feature_webhooks_delivery",
    )
    targets = {t["id"]: t["registry_uri"].partition("://")[2] for t in document["targets"]}
    verdicts = {(targets[v["target"]], v["feature"]): v["verdict"] for v in document["verdicts"]}
    listing = {
        targets[s["target"]]: (s["outcome"], s["reason"])
        for s in document["scenarios"]
        if "test_created_webhooks_read_back_and_are_listed" in s["nodeid"]
    }
    for variant, (crud, delivery, outcome, reason) in VARIANT_VERDICTS.items():
        got = (
            verdicts[(variant, "webhooks.crud")],
            verdicts[(variant, "webhooks.delivery")],
            listing[variant][0],
        )
        assert got == (crud, delivery, outcome), (variant, listing[variant], done.stdout[-3000:])
        assert reason in listing[variant][1], (variant, listing[variant])
