"""Workspaces of one reference registry: MLflow's workspace-provider API over per-workspace
partitions of the registry's models (MLflow 3.10+, as ``mlflow server --enable-workspaces``).

The registry store is its own workspace provider (``mlflow.workspace_provider`` entry point):
its workspaces and its models share one lock, so a workspace deleted in ``RESTRICT`` mode is
checked empty and removed in one step. The active workspace is MLflow's own: the request's
(``X-MLFLOW-WORKSPACE``, resolved by MLflow's server middleware) or the client's
(``mlflow.set_workspace``, ``MLFLOW_WORKSPACE``), else ``default``. Inside an MLflow older than
3.10 there are no workspaces: every model is in the default partition.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import (
    FEATURE_DISABLED,
    INVALID_PARAMETER_VALUE,
    INVALID_STATE,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
)

from reference_backend.name_index import NameIndex

try:  # MLflow 3.10+
    from mlflow.entities import Workspace
    from mlflow.entities.workspace import WorkspaceDeletionMode
    from mlflow.store.workspace.abstract_store import WorkspaceNameValidator
    from mlflow.utils.workspace_context import get_request_workspace

    MLFLOW_HAS_WORKSPACES = True
except ImportError:  # before MLflow 3.10: no workspaces, and entities have no workspace field
    MLFLOW_HAS_WORKSPACES = False

#: MLflow's name of the workspace every model is in where no other is selected.
DEFAULT_WORKSPACE_NAME = "default"


@dataclass
class Partition:
    """One workspace: its metadata and its registered models (``Any``: the store's records)."""

    name: str
    description: str | None = None
    default_artifact_root: str | None = None
    models: dict[str, Any] = field(default_factory=dict)
    names: NameIndex = field(default_factory=NameIndex)

    def entity(self) -> Workspace:
        return Workspace(self.name, self.description, self.default_artifact_root)


def active_workspace() -> str:
    """The workspace the current request or client has selected (``default`` when none)."""
    selected = get_request_workspace() if MLFLOW_HAS_WORKSPACES else None
    return selected or DEFAULT_WORKSPACE_NAME


def entity_workspace() -> dict[str, str]:
    """The ``workspace`` field of a registry entity, where MLflow's entities have one (3.10+)."""
    return {"workspace": active_workspace()} if MLFLOW_HAS_WORKSPACES else {}


def _mode(mode: Any) -> WorkspaceDeletionMode:
    """A deletion mode as MLflow's ``WorkspaceDeletionMode`` (which MLflow passes, or its exact
    value); anything else is refused, as MLflow's SQL store refuses it, never taken for one."""
    try:
        return WorkspaceDeletionMode(mode)
    except ValueError:
        modes = ", ".join(known.value for known in WorkspaceDeletionMode)
        raise MlflowException(
            f"Invalid workspace deletion mode {mode!r}. Expected one of: {modes}.",
            INVALID_PARAMETER_VALUE,
        ) from None


def _missing(name: str) -> MlflowException:
    return MlflowException(f"Workspace '{name}' not found", RESOURCE_DOES_NOT_EXIST)


class WorkspaceProvider:
    """MLflow's workspace-store API (``mlflow.store.workspace.abstract_store.AbstractStore``)
    for a store that keeps its models in :class:`Partition` s under ``_lock``."""

    _lock: threading.RLock
    _partitions: dict[str, Partition]
    #: Whether the store keeps workspaces apart (MLflow's ``supports_workspaces``).
    supports_workspaces: bool

    def _init_workspaces(self) -> None:
        self._partitions = {DEFAULT_WORKSPACE_NAME: Partition(DEFAULT_WORKSPACE_NAME)}

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
            return [partition.entity() for partition in self._partitions.values()]

    def get_workspace(self, workspace_name: str) -> Workspace:
        with self._lock:
            return self._named(workspace_name).entity()

    def _named(self, name: str) -> Partition:
        partition = self._partitions.get(name)
        if partition is None:
            raise _missing(name)
        return partition

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
            created = Partition(
                workspace.name, workspace.description, workspace.default_artifact_root or None
            )
            self._partitions[workspace.name] = created
            return created.entity()

    def update_workspace(self, workspace: Workspace) -> Workspace:
        with self._lock:
            partition = self._named(workspace.name)
            if workspace.description is not None:
                partition.description = workspace.description
            if workspace.default_artifact_root is not None:
                partition.default_artifact_root = workspace.default_artifact_root or None
            return partition.entity()

    def delete_workspace(self, workspace_name: str, mode: Any = "RESTRICT") -> None:
        if workspace_name == DEFAULT_WORKSPACE_NAME:
            raise MlflowException(
                f"Cannot delete the reserved '{DEFAULT_WORKSPACE_NAME}' workspace", INVALID_STATE
            )
        mode = _mode(mode)
        with self._lock:
            partition = self._named(workspace_name)
            if partition.models and mode is WorkspaceDeletionMode.RESTRICT:
                raise MlflowException(
                    f"Cannot delete workspace '{workspace_name}': it still holds "
                    f"{len(partition.models)} registered model(s). Remove or reassign them first.",
                    INVALID_STATE,
                )
            if mode is WorkspaceDeletionMode.SET_DEFAULT:
                self._move_to_default(partition)
            del self._partitions[workspace_name]

    def _move_to_default(self, partition: Partition) -> None:
        default = self._partitions[DEFAULT_WORKSPACE_NAME]
        if taken := sorted(partition.models.keys() & default.models.keys()):
            raise MlflowException(
                f"Cannot delete workspace '{partition.name}': its registered models "
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
