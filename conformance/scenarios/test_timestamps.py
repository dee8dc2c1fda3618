"""Core feature ``timestamps``: which edits move ``last_updated_timestamp``, and that
``creation_timestamp`` never moves.

What moves them is MLflow's SQL and file stores' behaviour (``tests/store/model_registry``): a
model's description and a new version move the model's; a version's description and its stage
move the version's; tags move neither. Only timestamps the registry reported are compared with
each other (its clock, not ours), after a pause long enough for its clock to tick.
"""

from __future__ import annotations

import time
from typing import Any

from conformance.scenarios import support
from conformance.scenarios.markers import feature

#: Longer than a millisecond tick of the registry's clock, with room for coarse clocks.
TICK_S = 0.02


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


@feature("timestamps")
def test_model_edits_move_the_models_timestamp(client, names, probe):
    # given a new model
    name = names("stamps-model")
    with probe.prerequisite("create_registered_model"):
        created = _stamps(client.create_registered_model(name))

    # when its description is updated, a tag set, and a version created, a tick apart each
    time.sleep(TICK_S)
    with probe.feature("update_registered_model"):
        client.update_registered_model(name, description="moves the timestamp")
    described = _stamps(client.get_registered_model(name))
    time.sleep(TICK_S)
    with probe.prerequisite("set_registered_model_tag"):
        client.set_registered_model_tag(name, "rc.stamp", "tagged")
    tagged = _stamps(client.get_registered_model(name))
    time.sleep(TICK_S)
    with probe.feature("create_model_version"):
        client.create_model_version(name, f"{support.SOURCE_ROOT}/{name}/1", run_id=None)
    versioned = _stamps(client.get_registered_model(name))

    # then the description and the new version moved last_updated_timestamp, the tag did not
    # move it backward, and creation_timestamp never moved
    _assert_moved(name, "update_registered_model (description)", created, described)
    _assert_kept_order(name, "set_registered_model_tag", described, tagged)
    _assert_moved(name, "create_model_version", tagged, versioned)


@feature("timestamps")
def test_version_edits_move_the_versions_timestamp(client, names, probe):
    # given a model with one version
    name = names("stamps-version")
    support.model_with_versions(client, probe, name, 1)
    with probe.prerequisite("get_model_version"):
        created = _stamps(client.get_model_version(name, "1"))

    # when its description is updated, a tag set, and its stage changed, a tick apart each
    time.sleep(TICK_S)
    with probe.feature("update_model_version"):
        client.update_model_version(name, "1", description="moves the timestamp")
    described = _stamps(client.get_model_version(name, "1"))
    time.sleep(TICK_S)
    with probe.prerequisite("set_model_version_tag"):
        client.set_model_version_tag(name, "1", "rc.stamp", "tagged")
    tagged = _stamps(client.get_model_version(name, "1"))
    model_before = _stamps(client.get_registered_model(name))
    time.sleep(TICK_S)
    with support.stage_api():
        staged = support.best_effort(
            probe,
            "transition_model_version_stage",
            lambda: client.transition_model_version_stage(name, "1", "Staging"),
            state=lambda: _stamps(client.get_model_version(name, "1")),
            before=tagged,
        )

    # then the description (and the stage, where stages are offered) moved the version's
    # last_updated_timestamp, the tag did not move it backward, creation_timestamp never moved
    _assert_moved(f"{name} v1", "update_model_version (description)", created, described)
    _assert_kept_order(f"{name} v1", "set_model_version_tag", described, tagged)
    if staged:
        _assert_moved(
            f"{name} v1",
            "transition_model_version_stage",
            tagged,
            _stamps(client.get_model_version(name, "1")),
        )
        _assert_kept_order(
            name,
            "transition_model_version_stage",
            model_before,
            _stamps(client.get_registered_model(name)),
        )
