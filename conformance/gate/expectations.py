"""Expectations files: what a target claims per feature, for the CI gate (``--expect``).

A file is TOML, checked against ``schemas/expectations-v1.json`` and the catalogue; the format
and the gate's rules are documented in ``profiles/README.md``. Errors name the file, the line and
the key, because a gate that silently reads a typo as "supported" is worse than no gate.

Built-in profiles are the files of ``profiles/`` and the documented columns that name a platform
(the seed's Azure ML column): those claim what their source documents, read from the source
itself, so the claims are written once.
"""

from __future__ import annotations

import difflib
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from conformance import documented
from conformance.catalogue import FEATURES_BY_ID
from conformance.documented import DocumentedColumn
from conformance.outcomes import CLAIM_SYMBOLS, IGNORED, Verdict

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SCHEMA_ID = "registry-conformance/expectations/v1"
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_SYNTAX_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


class ExpectationsError(ValueError):
    """An expectations file or profile that cannot be used; the message is for the user."""


@dataclass(frozen=True)
class Claim:
    claim: str
    reason: str = ""
    link: str = ""


@dataclass(frozen=True)
class Expectations:
    """A parsed, validated expectations file. ``source`` is the path or profile name given."""

    source: str
    default: str = Verdict.SUPPORTED.value
    title: str = ""
    basis: str = ""
    link: str = ""
    description: str = ""
    features: dict[str, Claim] = field(default_factory=dict)
    #: The support levels the file covers; empty: every level. Other features are not gated.
    levels: tuple[str, ...] = ()

    def claim_for(self, feature_id: str) -> Claim:
        return self.features.get(feature_id) or Claim(self.default)

    def covers(self, level: str | None) -> bool:
        """Whether features of ``level`` are gated (an unknown level is, as before levels)."""
        return not self.levels or level is None or level in self.levels

    def describe(self) -> dict[str, str]:
        """What the results document records about the expectations a run was gated on."""
        return {
            "source": self.source,
            "title": self.title,
            "basis": self.basis,
            "link": self.link,
            "default": self.default,
            **({"levels": list(self.levels)} if self.levels else {}),
        }


def load(spec: str) -> Expectations:
    """``--expect``: a path when it ends in ``.toml`` or contains a slash, else a profile name."""
    if spec.endswith(".toml") or "/" in spec or "\\" in spec:
        return load_file(Path(spec))
    return load_profile(spec)


