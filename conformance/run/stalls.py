"""A registry that does not answer in time: recognized from the exception at hand, and bounded
where nothing else bounds it.

Every call of MLflow's client has a timeout (``MLFLOW_HTTP_REQUEST_TIMEOUT``) and every scenario a
time limit (pytest-timeout), so a stall ends as an exception: a call that timed out, or
pytest-timeout's failure of the scenario. Neither is an answer of the registry, so neither can be
a verdict. The end-of-run cleanup runs outside any scenario, under a limit of its own.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
import urllib3

#: How pytest-timeout fails a scenario that ran past its limit (its PYTEST_FAILURE_MESSAGE).
_PYTEST_TIMEOUT = re.compile(r"Timeout \(>([\d.]+)s\) from pytest-timeout\.")


class Stalled(Exception):
    """A call got no answer in time: what comes after it should not wait for the same registry."""


class OutOfTime(BaseException):
    """A block ran past its time limit. A BaseException, as pytest-timeout's own failure, so that
    no ``except Exception`` on the way (the cleanup's, MLflow's) takes it for an answer."""


def stall_of(exc: BaseException) -> str | None:
    """Why ``exc`` means that the registry stalled (a call that timed out, or pytest-timeout's
    end of a scenario), or None when it is anything else."""
    for current in _chain(exc):
        if isinstance(current, pytest.fail.Exception):
            found = _PYTEST_TIMEOUT.match(str(current.msg))
            if found:
                return f"ran past its time limit of {float(found.group(1)):g} s"
        if isinstance(current, requests.Timeout | urllib3.exceptions.TimeoutError | TimeoutError):
            return f"a call got no answer in time: {_first_line(current) or 'timed out'}"
    return None


def timeout_message(text: str) -> str | None:
    """pytest-timeout's failure message in a report's text, said as a reason; None without one."""
    found = _PYTEST_TIMEOUT.search(text)
    if found is None:
        return None
    return f"the scenario ran past its time limit of {float(found.group(1)):g} s: no verdict"


@contextmanager
def time_limit(seconds: float | None) -> Iterator[bool]:
    """Raise :class:`OutOfTime` inside the block once ``seconds`` have passed; yields whether a
    limit is set. As pytest-timeout's signal method: SIGALRM interrupts even a blocked socket
    read, and only the main thread of a platform that has it can receive it."""
    usable = (
        bool(seconds)
        and hasattr(signal, "SIGALRM")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield False
        return

    def out_of_time(signum: int, frame: object) -> None:
        raise OutOfTime(f"ran past its time limit of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, out_of_time)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it was raised from or during (``raise ... from None`` hides the context
    from tracebacks, not from here)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else ""
