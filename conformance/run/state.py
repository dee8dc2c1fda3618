"""What one process of a run holds: its targets, ledger, scenario records and progress."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conformance import results
from conformance.gate.expectations import Expectations
from conformance.masking import mask_text
from conformance.run.ledger import Ledger, Leftover
from conformance.targets import Target

if TYPE_CHECKING:
    from conformance.run.time_limits import Limits

STATE = pytest.StashKey["RunState"]()


@dataclass
class RunState:
    """Per-process state of one run (the controller's, or one xdist worker's)."""

    targets: list[Target]
    ledger: Ledger
    is_worker: bool
    limits: Limits
    expectations: Expectations | None = None
    started: str = field(default_factory=results.now_iso)
    #: tracking URI -> the experiment this process made there
    experiments: dict[str, str] = field(default_factory=dict)
    leftovers: list[Leftover] = field(default_factory=list)
    #: node id -> what the scenario showed so far
    records: dict[str, results.ScenarioRecord] = field(default_factory=dict)
    #: (target id, feature id) -> scenarios collected, before -k/-m/--deselect chose some
    collected: Counter[tuple[str, str]] = field(default_factory=Counter)
    #: node ids of every test the run set out to run, and of those that got to their end
    selected: set[str] = field(default_factory=set)
    finished: set[str] = field(default_factory=set)
    #: Failed reports of scenarios, to tell them from failures of other tests in the session
    failed_scenario_reports: int = 0
    #: Why the run was cut short (Ctrl-C, -x, --maxfail, a crashed worker's lost test), if it was
    cut_short: str = ""
    #: target id -> how it stalled in this process (its later scenarios here end at once)
    stalled: dict[str, str] = field(default_factory=dict)
    #: The folder of the run's registry locks, once a scenario of this process used it
    lock_folder: Path | None = None

    @property
    def measured_targets(self) -> list[Target]:
        """The targets scenarios run against (the preflight found nothing that stops them)."""
        return [target for target in self.targets if not target.unusable]

    def stall(self, target_id: str, how: str) -> None:
        """Remember the first stall of a target in this process."""
        self.stalled.setdefault(target_id, mask_text(how))

    @property
    def complete(self) -> bool:
        return not self.cut_short and self.selected <= self.finished


def state_of(config: pytest.Config) -> RunState:
    return config.stash[STATE]
