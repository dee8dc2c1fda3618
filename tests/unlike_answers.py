"""A registry whose answer to creating a version shows less than a read of it: it gives every new
version a tag of its own (an owner, say, as a managed registry may), which reads show and the
creation answer does not. It refuses stage transitions cleanly.

Importing this module (``pytest -p tests.unlike_answers``) registers the MLflow store scheme
``unlike``; ``unlike://registry`` is a reference-backend instance of its own, so wrapped. The
scenarios hold creation answers instead of reading the versions again: a refusal there must
still be judged a clean one, not "refused but changed the state" (its tag was there all along).
"""

from __future__ import annotations

import functools
from typing import Any

from mlflow.entities.model_registry import ModelVersionTag
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import NOT_IMPLEMENTED
from mlflow.tracking._model_registry.utils import _get_store_registry
from mlflow.tracking._tracking_service.utils import _tracking_store_registry

from reference_backend.instances import get_instance

SCHEME = "unlike"
#: The tag the registry adds to every version it creates, shown by reads only.
OWN_TAG = ModelVersionTag("registry.owner", "registry-conformance-tests")


class UnlikeAnswersStore:
    """The reference registry store, tagging each new version after answering its creation."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        original = getattr(self.inner, name)
        if name == "create_model_version":
            return self._tagging(original)
        if name == "transition_model_version_stage":
            return self._refusing(original)
        return original

    def _tagging(self, original: Any) -> Any:
        @functools.wraps(original)  # MLflow's client inspects some store methods' signatures
        def create(*args: Any, **kwargs: Any) -> Any:
            answer = original(*args, **kwargs)
            self.inner.set_model_version_tag(answer.name, answer.version, OWN_TAG)
            return answer

        return create

    @staticmethod
    def _refusing(original: Any) -> Any:
        @functools.wraps(original)
        def refuse(*args: Any, **kwargs: Any) -> Any:
            raise MlflowException("This registry has no stages", error_code=NOT_IMPLEMENTED)

        return refuse


_stores: dict[str, UnlikeAnswersStore] = {}


def registry_store(store_uri: str, tracking_uri: str | None = None, **_: Any) -> Any:
    instance = get_instance(f"memory://{SCHEME}")
    return _stores.setdefault(store_uri, UnlikeAnswersStore(instance.registry_store))


def tracking_store(store_uri: str, artifact_uri: str | None = None) -> Any:
    return get_instance(f"memory://{SCHEME}").tracking_store


_get_store_registry().register(SCHEME, registry_store)
_tracking_store_registry.register(SCHEME, tracking_store)
