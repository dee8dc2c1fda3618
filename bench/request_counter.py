"""A pytest plugin for the benches (``-p request_counter``, bench/ on the path): counts the HTTP
requests each process of a run sends to one server, by test and phase (setup, call, teardown)
and outside tests (preflight before the first, cleanup after the last), and by operation
within each phase and each test.

It counts at ``requests``' transport adapter, below anything the suite wraps, so it measures the
suite of any version the same way. Settings come from the environment: ``RC_BENCH_COUNT_URL``
(the server's base URL) and ``RC_BENCH_COUNT_FILE`` (each process writes ``<file>.<pid>.json``).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from requests.adapters import HTTPAdapter

BEFORE_TESTS = "(before the first test: preflight)"
BETWEEN_TESTS = "(between tests)"
AFTER_TESTS = "(after the last test: cleanup, results)"

_server: list[str] = []  # the base URL counted, set when pytest configures the plugin
_where: list[str] = [BEFORE_TESTS, ""]  # test (or a moment outside tests), phase
_by_place: Counter[tuple[str, str]] = Counter()
_by_operation: Counter[tuple[str, str]] = Counter()  # (phase or moment outside tests, operation)
_by_test_operation: Counter[tuple[str, str, str]] = Counter()  # (test, phase, operation)
_original_send = HTTPAdapter.send


def _counting_send(self: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
    if (request.url or "").startswith(_server[0]):
        _by_place[(_where[0], _where[1])] += 1
        moment = _where[1] or _where[0]
        operation = f"{request.method} {urlsplit(request.url).path}"
        _by_operation[(moment, operation)] += 1
        _by_test_operation[(_where[0], _where[1], operation)] += 1
    return _original_send(self, request, *args, **kwargs)


@pytest.hookimpl(tryfirst=True)
def pytest_configure() -> None:
    """Count from here on: before the suite's preflight."""
    _server[:] = [os.environ["RC_BENCH_COUNT_URL"].rstrip("/")]
    HTTPAdapter.send = _counting_send  # type: ignore[method-assign]


def _in_phase(item: pytest.Item, phase: str) -> Iterator[None]:
    _where[:] = [item.nodeid, phase]
    try:
        yield
    finally:
        _where[:] = [BETWEEN_TESTS, ""]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    return (yield from _in_phase(item, "setup"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    return (yield from _in_phase(item, "call"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    return (yield from _in_phase(item, "teardown"))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish() -> None:
    _where[:] = [AFTER_TESTS, ""]


def pytest_unconfigure() -> None:
    """After every other plugin's session end (the suite's cleanup and results) has run."""
    path = f"{os.environ['RC_BENCH_COUNT_FILE']}.{os.getpid()}.json"
    with open(path, "w", encoding="utf-8") as file:
        json.dump(
            {
                "places": [[test, phase, n] for (test, phase), n in _by_place.items()],
                "operations": [[moment, op, n] for (moment, op), n in _by_operation.items()],
                "test_operations": [
                    [test, phase, op, n] for (test, phase, op), n in _by_test_operation.items()
                ],
            },
            file,
        )
