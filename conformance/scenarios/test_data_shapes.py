"""Core feature ``data.shapes``: Unicode, MLflow's length limits, unusual names and tag values.

The limits are MLflow's (``mlflow/utils/validation.py``): registry tag keys of 250 characters,
values of 100,000. A store whose column is shorter (a ``VARCHAR(5000)``) cuts values silently or
answers an internal error; the scenarios read every value back whole. Tags are given when models
and versions are created, the one way every registry with tags offers (editing them is
``model.tags``' and ``version.tags``' row); a model's description is set best-effort (it is
``model.description``'s row).
"""

from __future__ import annotations

from typing import Any

from mlflow.exceptions import MlflowException, RestException

from conformance.scenarios import prerequisites, searches, states
from conformance.scenarios.error_answers import INVALID
from conformance.scenarios.markers import feature

KEY_LIMIT = 250  # MAX_MODEL_REGISTRY_TAG_KEY_LENGTH
VALUE_LIMIT = 100_000  # MAX_MODEL_REGISTRY_TAG_VALUE_LENGTH
UNICODE = "données-数据-🙂-Ωμέγα"


def _none(client, name: str):
    """A ``state`` for creating a model under a minted name: none there before (not read)."""
    return states.held(None, lambda: states.model_state(client, name))


def _create(client, probe, what: str, name: str, tags: dict[str, Any], **version: Any) -> None:
    """Create ``name`` with ``tags`` and its version 1 with ``tags`` (and ``version``'s fields)."""
    with probe.feature(f"create_registered_model ({what})", state=_none(client, name)):
        empty = states.latest_numbers_of(client.create_registered_model(name, tags=tags))
    with probe.feature(
        f"create_model_version ({what})", state=states.latest_held(client, name, empty)
    ):
        client.create_model_version(
            name, f"{prerequisites.SOURCE_ROOT}/{name}/1", tags=tags, **version
        )


def _search_by_name(client, probe, name: str) -> list[str] | None:
    """The names ``name = '<name>'`` finds; None where the registry refuses such filters (that
    is ``search.by-name``'s row)."""
    found: list[Any] = []
    searched = prerequisites.best_effort(
        probe,
        f"search_registered_models(name = {name!r})",
        lambda: found.extend(searches.search_all(client, f"name = '{name}'")),
        state=lambda: None,
        before=None,
    )
    return searches.names_of(found) if searched else None


def _long(seed: str, length: int) -> str:
    """A text of exactly ``length`` characters that is not one character repeated."""
    return (seed * (length // len(seed) + 1))[:length]


def _error_code(call, *args: Any, **kwargs: Any) -> str | None:
    """The MLflow error code a call is answered with (as sent), None when it is accepted."""
    try:
        call(*args, **kwargs)
    except RestException as exc:
        return str(exc.json.get("error_code") or "")
    except MlflowException as exc:
        return exc.error_code
    return None


@feature("data.shapes")
def test_unicode_names_tags_and_descriptions_read_back(client, names, probe):
    # given a model and a version whose name, tags and descriptions are in Unicode
    # (keys: MLflow allows word characters in any script, but no emoji)
    name = names(UNICODE)
    tags = {"clé-数据-Ωμέγα": f"valeur-{UNICODE}", "emoji": "🚀✨"}
    description = f"описание · 説明 · {UNICODE}"

    # when they are created (the model's description set after, best-effort)
    _create(client, probe, "Unicode", name, tags, description=description)
    described = prerequisites.best_effort(
        probe,
        "update_registered_model",
        lambda: client.update_registered_model(name, description=description),
        state=lambda: states.description_of(client.get_registered_model(name)),
        before="",
    )

    # then every text reads back exactly, and the model is found by its name
    model = client.get_registered_model(name)
    got = (model.name, dict(model.tags), states.description_of(model) if described else None)
    want = (name, tags, description if described else None)
    assert got == want, f"{name!r} reads back {got}, expected {want}"
    version = client.get_model_version(name, "1")
    got = (version.name, dict(version.tags), states.description_of(version))
    assert got == (name, tags, description), f"{name!r} v1 reads back {got}"
    found = _search_by_name(client, probe, name)
    assert found in (None, [name]), f"name = {name!r} found {found}"


@feature("data.shapes")
def test_tags_at_mlflows_length_limits_are_kept_whole(client, names, probe):
    # given a tag whose key and value are at MLflow's limits
    name, over_name = names("limits"), names("limits-over")
    key = _long("k-é", KEY_LIMIT)
    value = _long("value-ü-0123456789", VALUE_LIMIT)

    # when a model and its version are created with it
    _create(
        client, probe, f"a {KEY_LIMIT}-char key, a {VALUE_LIMIT}-char value", name, {key: value}
    )

    # then both read back whole
    for what, entity in (
        (name, client.get_registered_model(name)),
        (f"{name} v1", client.get_model_version(name, "1")),
    ):
        kept = dict(entity.tags).get(key)
        assert kept == value, f"{what} keeps the {VALUE_LIMIT}-character tag value as " + (
            "nothing" if kept is None else f"{len(kept)} characters, not the ones sent"
        )
    # and a model with a key one character longer is refused as invalid, or keeps it whole
    over = key + "k"
    code = _error_code(client.create_registered_model, over_name, tags={over: "over"})
    if code is None:
        kept_over = dict(client.get_registered_model(over_name).tags)
        assert kept_over == {over: "over"}, (
            f"a {KEY_LIMIT + 1}-character tag key was accepted but reads back as {kept_over}"
        )
    else:
        assert code == INVALID, (
            f"a {KEY_LIMIT + 1}-character tag key was answered {code}, expected {INVALID} "
            "(or acceptance)"
        )


@feature("data.shapes")
def test_spaces_dots_empty_values_and_numbers(client, names, probe):
    # given a name with spaces and dots, and tags with an empty value and numbers as values
    name = names("with spaces.and.dots v1.2")
    given: dict[str, Any] = {"empty": "", "integer": 42, "decimal": 3.5}
    as_text = {"empty": "", "integer": "42", "decimal": "3.5"}

    # when the model and a version are created with them
    _create(client, probe, "spaces and dots; empty and numeric tags", name, given)

    # then the name reads back exactly, empty values as empty strings, numbers as their text
    model = client.get_registered_model(name)
    assert (model.name, dict(model.tags)) == (name, as_text), (
        f"{name!r} reads back as {model.name!r} with tags {dict(model.tags)}, expected {as_text}"
    )
    version_tags = dict(client.get_model_version(name, "1").tags)
    assert version_tags == as_text, f"{name!r} v1 reads back tags {version_tags}, not {as_text}"
    found = _search_by_name(client, probe, name)
    assert found in (None, [name]), f"name = {name!r} found {found}"
