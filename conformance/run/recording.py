"""Recording what each scenario showed: its outcome, reason and evidence, phase by phase, and how
far the run got (what was collected, selected and finished)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from conformance import results
from conformance.catalogue import FEATURES_BY_MARKER
from conformance.masking import mask_text
from conformance.outcomes import Outcome, worst_outcome
from conformance.run.phase_outcome import phase_outcome, phase_reason
from conformance.run.probe import Probe
from conformance.run.state import RunState
from conformance.targets import Target


def features_of(item: pytest.Item) -> list[str]:
    return [
        FEATURES_BY_MARKER[mark.name].id
        for mark in item.iter_markers()
        if mark.name in FEATURES_BY_MARKER
    ]


def target_of(item: pytest.Item) -> Target | None:
    """The target a scenario runs against; None for any other test."""
    callspec = getattr(item, "callspec", None)
    target = callspec.params.get("target") if callspec else None
    return target if isinstance(target, Target) else None


class Recorder:
    """The hooks that turn scenario reports into records; one per process."""

    def __init__(self, state: RunState) -> None:
        self.state = state

    @pytest.hookimpl(tryfirst=True)  # before -k, -m and --deselect drop any
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        unmarked = []
        for item in items:
            target = target_of(item)
            if target is None:
                continue
            features = features_of(item)
            unmarked += [] if features else [item.nodeid]
            for feature in features:
                self.state.collected[(target.id, feature)] += 1
        if unmarked:
            raise pytest.UsageError(f"scenarios without a feature marker: {', '.join(unmarked)}")

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.state.selected.update(item.nodeid for item in session.items)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Iterator[None]:
        result = yield
        report: pytest.TestReport = result.get_result()
        target = target_of(item)
        if target is None:
            return
        probe = getattr(item, "funcargs", {}).get("probe")
        fault = probe.fault if isinstance(probe, Probe) else None
        if report.when == "call" and report.passed and fault is not None:
            # The scenario caught the wrong answer itself and went on: a fault is still final.
            report.outcome = "failed"
            report.longrepr = f"{type(fault).__name__}: {fault}"
        features = features_of(item)
        report.user_properties.append(("rc_target", target.id))
        report.user_properties.append(("rc_features", features))
        # How many scenarios of these features were collected: with every report, so that a
        # controller learns it even from workers that never got to their end.
        collected = {feature: self.state.collected[(target.id, feature)] for feature in features}
        report.user_properties.append(("rc_collected", collected))
        report.user_properties.append(("rc_outcome", phase_outcome(report, call).value))
        if report.when == "call" and isinstance(probe, Probe) and probe.evidence:
            report.user_properties.append(("rc_evidence", probe.evidence))

    def pytest_report_teststatus(self, report: pytest.TestReport) -> tuple[str, str, str] | None:
        record = self.state.records.get(report.nodeid)
        if report.when == "call" and record is not None and record.outcome is Outcome.ERROR:
            return "error", "E", "ERROR"
        return None

    @pytest.hookimpl(tryfirst=True)  # before junitxml and the terminal read the report
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown":
            self.state.finished.add(report.nodeid)
        properties = dict(report.user_properties)
        if "rc_outcome" not in properties:
            return
        self.state.failed_scenario_reports += report.failed
        for feature, count in properties["rc_collected"].items():
            self.state.collected[(properties["rc_target"], feature)] = count
        outcome = Outcome(properties["rc_outcome"])
        record = self.state.records.setdefault(
            report.nodeid,
            results.ScenarioRecord(
                target=properties["rc_target"],
                features=list(properties["rc_features"]),
                nodeid=report.nodeid,
                outcome=outcome,
            ),
        )
        previous = record.outcome
        record.outcome = worst_outcome([previous, outcome])
        record.duration_s += report.duration
        if outcome is not Outcome.PASSED and (record.outcome is not previous or not record.reason):
            record.reason = phase_reason(report, outcome)
        record.evidence += properties.get("rc_evidence", [])
        if outcome in (Outcome.FAILED, Outcome.ERROR):
            record.evidence.append(
                {"phase": report.when, "traceback": mask_text(report.longreprtext[-3000:])}
            )
        if not self.state.is_worker:  # workers' reports must reach the controller with rc_*
            report.user_properties = junit_properties(report.user_properties, record)


def junit_properties(
    properties: list[tuple[str, Any]], record: results.ScenarioRecord
) -> list[tuple[str, Any]]:
    """What ``--junitxml`` shows of a scenario: one ``feature`` per feature id, ``target`` and
    the scenario's ``outcome`` so far. The rc_* entries only carry data from xdist workers."""
    own = [(name, value) for name, value in properties if not name.startswith("rc_")]
    ours = [("feature", feature) for feature in record.features]
    return [*own, *ours, ("target", record.target), ("outcome", record.outcome.value)]
