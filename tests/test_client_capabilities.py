"""What a scenario needs of the MLflow client: ``run.client_capabilities`` and
``scenarios.markers.requires_client`` (a lacking client makes it not-tested, with its reason)."""

from __future__ import annotations

import mlflow
import pytest

from conformance.run import client_capabilities
from conformance.scenarios.markers import LOGGED_MODEL_WAY, requires_client


def test_the_installed_client_has_every_capability_of_the_table():
    # the dev environment has the newest client: each check names a real attribute
    missing = [c for c in client_capabilities.CAPABILITIES if not client_capabilities.has(c)]
    assert not missing, f"mlflow {mlflow.__version__} lacks {missing}: is the check's path right?"


def test_a_capability_the_client_lacks_skips_with_the_client_reason(monkeypatch):
    monkeypatch.setitem(
        client_capabilities.CAPABILITIES,
        "time travel",
        ("mlflow.tracking:MlflowClient.rewind", "9.1"),
    )
    mark = requires_client("time travel")
    assert mark.name == "skipif"
    assert mark.args == (True,)
    assert mark.kwargs["reason"] == (
        f"client mlflow {mlflow.__version__} has no time travel (new in MLflow 9.1)"
    )


def test_a_capability_the_client_has_runs():
    assert requires_client("logged models").args == (False,)
    assert LOGGED_MODEL_WAY.values == ("logged-model",)
    assert [mark.args for mark in LOGGED_MODEL_WAY.marks] == [(False,)]


def test_an_unknown_capability_is_an_error_at_import_time():
    with pytest.raises(KeyError):
        requires_client("teleportation")
