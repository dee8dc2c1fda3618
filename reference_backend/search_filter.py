"""Registry search filters: MLflow's own parser, evaluated in Python.

The filter string is parsed by MLflow (``SearchModelUtils`` / ``SearchModelVersionUtils``), so the
accepted grammar and its error messages are MLflow's. The parsed comparisons are then checked the
way ``SqlAlchemyStore`` checks them and compiled into predicates over the store's records, which
only need ``name`` and ``tags`` (plus ``version``, ``run_id`` and ``source`` for model versions).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from mlflow.entities.model_registry.prompt_version import IS_PROMPT_TAG_KEY
from mlflow.exceptions import MlflowException
from mlflow.utils.search_utils import SearchModelUtils, SearchModelVersionUtils, SearchUtils

Clause = Callable[[Any], bool]
ValueTest = Callable[[Any], bool]

_STRING_COMPARATORS = frozenset({"=", "!=", "LIKE", "ILIKE"})
_LIST_COMPARATORS = frozenset({"IN", "NOT IN"})
_NUMERIC_COMPARATORS = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
# Filter key -> record attribute, for model-version attributes.
_VERSION_ATTRIBUTES = {
    "name": "name",
    "run_id": "run_id",
    "source_path": "source",
    "version_number": "version",
}
_LIST_KEYS_FOR_VERSIONS = frozenset({"name", "run_id"})


@dataclass(frozen=True)
class CompiledFilter:
    """A parsed filter: AND of clauses, plus what the store needs to evaluate it quickly."""

    clauses: tuple[Clause, ...]
    # Every match's model name starts with this, so the store can walk one block of its sorted
    # name index instead of every model.
    name_prefix: str
    # False unless the filter asks for prompts (MLflow hides prompts from registry searches).
    include_prompts: bool

    def matches(self, record: Any) -> bool:
        return all(clause(record) for clause in self.clauses)


def like_matcher(pattern: str, ignore_case: bool) -> ValueTest:
    """SQL LIKE as a regex: ``%`` any run, ``_`` one character, no escape character."""
    regex = "".join(
        ".*" if char == "%" else "." if char == "_" else re.escape(char) for char in pattern
    )
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    fullmatch = re.compile(regex, flags).fullmatch
    return lambda value: fullmatch(value) is not None


def _string_test(comparator: str, value: Any) -> ValueTest:
    if comparator in _LIST_COMPARATORS:
        if not isinstance(value, tuple):
            raise MlflowException.invalid_parameter_value(
                f"{comparator} expects a list of quoted strings, got {value!r}"
            )
        members = frozenset(value)
        if comparator == "IN":
            return members.__contains__
        return lambda actual: actual not in members
    if not isinstance(value, str):
        raise MlflowException.invalid_parameter_value(
            f"Comparator {comparator} expects a quoted string, got {value!r}"
        )
    if comparator == "=":
        return lambda actual: actual == value
    if comparator == "!=":
        return lambda actual: actual != value
    return like_matcher(value, ignore_case=comparator == "ILIKE")


def _numeric_test(key: str, comparator: str, value: Any) -> ValueTest:
    if comparator not in _NUMERIC_COMPARATORS:
        raise MlflowException.invalid_parameter_value(
            f"Invalid comparator for attribute {key}: {comparator}"
        )
    if isinstance(value, float):
        raise MlflowException.invalid_parameter_value(
            f"Invalid value for numeric attribute '{key}': {value!r}"
        )
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise MlflowException.invalid_parameter_value(
            f"Invalid value for numeric attribute '{key}': {value!r}"
        ) from None
    compare = _NUMERIC_COMPARATORS[comparator]
    return lambda actual: compare(actual, number)


def _attribute_clause(attribute: str, test: ValueTest) -> Clause:
    # A missing value (SQL NULL) never matches, whatever the comparator.
    def clause(record: Any) -> bool:
        actual = getattr(record, attribute)
        return actual is not None and test(actual)

    return clause


def _tag_clause(key: str, test: ValueTest) -> Clause:
    # A record without the tag never matches, not even ``!=`` (the SQL store joins on the tag).
    def clause(record: Any) -> bool:
        actual = record.tags.get(key)
        return actual is not None and test(actual)

    return clause


def _tag_test(comparator: str, value: Any) -> ValueTest:
    if comparator not in _STRING_COMPARATORS:
        raise MlflowException.invalid_parameter_value(f"Invalid comparator for tag: {comparator}")
    return _string_test(comparator, value)


def _asks_for_prompts(comparisons: list[dict[str, Any]]) -> bool:
    """The SQL store's rule: the first prompt-tag comparison decides whether prompts are wanted."""
    for comparison in comparisons:
        if comparison["type"] == "tag" and comparison["key"] == IS_PROMPT_TAG_KEY:
            value = str(comparison["value"]).lower()
            return (comparison["comparator"] == "=" and value == "true") or (
                comparison["comparator"] == "!=" and value == "false"
            )
    return False


