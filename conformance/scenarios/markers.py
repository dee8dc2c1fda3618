"""Scenario-side helper to mark which catalogue feature a scenario evidences."""

from __future__ import annotations

import pytest

from conformance.catalogue import FEATURES_BY_ID


def feature(feature_id: str) -> pytest.MarkDecorator:
    """``@feature("model.rename")``: the catalogue's marker, checked at import time.

    A scenario that evidences several features stacks one decorator per feature.
    """
    return getattr(pytest.mark, FEATURES_BY_ID[feature_id].marker)
