"""The run's registry lock across processes (as xdist workers hold it): a listing waits for the
scenarios in flight and runs alone, and a waiting listing lets no further scenario in."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from conformance.run.registry_lock import RegistryLock, lock_folder

HOLD_S = 0.4
_fork = multiprocessing.get_context("fork")


def _hold(folder: Path, mode: str, held: _fork.Queue, started: _fork.Event) -> None:
    """In a process of its own: take the lock ``mode``-wise, hold it, report (start, end)."""
    lock = RegistryLock(folder, "target")
    started.set()
    with lock.exclusive() if mode == "exclusive" else lock.shared():
        begin = time.monotonic()
        time.sleep(HOLD_S)
        end = time.monotonic()
    held.put((mode, begin, end))


def _start(folder: Path, mode: str, held: _fork.Queue) -> _fork.Process:
    started = _fork.Event()
    process = _fork.Process(target=_hold, args=(folder, mode, held, started))
    process.start()
    assert started.wait(10)
    return process


def _spans(held: _fork.Queue, processes: list[_fork.Process]) -> dict[str, tuple[float, float]]:
    for process in processes:
        process.join(10)
        assert process.exitcode == 0
    spans = [held.get(timeout=1) for _ in processes]
    return {mode: (begin, end) for mode, begin, end in spans}


def test_an_exclusive_holder_waits_for_the_shared_one_in_flight(tmp_path):
    held = _fork.Queue()
    reader = _start(tmp_path, "shared", held)
    time.sleep(HOLD_S / 4)  # the reader holds the lock by now
    writer = _start(tmp_path, "exclusive", held)
    spans = _spans(held, [reader, writer])
    assert spans["exclusive"][0] >= spans["shared"][1], spans


def test_a_waiting_exclusive_holder_lets_no_new_shared_one_in(tmp_path):
    held = _fork.Queue()
    first_reader = _start(tmp_path, "shared", held)
    time.sleep(HOLD_S / 4)
    writer = _start(tmp_path, "exclusive", held)
    time.sleep(HOLD_S / 4)  # the writer waits for the first reader by now
    lock = RegistryLock(tmp_path, "target")
    with lock.shared():
        second_reader_begin = time.monotonic()
    spans = _spans(held, [first_reader, writer])
    assert spans["exclusive"][0] >= spans["shared"][1], spans
    assert second_reader_begin >= spans["exclusive"][1], (second_reader_begin, spans)


def test_shared_holders_do_not_wait_for_each_other(tmp_path):
    held = _fork.Queue()
    first = _start(tmp_path, "shared", held)
    time.sleep(HOLD_S / 4)
    lock = RegistryLock(tmp_path, "target")
    with lock.shared():
        begin = time.monotonic()
    first.join(10)
    _, first_begin, first_end = held.get(timeout=1)
    assert first_begin <= begin < first_end


@pytest.mark.parametrize(("worker", "shared"), [(False, "base"), (True, "")])
def test_the_workers_of_one_run_share_the_folder(tmp_path, worker, shared):
    class Config:  # what lock_folder reads of a pytest config: whether it is an xdist worker's
        pass

    config = Config()
    if worker:
        config.workerinput = {}
    folder = lock_folder(config, tmp_path / "base", "rc123")
    assert folder == tmp_path / shared / "registry-locks-rc123"
