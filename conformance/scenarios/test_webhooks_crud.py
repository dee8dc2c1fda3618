"""Extended feature ``webhooks.crud``: creating, reading, listing, updating and deleting webhooks
(MLflow 3.3+).

The webhooks are the run's own (names minted in its namespace, removed at the end) and DISABLED,
pointing at an ``https`` URL on a public address that is not the suite's: no registry sends them
anything, whatever else happens in it meanwhile. Once the registry has accepted a webhook,
reading it back uses what it accepted: any answer but the webhook is wrong, never "not offered".
"""

from __future__ import annotations

from typing import Any

from conformance.scenarios.error_answers import MISSING, expect_codes
from conformance.scenarios.markers import feature, requires_client
from conformance.scenarios.states import held
from conformance.scenarios.webhooks import (
    UNUSED_PUBLIC_URL,
    event,
    listed,
    shown,
    status,
)

pytestmark = requires_client("webhooks")


def _create(client, probe, name: str) -> dict[str, Any]:
    """A DISABLED webhook named ``name``, as the registry answered it (checked against what was
    sent)."""
    sent = {
        "name": name,
        "url": f"{UNUSED_PUBLIC_URL}{name}",
        "events": ["registered_model.created"],
        "description": "registry-conformance: never called",
        "status": "DISABLED",
    }
    # the name was minted for this call: no webhook can carry it yet
    with probe.feature("create_webhook", state=held([], lambda: listed(client, {name}))):
        answer = client.create_webhook(
            name=sent["name"],
            url=sent["url"],
            events=[event(e) for e in sent["events"]],
            description=sent["description"],
            secret="registry-conformance-secret",
            status=status(sent["status"]),
        )
    created = shown(answer)
    assert created["id"], f"create_webhook answered no webhook id: {created}"
    assert {**created, "id": None} == {**sent, "id": None}, (
        f"create_webhook answered {created}; it was sent {sent}"
    )
    return created


def _read_back(client, probe, expected: dict[str, Any], accepted: str) -> None:
    """``get_webhook`` and a listing show the webhook exactly as ``expected``."""
    with probe.after_acceptance(f"get_webhook({expected['id']})", accepted=accepted):
        got = shown(client.get_webhook(expected["id"]))
    assert got == expected, f"get_webhook answered {got}; expected {expected}"
    with probe.after_acceptance("list_webhooks", accepted=accepted):
        found = listed(client, {expected["name"]})
    assert found == [expected], (
        f"list_webhooks showed {found} of {expected['name']!r}; expected it once: {expected}"
    )


@feature("webhooks.crud")
def test_created_webhooks_read_back_and_are_listed(client, webhook_names, probe):
    # when three webhooks are created (more than one page of 2)
    created = [_create(client, probe, webhook_names(f"hook-create-{i}")) for i in (1, 2, 3)]

    # then get_webhook shows each as it was created, and list_webhooks each exactly once
    for webhook in created:
        _read_back(client, probe, webhook, f"webhook {webhook['name']}")
    with probe.after_acceptance("list_webhooks (pages of 2)", accepted="three webhooks"):
        found = listed(client, {webhook["name"] for webhook in created}, page_size=2)
    by_name = lambda webhooks: sorted(webhooks, key=lambda w: w["name"])  # noqa: E731
    assert by_name(found) == by_name(created), (
        f"list_webhooks in pages of 2 showed {found}; expected each of {created} once"
    )


@feature("webhooks.crud")
def test_webhook_update_is_answered_and_kept(client, webhook_names, probe):
    # given a webhook
    created = _create(client, probe, webhook_names("hook-update"))
    new_name = webhook_names("hook-renamed")

    # when its name, URL, events and description are updated
    expected = {
        **created,
        "name": new_name,
        "url": f"{UNUSED_PUBLIC_URL}{new_name}",
        "events": ["model_version.created", "model_version_tag.set"],
        "description": "registry-conformance: updated, never called",
    }
    state = lambda: listed(client, {created["name"], new_name})  # noqa: E731
    with probe.feature("update_webhook", state=state):
        answer = client.update_webhook(
            created["id"],
            name=expected["name"],
            url=expected["url"],
            events=[event(e) for e in expected["events"]],
            description=expected["description"],
        )
    updated = shown(answer)
    assert updated == expected, f"update_webhook answered {updated}; expected {expected}"

    # then later reads show the new values, and the old name is gone
    _read_back(client, probe, expected, f"the update of webhook {created['name']}")
    with probe.after_acceptance("list_webhooks", accepted="the update"):
        old = listed(client, {created["name"]})
    assert old == [], f"after renaming, list_webhooks still shows {old}"


@feature("webhooks.crud")
def test_deleted_webhook_is_gone(client, webhook_names, probe):
    # given two webhooks
    doomed = _create(client, probe, webhook_names("hook-doomed"))
    kept = _create(client, probe, webhook_names("hook-kept"))

    # when one is deleted
    state = lambda: listed(client, {doomed["name"], kept["name"]})  # noqa: E731
    with probe.feature("delete_webhook", state=state):
        client.delete_webhook(doomed["id"])

    # then it reads as missing and is no longer listed; the other is untouched
    expect_codes(
        (MISSING,),
        f"get_webhook({doomed['id']}) after deleting it",
        client.get_webhook,
        doomed["id"],
    )
    with probe.after_acceptance("list_webhooks (pages of 2)", accepted="the deletion"):
        found = listed(client, {doomed["name"], kept["name"]}, page_size=2)
    assert found == [kept], f"after deleting {doomed['name']!r}, list_webhooks showed {found}"
