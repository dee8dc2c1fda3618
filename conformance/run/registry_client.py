"""MLflow's registry client as the suite uses it: without the prompt guard's read on the run's own
names, and one layer below ``MlflowClient`` for the suite's own writes.

Before every write to a registered model or one of its versions (update, tag, alias, stage,
delete, ...) and before ``get_latest_versions`` and ``get_model_version_download_uri``,
``MlflowClient`` (MLflow 3) reads the model to refuse prompts: one more request per call. The
run never creates a prompt, so on a name of its own namespace that read can only tell what the
run already knows (or that the model is missing, which the call itself must then answer): the
scenarios' client (:class:`RunClient`) skips it there, and keeps it for every other name. The
suite's setup steps (marks) and its cleanup go to MLflow's registry client directly
(:func:`direct`); every call under test goes through ``MlflowClient``, as users' code does.
"""

from __future__ import annotations

from typing import Any

from mlflow.tracking import MlflowClient


class RunClient(MlflowClient):
    """A stock ``MlflowClient`` whose prompt guard skips the names that start with ``own``
    (the run's namespace and its separator); an older client without the guard is unchanged."""

    def __init__(self, *, tracking_uri: str, registry_uri: str, own: str) -> None:
        super().__init__(tracking_uri=tracking_uri, registry_uri=registry_uri)
        self._own = own

    def _raise_if_prompt(self, name: str) -> None:
        if not name.startswith(self._own):
            super()._raise_if_prompt(name)


def direct(client: Any) -> Any:
    """MLflow's registry client behind ``client`` (``client`` itself when it has none)."""
    registry_client = getattr(client, "_get_registry_client", None)
    return registry_client() if registry_client is not None else client
