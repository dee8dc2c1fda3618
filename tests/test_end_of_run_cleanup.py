"""The end-of-run cleanup of one process (``conformance.run.cleanup``): it never deletes under
another worker's listing (it holds the target's registry lock, shared), and a registry that
stalls cannot hold it: it stops at the first call that gets no answer, ends at its time limit,
and what it did not confirm is listed as left behind, naming the stall."""

from __future__ import annotations

import multiprocessing
import threading
import time
from pathlib import Path

import pytest
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from conformance.run import cleanup
from conformance.run.ledger import Ledger, Leftover
from conformance.run.registry_lock import RegistryLock
from conformance.run.state import RunState
from conformance.run.time_limits import Limits
from conformance.targets import resolve_targets
from tests.answering_server import Answer, answering

HOLD_S = 1.0
_fork = multiprocessing.get_context("fork")


def _state(registry_uri: str, limits: Limits, lock_folder: Path | None = None) -> RunState:
    state = RunState(
        resolve_targets([registry_uri], [], None, []), Ledger("rcclean"), False, limits
    )
    state.lock_folder = lock_folder
    return state


def _hold_exclusively(folder: Path, target_id: str, holding: _fork.Event) -> None:
    """In a process of its own, as another worker's listing: hold the lock alone a while."""
    with RegistryLock(folder, target_id).exclusive():
        holding.set()
        time.sleep(HOLD_S)


def test_the_cleanup_waits_for_another_workers_listing(tmp_path: Path):
    uri = "memory://rc-cleanup-waits"
    state = _state(uri, Limits(30, 60.0, own_scenario_limit=True), tmp_path)
    [target] = state.targets
    name = state.ledger.mint("left-for-the-end", target.tracking_uri, target.registry_uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model(name)
    holding = _fork.Event()
    listing = _fork.Process(target=_hold_exclusively, args=(tmp_path, target.id, holding))
    listing.start()
    assert holding.wait(10)

    started = time.monotonic()
    leftovers = cleanup.clean_up(state)
    waited = time.monotonic() - started
    listing.join(10)

    assert leftovers == []
    assert waited >= HOLD_S / 2  # it began once the listing was done, not beside it
    with pytest.raises(MlflowException) as missing:
        client.get_registered_model(name)
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"


@pytest.fixture
def stalling_registry(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with answering(Answer(action="stall", stall_s=60)) as url:
        yield url


def _minted(state: RunState, *hints: str) -> list[str]:
    [target] = state.targets
    return [state.ledger.mint(hint, target.tracking_uri, target.registry_uri) for hint in hints]


def test_a_registry_that_stalls_costs_the_cleanup_one_call_timeout(
    stalling_registry: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "1")
    state = _state(stalling_registry, Limits(1, 60.0, own_scenario_limit=True))
    names = _minted(state, "a", "b", "c")

    started = time.monotonic()
    leftovers = cleanup.clean_up(state)

    assert time.monotonic() - started < 5  # one call timed out; nothing waited for the others
    assert [leftover.name for leftover in leftovers] == names
    for leftover in leftovers:
        assert leftover.reason.startswith(
            "removal not confirmed: the registry stalled during the cleanup: "
            "a call got no answer in time: "
        ), leftover


def test_the_cleanup_ends_at_its_time_limit_naming_the_earlier_stall(
    stalling_registry: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")  # the call alone would wait a minute
    state = _state(stalling_registry, Limits(60, 1.0, own_scenario_limit=True))
    [target] = state.targets
    state.stall(target.id, "test_x[t]: ran past its time limit of 1 s")
    [name] = _minted(state, "a")
    state.experiments[target.tracking_uri] = "17"

    started = time.monotonic()
    leftovers = cleanup.clean_up(state)

    assert time.monotonic() - started < 5
    reason = (
        "removal not confirmed: the cleanup ran past its time limit of 1 s; the registry "
        "stalled earlier in this run: test_x[t]: ran past its time limit of 1 s"
    )
    assert leftovers == [Leftover(name, reason), Leftover("experiment 17", reason)]
    assert state.experiments == {}


def test_off_the_main_thread_a_stalled_target_is_not_waited_for(stalling_registry: str):
    state = _state(stalling_registry, Limits(60, 1.0, own_scenario_limit=True))
    [target] = state.targets
    state.stall(target.id, "test_x[t]: a call got no answer in time: timed out")
    [name] = _minted(state, "a")
    found: list[list[Leftover]] = []
    thread = threading.Thread(target=lambda: found.append(cleanup.clean_up(state)))
    thread.start()
    thread.join(10)

    assert found == [
        [
            Leftover(
                name,
                "removal not confirmed: the registry stalled earlier in this run: "
                "test_x[t]: a call got no answer in time: timed out",
            )
        ]
    ]
