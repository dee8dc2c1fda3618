"""Seed row 5: search/list registered models, every one exactly once, in the requested order.

No filter is used here (filters are rows 13-15); the MLflow 3 client appends its own
"not a prompt" tag condition to every search, which is part of how the stock client lists.
The registry may hold other models: listings walk every page, and judge global properties
(no name twice, sorted by the key) on everything, and membership and relative order on ours.
Pages are small (two models) so that several page boundaries are crossed; in a big shared
registry they grow, to keep a listing near ``MAX_PAGES`` calls. Offset page tokens shift when
other clients (or other workers of this run) create or delete models during the walk, so a
faulty listing is walked again: see ``_walk_and_judge`` for how a fault is told from churn.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from itertools import pairwise

import pytest

from conformance.markers import feature
from conformance.probe import Inconclusive
from conformance.scenario_support import best_effort, names_of, search_all

#: Pages as small as this in a small registry; in a big one, pages grow so that a listing takes
#: about ``MAX_PAGES`` pages (at most ``SIZING_PAGE_SIZE`` models each, MLflow's default).
PAGE_SIZE = 2
MAX_PAGES = 50
SIZING_PAGE_SIZE = 100
ATTEMPTS = 5
RETRY_PAUSE_S = 0.05
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
    # then each of ours is listed exactly once, and no name is listed twice
    _walk_and_judge(
        client,
        probe,
        order_by=None,
        judge=lambda listed: _exactly_once_problems(names_of(listed), ours),
    )


_ORDER_FIELDS = {
    "name": "name",
    "creation_timestamp": "creation_timestamp",
    "last_updated_timestamp": "last_updated_timestamp",
}


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("key", list(_ORDER_FIELDS))
@feature("search.list")
def test_order_by_key_and_direction(client, names, probe, key, direction):
    # given three models whose name order, creation order and last-update order all differ
    first, second, third = sorted(names("order") for _ in range(3))
    for name in (second, third, first):
        with probe.prerequisite("create_registered_model"):
            client.create_registered_model(name)
        time.sleep(TICK_S)
    if key != "name":
        # (the last update goes third, first, second: a key mixed up with another shows)
        for name in (third, first, second):
            _touch(client, probe, name)
            time.sleep(TICK_S)
    ours = (first, second, third)
    field = _ORDER_FIELDS[key]
    values = {name: getattr(client.get_registered_model(name), field) for name in ours}
    if len(set(values.values())) < len(ours):
        raise Inconclusive(f"our three models share a {field} ({values}): no order to judge")
    expected = sorted(ours, key=values.__getitem__, reverse=direction == "DESC")

    def judge(listed: list) -> list[str]:
        problems = _order_problems(listed, field, direction)
        ours_listed = [model.name for model in listed if model.name in ours]
        if ours_listed != expected:
            problems.append(f"our models came as {ours_listed}, expected {expected} ({values})")
        return problems

    # when every page is listed with that order
    # then our models come in that order, and so does the whole listing
    _walk_and_judge(client, probe, order_by=[f"{key} {direction}"], judge=judge)


def _walk_and_judge(client, probe, *, order_by, judge) -> None:
    """List every page, judge the listing; tell a registry at fault from one in flux.

    A listing that ``judge`` finds fault with is walked again. Two faulty walks that return the
    same models with the same fields (the same multiset, order aside) show a registry at rest
    that answers wrongly: failed. Walks that keep differing show a registry that other clients
    are changing: offset pages shift under such a walk, so no fault can be pinned on the
    registry, and after ``ATTEMPTS`` walks the scenario is inconclusive. A clean walk passes.
    """
    call = "search_registered_models" + (f"(order_by={order_by})" if order_by else "")
    previous = None
    for attempt in range(ATTEMPTS):
        with probe.feature(call):
            page_size = _page_size(client)
            listed = search_all(client, order_by=order_by, page_size=page_size)
        problems = judge(listed)
        if not problems:
            return
        view = Counter(
            (model.name, model.creation_timestamp, model.last_updated_timestamp) for model in listed
        )
        assert view != previous, (
            f"{call}, all pages of max_results={page_size} ({len(listed)} models), "
            "the same answer twice: " + "; ".join(problems)
        )
        previous = view
        time.sleep(RETRY_PAUSE_S * (attempt + 1))
    raise Inconclusive(
        f"{call}: the registry changed under each of {ATTEMPTS} listings (other clients at "
        "work), so these faults cannot be pinned on it: " + "; ".join(problems)
    )


def _page_size(client) -> int:
    """``PAGE_SIZE``, or more in a big registry (counted with one listing in default pages)."""
    total = len(search_all(client, page_size=SIZING_PAGE_SIZE))
    return max(PAGE_SIZE, min(SIZING_PAGE_SIZE, -(-total // MAX_PAGES)))


def _touch(client, probe, name: str) -> None:
    """Bump a model's last update by editing its description (another feature).

    A registry that cleanly refuses description edits keeps last-update order equal to creation
    order; the scenario still runs (expected orders come from the models' own timestamps), it
    only cannot tell the two timestamp keys apart then.
    """
    best_effort(
        probe,
        "update_registered_model (description, to bump its time)",
        client.update_registered_model,
        name,
        description="touched",
    )


def _exactly_once_problems(listed: list[str], ours: list[str]) -> list[str]:
    counts = Counter(listed)
    problems = []
    missing = [name for name in ours if counts[name] == 0]
    if missing:
        problems.append(f"never listed: {missing}")
    repeated = sorted(name for name, count in counts.items() if count > 1)
    if repeated:
        problems.append(f"listed more than once: {repeated[:10]}")
    return problems


def _order_problems(listed: list, field: str, direction: str) -> list[str]:
    values = [getattr(model, field) for model in listed]
    if None in values:
        missing = [model.name for model in listed if getattr(model, field) is None]
        return [f"listed models without a {field}: {missing[:10]}"]
    if field == "name":
        # Code-point order, or the order of a locale collation (case and punctuation ignored at
        # first), as a PostgreSQL database with a non-C collation sorts a shared registry.
        keys = (lambda name: name, lambda name: (re.sub(r"[\W_]+", "", name.casefold()), name))
    else:
        keys = (lambda value: value,)
    for sort_key in keys:
        if _is_sorted([sort_key(value) for value in values], descending=direction == "DESC"):
            return []
    at = next(
        index
        for index in range(1, len(values))
        if (values[index] < values[index - 1]) != (direction == "DESC")
        and values[index] != values[index - 1]
    )
    return [
        f"not sorted by {field} {direction}: {listed[at - 1].name} ({values[at - 1]}) "
        f"is listed before {listed[at].name} ({values[at]})"
    ]


def _is_sorted(values: list, *, descending: bool) -> bool:
    pairs = list(pairwise(values))
    if descending:
        return all(left >= right for left, right in pairs)
    return all(left <= right for left, right in pairs)
