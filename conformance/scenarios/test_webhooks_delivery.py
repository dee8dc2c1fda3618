"""Extended feature ``webhooks.delivery``: registry events reach a receiver, signed as MLflow
signs them (MLflow 3.3+).

The receiver is an HTTP server this scenario starts on 127.0.0.1 of the machine running the
suite. Whether the registry can reach it is found out, not assumed:

* a registry that refuses the receiver's URL by policy (INVALID_PARAMETER_VALUE: MLflow's server
  allows only ``https`` to public addresses by default) is not tested, with its reason;
* ``test_webhook`` delivers at once and reports how: a report that it could not connect, with
  nothing received, means the registry cannot reach the receiver (not tested); with nothing
  received, a report of an answer that is not the receiver's own token (or of no body) means it
  reached another listener at that address (a remote registry's own 127.0.0.1: not tested). Once
  the delivery arrived, the report must give the receiver's status, and its body where it gives
  one;
* once a test delivery has reached the receiver, the event MUST follow within
  ``DELIVERY_WAIT_S``; where the registry offers no test delivery, an event that never came
  cannot be told from an unreachable receiver, and the scenario is not tested.

Webhooks belong to the whole registry, so the receiver may also get the events of other
scenarios and users meanwhile; every delivery to its URL must be signed with the webhook's secret,
and the scenario waits for its own event among them (a delivery to another path of its port is
another receiver's stale webhook, not this one's). The webhook is the run's own (a minted
name) and is deleted before the receiver stops.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.run.probe import Inconclusive, Unsupported, no_verdict
from conformance.run.refusals import Kind, classify
from conformance.scenarios.markers import feature, requires_client
from conformance.scenarios.prerequisites import model_with_versions
from conformance.scenarios.states import held
from conformance.scenarios.webhooks import (
    DELIVERY_WAIT_S,
    Delivery,
    Receiver,
    event,
    listed,
    status,
)

pytestmark = requires_client("webhooks")

EVENT = "model_version_tag.set"
#: How long a test delivery, sent while ``test_webhook`` runs, may take to be recorded.
TEST_DELIVERY_WAIT_S = 5.0


def _active_webhook(client, probe, name: str, receiver: Receiver, secret: str) -> str:
    """An ACTIVE webhook to the receiver, subscribed to EVENT; its id. A refusal of the receiver's
    URL (of these parameters) is a policy about where the suite listens: not tested."""
    try:
        with probe.feature(
            "create_webhook (ACTIVE, to the receiver on 127.0.0.1)",
            state=held([], lambda: listed(client, {name})),  # a name minted for this call
        ):
            answer = client.create_webhook(
                name=name,
                url=receiver.url,
                events=[event(EVENT)],
                secret=secret,
                status=status("ACTIVE"),
            )
    except Unsupported as refused:
        if refused.__cause__ is not None and classify(refused.__cause__).about_parameters:
            pytest.skip(
                f"the registry refuses a webhook to the suite's receiver ({receiver.url}): "
                f"{refused.msg} (MLflow's server accepts it with MLFLOW_WEBHOOK_ALLOWED_SCHEMES="
                "http,https and MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS=true)"
            )
        raise
    return answer.webhook_id


def _signed(receiver: Receiver, secret: str) -> None:
    """Every delivery to the receiver's own path is signed with the webhook's secret (another
    path is not this scenario's webhook: a stale one a registry still holds in its cache, sent to
    a port the receiver now reuses)."""
    for delivery in receiver.deliveries():
        if not receiver.addressed(delivery):
            continue
        problem = delivery.signature_problem(secret)
        assert problem is None, (
            f"a delivery to the receiver is not signed as MLflow signs: {problem}"
        )


def _unreachable(result: Any, receiver: Receiver, arrived: list[Delivery]) -> str | None:
    """Why the test delivery says the registry cannot reach this receiver (None: it reached it)."""
    if arrived:
        return None
    if not result.success:
        return (
            f"the registry cannot reach the suite's receiver at {receiver.url}: test_webhook "
            f"reports {result.error_message or f'HTTP {result.response_status}'}"
        )
    if (result.response_body or "") != receiver.token:
        return (
            f"the registry's test delivery to {receiver.url} reached another listener (it "
            f"answered HTTP {result.response_status}, not with the receiver's token): the "
            "registry's 127.0.0.1 is not the suite's"
        )
    return None


@feature("webhooks.delivery")
def test_test_delivery_is_signed_and_reported(client, receiver, webhook_names, probe):
    # given an ACTIVE webhook with a secret, to the receiver
    secret = "registry-conformance-test-secret"
    webhook_id = _active_webhook(client, probe, webhook_names("hook-test"), receiver, secret)

    # when the registry is asked for a test delivery
    with probe.feature("test_webhook"):
        result = client.test_webhook(webhook_id)
    arrived = [d for d in receiver.deliveries() if receiver.addressed(d)] or [
        receiver.wait_for(receiver.addressed, TEST_DELIVERY_WAIT_S)
    ]
    arrived = [delivery for delivery in arrived if delivery is not None]
    if reason := _unreachable(result, receiver, arrived):
        pytest.skip(reason)

    # then the receiver got a POST, signed, and the registry reports the receiver's answer
    assert arrived, (
        f"test_webhook reported the receiver's own answer ({result}), but the receiver got nothing"
    )
    _signed(receiver, secret)
    assert (result.success, result.response_status) == (True, 200), (
        f"the receiver answered HTTP 200, but test_webhook reports {result}"
    )
    # (the catalogue asks for the receiver's status; a body, where reported, must be its own)
    assert not result.response_body or result.response_body == receiver.token, (
        f"the receiver answered {receiver.token!r}, but test_webhook reports the body "
        f"{result.response_body!r}"
    )


def _reachable(client, receiver: Receiver, webhook_id: str) -> bool:
    """Whether a test delivery reached the receiver (False: the registry offers none); skips
    where it shows the registry cannot reach the receiver. How well the test delivery itself is
    done is the other scenario's: an answer it cannot use leaves reachability unknown."""
    try:
        result = client.test_webhook(webhook_id)
    except Exception as exc:
        answer = classify(exc)
        if answer.kind in (Kind.TRANSPORT, Kind.AUTH):
            raise Inconclusive(no_verdict("test_webhook", answer)) from None
        return False
    arrived = [d for d in [receiver.wait_for(receiver.addressed, TEST_DELIVERY_WAIT_S)] if d]
    if reason := _unreachable(result, receiver, arrived):
        pytest.skip(reason)
    return bool(arrived)


