"""Reading a results document from disk, with one-line errors fit for the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import jsonschema

from conformance import results, timestamps
from conformance.masking import mask_text


class ResultsFileError(ValueError):
    """A file that is not a readable, valid results document."""


def read(path: Path) -> dict[str, Any]:
    """The document in ``path``, validated against the shipped schema."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ResultsFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ResultsFileError(f"{path} is not a results document: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ResultsFileError(
            f"{path} is not a results document: invalid JSON at line {exc.lineno}, "
            f"column {exc.colno} ({exc.msg})"
        ) from None
    return check(document, str(path))


def check(document: Any, name: str) -> dict[str, Any]:
    """``document`` if it keeps the contract (schema, readable timestamps); ``name`` says which
    document it is in the message."""
    try:
        results.validate(document)
        for key in ("started", "finished"):
            timestamps.parse(document[key])
    except jsonschema.ValidationError as exc:
        where = "/".join(str(part) for part in exc.absolute_path) or "top level"
        message = mask_text(exc.message)[:200]
        raise ResultsFileError(f"{name} is not a results document ({where}: {message})") from None
    except ValueError as exc:
        raise ResultsFileError(f"{name} is not a results document (timestamps: {exc})") from None
    return cast(dict[str, Any], document)  # the schema makes it an object
