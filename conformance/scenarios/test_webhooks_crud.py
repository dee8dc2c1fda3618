"""Extended feature ``webhooks.crud``: creating, reading, listing, updating and deleting webhooks
(MLflow 3.3+).

The webhooks are the run's own (names minted in its namespace, removed at the end) and DISABLED,
pointing at an ``https`` URL on a public address that is not the suite's: no registry sends them
anything, whatever else happens in it meanwhile. Once the registry has accepted a webhook,
reading it back by id uses what it accepted: any answer but the webhook is wrong, never "not
offered". The listing is an operation of its own: a registry that cleanly refuses it has the
feature in part (the update and deletion are then judged by id alone).

Webhooks have no filter, so a listing is always the whole registry's: this run's other scenarios
keep out meanwhile (the registry lock), and a listing during which anyone else changed the
registry's webhooks has no verdict (``steady_listing``).
"""

from __future__ import annotations

from typing import Any

from conformance.run.probe import Unsupported
from conformance.scenarios.error_answers import MISSING, expect_codes
from conformance.scenarios.markers import feature, requires_client
from conformance.scenarios.states import held
from conformance.scenarios.webhooks import (
    UNUSED_PUBLIC_URL,
    by_id,
    event,
    listed,
    shown,
    status,
    steady_listing,
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
    """``get_webhook`` of the id the registry gave shows the webhook exactly as ``expected``."""
    with probe.after_acceptance(f"get_webhook({expected['id']})", accepted=accepted):
        got = shown(client.get_webhook(expected["id"]))
    assert got == expected, f"get_webhook answered {got}; expected {expected}"


def _listing_if_offered(client, probe, call: str) -> list[dict[str, Any]] | None:
    """Every webhook of a steady listing (:func:`steady_listing`), judged as a call under test;
    None where the registry cleanly refuses to list: the update and deletion scenarios can judge
    those by id alone (the listing's own scenario is then unsupported)."""
    try:
        with probe.feature(call):
            return steady_listing(client)
    except Unsupported:
        return None


@feature("webhooks.crud")
def test_created_webhooks_read_back_and_are_listed(client, webhook_names, probe):
    # when three webhooks are created (more than one page of 2)
    created = [_create(client, probe, webhook_names(f"hook-create-{i}")) for i in (1, 2, 3)]

    # then get_webhook shows each as it was created
    for webhook in created:
        _read_back(client, probe, webhook, f"webhook {webhook['name']}")

    # and list_webhooks, walked in pages of 2, lists every webhook once, each of ours as created
    with probe.feature("list_webhooks (pages of 2)"):
        found = steady_listing(client, page_size=2)
    ours = {webhook["id"] for webhook in created}
    by_name = lambda webhooks: sorted(webhooks, key=lambda w: w["name"])  # noqa: E731
    found = by_name(webhook for webhook in found if webhook["id"] in ours)
    assert found == by_name(created), (
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
    state = held({created["id"]: created}, lambda: by_id(client, [created["id"]]))
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

    # then get_webhook shows the new values; so does a listing (where the registry lists), once
    # and without the old name
    _read_back(client, probe, expected, f"the update of webhook {created['name']}")
    found = _listing_if_offered(client, probe, "list_webhooks (after the update)")
    if found is not None:
        ours = [w for w in found if created["id"] == w["id"] or created["name"] == w["name"]]
        assert ours == [expected], (
            f"after the update, list_webhooks showed {ours} of webhook {created['id']} (or its "
            f"old name {created['name']!r}); expected it once: {expected}"
        )


@feature("webhooks.crud")
def test_deleted_webhook_is_gone(client, webhook_names, probe):
    # given two webhooks
    doomed = _create(client, probe, webhook_names("hook-doomed"))
    kept = _create(client, probe, webhook_names("hook-kept"))

    # when one is deleted
    ids = [doomed["id"], kept["id"]]
    state = held({doomed["id"]: doomed, kept["id"]: kept}, lambda: by_id(client, ids))
    with probe.feature("delete_webhook", state=state):
        client.delete_webhook(doomed["id"])

    # then it reads as missing and is no longer listed (where the registry lists); the other is
    # untouched
    expect_codes(
        (MISSING,),
        f"get_webhook({doomed['id']}) after deleting it",
        client.get_webhook,
        doomed["id"],
    )
    _read_back(client, probe, kept, f"the deletion of another webhook ({doomed['name']})")
    found = _listing_if_offered(client, probe, "list_webhooks (after the deletion)")
    if found is not None:
        ours = [w for w in found if w["id"] in ids]
        assert ours == [kept], f"after deleting {doomed['name']!r}, list_webhooks showed {ours}"