def load_file(path: Path) -> Expectations:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExpectationsError(f"expectations file {str(path)!r} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ExpectationsError(f"expectations file {str(path)!r} unreadable: {exc}") from None
    return parse(text, str(path))


def profile_names() -> list[str]:
    folder = resources.files("conformance.gate").joinpath("profiles")
    files = [entry.name for entry in folder.iterdir() if entry.name.endswith(".toml")]
    return sorted([*(name.removesuffix(".toml") for name in files), *_documented()])


def load_profile(name: str) -> Expectations:
    names = profile_names()
    if name not in names:
        raise ExpectationsError(
            f"no built-in expectations profile {name!r}; built-in: {', '.join(names)} "
            "(a path to a file must end in .toml or contain a slash)"
        )
    column = _documented().get(name)
    if column is not None:
        return from_documented(column)
    entry = resources.files("conformance.gate").joinpath("profiles", f"{name}.toml")
    return parse(entry.read_text("utf-8"), name)


def from_documented(column: DocumentedColumn) -> Expectations:
    """A documented column as expectations: its claims, with its footnotes (else what its claim
    means) as reasons; features its source does not cover are not gated."""
    return Expectations(
        source=column.platform or column.id,
        default=IGNORED,
        title=f"{column.title} (documented, {column.published})",
        basis="documented",
        link=column.link,
        description=f"The column {column.title!r} of {column.source_title!r}, transcribed: "
        "claims, not measurements.",
        features={
            feature: Claim(cell.claim, " ".join(cell.notes) or CLAIM_SYMBOLS[cell.claim].meaning)
            for feature, cell in column.cells.items()
        },
    )


def _documented() -> dict[str, DocumentedColumn]:
    """The documented columns that are built-in profiles, by platform."""
    return {column.platform: column for column in documented.load() if column.platform}


def schema() -> dict[str, Any]:
    text = (
        resources.files("conformance.gate")
        .joinpath("schemas/expectations-v1.json")
        .read_text("utf-8")
    )
    return json.loads(text)


def parse(text: str, origin: str) -> Expectations:
    """Parse and validate; every problem is reported at once, as ``origin:line: key: message``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExpectationsError(_syntax_message(exc, text, origin)) from None
    lines = _key_lines(text)
    problems = [
        (lines.line_of(path), _key_text(path), message) for path, message in _problems(data)
    ]
    if problems:
        problems.sort(key=lambda problem: problem[0] or 0)
        raise ExpectationsError(
            f"{origin}: not a valid expectations file:\n"
            + "\n".join(
                f"  {origin}{f':{line}' if line else ''}: {key}: {message}"
                for line, key, message in problems
            )
        )
    about = data.get("about", {})
    return Expectations(
        source=origin,
        default=data.get("default", "supported"),
        title=about.get("title", ""),
        basis=about.get("basis", ""),
        link=about.get("link", ""),
        description=about.get("description", ""),
        features={
            feature_id: Claim(**claim) for feature_id, claim in data.get("features", {}).items()
        },
        levels=tuple(data.get("levels", ())),
    )


def _problems(data: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], str]]:
    """(key path, message) for every schema violation and every id the catalogue lacks."""
    for error in jsonschema.Draft202012Validator(schema()).iter_errors(data):
        path = tuple(str(part) for part in error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = error.schema.get("properties", {})
            for key in sorted(set(error.instance) - set(allowed)):
                yield (*path, key), f"unknown key (allowed here: {', '.join(allowed)})"
        else:
            yield path, error.message
    features = data.get("features")
    levels = data.get("levels")
    levels = levels if isinstance(levels, list) else []
    for feature_id in features if isinstance(features, dict) else ():
        if feature_id not in FEATURES_BY_ID:
            close = difflib.get_close_matches(feature_id, FEATURES_BY_ID, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            yield ("features", feature_id), f"no such feature in the catalogue{hint}"
        elif levels and FEATURES_BY_ID[feature_id].level not in levels:
            level = FEATURES_BY_ID[feature_id].level
            yield (
                ("features", feature_id),
                f"level {level}, outside this file's levels ({', '.join(map(str, levels))})",
            )


def _syntax_message(exc: tomllib.TOMLDecodeError, text: str, origin: str) -> str:
    match = _SYNTAX_POSITION.search(str(exc))
    if not match:
        return f"{origin}: TOML syntax error: {exc}"
    line, column = int(match[1]), int(match[2])
    reason = _SYNTAX_POSITION.sub("", str(exc)).strip()
    source_lines = text.splitlines()
    shown = source_lines[line - 1] if line <= len(source_lines) else ""
    return f"{origin}:{line}:{column}: TOML syntax error: {reason}\n  {line} | {shown}"


def _key_text(path: tuple[str, ...]) -> str:
    """A key path as TOML spells it: ``features."search.list".claim``."""
    if not path:
        return "(top level)"
    return ".".join(part if _BARE_KEY.match(part) else json.dumps(part) for part in path)


class _KeyLines:
    """Where each key path is defined in the text: tables, keys, and keys of inline tables."""

    def __init__(self) -> None:
        self.lines: dict[tuple[str, ...], int] = {}

    def add(self, path: tuple[str, ...], line: int) -> None:
        self.lines.setdefault(path, line)

    def line_of(self, path: tuple[str, ...]) -> int | None:
        """The line of the longest prefix of ``path`` that the text defines."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return None


def _key_lines(text: str) -> _KeyLines:
    """Each line parsed on its own: enough for the flat files this format asks for. Lines that
    are not TOML on their own (continuations of multi-line values) are skipped."""
    found = _KeyLines()
    table: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            parsed = tomllib.loads(line)
        except tomllib.TOMLDecodeError:
            continue
        if line.lstrip().startswith("["):
            table = _header_path(parsed)
            found.add(table, number)
        else:
            for path in _paths(parsed, table):
                found.add(path, number)
    return found


def _header_path(parsed: dict[str, Any]) -> tuple[str, ...]:
    """``[features."search.list"]`` parses to nested one-key tables; their keys are its path."""
    path: tuple[str, ...] = ()
    node: Any = parsed
    while isinstance(node, dict) and len(node) == 1:
        key, node = next(iter(node.items()))
        path = (*path, key)
        if isinstance(node, list):  # [[array.of.tables]]
            node = node[-1]
    return path


def _paths(value: Any, prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    if not isinstance(value, dict):
        return
    for key, inner in value.items():
        yield (*prefix, key)
        yield from _paths(inner, (*prefix, key))