@feature("webhooks.delivery")
def test_tag_set_event_reaches_the_receiver_signed(client, receiver, names, webhook_names, probe):
    # given a model version, and an ACTIVE webhook with a secret for EVENT, to the receiver
    name = names("hook-event")
    model_with_versions(client, probe, name, 1)
    secret = "registry-conformance-event-secret"
    webhook_id = _active_webhook(client, probe, webhook_names("hook-event"), receiver, secret)
    reachable = _reachable(client, receiver, webhook_id)

    # when a tag is set on the version (again every few seconds, until it is delivered)
    key, values = "registry-conformance-event", []

    def set_tag() -> None:
        values.append(f"value-{len(values) + 1}")
        with probe.prerequisite("set_model_version_tag (the event)"):
            client.set_model_version_tag(name, "1", key, values[-1])

    def ours(delivery: Delivery) -> bool:
        body = delivery.payload()
        data = body.get("data") if isinstance(body, dict) else None
        return (
            receiver.addressed(delivery)
            and isinstance(data, dict)
            and data.get("name") == name
            and data.get("key") == key
        )

    set_tag()
    arrived = receiver.wait_for(ours, DELIVERY_WAIT_S, again=set_tag)

    # then the receiver gets it, signed, in MLflow's envelope
    if arrived is None and not reachable:
        pytest.skip(
            f"no delivery of {EVENT} within {DELIVERY_WAIT_S:g} s, and the registry's test "
            "delivery did not show that it can reach the suite's receiver on 127.0.0.1"
        )
    assert arrived is not None, (
        f"a test delivery reached the receiver, but {len(values)} tag sets on {name!r} v1 "
        f"brought no {EVENT} delivery within {DELIVERY_WAIT_S:g} s"
    )
    _signed(receiver, secret)
    body = arrived.payload()
    got = {
        "entity": body.get("entity"),
        "action": body.get("action"),
        "version": str(body["data"].get("version")),
        "value in those set": body["data"].get("value") in values,
    }
    expected = {
        "entity": "model_version_tag",
        "action": "set",
        "version": "1",
        "value in those set": True,
    }
    assert got == expected, f"the {EVENT} delivery {body} reads {got}; expected {expected}"
