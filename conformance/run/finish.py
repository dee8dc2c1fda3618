"""The end of a run: remove what it created, build the results document, judge it by the gate and
write the outputs. A run that was cut short is never written as complete."""

from __future__ import annotations

import contextlib
import signal
from typing import Any

import pytest

from conformance import documented, gate, results
from conformance.run import cleanup, latency, options, outputs
from conformance.run.state import RunState
from conformance.run.xdist_handoff import worker_output

_CLEANUP_INTERRUPTED = "removal not confirmed: the cleanup was interrupted"


class Finish:
    def __init__(self, state: RunState) -> None:
        self.state = state
        self.document: dict[str, Any] | None = None
        self.gate: gate.GateResult | None = None
        #: per output requested: (written, the line that says so)
        self.written: list[tuple[bool, str]] = []
        self._cleaning = False
        self._previous_handler: Any = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_keyboard_interrupt(self) -> None:
        """From the first Ctrl-C on the run winds down: another one ends the cleanup (what it
        did not confirm is listed as left behind), never the report, and prints no traceback."""
        with contextlib.suppress(ValueError):  # only the main thread may handle signals
            self._previous_handler = signal.signal(signal.SIGINT, self._on_another_interrupt)

    def _on_another_interrupt(self, signum: int, frame: Any) -> None:
        if self._cleaning:
            raise KeyboardInterrupt

    def pytest_unconfigure(self) -> None:
        if self._previous_handler is not None:
            signal.signal(signal.SIGINT, self._previous_handler)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        state = self.state
        if not self._clean_up():
            session.exitstatus = pytest.ExitCode.INTERRUPTED
        if state.is_worker:
            session.config.workeroutput.update(worker_output(state))
            return
        state.cut_short = state.cut_short or _why_cut_short(session, exitstatus, state)
        if not state.records and not any(target.unusable for target in state.targets):
            return
        self.document = results.build_document(
            state.targets,
            list(state.records.values()),
            state.started,
            complete=state.complete,
            extra={
                "namespace": state.ledger.namespace,
                "leftovers": [vars(leftover) for leftover in state.leftovers],
                "time_limits": state.limits.as_json(),
                **({"cut_short": state.cut_short} if state.cut_short else {}),
            },
            collected=state.collected,
            selection=options.selection(session.config),
        )
        latency.attach(self.document, state.targets)
        if state.expectations is not None:
            strict = session.config.getoption("strict_expectations")
            self.gate = gate.evaluate(self.document, state.expectations, strict)
            self.document["gate"] = self.gate.as_json()
            session.exitstatus = self._gated_exitstatus(session, self.gate)
        columns = documented.load() if session.config.getoption("documented") else []
        self.written = outputs.write_all(session.config, self.document, columns)
        if not all(written for written, _ in self.written):
            session.exitstatus = pytest.ExitCode.INTERNAL_ERROR

    def _clean_up(self) -> bool:
        """Remove what this process created; False when a Ctrl-C ended the cleanup (then what
        was not confirmed removed is listed as left behind)."""
        state = self.state
        self._cleaning, completed = True, True
        try:
            leftovers = cleanup.clean_up(state)
        except KeyboardInterrupt:
            completed = False
            leftovers = cleanup.unconfirmed(state, _CLEANUP_INTERRUPTED)
        finally:
            self._cleaning = False
        state.leftovers += leftovers
        return completed

    def _gated_exitstatus(self, session: pytest.Session, verdict: gate.GateResult) -> int:
        """The gate judges a whole run: pytest's other codes (interrupted, internal error)
        stand, a run cut short never passes, and a failed test that is not a scenario still
        fails the run."""
        if session.exitstatus not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
            return session.exitstatus
        if not self.state.complete:
            return pytest.ExitCode.TESTS_FAILED
        if session.testsfailed > self.state.failed_scenario_reports:
            return pytest.ExitCode.TESTS_FAILED
        return pytest.ExitCode(verdict.exit_code)


def _why_cut_short(session: pytest.Session, exitstatus: int, state: RunState) -> str:
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        return "interrupted"
    if session.shouldfail or session.shouldstop:
        return str(session.shouldfail or session.shouldstop)
    missing = len(state.selected - state.finished)
    if missing:
        return f"{missing} of {len(state.selected)} selected tests did not run to their end"
    return ""
