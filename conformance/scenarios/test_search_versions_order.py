"""Extended feature ``search.versions-order``: ``order_by`` on ``search_model_versions``.

Unity Catalog refuses ``order_by`` in version search (a clean refusal: ``unsupported``). Each
order is asked over our own versions, and for each key both directions are asked: whatever a
registry's default order is, one of the two differs from it. Versions are created a few
milliseconds apart, so their timestamps are distinct. The results fit in one page: paging is
``search.pagination``'s row.
"""

from __future__ import annotations

import time

from conformance.run.registry_client import direct
from conformance.scenarios.markers import feature
from conformance.scenarios.prerequisites import best_effort, model_with_versions
from conformance.scenarios.states import version_state
from conformance.scenarios.version_search import create_version, keys, search_versions

#: Timestamps are milliseconds: a few of them between steps make every timestamp distinct.
TICK_S = 0.005


def _ordered(client, probe, filter_string: str, order_by: list[str]) -> list[tuple[str, str]]:
    with probe.feature(f"search_model_versions(order_by={order_by})"):
        return keys(search_versions(client, filter_string, order_by=order_by))


def _versions_apart(client, probe, name: str, count: int) -> None:
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(name)
    for number in range(1, count + 1):
        time.sleep(TICK_S)
        with probe.prerequisite("create_model_version"):
            create_version(client, name, number)


@feature("search.versions-order")
def test_order_by_version_number_both_directions(client, names, probe):
    # given a model with three versions
    name = names("mvo-num")
    model_with_versions(client, probe, name, 3)
    filter_string = f"name = '{name}'"

    # when its versions are searched by version number, ascending and descending
    ascending = _ordered(client, probe, filter_string, ["version_number ASC"])
    descending = _ordered(client, probe, filter_string, ["version_number DESC"])

    # then they come in that order
    expected = [(name, str(number)) for number in (1, 2, 3)]
    assert ascending == expected, f"version_number ASC listed {ascending}, expected {expected}"
    assert descending == expected[::-1], (
        f"version_number DESC listed {descending}, expected {expected[::-1]}"
    )


@feature("search.versions-order")
def test_order_by_timestamps(client, names, probe):
    # given a model with three versions created apart, the first one edited last (best-effort:
    # editing descriptions is version.description's row)
    name = names("mvo-time")
    _versions_apart(client, probe, name, 3)
    time.sleep(TICK_S)
    touched = best_effort(
        probe,
        "update_model_version (description, to bump its time)",
        lambda: direct(client).update_model_version(name, "1", description="touched"),
        state=lambda: version_state(client, name, "1"),
    )
    filter_string = f"name = '{name}'"

    # when its versions are searched by creation time (both ways) and last update (newest first)
    created_asc = _ordered(client, probe, filter_string, ["creation_timestamp ASC"])
    created_desc = _ordered(client, probe, filter_string, ["creation_timestamp DESC"])
    updated_desc = _ordered(client, probe, filter_string, ["last_updated_timestamp DESC"])

    # then they come in creation order, reversed, and last-edited first
    expected = [(name, str(number)) for number in (1, 2, 3)]
    assert created_asc == expected, f"creation_timestamp ASC listed {created_asc}"
    assert created_desc == expected[::-1], f"creation_timestamp DESC listed {created_desc}"
    newest_first = [expected[0], expected[2], expected[1]] if touched else expected[::-1]
    assert updated_desc == newest_first, (
        f"last_updated_timestamp DESC listed {updated_desc}, expected {newest_first} "
        f"({'v1 edited last' if touched else 'no version edited'})"
    )


@feature("search.versions-order")
def test_order_by_two_keys(client, names, probe, experiment_id):
    # given two models, each with two versions from one fresh run
    first, second = sorted([names("mvo-key"), names("mvo-key")])
    with probe.prerequisite("create_run"):
        run_id = client.create_run(experiment_id).info.run_id
    for name in (first, second):
        with probe.prerequisite("create_registered_model"):
            client.create_registered_model(name)
        with probe.prerequisite("create_model_version"):
            for number in (1, 2):
                create_version(client, name, number, run_id)

    # when the run's versions are searched by name descending, then version ascending
    order_by = ["name DESC", "version_number ASC"]
    listed = _ordered(client, probe, f"run_id = '{run_id}'", order_by)

    # then the later name comes first, and each model's versions in ascending order
    expected = [(second, "1"), (second, "2"), (first, "1"), (first, "2")]
    assert listed == expected, f"order_by {order_by} listed {listed}, expected {expected}"
