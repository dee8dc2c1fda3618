"""A pytest plugin for the benches (``-p phase_clock``, bench/ on the path): the wall-clock time
at which a run passes each of its phases, written to ``RC_BENCH_PHASES_FILE`` as JSON (epoch
seconds), plus the summed setup, call and teardown durations of its tests."""

from __future__ import annotations

import json
import os
import time
from collections import Counter

import pytest

_stamps: dict[str, float] = {"plugin loaded": time.time()}
_durations: Counter[str] = Counter()


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
        json.dump({"stamps": _stamps, "durations": dict(_durations)}, file)
