"""Bystander marks: a tag, a description, an alias and a stage, set best-effort on models and
versions that an operation on something else must leave alone, so that damage shows in their
state. A mark the registry accepted must read back, at once or in a state the scenario reads
anyway (:func:`check_marks`).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from mlflow.entities.model_registry import ModelVersion

from conformance.run.probe import Probe
from conformance.run.registry_client import direct
from conformance.scenarios.prerequisites import UNREAD, best_effort
from conformance.scenarios.stages import stage_api
from conformance.scenarios.states import created_state, model_state, registry_state, version_state


@dataclass(frozen=True)
class Marks:
    """The marks a registry accepted on a model (``version`` None) or a version, to be checked
    in a state the scenario reads anyway (:func:`check_marks`) instead of read back at once."""

    name: str
    version: str | None
    expected: dict[str, str]

    @property
    def what(self) -> str:
        return self.name if self.version is None else f"{self.name} v{self.version}"


def check_marks(probe: Probe, snapshot: dict[str, Any], marks: Iterable[Marks]) -> None:
    """Check marks in a :func:`registry_state` that covers them, read after they were set: a
    mark that was accepted but does not read back is a broken prerequisite."""
    for mark in marks:
        with probe.prerequisite(f"read back the marks of {mark.what}"):
            entry = snapshot.get(mark.name) or {}
            if mark.version is None:
                state = entry.get("model")
            else:
                state = (entry.get("versions") or {}).get(mark.version)
            assert state is not None, f"{mark.what} is missing after it was marked"
            _assert_marks_kept(mark.what, mark.expected, _marks_found(state))


def _marks_found(state: dict[str, Any]) -> dict[str, Any]:
    """The marks in a :func:`model_state` or :func:`version_state` (a version has a stage)."""
    found = {"tag rc.mark": state["tags"].get("rc.mark"), "description": state["description"]}
    if "stage" in state:
        found["stage"] = state["stage"]
    return found


def mark_model(
    client: Any, probe: Probe, name: str, *, pending: list[Marks] | None = None
) -> dict[str, Any] | None:
    """Give a registered model a tag and a description, each best-effort: marks that a careless
    operation on something else would damage, so that :func:`registry_state` shows it. A mark
    the registry accepted must read back (else the prerequisite broke): a check that compares
    states must not pass because the marks were never kept. Returns the model's state as read
    back; with ``pending``, nothing is read back: the marks are added to it, for
    :func:`check_marks` in a state the scenario reads next.

    The state is read once before the marks: each accepted mark changes exactly its own field,
    so the state before the next one is known (a refusal is still compared with it)."""
    registry = direct(client)
    # (mark as read back, value), the step, and the field of model_state it sets
    marks = (
        (
            ("tag rc.mark", name),
            lambda: registry.set_registered_model_tag(name, "rc.mark", name),
            lambda known: known["tags"].update({"rc.mark": name}),
        ),
        (
            ("description", f"model {name}"),
            lambda: registry.update_registered_model(name, description=f"model {name}"),
            lambda known: known.update(description=f"model {name}"),
        ),
    )
    calls = ("set_registered_model_tag", "update_registered_model")
    expected = {}
    state = functools.partial(model_state, client, name)
    known = state()
    for call, (mark, step, effect) in zip(calls, marks, strict=True):
        if best_effort(probe, call, step, state=state, before=known):
            expected[mark[0]] = mark[1]
            known = _after(known, effect)
    if pending is not None:
        pending.append(Marks(name, None, expected))
        return None
    with probe.prerequisite(f"read back the marks of {name}"):
        marked = model_state(client, name)
        assert marked is not None, f"{name} is missing after it was marked"
        _assert_marks_kept(name, expected, _marks_found(marked))
    return marked


def mark_version(
    client: Any,
    probe: Probe,
    name: str,
    version: str,
    *,
    under_test: Collection[str] = (),
    pending: list[Marks] | None = None,
    created: ModelVersion | None = None,
) -> dict[str, Any] | None:
    """Give a version a tag, a description, an alias and the stage Staging, each best-effort,
    like :func:`mark_model`. Aliases are only compared where a registry reports them on the
    version, so an accepted alias is not required to read back. Returns the version's
    :func:`version_state` as read back (``pending``: as :func:`mark_model`).

    ``under_test`` names the scenario's own calls under test: the mark one of them would set is
    left out. Its answer is evidence about the feature, which a best-effort step would turn into
    a broken prerequisite; the scenario makes such writes itself, under test.

    The state (model and version) is read before the first mark; an accepted tag or description
    changes exactly that field of the version, so the state before the next mark is known. So
    does an accepted alias, once a read after one has shown whether the registry reports aliases
    on models and on versions (learned once per registry and process); after a stage (which
    moves the model's latest versions) it is read again. ``created``, the registry's answer
    when it created the version (nothing written on it since), is the version's part of the
    first state (:func:`created_state`).
    """
    registry = direct(client)
    alias = f"mark{version}"
    reported = _ALIASES_REPORTED.get(getattr(client, "_registry_uri", None))

    def alias_effect(known: dict[str, Any]) -> None:
        model, entry = known[name]["model"], known[name]["versions"][version]
        if reported and reported[0]:
            model["aliases"] = {**model["aliases"], alias: version}
        if reported and reported[1]:
            entry["aliases"] = sorted({*entry["aliases"], alias})

    def version_field(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
        def effect(known: dict[str, Any]) -> None:
            entry = known[name]["versions"][version]
            if field == "tags":
                entry["tags"] = {**entry["tags"], **value}
            else:
                entry[field] = value

        return effect

    # (mark as read back, value) or None, the step, and its exact effect on registry_state (None
    # where it is not known), by the call that sets the mark
    marks: dict[str, tuple[tuple[str, str] | None, Callable[[], object], Any]] = {
        "set_model_version_tag": (
            ("tag rc.mark", f"v{version}"),
            lambda: registry.set_model_version_tag(name, version, "rc.mark", f"v{version}"),
            version_field("tags", {"rc.mark": f"v{version}"}),
        ),
        "update_model_version": (
            ("description", f"version {version}"),
            lambda: registry.update_model_version(name, version, description=f"version {version}"),
            version_field("description", f"version {version}"),
        ),
        "set_registered_model_alias": (
            None,
            lambda: registry.set_registered_model_alias(name, alias, version),
            alias_effect if reported else None,
        ),
        "transition_model_version_stage": (
            ("stage", "Staging"),
            lambda: registry.transition_model_version_stage(name, version, "Staging", False),
            None,
        ),
    }
    if unknown := set(under_test) - marks.keys():
        raise ValueError(f"mark_version sets no mark with {sorted(unknown)}")
    expected = {}
    state: Callable[[], Any] = functools.partial(registry_state, client, {name: [version]})
    if created is not None:
        state = created_state(client, name, {version: created})
    known: Any = UNREAD
    alias_kept = False
    for call, (mark, step, effect) in marks.items():
        if call in under_test:
            continue
        if known is UNREAD:
            known = state()
            if alias_kept and not reported:
                _learn_alias_reporting(client, known, name, version, alias)
        with stage_api():
            kept = best_effort(probe, call, step, state=state, before=known)
        if kept:
            known = UNREAD if effect is None else _after(known, effect)
            alias_kept = call == "set_registered_model_alias"
            if mark is not None:
                expected[mark[0]] = mark[1]
    if pending is not None:
        pending.append(Marks(name, version, expected))
        return None
    with probe.prerequisite(f"read back the marks of {name} v{version}"):
        marked = version_state(client, name, version)
        assert marked is not None, f"{name} v{version} is missing after it was marked"
        _assert_marks_kept(f"{name} v{version}", expected, _marks_found(marked))
    return marked


#: registry URI -> whether it reports an alias (on the model, on the version), as a read right
#: after an accepted alias showed it: what :func:`mark_version` expects of the next one.
_ALIASES_REPORTED: dict[str, tuple[bool, bool]] = {}


def _learn_alias_reporting(client: Any, known: Any, name: str, version: str, alias: str) -> None:
    uri = getattr(client, "_registry_uri", None)
    model = (known or {}).get(name, {}).get("model")
    entry = (known or {}).get(name, {}).get("versions", {}).get(version)
    if uri and model is not None and entry is not None:
        _ALIASES_REPORTED[uri] = (alias in model["aliases"], alias in entry["aliases"])


def _after(known: Any, effect: Callable[[Any], None]) -> Any:
    """The state ``known`` with an accepted mark's ``effect``; unread where it was missing."""
    if known is None or known is UNREAD:
        return UNREAD
    try:
        changed = copy.deepcopy(known)
        effect(changed)
    except (KeyError, TypeError):  # a model or version the registry said is missing
        return UNREAD
    return changed


def _assert_marks_kept(what: str, expected: dict[str, str], found: dict[str, Any]) -> None:
    lost = {mark: found[mark] for mark, value in expected.items() if found[mark] != value}
    assert not lost, f"{what} accepted the marks {expected} but reads back {lost}"
