"""Pytest plugin of the breakage proof's runs (``-p tests.target_scope``): each target named in
the JSON file that ``SCOPE_FILE_VARIABLE`` points to runs only the scenarios of the features the
file lists for it (``{registry_uri: [feature id, ...]}``); other targets run everything.

The proof judges a broken target on the broken feature and on the features whose scenarios call
none of the broken operations; the other scenarios could only meet the breakage again, so they
are left out to keep the run short. Loading this plugin also registers the ``faulty`` scheme.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conformance.catalogue import FEATURES_BY_ID
from tests import broken_families  # noqa: F401  (registers the faulty:// store scheme)

SCOPE_FILE_VARIABLE = "FAULTY_REGISTRY_SCOPE_FILE"


def _kept(item: pytest.Item, scope: dict[str, list[str]]) -> bool:
    callspec = getattr(item, "callspec", None)
    target = callspec.params.get("target") if callspec else None
    features = scope.get(getattr(target, "registry_uri", ""))
    if features is None:
        return True
    markers = {FEATURES_BY_ID[feature_id].marker for feature_id in features}
    return any(item.get_closest_marker(marker) for marker in markers)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    path = os.environ.get(SCOPE_FILE_VARIABLE)
    if not path:
        return
    scope = json.loads(Path(path).read_text())
    dropped = [item for item in items if not _kept(item, scope)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if _kept(item, scope)]
