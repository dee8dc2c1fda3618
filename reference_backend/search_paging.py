"""Ordering, ``max_results`` limits and page tokens of registry searches and webhook listings.

Tokens are keyset cursors: the sort key of the last item returned, base64-encoded JSON. The next
page starts right after that key, so creating or deleting other entries between two pages neither
repeats nor skips entries that keep their place (MLflow's offset tokens do both). Every order ends
with unique tie-breakers (name, and version for model versions; a webhook's id), so the order is
total.
"""

from __future__ import annotations

import base64
import json
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from operator import attrgetter
from typing import Any, TypeVar

from mlflow.exceptions import MlflowException
from mlflow.utils.search_utils import SearchModelUtils, SearchModelVersionUtils, SearchUtils

R = TypeVar("R")
Field = tuple[str, bool]  # (record attribute, ascending)

# Order-by key -> record attribute. ``timestamp`` is the SQL store's alias of last_updated.
_REGISTERED_MODEL_KEYS = {
    "name": "name",
    "creation_timestamp": "creation_timestamp",
    "last_updated_timestamp": "last_updated_timestamp",
    "timestamp": "last_updated_timestamp",
}
_MODEL_VERSION_KEYS = {
    "name": "name",
    "version_number": "version",
    "creation_timestamp": "creation_timestamp",
    "last_updated_timestamp": "last_updated_timestamp",
}
DEFAULT_MODEL_VERSION_ORDER = ("last_updated_timestamp DESC", "name ASC", "version_number DESC")


class _Descending:
    """Inverts the order of a value that cannot be negated (a string)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return other.value < self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Descending) and other.value == self.value


@dataclass(frozen=True)
class SortOrder:
    """A total order: ``(record attribute, ascending)`` pairs, most significant first; the
    attributes in ``text`` hold strings, the others integers (what a token may carry)."""

    fields: tuple[Field, ...]
    text: frozenset[str] = frozenset({"name"})

    def raw_key(self, record: Any) -> tuple[Any, ...]:
        """The record's values for the order's fields (what a page token carries)."""
        return tuple(getattr(record, attribute) for attribute, _ in self.fields)

    def sort_key(self, raw_key: tuple[Any, ...]) -> tuple[Any, ...]:
        """A key that sorts ascending in this order."""
        return tuple(
            value if ascending else -value if isinstance(value, int) else _Descending(value)
            for value, (_, ascending) in zip(raw_key, self.fields, strict=True)
        )

    def accepts(self, raw_key: Any) -> bool:
        """Whether a decoded token has this order's shape (strings for ``text``, ints otherwise)."""
        return (
            isinstance(raw_key, list)
            and len(raw_key) == len(self.fields)
            and all(
                type(value) is (str if attribute in self.text else int)
                for value, (attribute, _) in zip(raw_key, self.fields, strict=True)
            )
        )


def _order(clauses: list[Field], tie_breakers: tuple[Field, ...]) -> SortOrder:
    attributes = [attribute for attribute, _ in clauses]
    if len(set(attributes)) != len(attributes):
        raise MlflowException.invalid_parameter_value(
            f"`order_by` contains duplicate fields: {attributes}"
        )
    extra = tuple(field for field in tie_breakers if field[0] not in attributes)
    return SortOrder((*clauses, *extra))


def _registered_model_clause(clause: str) -> tuple[str, bool]:
    try:
        entity, key, ascending = SearchModelUtils.parse_order_by_for_search_registered_models(
            clause
        )
    except MlflowException:
        # The SQL store's grammar, which has ``timestamp`` instead of ``creation_timestamp``.
        key, ascending = SearchUtils.parse_order_by_for_search_registered_models(clause)
        entity = "attribute"
    if entity != "attribute" or key not in _REGISTERED_MODEL_KEYS:
        raise MlflowException.invalid_parameter_value(f"Invalid order by key '{clause}'")
    return _REGISTERED_MODEL_KEYS[key], ascending


def _model_version_clause(clause: str) -> tuple[str, bool]:
    entity, key, ascending = SearchModelVersionUtils.parse_order_by_for_search_model_versions(
        clause
    )
    if entity != "attribute" or key not in _MODEL_VERSION_KEYS:
        raise MlflowException.invalid_parameter_value(f"Invalid order by key '{clause}'")
    return _MODEL_VERSION_KEYS[key], ascending


@lru_cache(maxsize=256)
def registered_model_order(order_by: tuple[str, ...]) -> SortOrder:
    """Parse a registered-model ``order_by``; ``name ASC`` breaks ties, as in MLflow."""
    clauses = [_registered_model_clause(clause) for clause in order_by]
    return _order(clauses, (("name", True),))


@lru_cache(maxsize=256)
def model_version_order(order_by: tuple[str, ...]) -> SortOrder:
    """Parse a model-version ``order_by``; ``name ASC, version DESC`` break ties, as in MLflow."""
    clauses = [_model_version_clause(clause) for clause in order_by or DEFAULT_MODEL_VERSION_ORDER]
    return _order(clauses, (("name", True), ("version", False)))


def check_max_results(max_results: Any, limit: int) -> None:
    if not isinstance(max_results, int) or not 1 <= max_results <= limit:
        raise MlflowException.invalid_parameter_value(
            f"Invalid value for max_results. It must be an integer between 1 and {limit}, "
            f"but got {max_results!r}"
        )


def encode_page_token(raw_key: tuple[Any, ...]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(raw_key)).encode()).decode("ascii")


def decode_page_token(token: str | bytes | None, order: SortOrder) -> tuple[Any, ...] | None:
    """The sort key a page token resumes after, or None for the first page."""
    if not token:
        return None
    try:
        raw_key = json.loads(base64.urlsafe_b64decode(token))
    except (TypeError, ValueError):
        raw_key = None
    if not order.accepts(raw_key):
        raise MlflowException.invalid_parameter_value(f"Invalid page token {token!r}")
    return tuple(raw_key)


def take_page(
    ordered: Iterable[R], order: SortOrder, max_results: int
) -> tuple[list[R], str | None]:
    """The first ``max_results`` of records already in order; a token only if more follow."""
    page = list(islice(ordered, max_results + 1))
    if len(page) <= max_results:
        return page, None
    del page[max_results:]
    return page, encode_page_token(order.raw_key(page[-1]))


def sort_page(
    records: Iterable[R], order: SortOrder, after: tuple[Any, ...] | None, max_results: int
) -> tuple[list[R], str | None]:
    """Sort records and take the page that follows the ``after`` key."""
    ordered = list(records)
    # One stable sort per field, least significant first: C-level keys, no per-record tuples.
    for attribute, ascending in reversed(order.fields):
        ordered.sort(key=attrgetter(attribute), reverse=not ascending)
    start = 0
    if after is not None:
        start = bisect_right(
            ordered, order.sort_key(after), key=lambda r: order.sort_key(order.raw_key(r))
        )
    return take_page(islice(ordered, start, None), order, max_results)
