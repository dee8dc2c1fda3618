"""What a scenario reads to judge whether an operation left things alone (a refused call, or
one on something else): the state of models and versions, and ``state`` callables for
:meth:`Probe.feature` that hold what the scenario already knows instead of reading it again.

Nothing here wraps a call in the probe: the scenario decides which step is under test. Reads go
through the most basic registry calls, so they work against any target.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from conformance.scenarios.error_answers import MISSING

#: The states a version may report right after creation: READY, or still being registered.
CREATION_STATUSES = ("READY", "PENDING_REGISTRATION")


def latest_version_numbers(client: MlflowClient, name: str) -> tuple[str, ...] | None:
    """The versions ``get_registered_model`` lists as latest, or None when the model is missing.

    A cheap read of whatever a refused version creation could have changed.
    """
    try:
        model = client.get_registered_model(name)
    except MlflowException as exc:
        if exc.error_code == MISSING:
            return None
        raise
    return latest_numbers_of(model)


def latest_numbers_of(model: Any) -> tuple[str, ...]:
    """:func:`latest_version_numbers` of a registered model the registry has just answered with
    (``create_registered_model``'s answer: the model as it was created)."""
    return tuple(sorted(str(version.version) for version in model.latest_versions or []))


def latest_held(client: Any, name: str, numbers: tuple[str, ...]) -> Callable[[], Any]:
    """:func:`latest_version_numbers` as a ``state`` for :meth:`Probe.feature` whose answer
    before the call the scenario holds: ``numbers``."""
    return held(numbers, functools.partial(latest_version_numbers, client, name))


def held(value: Any, read: Callable[[], Any]) -> Callable[[], Any]:
    """A ``state`` for :meth:`Probe.feature` whose first answer the scenario already holds:
    ``value``, what ``read`` answered (or the registry told) with nothing written since. The
    state before the call is then not read again; after a refusal, ``read`` reads it."""
    return functools.partial(_held_or_read, iter([value]), read)


def _held_or_read(answers: Iterator[Any], read: Callable[[], Any]) -> Any:
    for value in answers:
        return value
    return read()


def version_state(client: Any, name: str, version: str) -> dict[str, Any] | None:
    """Every field of a version that an operation on something else could damage (aliases where
    the registry reports them), or ``None`` when the registry says the version does not exist.
    """
    try:
        read = client.get_model_version(name, str(version))
    except MlflowException as exc:
        if exc.error_code != MISSING:
            raise
        return None
    return state_of_version(read)


def state_of_version(read: Any) -> dict[str, Any]:
    """:func:`version_state` of a version already read (or just created: the registry's answer)."""
    return {
        "source": read.source,
        "run_id": read.run_id or None,  # REST stores send "" where in-process ones keep None
        "stage": read.current_stage,
        "status": read.status,
        "description": description_of(read),
        "tags": dict(read.tags or {}),
        "aliases": sorted(getattr(read, "aliases", None) or []),
    }


def model_state(client: Any, name: str) -> dict[str, Any] | None:
    """Every field of a registered model that an operation on something else could damage, or
    ``None`` when the registry says the model does not exist."""
    try:
        model = client.get_registered_model(name)
    except MlflowException as exc:
        if exc.error_code != MISSING:
            raise
        return None
    return state_of_model(model)


def state_of_model(model: Any) -> dict[str, Any]:
    """:func:`model_state` of a registered model already read."""
    aliases = getattr(model, "aliases", None) or {}
    return {
        "tags": dict(model.tags or {}),
        "description": description_of(model),
        "aliases": {alias: str(version) for alias, version in aliases.items()},
        "latest_versions": sorted(
            (str(version.version), version.current_stage) for version in model.latest_versions or []
        ),
    }


def versions_state(
    client: Any, name: str, versions: Iterable[str]
) -> dict[str, dict[str, Any] | None]:
    """:func:`version_state` of each of ``versions`` of ``name``."""
    return {str(version): version_state(client, name, version) for version in versions}


def registry_state(client: Any, models: dict[str, Iterable[str]]) -> dict[str, Any]:
    """The full state of some models and versions (``{name: versions}``), for the checks that
    an operation left them alone: compare it before and after."""
    return {
        name: {
            "model": model_state(client, name),
            "versions": versions_state(client, name, versions),
        }
        for name, versions in models.items()
    }


def created_state(client: Any, name: str, created: dict[str, ModelVersion]) -> Callable[[], Any]:
    """:func:`registry_state` of ``name`` and some of its versions as a ``state`` (for
    :meth:`Probe.feature`, :func:`best_effort`, :func:`mark_version`) whose versions' part
    before the call the scenario holds: ``created`` (version -> the registry's last answer about
    it, creating or reading it), with nothing written on those versions since. The model is read
    (its latest versions moved since); every later call reads all. If an answer shows a version
    still being registered, all are read."""
    read = functools.partial(registry_state, client, {name: list(created)})
    if any(answer.status != "READY" for answer in created.values()):
        return read
    return functools.partial(_held_or_read, _model_read_with(client, name, created), read)


def _model_read_with(client: Any, name: str, created: dict[str, ModelVersion]) -> Iterator[Any]:
    """The first answer of :func:`created_state`, read when it is asked for."""
    versions = {version: state_of_version(answer) for version, answer in created.items()}
    yield {name: {"model": model_state(client, name), "versions": versions}}


def version_tags(client: Any, name: str, version: str) -> dict[str, str]:
    return dict(client.get_model_version(name, version).tags or {})


def description_of(entity: Any) -> str:
    """A description as text: REST stores send ``""`` where in-process stores keep ``None``."""
    return entity.description or ""