def _name_prefix(comparisons: list[dict[str, Any]]) -> str:
    """The longest literal prefix that every matching name must start with."""
    prefixes = [""]
    for comparison in comparisons:
        if comparison["type"] != "attribute" or comparison["key"] != "name":
            continue
        value = comparison["value"]
        if comparison["comparator"] == "=":
            prefixes.append(value)
        elif comparison["comparator"] == "LIKE":
            prefixes.append(re.split("[%_]", value, maxsplit=1)[0])
    return max(prefixes, key=len)


def parse_filter(parser: type[SearchUtils], filter_string: str | None) -> list[dict[str, Any]]:
    """MLflow's parse of a filter, its unhandled errors turned into INVALID_PARAMETER_VALUE."""
    try:
        return parser.parse_search_filter(filter_string)
    except MlflowException:
        raise
    except Exception as error:  # MLflow's parser leaks ValueError, e.g. for ``IS NULL``
        raise MlflowException.invalid_parameter_value(
            f"Invalid filter '{filter_string}': {error}"
        ) from error


def _compile(
    comparisons: list[dict[str, Any]], attribute_clause: Callable[[dict[str, Any]], Clause]
) -> CompiledFilter:
    include_prompts = _asks_for_prompts(comparisons)
    clauses = []
    for comparison in comparisons:
        if comparison["type"] == "attribute":
            clauses.append(attribute_clause(comparison))
        elif comparison["type"] == "tag":
            test = _tag_test(comparison["comparator"], comparison["value"])
            # Without a prompt query the SQL store drops prompt-tag comparisons and just hides
            # prompts, which is what makes the client's appended ``!= 'true'`` harmless.
            if include_prompts or comparison["key"] != IS_PROMPT_TAG_KEY:
                clauses.append(_tag_clause(comparison["key"], test))
        else:
            raise MlflowException.invalid_parameter_value(
                f"Invalid token type: {comparison['type']}"
            )
    return CompiledFilter(tuple(clauses), _name_prefix(comparisons), include_prompts)


def _registered_model_attribute(comparison: dict[str, Any]) -> Clause:
    comparator = comparison["comparator"]
    if comparator not in _STRING_COMPARATORS | _LIST_COMPARATORS:
        raise MlflowException.invalid_parameter_value(
            f"Invalid comparator for attribute: {comparator}"
        )
    return _attribute_clause("name", _string_test(comparator, comparison["value"]))


def _model_version_attribute(comparison: dict[str, Any]) -> Clause:
    key, comparator, value = comparison["key"], comparison["comparator"], comparison["value"]
    if key not in _VERSION_ATTRIBUTES:
        raise MlflowException.invalid_parameter_value(f"Invalid attribute name: {key}")
    if key == "version_number":
        test = _numeric_test(key, comparator, value)
    elif comparator in _STRING_COMPARATORS or (
        comparator in _LIST_COMPARATORS and key in _LIST_KEYS_FOR_VERSIONS
    ):
        test = _string_test(comparator, value)
    else:
        raise MlflowException.invalid_parameter_value(
            f"Invalid comparator for attribute: {comparator}"
        )
    return _attribute_clause(_VERSION_ATTRIBUTES[key], test)


@lru_cache(maxsize=512)
def compile_registered_model_filter(filter_string: str | None) -> CompiledFilter:
    """Compile a ``search_registered_models`` filter (cached: parsing costs more than a page)."""
    comparisons = parse_filter(SearchModelUtils, filter_string)
    return _compile(comparisons, _registered_model_attribute)


@lru_cache(maxsize=512)
def compile_model_version_filter(filter_string: str | None) -> CompiledFilter:
    """Compile a ``search_model_versions`` filter (cached like the registered-model one)."""
    comparisons = parse_filter(SearchModelVersionUtils, filter_string)
    return _compile(comparisons, _model_version_attribute)
