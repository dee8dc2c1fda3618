"""A pytest plugin for the benches (``-p phase_clock``, bench/ on the path): the wall-clock time
at which a run passes each of its phases, written to ``RC_BENCH_PHASES_FILE`` as JSON (epoch
seconds), plus the summed setup, call and teardown durations of its tests and the time spent in
the garbage collector's full (generation 2) collections from the plugin's load on."""

from __future__ import annotations

import gc
import json
import os
import time
from collections import Counter
from typing import Any

import pytest

_stamps: dict[str, float] = {"plugin loaded": time.time()}
_durations: Counter[str] = Counter()


_full_collections: list[float] = []  # seconds each
_collection_started = [0.0]


def _time_full_collections(phase: str, info: dict[str, Any]) -> None:
    if info["generation"] != 2:
        return
    if phase == "start":
        _collection_started[0] = time.perf_counter()
    else:
        _full_collections.append(time.perf_counter() - _collection_started[0])


gc.callbacks.append(_time_full_collections)


def _stamp(name: str) -> None:
    _stamps.setdefault(name, time.time())


@pytest.hookimpl(tryfirst=True)
def pytest_configure() -> None:
    _stamp("configure started")


def pytest_sessionstart() -> None:
    """Right after every plugin's configure (the suite's set-up, preflight included)."""
    _stamp("session started")


def pytest_collection() -> None:
    _stamp("collection started")


def pytest_collection_finish() -> None:
    _stamp("collection ended")


def pytest_runtest_logstart() -> None:
    _stamp("first test started")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _durations[report.when] += report.duration
    _stamps["last test ended"] = time.time()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish() -> None:
    _stamp("session finish started")


def pytest_unconfigure() -> None:
    _stamp("unconfigure")
    with open(os.environ["RC_BENCH_PHASES_FILE"], "w", encoding="utf-8") as file:
        json.dump(
            {"stamps": _stamps, "durations": dict(_durations), "full_gc": _full_collections}, file
        )
