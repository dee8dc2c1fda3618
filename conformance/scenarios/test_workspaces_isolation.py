"""``workspaces.isolation``: the same registered-model name in two workspaces (MLflow 3.10+,
``mlflow server --enable-workspaces``) is two models, each seen and changed only from its own.

Both scenarios create two workspaces of the run (under test: a registry may refuse to create
them) and are ``not-tested`` where the target or MLflow's client (before 3.10) has no
workspaces. Each workspace's state is compared with itself, as read right after it was
written: whatever the registry does with descriptions, tags or aliases (other rows), another
workspace's writes must not change it.
"""

from __future__ import annotations

import functools
from typing import Any

from conformance.run.ledger import in_workspace
from conformance.run.probe import Probe
from conformance.run.registry_client import direct
from conformance.scenarios.error_answers import MISSING, expect_error
from conformance.scenarios.markers import feature, requires_client
from conformance.scenarios.prerequisites import SOURCE_ROOT, best_effort
from conformance.scenarios.searches import names_of, search_all
from conformance.scenarios.states import held, model_state, registry_state
from conformance.scenarios.workspaces import RunWorkspaces, skip_without_workspaces

pytestmark = requires_client("workspaces")

#: The versions a state covers: the first workspace's model has two, the second's one.
NUMBERS = ("1", "2")


def _two_workspaces(client: Any, probe: Probe, workspaces: RunWorkspaces) -> tuple[str, str]:
    made = []
    for hint in ("a", "b"):
        workspace = workspaces.mint(hint)
        with probe.feature(f"create_workspace({workspace})"):
            client.create_workspace(workspace, description="registry-conformance")
        made.append(workspace)
    return made[0], made[1]


def _model_in(
    client: Any, probe: Probe, workspaces: RunWorkspaces, workspace: str, name: str, count: int
) -> list[str]:
    """Create ``name`` in ``workspace`` with ``count`` versions of its own, and, best-effort (other
    rows), a tag naming the workspace and the alias ``champion`` on the last; its numbers."""
    workspaces.place(name, workspace)
    with in_workspace(workspace):
        state = functools.partial(model_state, client, name)
        # a fresh name in this workspace: nothing to read before (after a refusal, it is read)
        with probe.feature(
            f"create_registered_model in workspace {workspace}", state=held(None, state)
        ):
            client.create_registered_model(name)
        with probe.feature(f"get_registered_model in workspace {workspace}"):
            created = client.get_registered_model(name)
        assert created.name == name, f"{name}, just created in {workspace}, reads as {created.name}"
        numbers = []
        for index in range(1, count + 1):
            with probe.feature(f"create_model_version in workspace {workspace}"):
                made = client.create_model_version(
                    name, f"{SOURCE_ROOT}/{workspace}/{name}/{index}", run_id=None
                )
            numbers.append(str(made.version))
        best_effort(
            probe,
            "set_registered_model_tag",
            lambda: direct(client).set_registered_model_tag(name, "rc.workspace", workspace),
            state=state,
        )
        best_effort(
            probe,
            "set_registered_model_alias",
            lambda: direct(client).set_registered_model_alias(name, "champion", numbers[-1]),
            state=state,
        )
    return numbers


def _found_by_name(client: Any, probe: Probe, workspace: str, name: str) -> list[str] | None:
    """The names a search for ``name`` finds in ``workspace``, with the first name filter the
    registry offers (``=``, else ``LIKE``: which filters it offers is other rows' question);
    None where it offers neither."""
    found: list[str] = []
    for filter_string in (f"name = '{name}'", f"name LIKE '{name}'"):
        with in_workspace(workspace):
            searched = best_effort(
                probe,
                f"search_registered_models({filter_string}) in {workspace}",
                lambda: found.extend(names_of(search_all(client, filter_string))),  # noqa: B023
                state=lambda: None,
            )
        if searched:
            return found
    return None


def _state_in(client: Any, probe: Probe, workspace: str, name: str) -> dict[str, Any]:
    with in_workspace(workspace), probe.feature(f"read {name} in workspace {workspace}"):
        return registry_state(client, {name: NUMBERS})[name]


