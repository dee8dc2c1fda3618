"""``--level`` and ``--seed-rows``: only the scenarios of the selected features run; pytest
reports the others as deselected, as it does those of ``-m`` and ``-k``.

Every process (the controller, each xdist worker) deselects the same items from its own
collection, so a run selects the same scenarios serially and under ``-n``. Under ``-n`` the
controller collects nothing and pytest-xdist passes no deselection on, so the workers tell it
theirs at their end, and the run's last line counts them as a serial run's does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from conformance.catalogue import FEATURES_BY_ID
from conformance.results.levels import Selection
from conformance.run.recording import features_of, target_of


@dataclass(frozen=True)
class DeselectedOnWorker:
    """What the controller counts for a scenario a worker deselected (plugins that read the
    terminal's statistics find a node id, as on the items of a serial run)."""

    nodeid: str


class FeatureSelection:
    def __init__(self, selection: Selection) -> None:
        self.selection = selection
        self.deselected: list[str] = []
        self._counted = False

    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        """Keep a scenario that evidences a selected feature, and every test that is no
        scenario. (The recorder counted what was collected before this, tryfirst.)"""
        kept, dropped = [], []
        for item in items:
            features = features_of(item) if target_of(item) is not None else []
            selected = not features or any(
                self.selection.selects_feature(FEATURES_BY_ID[feature]) for feature in features
            )
            (kept if selected else dropped).append(item)
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept
            self.deselected = [item.nodeid for item in dropped]

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        output = getattr(session.config, "workeroutput", None)
        if output is not None:
            output["rc_deselected"] = self.deselected

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        """The first worker that ends says what every worker deselected (they collect alike)."""
        deselected = getattr(node, "workeroutput", {}).get("rc_deselected")
        reporter = node.config.pluginmanager.get_plugin("terminalreporter")
        if self._counted or not deselected or reporter is None:
            return
        self._counted = True
        reporter.stats.setdefault("deselected", []).extend(map(DeselectedOnWorker, deselected))
