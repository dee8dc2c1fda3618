"""Under pytest-xdist: what the controller hands to its workers, and what it learns from them.

One run, one namespace and one preflight: the controller decides them and tells every worker;
the workers tell the controller what they could not clean up (what they collected travels with
every report, see ``recording``), and a worker that crashes leaves its scenario ``error``.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.masking import mask_text
from conformance.outcomes import Outcome
from conformance.run import latency
from conformance.run.ledger import Leftover
from conformance.run.recording import junit_properties
from conformance.run.state import RunState


class XdistHandoff:
    def __init__(self, state: RunState) -> None:
        self.state = state

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["rc_namespace"] = self.state.ledger.namespace
        node.workerinput["rc_unusable"] = {
            target.id: target.unusable for target in self.state.targets if target.unusable
        }

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.state.selected.update(ids)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        output = getattr(node, "workeroutput", {})
        self.state.leftovers += [Leftover(**item) for item in output.get("rc_leftovers", [])]
        self.state.cut_short = self.state.cut_short or output.get("rc_cut_short", "")
        latency.absorb(output.get("rc_latency", []))

    @pytest.hookimpl(optionalhook=True)
    def pytest_handlecrashitem(self, crashitem: str, report: pytest.TestReport, sched: Any) -> None:
        """A scenario whose worker crashed gets no verdict: ``error``, with xdist's words."""
        record = self.state.records.get(crashitem)
        if record is None:  # it crashed before saying which scenario it is
            self.state.cut_short = f"a worker crashed running {crashitem} before its setup ended"
            return
        record.outcome = Outcome.ERROR
        record.reason = mask_text(str(report.longrepr))  # "worker 'gw0' crashed while running ..."
        self.state.failed_scenario_reports += 1
        self.state.finished.add(crashitem)
        report.user_properties = junit_properties(report.user_properties, record)


def worker_output(state: RunState) -> dict[str, Any]:
    """What a worker sends back at its end (``config.workeroutput``)."""
    return {
        "rc_leftovers": [vars(leftover) for leftover in state.leftovers],
        "rc_cut_short": state.cut_short,
        "rc_latency": latency.snapshot(),
    }
