"""``model_id`` on model versions over HTTP.

MLflow's protocol has the field (``ModelVersion.model_id`` in ``model_registry.proto``), but
MLflow 3.17's ``ModelVersion.to_proto`` leaves it out ("TODO: Include ... model ID in proto"), so
a server built on MLflow's handlers never sends the logged model a version was registered from.
The reference server sends it: its store keeps it, and a client reading the JSON answer sees it.
"""

from __future__ import annotations

from typing import Any

from mlflow.entities.model_registry import ModelVersion

_PATCHED = "_reference_backend_sends_model_id"


def install() -> None:
    """Make ``ModelVersion.to_proto`` fill ``model_id`` (once per process)."""
    if getattr(ModelVersion.to_proto, _PATCHED, False):
        return
    original = ModelVersion.to_proto

    def to_proto(self: ModelVersion) -> Any:
        proto = original(self)
        if self.model_id:
            proto.model_id = self.model_id
        return proto

    setattr(to_proto, _PATCHED, True)
    ModelVersion.to_proto = to_proto  # type: ignore[method-assign]
