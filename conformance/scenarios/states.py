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
    return CreatedState(client, name, created, read)


#: registry URI -> the fields of :func:`state_of_version` in which its answer creating a version
#: differs from a read of that version right after: learned once, by a control version, when a
#: held answer first meets a read that differs from it after a refusal.
_ANSWER_ONLY_FIELDS: dict[str | None, frozenset[str]] = {}


class CreatedState:
    """:func:`created_state`'s state. Its first answer holds what the registry answered about the
    versions; a later read that differs from it in a field where this registry's answers always
    differ from its reads (tags it adds, say) shows no change there: :meth:`changed` leaves such
    fields out, so that a clean refusal is not taken for a refusal that changed the state."""

    def __init__(
        self, client: Any, name: str, created: dict[str, ModelVersion], read: Callable[[], Any]
    ) -> None:
        self._client, self._name, self._created, self._read = client, name, created, read
        self._first = _model_read_with(client, name, created)
        self._held = False

    def __call__(self) -> Any:
        for value in self._first:
            self._held = True
            return value
        return self._read()

    def changed(self, before: Any, after: Any) -> bool:
        if before == after or not self._held:
            return before != after
        ignored = self._answer_only_fields()
        return _without_fields(before, ignored) != _without_fields(after, ignored)

    def _answer_only_fields(self) -> frozenset[str]:
        """Create a version like the first held one and compare its answer with a read of it."""
        uri = getattr(self._client, "_registry_uri", None)
        if uri not in _ANSWER_ONLY_FIELDS:
            like = next(iter(self._created.values()))
            try:
                answer = self._client.create_model_version(
                    self._name, like.source, run_id=like.run_id or None
                )
                read = version_state(self._client, self._name, str(answer.version))
            except MlflowException:
                return frozenset()  # no control: every field is judged
            made = state_of_version(answer)
            _ANSWER_ONLY_FIELDS[uri] = frozenset(
                field for field, value in made.items() if read is None or read[field] != value
            )
        return _ANSWER_ONLY_FIELDS[uri]


def _model_read_with(client: Any, name: str, created: dict[str, ModelVersion]) -> Iterator[Any]:
    """The first answer of :func:`created_state`, read when it is asked for."""
    versions = {version: state_of_version(answer) for version, answer in created.items()}
    yield {name: {"model": model_state(client, name), "versions": versions}}


def _without_fields(state: Any, fields: frozenset[str]) -> Any:
    """A :func:`registry_state` without ``fields`` of its versions."""
    if not fields or not isinstance(state, dict):
        return state
    return {
        name: {
            **entry,
            "versions": {
                version: None
                if fields_of is None
                else {key: value for key, value in fields_of.items() if key not in fields}
                for version, fields_of in entry["versions"].items()
            },
        }
        for name, entry in state.items()
    }


def version_tags(client: Any, name: str, version: str) -> dict[str, str]:
    return dict(client.get_model_version(name, version).tags or {})


def description_of(entity: Any) -> str:
    """A description as text: REST stores send ``""`` where in-process stores keep ``None``."""
    return entity.description or ""
