"""A Ctrl-C always ends the run, and what the interrupted call held is let go before the cleanup.

Python raises a Ctrl-C's ``KeyboardInterrupt`` wherever the main thread happens to be. Inside a
finalizer (a ``__del__``, a weakref callback: MLflow's and SQLAlchemy's objects have them) it
is an unraisable exception: printed at most, and the run goes on as if never interrupted
(measured: one run in eight interrupted at its first scenarios ran all of them). So the signal
is also remembered, and a run that has not stopped by the end of the scenario in progress
stops there.

The frames of the interrupted call stay alive in the exception's traceback, which pytest keeps
for its report. On a SQLite target one of them can hold an open write transaction, and every
later write of the process (the scenarios' teardowns and the end-of-run cleanup) then waits out
the busy timeout and fails "database is locked" (measured: the cleanup of one interrupted run in
eight never finished). Once pytest has reported the interruption, those frames are cleared, so
that what they held is closed and rolled back.
"""

from __future__ import annotations

import gc
import signal
import threading
import traceback
from collections.abc import Iterator
from types import FrameType

import pytest


class Interrupts:
    def __init__(self) -> None:
        self.signalled = False
        self._previous_handler: signal.Handlers | None = None

    def pytest_configure(self) -> None:
        """Remember a Ctrl-C as well as raising it, where Python's own handler is in place."""
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self._previous_handler = signal.signal(signal.SIGINT, self._on_interrupt)

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self) -> None:
        if self._previous_handler is not None:
            signal.signal(signal.SIGINT, self._previous_handler)

    def _on_interrupt(self, signum: int, frame: FrameType | None) -> None:
        self.signalled = True
        signal.default_int_handler(signum, frame)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self) -> Iterator[object]:
        result = yield  # a KeyboardInterrupt raised as it should be passes through here
        if self.signalled:
            raise KeyboardInterrupt  # the one a finalizer swallowed
        return result

    @pytest.hookimpl(trylast=True)
    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """After pytest's own report of the interruption (it reads the frames' variables)."""
        traceback.clear_frames(excinfo.tb)
        gc.collect()  # what the cleared frames held is closed now, not whenever gc gets to it
