"""The registry client one layer below ``MlflowClient``, for the suite's own writes.

Before every write to a registered model or one of its versions (update, tag, alias, stage,
delete, ...), ``MlflowClient`` reads the model to refuse prompts: one more request per write. The
suite's setup steps (marks) and its cleanup write only names the run minted, never prompts, so
they go to MLflow's registry client directly and skip that read; every call under test still
goes through ``MlflowClient``, as users' code does.
"""

from __future__ import annotations

from typing import Any


def direct(client: Any) -> Any:
    """MLflow's registry client behind ``client`` (``client`` itself when it has none)."""
    registry_client = getattr(client, "_get_registry_client", None)
    return registry_client() if registry_client is not None else client
