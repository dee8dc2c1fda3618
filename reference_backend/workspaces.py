"""Workspaces of one reference registry: MLflow's workspace-provider API over per-workspace
partitions of the registry's models (MLflow 3.10+, as ``mlflow server --enable-workspaces``).

The registry store is its own workspace provider (``mlflow.workspace_provider`` entry point):
its workspaces and its models share one lock, so a workspace deleted in ``RESTRICT`` mode is
checked empty and removed in one step. The active workspace is MLflow's own: the request's
(``X-MLFLOW-WORKSPACE``, resolved by MLflow's server middleware) or the client's
(``mlflow.set_workspace``, ``MLFLOW_WORKSPACE``), else ``default``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from mlflow.entities import Workspace
from mlflow.entities.workspace import WorkspaceDeletionMode
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import (
    FEATURE_DISABLED,
    INVALID_STATE,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
)
from mlflow.store.workspace.abstract_store import WorkspaceNameValidator
from mlflow.utils.workspace_context import get_request_workspace
from mlflow.utils.workspace_utils import DEFAULT_WORKSPACE_NAME

from reference_backend.name_index import NameIndex


@dataclass
class Partition:
    """One workspace: its metadata and its registered models (``Any``: the store's records)."""

    workspace: Workspace
    models: dict[str, Any] = field(default_factory=dict)
    names: NameIndex = field(default_factory=NameIndex)


def active_workspace() -> str:
    """The workspace the current request or client has selected (``default`` when none)."""
    return get_request_workspace() or DEFAULT_WORKSPACE_NAME


def _missing(name: str) -> MlflowException:
    return MlflowException(f"Workspace '{name}' not found", RESOURCE_DOES_NOT_EXIST)


class WorkspaceProvider:
    """MLflow's workspace-store API (``mlflow.store.workspace.abstract_store.AbstractStore``)
    for a store that keeps its models in :class:`Partition` s under ``_lock``."""

    _lock: threading.RLock
    _partitions: dict[str, Partition]

    def _init_workspaces(self) -> None:
        self._partitions = {DEFAULT_WORKSPACE_NAME: Partition(Workspace(DEFAULT_WORKSPACE_NAME))}

    @property
    def supports_workspaces(self) -> bool:
        return True

    def _partition(self) -> Partition:
        """The active workspace's partition (callers hold the lock); the default one where the
        store has no workspaces, as MLflow's stores without workspaces ignore the selection."""
        name = active_workspace() if self.supports_workspaces else DEFAULT_WORKSPACE_NAME
        partition = self._partitions.get(name)
        if partition is None:
            raise _missing(name)
        return partition

    def list_workspaces(self) -> list[Workspace]:
        with self._lock:
            return [partition.workspace for partition in self._partitions.values()]

    def get_workspace(self, workspace_name: str) -> Workspace:
        with self._lock:
            partition = self._partitions.get(workspace_name)
            if partition is None:
                raise _missing(workspace_name)
            return partition.workspace

    def get_default_workspace(self) -> Workspace:
        return self.get_workspace(DEFAULT_WORKSPACE_NAME)

    def create_workspace(self, workspace: Workspace) -> Workspace:
        if not self.supports_workspaces:
            raise MlflowException("This registry has no workspaces.", FEATURE_DISABLED)
        WorkspaceNameValidator.validate(workspace.name)
        with self._lock:
            if workspace.name in self._partitions:
                raise MlflowException(
                    f"Workspace '{workspace.name}' already exists.", RESOURCE_ALREADY_EXISTS
                )
            created = Workspace(
                workspace.name, workspace.description, workspace.default_artifact_root or None
            )
            self._partitions[workspace.name] = Partition(created)
            return created

    def update_workspace(self, workspace: Workspace) -> Workspace:
        with self._lock:
            current = self.get_workspace(workspace.name)
            changes: dict[str, Any] = {}
            if workspace.description is not None:
                changes["description"] = workspace.description
            if workspace.default_artifact_root is not None:
                changes["default_artifact_root"] = workspace.default_artifact_root or None
            updated = Workspace(
                current.name,
                changes.get("description", current.description),
                changes.get("default_artifact_root", current.default_artifact_root),
            )
            self._partitions[workspace.name].workspace = updated
            return updated

    def delete_workspace(
        self, workspace_name: str, mode: WorkspaceDeletionMode = WorkspaceDeletionMode.RESTRICT
    ) -> None:
        if workspace_name == DEFAULT_WORKSPACE_NAME:
            raise MlflowException(
                f"Cannot delete the reserved '{DEFAULT_WORKSPACE_NAME}' workspace", INVALID_STATE
            )
        with self._lock:
            partition = self._partitions.get(workspace_name)
            if partition is None:
                raise _missing(workspace_name)
            if partition.models and mode == WorkspaceDeletionMode.RESTRICT:
                raise MlflowException(
                    f"Cannot delete workspace '{workspace_name}': it still holds "
                    f"{len(partition.models)} registered model(s). Remove or reassign them first.",
                    INVALID_STATE,
                )
            if mode == WorkspaceDeletionMode.SET_DEFAULT:
                self._move_to_default(partition)
            del self._partitions[workspace_name]

    def _move_to_default(self, partition: Partition) -> None:
        default = self._partitions[DEFAULT_WORKSPACE_NAME]
        if taken := sorted(partition.models.keys() & default.models.keys()):
            raise MlflowException(
                f"Cannot delete workspace '{partition.workspace.name}': its registered models "
                f"{taken} conflict with models of the '{DEFAULT_WORKSPACE_NAME}' workspace.",
                INVALID_STATE,
            )
        for name, model in partition.models.items():
            default.models[name] = model
            default.names.add(name)

    def resolve_artifact_root(
        self, default_artifact_root: str | None, workspace_name: str
    ) -> tuple[str | None, bool]:
        """MLflow's default: the server's root, with ``/workspaces/<name>`` appended."""
        return default_artifact_root, True
