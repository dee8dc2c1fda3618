"""Core feature ``timestamps``: which edits move ``last_updated_timestamp``, and that
``creation_timestamp`` never moves.

What moves them is MLflow's SQL and file stores' behaviour (``tests/store/model_registry``): a
model's description and a new version move the model's; a version's description and its stage
move the version's; tags move neither. Only timestamps the registry reported are compared with
each other (its clock, not ours), after a pause long enough for its clock to tick. Creating a
version is the call under test; the other edits are other rows' (descriptions, tags, stages) and
are made best-effort: a registry that refuses one is judged without it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from conformance.scenarios import prerequisites, stages, states
from conformance.scenarios.markers import feature

#: Longer than a millisecond tick of the registry's clock, with room for coarse clocks.
TICK_S = 0.02
#: Between a version's edits: longer than a second, so that a registry reporting a version's
#: timestamps in seconds (``version.details``' fault, not this row's) still shows them move.
SECOND_S = 1.05
#: Milliseconds since the epoch are above this (since 1973); seconds are far below it.
_MILLISECONDS = 10**11


def _pause_for(*stamps: tuple[int, int]) -> None:
    """Wait for the clock behind ``stamps`` (what the registry reported so far) to tick: a tick
    where every stamp shows milliseconds (in milliseconds since the epoch, and not a whole
    second: one in a thousand is, and then waits as long as for a clock of seconds), else more
    than a second."""
    values = [value for pair in stamps for value in pair]
    in_milliseconds = all(value > _MILLISECONDS and value % 1000 for value in values)
    time.sleep(TICK_S if in_milliseconds else SECOND_S)


def _stamps(entity: Any) -> tuple[int, int]:
    return int(entity.creation_timestamp), int(entity.last_updated_timestamp)


def _assert_moved(what: str, edit: str, before: tuple[int, int], after: tuple[int, int]) -> None:
    assert after[0] == before[0], (
        f"{edit} changed {what}'s creation_timestamp: {before[0]} -> {after[0]}"
    )
    assert after[1] > before[1], (
        f"{edit} did not move {what}'s last_updated_timestamp forward: {before[1]} -> {after[1]}"
    )


def _assert_kept_order(what: str, edit: str, before: tuple[int, int], after: tuple[int, int]):
    assert after[0] == before[0], (
        f"{edit} changed {what}'s creation_timestamp: {before[0]} -> {after[0]}"
    )
    assert after[1] >= before[1], (
        f"{edit} moved {what}'s last_updated_timestamp backward: {before[1]} -> {after[1]}"
    )


def _edit(probe, what: str, step: Callable[[], object], state: Callable[[], object]) -> bool:
    """Another row's edit, best-effort: False when the registry cleanly refuses it."""
    with stages.stage_api():
        return prerequisites.best_effort(probe, what, step, state=state)


def _create_version(client, probe, name: str, latest: tuple[str, ...]) -> None:
    with probe.feature("create_model_version", state=states.latest_held(client, name, latest)):
        client.create_model_version(name, f"{prerequisites.SOURCE_ROOT}/{name}/1", run_id=None)


@feature("timestamps")
def test_model_edits_move_the_models_timestamp(client, names, probe):
    # given a new model
    name = names("stamps-model")
    with probe.prerequisite("create_registered_model"):
        model = client.create_registered_model(name)
    created, empty = _stamps(model), states.latest_numbers_of(model)
    stamps = {"created": created}

    def read() -> tuple[int, int]:
        return _stamps(client.get_registered_model(name))

    # when its description is updated, a tag set, and a version created, a tick apart each
    time.sleep(TICK_S)
    if _edit(
        probe,
        "update_registered_model",
        lambda: client.update_registered_model(name, description="moves the timestamp"),
        lambda: states.description_of(client.get_registered_model(name)),
    ):
        stamps["described"] = read()
    time.sleep(TICK_S)
    if _edit(
        probe,
        "set_registered_model_tag",
        lambda: client.set_registered_model_tag(name, "rc.stamp", "tagged"),
        lambda: dict(client.get_registered_model(name).tags),
    ):
        stamps["tagged"] = read()
    before_version = list(stamps.values())[-1]
    time.sleep(TICK_S)
    _create_version(client, probe, name, empty)
    versioned = read()

    # then the description and the new version moved last_updated_timestamp, the tag did not
    # move it backward, and creation_timestamp never moved
    if "described" in stamps:
        _assert_moved(name, "update_registered_model (description)", created, stamps["described"])
    if "tagged" in stamps:
        previous = stamps.get("described", created)
        _assert_kept_order(name, "set_registered_model_tag", previous, stamps["tagged"])
    _assert_moved(name, "create_model_version", before_version, versioned)


@feature("timestamps")
def test_version_edits_move_the_versions_timestamp(client, names, probe):
    # given a model with one version
    name = names("stamps-version")
    with probe.prerequisite("create_registered_model"):
        empty = states.latest_numbers_of(client.create_registered_model(name))
    _create_version(client, probe, name, empty)

    def read() -> tuple[int, int]:
        return _stamps(client.get_model_version(name, "1"))

    created = read()
    what = f"{name} v1"

    # when its description is updated, a tag set, and its stage changed, apart each
    _pause_for(created)
    if _edit(
        probe,
        "update_model_version",
        lambda: client.update_model_version(name, "1", description="moves the timestamp"),
        lambda: states.description_of(client.get_model_version(name, "1")),
    ):
        described = read()
        _assert_moved(what, "update_model_version (description)", created, described)
        created = described
    if _edit(
        probe,
        "set_model_version_tag",
        lambda: client.set_model_version_tag(name, "1", "rc.stamp", "tagged"),
        lambda: states.version_tags(client, name, "1"),
    ):
        tagged = read()
        _assert_kept_order(what, "set_model_version_tag", created, tagged)
        created = tagged
    model_before = _stamps(client.get_registered_model(name))
    _pause_for(created)
    if _edit(
        probe,
        "transition_model_version_stage",
        lambda: client.transition_model_version_stage(name, "1", "Staging"),
        lambda: client.get_model_version(name, "1").current_stage,
    ):
        # then the stage moved the version's last_updated_timestamp (and not the model's back)
        _assert_moved(what, "transition_model_version_stage", created, read())
        model_after = _stamps(client.get_registered_model(name))
        _assert_kept_order(name, "transition_model_version_stage", model_before, model_after)
    # and creation_timestamp never moved (checked with each edit above)
