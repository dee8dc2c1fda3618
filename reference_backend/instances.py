"""Named reference-backend instances: ``memory://NAME`` is one registry per process.

MLflow builds stores from URIs, possibly many times and from several threads, so every URI with
the same name must resolve to the same state. Instances live in a module-level table guarded by
a lock; different names are independent registries (a second one stands in for a foreign
tracking server). Each instance owns a temporary folder for artifacts, removed when the instance
is dropped or at interpreter exit.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import urllib.parse
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.utils.uri import resolve_uri_if_local

from reference_backend.tracking_store import InMemoryTrackingStore

if TYPE_CHECKING:
    from mlflow.store.model_registry.abstract_store import AbstractStore as RegistryStore

SCHEME = "memory"
DEFAULT_NAME = "default"


@dataclass(frozen=True)
class Address:
    """A parsed ``memory://NAME[?options]`` URI.

    ``options`` is parsed but must be empty for now; it is where capability profiles
    (``?profile=azureml``) will go.
    """

    name: str
    options: dict[str, str] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        return f"{SCHEME}://{self.name}"

    @classmethod
    def parse(cls, uri: str) -> Address:
        parsed = urllib.parse.urlsplit(uri)
        if parsed.scheme != SCHEME or parsed.path not in ("", "/") or parsed.fragment:
            raise MlflowException(
                f"Not a reference-backend URI: {uri!r}; expected '{SCHEME}://NAME'.",
                INVALID_PARAMETER_VALUE,
            )
        options = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
        if options:
            raise MlflowException(
                f"Unsupported options in {uri!r}: {sorted(options)}.", INVALID_PARAMETER_VALUE
            )
        return cls(name=parsed.netloc or DEFAULT_NAME, options=options)


@dataclass(frozen=True, eq=False)
class Instance:
    """One in-memory registry: tracking and registry stores sharing state and a temp folder."""

    name: str
    tracking_store: InMemoryTrackingStore
    registry_store: RegistryStore
    workdir: Path

    @property
    def uri(self) -> str:
        return Address(self.name).uri

    @property
    def artifact_root(self) -> str:
        return self.tracking_store.artifact_root_uri

    @property
    def proxied_artifacts_dir(self) -> Path:
        """Where a server for this instance keeps ``mlflow-artifacts:/`` uploads."""
        return self.workdir / "proxied-artifacts"


_lock = threading.Lock()
_instances: dict[str, Instance] = {}
_cleanups: dict[str, weakref.finalize] = {}


def _create(name: str, artifact_root: str | None) -> Instance:
    from reference_backend.registry_store import InMemoryRegistryStore

    workdir = Path(tempfile.mkdtemp(prefix=f"reference-backend-{name}-"))
    root = artifact_root or (workdir / "artifacts").as_uri()
    tracking = InMemoryTrackingStore(artifact_root_uri=root)
    instance = Instance(
        name=name,
        tracking_store=tracking,
        registry_store=InMemoryRegistryStore(tracking_store=tracking),
        workdir=workdir,
    )
    _cleanups[name] = weakref.finalize(instance, shutil.rmtree, workdir, ignore_errors=True)
    return instance


def get_instance(uri: str, artifact_root: str | None = None) -> Instance:
    """The instance a ``memory://`` URI names, created on first use.

    ``artifact_root`` only takes effect on creation (default: the instance's temp folder); asking
    for a different root later is an error rather than a silent surprise.
    """
    address = Address.parse(uri)
    with _lock:
        instance = _instances.get(address.name)
        if instance is None:
            instance = _instances[address.name] = _create(address.name, artifact_root)
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
