"""Named reference-backend instances: ``memory://NAME`` is one registry per process.

MLflow builds stores from URIs, possibly many times and from several threads, so every URI with
the same name must resolve to the same state. Instances live in a module-level table guarded by
a lock; different names are independent registries (a second one stands in for a foreign
tracking server). Each instance owns a temporary folder for artifacts, removed when the instance
is dropped or at interpreter exit.

``memory://NAME?emulate=EMULATION`` makes the instance emulate a platform (``emulations.py``) when
it is created. The emulation belongs to the instance, not to the URI: the same name asked for with
another emulation (or none) is an error, not a second registry, so a tracking URI and a registry
URI can never silently disagree about which platform they emulate.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import urllib.parse
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.utils.uri import resolve_uri_if_local

from reference_backend.emulations import EMULATIONS, UNRESTRICTED, Emulation
from reference_backend.tracking_store import InMemoryTrackingStore

if TYPE_CHECKING:
    from mlflow.store.model_registry.abstract_store import AbstractStore as RegistryStore

SCHEME = "memory"
DEFAULT_NAME = "default"
EMULATION_OPTION = "emulate"


@dataclass(frozen=True)
class Address:
    """A parsed ``memory://NAME[?emulate=EMULATION]`` URI; ``emulation`` is a name in
    EMULATIONS."""

    name: str
    emulation: str | None = None

    @property
    def uri(self) -> str:
        query = f"?{EMULATION_OPTION}={self.emulation}" if self.emulation else ""
        return f"{SCHEME}://{self.name}{query}"

    @classmethod
    def parse(cls, uri: str) -> Address:
        parsed = urllib.parse.urlsplit(uri)
        if parsed.scheme != SCHEME or parsed.path not in ("", "/") or parsed.fragment:
            raise MlflowException(
                f"Not a reference-backend URI: {uri!r}; expected "
                f"'{SCHEME}://NAME[?{EMULATION_OPTION}=EMULATION]'.",
                INVALID_PARAMETER_VALUE,
            )
        options = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        unknown = sorted(set(options) - {EMULATION_OPTION})
        if unknown:
            raise MlflowException(
                f"Unsupported options in {uri!r}: {unknown}; the only option is "
                f"'{EMULATION_OPTION}' (one of {', '.join(EMULATIONS)}).",
                INVALID_PARAMETER_VALUE,
            )
        emulations = options.get(EMULATION_OPTION, [])
        if len(emulations) > 1 or (emulations and emulations[0] not in EMULATIONS):
            raise MlflowException(
                f"Unknown emulation in {uri!r}: {' and '.join(map(repr, emulations))}; "
                f"valid emulations: {', '.join(EMULATIONS)}.",
                INVALID_PARAMETER_VALUE,
            )
        emulation = emulations[0] if emulations else None
        return cls(name=parsed.netloc or DEFAULT_NAME, emulation=emulation)


@dataclass(frozen=True, eq=False)
class Instance:
    """One in-memory registry: tracking and registry stores sharing state and a temp folder."""

    name: str
    tracking_store: InMemoryTrackingStore
    registry_store: RegistryStore
    workdir: Path
    emulation: Emulation = UNRESTRICTED

    @property
    def uri(self) -> str:
        emulated = self.emulation is not UNRESTRICTED
        return Address(self.name, self.emulation.name if emulated else None).uri

    @property
    def artifact_root(self) -> str:
        return self.tracking_store.artifact_root_uri

    @property
    def proxied_artifacts_dir(self) -> Path:
        """Where a server for this instance keeps ``mlflow-artifacts:/`` uploads."""
        return self.workdir / _PROXIED_ARTIFACTS


_PROXIED_ARTIFACTS = "proxied-artifacts"
_lock = threading.Lock()
_instances: dict[str, Instance] = {}
_cleanups: dict[str, weakref.finalize] = {}


def _create(name: str, artifact_root: str | None, emulation: Emulation) -> Instance:
    from reference_backend.emulation_guard import EmulationGuard
    from reference_backend.registry_store import InMemoryRegistryStore

    workdir = Path(tempfile.mkdtemp(prefix=f"reference-backend-{name}-"))
    root = artifact_root or (workdir / "artifacts").as_uri()
    tracking = InMemoryTrackingStore(artifact_root_uri=root)
    guard = EmulationGuard(emulation, tracking, workdir / _PROXIED_ARTIFACTS)
    instance = Instance(
        name=name,
        tracking_store=tracking,
        registry_store=InMemoryRegistryStore(tracking_store=tracking, guard=guard),
        workdir=workdir,
        emulation=emulation,
    )
    _cleanups[name] = weakref.finalize(instance, shutil.rmtree, workdir, ignore_errors=True)
    return instance


def get_instance(uri: str, artifact_root: str | None = None) -> Instance:
    """The instance a ``memory://`` URI names, created on first use.

    ``artifact_root`` and the URI's emulation only take effect on creation (default: the
    instance's temp folder, no emulation); asking for a different root or emulation later is an
    error rather than a silent surprise.
    """
    address = Address.parse(uri)
    emulation = EMULATIONS[address.emulation] if address.emulation else UNRESTRICTED
    with _lock:
        instance = _instances.get(address.name)
        if instance is None:
            instance = _instances[address.name] = _create(address.name, artifact_root, emulation)
        elif instance.emulation is not emulation:
            raise MlflowException(
                f"{instance.uri} already exists with emulation {instance.emulation.name!r}; it "
                f"cannot be reopened as {address.uri} (emulation {emulation.name!r}). Use another "
                "NAME for another emulation.",
                INVALID_PARAMETER_VALUE,
            )
        elif artifact_root and resolve_uri_if_local(artifact_root) != instance.artifact_root:
            raise MlflowException(
                f"{address.uri} already exists with artifact root {instance.artifact_root!r}; "
                f"it cannot be reopened with {artifact_root!r}.",
                INVALID_PARAMETER_VALUE,
            )
        return instance


def drop_instance(uri: str) -> bool:
    """Forget an instance and delete its temp folder; the next use of the URI starts empty.

    Returns whether there was one. MLflow caches stores per URI, so its caches are cleared too.
    """
    name = Address.parse(uri).name
    with _lock:
        instance = _instances.pop(name, None)
        cleanup = _cleanups.pop(name, None)
    if cleanup is not None:
        cleanup()
    _clear_mlflow_store_caches()
    return instance is not None


def _clear_mlflow_store_caches() -> None:
    # MLflow memoizes store builders with functools.lru_cache keyed by URI (private API).
    from mlflow.tracking._model_registry.registry import ModelRegistryStoreRegistry
    from mlflow.tracking._tracking_service.registry import TrackingStoreRegistry

    TrackingStoreRegistry._get_store_with_resolved_uri.cache_clear()
    ModelRegistryStoreRegistry._get_store_with_resolved_uri.cache_clear()