@feature("workspaces.isolation")
def test_the_same_name_in_two_workspaces_is_two_models(client, names, workspaces, probe):
    skip_without_workspaces(client)
    # given two workspaces, and a model with two versions in the first
    first, second = _two_workspaces(client, probe, workspaces)
    name = names("same-name")
    assert _model_in(client, probe, workspaces, first, name, 2) == list(NUMBERS), (
        f"the versions of {name} in {first} are not numbered 1, 2"
    )
    in_first = _state_in(client, probe, first, name)
    for number in NUMBERS:
        source = (in_first["versions"][number] or {}).get("source")
        assert source == f"{SOURCE_ROOT}/{first}/{name}/{number}", (
            f"{name} v{number} in {first} reads back with source {source!r}"
        )

    # when the same name is created in the second workspace, with one version of its own
    numbers = _model_in(client, probe, workspaces, second, name, 1)

    # then it is a model of its own: numbered from 1, without the first one's versions
    assert numbers == ["1"], f"the first version of {name} in {second} is numbered {numbers}"
    in_second = _state_in(client, probe, second, name)
    assert in_second["versions"]["2"] is None, (
        f"{name} in {second} has the version 2 of {first}: {in_second['versions']['2']}"
    )
    source = (in_second["versions"]["1"] or {}).get("source")
    assert source == f"{SOURCE_ROOT}/{second}/{name}/1", (
        f"{name} v1 in {second} reads back with source {source!r} (its own: "
        f"{SOURCE_ROOT}/{second}/{name}/1)"
    )
    # and the first workspace's model is as it was
    assert _state_in(client, probe, first, name) == in_first, (
        f"creating {name} in {second} changed it in {first}"
    )

    # and a search in each workspace finds its model once
    for workspace in (first, second):
        found = _found_by_name(client, probe, workspace, name)
        assert found in (None, [name]), f"a search for {name} in {workspace} found {found}"

    # when the second workspace's version, then its model, are deleted (where it deletes them)
    for what, delete in (
        (f"delete_model_version({name}, 1)", lambda: client.delete_model_version(name, "1")),
        (f"delete_registered_model({name})", lambda: client.delete_registered_model(name)),
    ):
        with in_workspace(second):
            deleted = best_effort(
                probe,
                f"{what} in {second}",
                delete,
                state=lambda: registry_state(client, {name: NUMBERS}),
            )
        # then the first workspace's model is still as it was
        assert _state_in(client, probe, first, name) == in_first, (
            f"{what} in {second} changed {name} in {first}"
        )
    if deleted:
        with in_workspace(second):
            expect_error(
                MISSING, f"get_registered_model in {second}", client.get_registered_model, name
            )


@feature("workspaces.isolation")
def test_a_model_of_one_workspace_is_not_seen_or_changed_from_another(
    client, names, workspaces, probe
):
    skip_without_workspaces(client)
    # given two workspaces, and a model with a version in the first only
    first, second = _two_workspaces(client, probe, workspaces)
    name = names("only-in-a")
    _model_in(client, probe, workspaces, first, name, 1)
    in_first = _state_in(client, probe, first, name)
    assert in_first["model"] is not None, f"{name} is missing in {first} after its creation"

    # when the second workspace asks for it, searches for it and tries to change it
    with in_workspace(second):
        workspaces.place(name, second)
        expect_error(
            MISSING, f"get_registered_model in {second}", client.get_registered_model, name
        )
        expect_error(MISSING, f"get_model_version in {second}", client.get_model_version, name, "1")
    found = _found_by_name(client, probe, second, name)
    assert found in (None, []), f"a search for {name} in {second} found {found}"
    with in_workspace(second):
        # (a registry that refuses these writes everywhere refuses them here too: that is for
        # their own rows; this one judges that the model in the first is left as it was)
        expect_error(
            MISSING,
            f"update_registered_model in {second}",
            client.update_registered_model,
            name,
            "changed from another workspace",
            or_refused=True,
        )
        delete = client.delete_registered_model
        expect_error(MISSING, f"delete_registered_model in {second}", delete, name, or_refused=True)

    # then the run's own workspace does not have it either, and the first still has it unchanged
    expect_error(
        MISSING, "get_registered_model outside its workspace", client.get_registered_model, name
    )
    assert _state_in(client, probe, first, name) == in_first, (
        f"what {second} tried changed {name} in {first}"
    )
