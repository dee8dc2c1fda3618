"""Core feature ``version.numbering``: versions numbered 1, 2, 3, ..., never given twice.

Kubeflow's registry plugin numbers versions otherwise, and a store that takes "the highest live
number plus one", or reads the highest number outside a transaction, gives a number twice: after
a delete, or to two clients creating versions at the same time.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from conformance.scenarios import prerequisites, states
from conformance.scenarios.markers import feature

CREATORS = 8


def _create(client, name: str, source: str) -> str:
    return str(client.create_model_version(name, source, run_id=None).version)


@feature("version.numbering")
def test_numbers_are_sequential_and_never_reused(client, names, probe):
    # given a new model
    name = names("numbering")
    with probe.prerequisite("create_registered_model"):
        empty = states.latest_numbers_of(client.create_registered_model(name))

    # when three versions are created, the middle one deleted, and one more created
    sources = [f"{prerequisites.SOURCE_ROOT}/{name}/{n}" for n in range(1, 5)]
    with probe.feature("create_model_version", state=states.latest_held(client, name, empty)):
        first = [_create(client, name, source) for source in sources[:3]]
    assert first == ["1", "2", "3"], f"three versions of a new model were numbered {first}"
    deleted = prerequisites.best_effort(  # (version.delete's row: judged without where refused)
        probe,
        "delete_model_version",
        lambda: client.delete_model_version(name, "2"),
        state=lambda: states.latest_version_numbers(client, name),
    )
    with probe.feature(
        "create_model_version (after a delete)" if deleted else "create_model_version"
    ):
        after_delete = _create(client, name, sources[3])

    # then the new version is 4: the freed 2 is not given again, nor the highest number reused
    assert after_delete == "4", (
        f"after versions 1-3{' and deleting v2' if deleted else ''}, the next version of "
        f"{name!r} was numbered {after_delete!r}, expected '4'"
    )
    stored = client.get_model_version(name, "4")
    assert stored.source == sources[3], (
        f"v4 of {name!r} reads back source {stored.source!r}, created with {sources[3]!r}"
    )


@feature("version.numbering")
def test_concurrent_creators_get_distinct_numbers(client, names, probe):
    # given a new model, and eight clients with a source each
    name = names("numbering-concurrent")
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(name)
    sources = [f"{prerequisites.SOURCE_ROOT}/{name}/creator-{n}" for n in range(CREATORS)]

    # when they all create a version at the same time
    at_once = f"create_model_version ({CREATORS} at once)"
    with probe.feature(at_once), ThreadPoolExecutor(max_workers=CREATORS) as pool:
        numbers = list(pool.map(lambda source: _create(client, name, source), sources))

    # then each got its own number, together exactly 1 to 8
    assert sorted(numbers, key=int) == [str(n) for n in range(1, CREATORS + 1)], (
        f"{CREATORS} concurrent creations answered versions {numbers}, expected each of "
        f"1-{CREATORS} once"
    )
    # and the model holds those versions, each with its creator's source
    found = {number: client.get_model_version(name, number).source for number in numbers}
    expected = dict(zip(numbers, sources, strict=True))
    assert found == expected, (
        f"{name!r}'s versions read back with sources {found} after {CREATORS} concurrent "
        f"creations that answered {expected}"
    )
