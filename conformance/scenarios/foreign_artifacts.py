"""Seed row 4's helpers (``test_register_from_foreign_run``): which storage the foreign run's
artifacts live in, named in every reason of its scenarios."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from mlflow.utils.uri import is_local_uri

#: Where MLflow's artifact proxy serves artifacts, as an ``http(s)`` artifact location spells it.
_PROXY_ROUTE = "/api/2.0/mlflow-artifacts/artifacts"


@dataclass(frozen=True)
class ForeignModel:
    run_id: str
    #: Where the foreign server keeps the model's folder (the run's ``model`` artifact folder,
    #: or the logged model's artifact location).
    artifact_location: str
    #: :func:`foreign_storage` of that location: the deployment the scenario measures.
    storage: str
    #: What the model's folder holds (relative path -> bytes), as the producer has it.
    files: dict[str, bytes]


def foreign_storage(artifact_location: str, foreign_tracking_uri: str) -> str:
    """The scheme and kind of the foreign run's artifact storage, for a reader of the report."""
    parts = urlsplit(artifact_location)
    if parts.scheme == "mlflow-artifacts" or _PROXY_ROUTE in parts.path:
        return f"{parts.scheme}: proxied by the foreign tracking server"
    if is_local_uri(artifact_location):
        if urlsplit(foreign_tracking_uri).scheme == "memory":
            return "file: folder of the in-process memory:// foreign instance"
        return "file: local path"
    return f"{parts.scheme}: storage addressed directly by URI (not proxied)"


def measured_with(model: ForeignModel) -> str:
    """The deployment, as every reason of a row-4 scenario names it."""
    return f"foreign artifacts: {model.storage}"


def accepted_version(model: ForeignModel) -> str:
    """What the target accepted, as a consumer's step after the registration names it."""
    return f"the foreign version ({measured_with(model)})"
