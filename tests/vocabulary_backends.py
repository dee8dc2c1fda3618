"""Registries that answer some operations with one word of the refusal vocabulary, always.

Each case wraps a reference backend's registry store so that the named operations raise one
MLflow error, whatever they are asked; everything else is the reference backend's own. Used two
ways by ``tests/test_vocabulary_verdicts.py``:

* in-process: importing this module (``pytest -p tests.vocabulary_backends``) registers the
  store scheme ``vocab``; ``vocab://<case>`` is a reference instance of its own, so wrapped;
* over HTTP: :func:`answering_store` wraps the store that MLflow's handlers serve, which turn
  the error into MLflow's own HTTP answer (status and JSON body).
"""

from __future__ import annotations

import functools
import inspect
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import (
    ENDPOINT_NOT_FOUND,
    INVALID_PARAMETER_VALUE,
    PERMISSION_DENIED,
    RESOURCE_DOES_NOT_EXIST,
)
from mlflow.store.model_registry.abstract_store import AbstractStore
from mlflow.tracking._model_registry.utils import _get_store_registry
from mlflow.tracking._tracking_service.utils import _tracking_store_registry
from mlflow.tracking._workspace.registry import _get_workspace_store_registry

from reference_backend.instances import Instance, get_instance

SCHEME = "vocab"
#: Every operation of MLflow's registry-store interface.
REGISTRY_OPERATIONS = frozenset(
    name
    for name, member in inspect.getmembers(AbstractStore, inspect.isfunction)
    if not name.startswith("_")
)


@dataclass(frozen=True)
class Case:
    operations: frozenset[str]
    code: int
    message: str


CASES = {
    # "does not exist" about the version the scenario has just created: a wrong answer
    "lost-versions": Case(
        frozenset({"get_model_version"}), RESOURCE_DOES_NOT_EXIST, "Model Version not found"
    ),
    # a right is missing, which says nothing about renaming
    "denied-renames": Case(
        frozenset({"rename_registered_model"}),
        PERMISSION_DENIED,
        "User lacks permission to rename registered models",
    ),
    # a tracking server without a model registry
    "no-registry": Case(
        REGISTRY_OPERATIONS, ENDPOINT_NOT_FOUND, "This server has no model registry endpoints"
    ),
}


class AnsweringStore:
    """A registry store whose ``case`` operations all raise the case's error."""

    def __init__(self, inner: Any, case: Case) -> None:
        self.inner = inner
        self.case = case

    def __getattr__(self, name: str) -> Any:
        original = getattr(self.inner, name)
        if name not in self.case.operations:
            return original
        return _raising(original, self.case)


def _raising(original: Callable[..., Any], case: Case) -> Callable[..., Any]:
    @functools.wraps(original)  # MLflow's client inspects some store methods' signatures
    def answer(*args: Any, **kwargs: Any) -> Any:
        raise MlflowException(case.message, error_code=case.code)

    return answer


def answering_store(inner: Any, case: str) -> AnsweringStore:
    return AnsweringStore(inner, CASES[case])


def _instance_and_case(store_uri: str) -> tuple[Instance, str]:
    parsed = urllib.parse.urlsplit(store_uri)
    if parsed.scheme != SCHEME or parsed.netloc not in CASES:
        raise MlflowException(
            f"Not a vocabulary-backend URI: {store_uri!r}; expected '{SCHEME}://<case>' with a "
            f"case of {sorted(CASES)}",
            INVALID_PARAMETER_VALUE,
        )
    return get_instance(f"memory://vocab-{parsed.netloc}"), parsed.netloc


_stores: dict[str, AnsweringStore] = {}


def registry_store(store_uri: str, tracking_uri: str | None = None, **_: Any) -> Any:
    """Builder for MLflow's registry-store registry, called as ``(store_uri=, tracking_uri=)``."""
    instance, case = _instance_and_case(store_uri)
    return _stores.setdefault(case, answering_store(instance.registry_store, case))


def tracking_store(store_uri: str, artifact_uri: str | None = None) -> Any:
    """Builder for MLflow's tracking-store registry, called as ``(store_uri=, artifact_uri=)``."""
    return _instance_and_case(store_uri)[0].tracking_store


def workspace_store(workspace_uri: str) -> Any:
    """Builder for MLflow's workspace-provider registry (3.10+): the registry store, which is its
    own workspace provider as the reference store is."""
    return registry_store(workspace_uri)


_get_store_registry().register(SCHEME, registry_store)
_tracking_store_registry.register(SCHEME, tracking_store)
_get_workspace_store_registry().register(SCHEME, workspace_store)
