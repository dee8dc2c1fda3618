"""Scenario-side markers: which catalogue feature a scenario evidences, and what it needs of the
MLflow client the suite runs with."""

from __future__ import annotations

import pytest

from conformance.catalogue import FEATURES_BY_ID
from conformance.run import client_capabilities


def feature(feature_id: str) -> pytest.MarkDecorator:
    """``@feature("model.rename")``: the catalogue's marker, checked at import time.

    A scenario that evidences several features stacks one decorator per feature.
    """
    return getattr(pytest.mark, FEATURES_BY_ID[feature_id].marker)


def requires_client(capability: str) -> pytest.MarkDecorator:
    """``@requires_client("webhooks")``: not-tested under a client that lacks ``capability`` (a
    key of ``run.client_capabilities.CAPABILITIES``), with the reason "client mlflow 2.9.2 has
    no webhooks (new in MLflow 3.3)": the client's lack, never the registry's ``unsupported``.

    On a scenario, as a module's ``pytestmark``, or on one variant:
    ``pytest.param("logged-model", marks=requires_client("logged models"))``. What only such
    clients have is imported inside the scenario, never at the module's top.
    """
    return pytest.mark.skipif(
        not client_capabilities.has(capability), reason=client_capabilities.lacks(capability)
    )


#: The ``logged-model`` way of the registering rows' ``way`` parameter (an MLflow 3 logged model).
LOGGED_MODEL_WAY = pytest.param("logged-model", marks=requires_client("logged models"))
