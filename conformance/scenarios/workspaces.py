"""Workspaces as scenarios meet them: the ``workspaces`` fixture (names of this run, and where
its models are created), and whether the target has workspaces at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.run import http_exchanges
from conformance.run.probe import Inconclusive, answer_status, no_verdict
from conformance.run.refusals import Kind, classify
from conformance.run.registry_client import direct


@dataclass(frozen=True)
class RunWorkspaces:
    """The ``workspaces`` fixture: workspace names of this run, and where its names are used."""

    #: a fresh workspace name of this run (``hint``: lowercase letters, digits, ``-``)
    mint: Callable[[str], str]
    #: record that a name of this run is created in one of its workspaces (for the cleanup)
    place: Callable[[str, str], None]


def skip_without_workspaces(client: Any) -> None:
    """Skip (``not-tested``) unless the target has workspaces (the client's are
    ``requires_client("workspaces")``'s question).

    Whether the target has them is MLflow's own question, ``supports_workspaces`` of the client's
    registry store: over HTTP, ``workspaces_enabled`` in the server's ``server-info`` (a server
    too old to have that endpoint has no workspaces); in-process, the store itself (MLflow's SQL
    store only as ``WorkspaceAwareSqlAlchemyStore``).
    """
    store = getattr(direct(client), "store", None)
    try:
        with http_exchanges.recording() as exchanges:
            offered = bool(getattr(store, "supports_workspaces", False))
    except Exception as exc:
        answer = classify(exc, answer_status(exchanges))
        if answer.kind is not Kind.REFUSAL:
            raise Inconclusive(no_verdict("whether the target has workspaces", answer)) from exc
        pytest.skip(f"the target has no workspaces: {answer.reason[:200]}")
    if not offered:
        pytest.skip(
            "the target has no workspaces (MLflow 3.10+, mlflow server --enable-workspaces)"
        )
