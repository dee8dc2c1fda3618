"""MLflow store builders for the ``memory://`` scheme (the entry points in pyproject.toml).

MLflow loads this module while it is itself being imported, so the builders import the
backend lazily: a top-level import of MLflow's store modules here could be circular.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlflow.store.model_registry.abstract_store import AbstractStore as RegistryStore

    from reference_backend.tracking_store import InMemoryTrackingStore


def tracking_store(store_uri: str, artifact_uri: str | None = None) -> InMemoryTrackingStore:
    """Builder for ``mlflow.tracking_store``; MLflow calls it as ``(store_uri=, artifact_uri=)``."""
    from reference_backend.instances import get_instance

    return get_instance(store_uri, artifact_root=artifact_uri).tracking_store


def registry_store(store_uri: str, tracking_uri: str | None = None, **_: Any) -> RegistryStore:
    """Builder for ``mlflow.model_registry_store``, called as ``(store_uri=, tracking_uri=)``.

    The registry is bound to its own instance's tracking store whatever ``tracking_uri`` says,
    as an MLflow server's registry is bound to its own backend store.
    """
    from reference_backend.instances import get_instance

    return get_instance(store_uri).registry_store


def workspace_store(workspace_uri: str) -> RegistryStore:
    """Builder for ``mlflow.workspace_provider`` (MLflow 3.10+), called as ``(workspace_uri=)``:
    the instance's registry store, which keeps each workspace's models apart."""
    from reference_backend.instances import get_instance

    return get_instance(workspace_uri).registry_store
