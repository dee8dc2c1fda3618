"""Seed row 5: search/list registered models, every one exactly once, in the requested order.

No filter is used here (filters are rows 13-15); the listing goes to the registry's store
without the "not a prompt" tag condition that the MLflow 3 client appends to every search
(``search.prompt-clause`` measures that condition).
The registry may hold other models: every page is walked, and the listing is judged on this
run's own models only (each listed exactly once, in the requested relative order), so that
other models never decide the verdict. Nothing else of this run writes to the registry while a
listing runs (these scenarios hold the run's registry lock exclusively, see
``conformance.run.registry_lock``), and one walk decides: a fault, once observed, is final.

Pages are small (two models) so that several page boundaries are crossed; in a big shared
registry they grow, to keep a listing near ``MAX_PAGES`` calls.

The ordering scenarios only read their three models once they are made, so those of one kind
share them (``shared_models``): the two orders by name one set, the four orders by a timestamp
another (created, then touched, alike for all four; a touch the registry refused is in the
evidence of each).
"""

from __future__ import annotations

import itertools
import re
import time
from collections import Counter

import pytest

from conformance.run.registry_client import direct
from conformance.scenarios.markers import feature
from conformance.scenarios.prerequisites import best_effort
from conformance.scenarios.searches import names_of, search_all
from conformance.scenarios.states import model_state, state_of_model

#: Pages as small as this in a small registry; in a big one, pages grow so that a listing takes
#: about ``MAX_PAGES`` pages (at most ``SIZING_PAGE_SIZE`` models each, MLflow's default).
PAGE_SIZE = 2
MAX_PAGES = 50
SIZING_PAGE_SIZE = 100
#: Timestamps are milliseconds: a few of them between steps make every timestamp distinct.
TICK_S = 0.005


@feature("search.list")
def test_unfiltered_listing_returns_every_model_exactly_once(client, names, probe):
    # given five models of ours, among whatever else the registry holds
    ours = [names(f"list-{index}") for index in range(5)]
    for name in ours:
        with probe.prerequisite("create_registered_model"):
            client.create_registered_model(name)

    # when every page of an unfiltered search is walked, in small pages
    with probe.feature("search_registered_models"):
        page_size = _page_size(client)
        listed = names_of(search_all(client, page_size=page_size))

    # then each of ours is listed exactly once
    counts = Counter(listed)
    wrong = {name: counts[name] for name in ours if counts[name] != 1}
    assert not wrong, (
        f"search_registered_models, all pages of max_results={page_size} ({len(listed)} "
        f"models), listed some of ours other than once (name: times listed): {wrong}"
    )


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("key", ["name", "creation_timestamp", "last_updated_timestamp"])
@feature("search.list")
def test_order_by_key_and_direction(client, shared_models, probe, key, direction):
    # given three models whose name order, creation order and last-update order all differ
    touched = key != "name"

    def make(minted: dict[str, str]) -> tuple[dict[str, int], dict[str, int], list]:
        first, second, third = sorted(minted.values())
        steps = itertools.count()
        created: dict[str, int] = {}  # name -> the step that created it
        for name in (second, third, first):
            with probe.prerequisite("create_registered_model"):
                client.create_registered_model(name)
            created[name] = next(steps)
            time.sleep(TICK_S)
        updated = dict(created)  # name -> the step that changed it last
        judged_without = len(probe.evidence)
        if touched:
            # (the last update goes third, first, second: a key mixed up with another shows)
            for name in (third, first, second):
                if _touch(client, probe, name):
                    updated[name] = next(steps)
                time.sleep(TICK_S)
        return created, updated, probe.evidence[judged_without:]

    kind = "order-touched" if touched else "order"
    made_here = not shared_models.has(kind)
    minted = shared_models.get(kind, [f"{kind}-{index}" for index in range(3)], make)
    created, updated, refused_touches = shared_models.details(kind)
    if not made_here:
        probe.evidence.extend(refused_touches)
    ours = tuple(sorted(minted.values()))
    descending = direction == "DESC"
    if key == "name":
        expected = _name_orders(ours, descending)
    else:
        step_of = created if key == "creation_timestamp" else updated
        expected = [sorted(ours, key=step_of.__getitem__, reverse=descending)]

    # when every page is listed with that order
    call = f"search_registered_models(order_by=['{key} {direction}'])"
    with probe.feature(call):
        page_size = _page_size(client)
        listed = search_all(client, order_by=[f"{key} {direction}"], page_size=page_size)

    # then our models come exactly once each, in that order
    ours_listed = [model for model in listed if model.name in ours]
    got = [model.name for model in ours_listed]
    assert got in expected, (
        f"{call}, all pages of max_results={page_size}, listed our models as {got}, expected "
        f"{' or '.join(map(str, expected))}; their {key} as listed: "
        f"{[getattr(model, key) for model in ours_listed]}"
    )


def _page_size(client) -> int:
    """``PAGE_SIZE``, or more in a big registry (counted with one listing in default pages)."""
    total = len(search_all(client, page_size=SIZING_PAGE_SIZE))
    return max(PAGE_SIZE, min(SIZING_PAGE_SIZE, -(-total // MAX_PAGES)))


def _touch(client, probe, name: str) -> bool:
    """Bump a model's last update by editing its description (another feature, best-effort).

    A registry that cleanly refuses description edits keeps last-update order equal to creation
    order (the probe's evidence says the scenario was judged without them). An edit that is
    accepted must move ``last_updated_timestamp``, or ordering by it would judge nothing.
    """
    model = client.get_registered_model(name)
    before = model.last_updated_timestamp
    if not best_effort(
        probe,
        "update_registered_model (description, to bump its time)",
        lambda: direct(client).update_registered_model(name, description="touched"),
        state=lambda: model_state(client, name),
        before=state_of_model(model),
    ):
        return False
    after = client.get_registered_model(name).last_updated_timestamp
    moved = before is not None and after is not None and after > before
    assert moved, (
        f"update_registered_model({name!r}) was accepted, but its last_updated_timestamp went "
        f"from {before} to {after}"
    )
    return True


def _name_orders(ours: tuple[str, ...], descending: bool) -> list[list[str]]:
    """The orders of ``ours`` by name: code-point order, or the order of a locale collation
    (case and punctuation ignored at first), as a PostgreSQL database with a non-C collation
    sorts a shared registry."""
    keys = (lambda name: name, lambda name: (re.sub(r"[\W_]+", "", name.casefold()), name))
    orders = [sorted(ours, key=sort_key, reverse=descending) for sort_key in keys]
    return [order for index, order in enumerate(orders) if order not in orders[:index]]
