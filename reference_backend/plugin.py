"""MLflow store builders for the ``memory://`` scheme (the entry points in pyproject.toml).

MLflow loads this module while it is itself being imported, so the builders import the
backend lazily: a top-level import of MLflow's store modules here could be circular.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlflow.store.model_registry.abstract_store import AbstractStore as RegistryStore

    from reference_backend.tracking_store import InMemoryTrackingStore


#: The oldest MLflow whose store API the backend implements (MLflow 3's logged models and
#: prompt tag, the store ABCs since 3.1): in-process it runs inside the installed MLflow, so
#: older clients use it served (``reference-backend serve``) by a newer one.
OLDEST_MLFLOW = "3.1"


class UnsupportedMlflow(RuntimeError):
    """The installed MLflow is older than :data:`OLDEST_MLFLOW`."""


def check_mlflow() -> None:
    """Refuse in one line to run inside an MLflow whose store API the backend does not have."""
    from importlib.metadata import version

    from packaging.version import Version

    installed = version("mlflow")
    if Version(installed) < Version(OLDEST_MLFLOW):
        raise UnsupportedMlflow(
            f"the reference backend runs in MLflow {OLDEST_MLFLOW} or newer, not in the installed "
            f"mlflow {installed}: serve it from an environment with a newer MLflow "
            "(reference-backend serve) and give its URL as --registry-uri"
        )


def tracking_store(store_uri: str, artifact_uri: str | None = None) -> InMemoryTrackingStore:
    """Builder for ``mlflow.tracking_store``; MLflow calls it as ``(store_uri=, artifact_uri=)``."""
    check_mlflow()
    from reference_backend.instances import get_instance

    return get_instance(store_uri, artifact_root=artifact_uri).tracking_store


def registry_store(store_uri: str, tracking_uri: str | None = None, **_: Any) -> RegistryStore:
    """Builder for ``mlflow.model_registry_store``, called as ``(store_uri=, tracking_uri=)``.

    The registry is bound to its own instance's tracking store whatever ``tracking_uri`` says,
    as an MLflow server's registry is bound to its own backend store.
    """
    check_mlflow()
    from reference_backend.instances import get_instance

    return get_instance(store_uri).registry_store
