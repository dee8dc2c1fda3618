"""``--level`` and ``--seed-rows``: only the scenarios of the selected features run; pytest
reports the others as deselected, as it does those of ``-m`` and ``-k``.

Every process (the controller, each xdist worker) deselects the same items from its own
collection, so a run selects the same scenarios serially and under ``-n``.
"""

from __future__ import annotations

import pytest

from conformance.catalogue import FEATURES_BY_ID
from conformance.results.levels import Selection
from conformance.run.recording import features_of, target_of


class FeatureSelection:
    def __init__(self, selection: Selection) -> None:
        self.selection = selection

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
