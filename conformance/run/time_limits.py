"""Bounded time (README, "Bounded time"): every call of MLflow's client has a timeout, every
scenario a time limit, and a registry that stalls costs one of them per process and target, not
one per scenario.

A stall is recognized from the exception at hand (``conformance.run.stalls``). Once a target stalled
in a process, its later scenarios there end at once, ``error``, and the removal of their names is
left to the end of the run, which bounds it too (``finish``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_timeout

from conformance.run import client_env
from conformance.run.probe import Inconclusive
from conformance.run.recording import target_of
from conformance.run.stalls import stall_of
from conformance.run.state import RunState

DEFAULT_SCENARIO_TIMEOUT_S = 120


@dataclass(frozen=True)
class Limits:
    #: What MLflow's client waits for each answer.
    call_s: int
    #: What a scenario may take, setup and cleanup included; None: no limit.
    scenario_s: float | None
    #: Whether the suite sets the scenarios' limit (else the user's pytest-timeout setting does).
    own_scenario_limit: bool

    def as_json(self) -> dict[str, Any]:
        return {"call_s": self.call_s, "scenario_s": self.scenario_s}


def resolve(config: pytest.Config) -> Limits:
    """The run's limits. The scenarios' is ``--scenario-timeout`` when given, else the user's
    own pytest-timeout setting (``--timeout``, ``PYTEST_TIMEOUT``, the ini's ``timeout``), else
    the default; without pytest-timeout (``-p no:timeout``) scenarios have none."""
    call_s = client_env.call_timeout_s()
    if not config.pluginmanager.hasplugin("timeout"):
        return Limits(call_s, None, own_scenario_limit=False)
    given = config.getoption("scenario_timeout")
    users = pytest_timeout.get_env_settings(config).timeout
    if given is None and users is not None:
        return Limits(call_s, users or None, own_scenario_limit=False)
    seconds = DEFAULT_SCENARIO_TIMEOUT_S if given is None else given
    return Limits(call_s, seconds or None, own_scenario_limit=True)


class TimeLimits:
    """The hooks that bound a run's time; one per process."""

    def __init__(self, state: RunState) -> None:
        self.state = state

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        limit = self.state.limits.scenario_s
        if not self.state.limits.own_scenario_limit or limit is None:
            return
        for item in items:
            if target_of(item) is not None:
                item.add_marker(pytest.mark.timeout(limit))

    @pytest.hookimpl(tryfirst=True)  # before any fixture could wait for the registry again
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        target = target_of(item)
        stalled = self.state.stalled.get(target.id) if target is not None else None
        if stalled:
            raise Inconclusive(f"the registry stalled earlier in this run: {stalled}")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Iterator[None]:
        yield
        target = target_of(item)
        stall = stall_of(call.excinfo.value) if call.excinfo and target is not None else None
        if target is not None and stall:
            self.state.stall(target.id, f"{item.name}: {stall}")
