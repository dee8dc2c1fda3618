"""MLflow's registry client as the suite uses it: without the prompt guard's read on the run's own
names, and one layer below ``MlflowClient`` for the suite's own writes.

Before every write to a registered model or one of its versions (update, tag, alias, stage,
delete, ...) and before ``get_latest_versions`` and ``get_model_version_download_uri`` (which
every load of a ``models:/`` URI asks), ``MlflowClient`` (MLflow 3) reads the model to refuse
prompts: one more request per call. The run never creates a prompt, so on a name of its own
namespace that read can only tell what the run already knows (or that the model is missing,
which the call itself must then answer): while the scenarios run, the guard skips those names
(:func:`prompt_guard_skipping`) and keeps every other. The suite's setup steps (marks) and its
cleanup go to MLflow's registry client directly (:func:`direct`); every call under test goes
through ``MlflowClient``, as users' code does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mlflow.tracking import MlflowClient


@contextmanager
def prompt_guard_skipping(own: str) -> Iterator[None]:
    """``MlflowClient``'s prompt guard skips the names that start with ``own`` (the run's
    namespace and its separator) in this process, until the end of the block; an older client
    without the guard is left as it is."""
    guard = MlflowClient.__dict__.get("_raise_if_prompt")
    if guard is None:
        yield
        return

    def _raise_if_prompt(self: MlflowClient, name: str) -> None:
        if not name.startswith(own):
            guard(self, name)

    MlflowClient._raise_if_prompt = _raise_if_prompt  # type: ignore[method-assign]
    try:
        yield
    finally:
        MlflowClient._raise_if_prompt = guard  # type: ignore[method-assign]


def direct(client: Any) -> Any:
    """MLflow's registry client behind ``client`` (``client`` itself when it has none)."""
    registry_client = getattr(client, "_get_registry_client", None)
    return registry_client() if registry_client is not None else client
