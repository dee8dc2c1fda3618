"""Differential test: random registry call sequences give the same results as MLflow's SQL store.

Each seeded sequence runs call by call against ``InMemoryRegistryStore`` and against MLflow's own
``SqlAlchemyStore`` on a fresh SQLite file, comparing everything observable except timestamps:
names, versions, stages, tags, aliases, descriptions, search pages and error codes. Calls whose
results differ on purpose (reference_backend/DIFFERENCES.md) are never generated. A tick of the
clock after every call gives both stores the same order of timestamps, so timestamp orderings
compare too.
"""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mlflow.entities.model_registry import ModelVersionTag, RegisteredModelTag
from mlflow.exceptions import MlflowException
from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore
from mlflow.utils.time import get_current_time_millis

from reference_backend.registry_store import InMemoryRegistryStore

SEQUENCES = 16
CALLS_PER_SEQUENCE = 40

NAMES = ["m0", "m1", "m2", "M1", "m_1", "mx1"]
BAD_NAMES = ["a/b", "", "..x"]
TAG_KEYS = ["k", "team", "a b"]
BAD_TAG_KEYS = ["bad*key"]
TAG_VALUES = ["x", "X", "y", ""]
DESCRIPTIONS = [None, "", "d1", "D2"]
VERSIONS = [1, 2, 3, "2", 9, "abc"]
STAGES = ["None", "staging", "Production", "ARCHIVED"]
ALIASES = ["champ", "Champ", "c_2", "latest"]
BAD_ALIASES = ["v1", "bad alias", ""]
SOURCES = ["s3://b/x", "gs://c/y", "s3://b/z"]
RUN_IDS = [None, "r1", "r2"]
PROMPT_CLAUSE = "tag.`mlflow.prompt.is_prompt` != 'true'"  # what MlflowClient appends
MODEL_FILTERS = [
    None,
    "name = 'm1'",
    "name != 'm1'",
    "name LIKE 'm%'",
    "name LIKE 'm_1'",
    "name LIKE 'M%'",
    "name ILIKE 'M%'",
    "name IN ('m1', 'M1', 'zz')",
    "name NOT IN ('m0')",
    "tags.k = 'x'",
    "tags.k != 'x'",
    "tags.k LIKE 'x'",
    "tags.k ILIKE 'x'",
    "tags.`a b` LIKE '%'",
    "tags.k = 'x' AND tags.team LIKE '%'",
    "name LIKE '%1' AND tags.k != 'y'",
    "name = m1",
    "name > 'm'",
    "tags.k IN ('x')",
]
MODEL_ORDERS = [
    None,
    ["name"],
    ["name DESC"],
    ["last_updated_timestamp DESC"],
    ["timestamp"],
    ["last_updated_timestamp", "name DESC"],
    ["bogus"],
]
VERSION_FILTERS = [
    None,
    "name = 'm1'",
    "name LIKE 'm%'",
    "name IN ('m1', 'm2')",
    "run_id = 'r1'",
    "run_id IN ('r1', 'r2')",
    "run_id NOT IN ('r1')",
    "source_path LIKE 's3://%'",
    "version_number > 1",
    "version_number <= '2'",
    "tags.k = 'x'",
    "tags.team LIKE 'X%'",
    "tags.team ILIKE 'X'",
    "name = 'm1' AND version_number != 2",
    "version_number = 1.5",
    "current_stage = 'None'",
]
VERSION_ORDERS = [
    None,
    ["name", "version_number"],
    ["version_number DESC"],
    ["creation_timestamp"],
    ["last_updated_timestamp ASC", "name DESC"],
]
PAGE_SIZES = [1, 2, 3, 100]
# Every sequence starts by filling the registry a little, so later calls find things to act on.
PROLOGUE = ["create_registered_model"] * 3 + ["create_model_version"] * 4


# What is compared: everything but timestamps (and search-result aliases, see DIFFERENCES.md).


VERSION_FIELDS = ("current_stage", "description", "source", "run_id", "run_link", "tags", "status")


def version_view(mv: Any, with_aliases: bool = True) -> tuple[Any, ...]:
    aliases = sorted(mv.aliases) if with_aliases else None
    return (mv.name, int(mv.version), *(getattr(mv, f) for f in VERSION_FIELDS), aliases)


def model_view(rm: Any) -> tuple[Any, ...]:
    latest = sorted(version_view(mv, with_aliases=False) for mv in rm.latest_versions)
    return rm.name, rm.description, rm.tags, rm.aliases, latest


def versions_view(mvs: list[Any]) -> list[tuple[Any, ...]]:
    return sorted(version_view(mv) for mv in mvs)


def pages_view(pages: list[list[Any]]) -> list[list[tuple[Any, ...]]]:
    return [
        [model_view(e) if hasattr(e, "latest_versions") else version_view(e, False) for e in page]
        for page in pages
    ]


def same(result: Any) -> Any:
    return result


def paged(search: Callable[..., Any], filter_string, order_by, max_results) -> list[list[Any]]:
    """Every page of a search, following tokens."""
    pages, token = [], None
    while True:
        page = search(filter_string, max_results=max_results, order_by=order_by, page_token=token)
        pages.append(list(page))
        if not (token := page.token):
            return pages


# The calls a sequence is drawn from.


class Draw:
    """Random arguments, mostly naming what exists so that most calls do something.

    What exists is read from the in-memory store; should it be wrong, the comparison of the call
    that made it wrong has already failed.
    """

    def __init__(self, rng: random.Random, store: InMemoryRegistryStore) -> None:
        self.rng = rng
        self.store = store

    def _usually(self, existing: list[Any], anything: list[Any]) -> Any:
        return self.rng.choice(existing if existing and self.rng.random() < 0.9 else anything)

    def _rarely(self, common: list[Any], odd: list[Any]) -> Any:
        return self.rng.choice(odd if self.rng.random() < 0.1 else common)

    def name(self) -> str:
        existing = [rm.name for rm in self.store.search_registered_models(max_results=1000)]
        return self._usually(existing, NAMES)

    def name_and_version(self) -> tuple[str, Any]:
        name = self.name()
        existing = [mv.version for mv in self.store.search_model_versions(f"name = '{name}'")]
        return name, self._usually(existing, VERSIONS)

    def description(self) -> str | None:
        return self.rng.choice(DESCRIPTIONS)

    def tag_key(self) -> str:
        return self._rarely(TAG_KEYS, BAD_TAG_KEYS)

    def tag(self, tag_class: type) -> Any:
        return tag_class(self.tag_key(), self.rng.choice(TAG_VALUES))

    def tags(self, tag_class: type) -> list[Any]:
        return [self.tag(tag_class) for _ in range(self.rng.randint(0, 2))]

    def alias(self, name: str) -> str:
        try:
            existing = list(self.store.get_registered_model(name).aliases)
        except MlflowException:
            existing = []
        return self._usually(existing, [self._rarely(ALIASES, BAD_ALIASES)])

    def named_alias(self) -> tuple[str, str]:
        name = self.name()
        return name, self.alias(name)

    def alias_assignment(self) -> tuple[str, str, Any]:
        name, version = self.name_and_version()
        return name, self.alias(name), version

    def stage_and_archive(self) -> tuple[str, bool]:
        # archive_existing_versions only with active stages (the SQL store 500s otherwise).
        stage = self._rarely(STAGES, ["bogus"])
        return stage, stage.lower() in ("staging", "production") and self.rng.random() < 0.5

    def stages(self) -> list[str]:
        return self.rng.sample(STAGES, self.rng.randint(0, 2))

    def search(self, filters: list[Any], orders: list[Any]) -> tuple[Any, ...]:
        return self.rng.choice(filters), self.rng.choice(orders), self.rng.choice(PAGE_SIZES)

    def model_search(self) -> tuple[Any, ...]:
        filter_string, order_by, max_results = self.search(MODEL_FILTERS, MODEL_ORDERS)
        # Half the time, the prompt-hiding clause MlflowClient appends.
        clauses = [filter_string, self.rng.choice([None, PROMPT_CLAUSE])]
        return " AND ".join(filter(None, clauses)) or None, order_by, max_results


def method(name: str) -> Callable[..., Any]:
    return lambda store, *args: getattr(store, name)(*args)


ArgsMaker = Callable[[Draw], tuple[Any, ...]]
CALLS: dict[str, tuple[int, ArgsMaker, Callable[..., Any], Callable[[Any], Any]]] = {
    "create_registered_model": (
        4,
        lambda d: (d._rarely(NAMES, BAD_NAMES), d.tags(RegisteredModelTag), d.description()),
        method("create_registered_model"),
        model_view,
    ),
    "update_registered_model": (
        2,
        lambda d: (d.name(), d.description()),
        method("update_registered_model"),
        model_view,
    ),
    "rename_registered_model": (
        2,
        lambda d: (d.name(), d._rarely(NAMES, BAD_NAMES)),
        method("rename_registered_model"),
        model_view,
    ),
    "delete_registered_model": (1, lambda d: (d.name(),), method("delete_registered_model"), same),
    "get_registered_model": (2, lambda d: (d.name(),), method("get_registered_model"), model_view),
    "set_registered_model_tag": (
        2,
        lambda d: (d.name(), d.tag(RegisteredModelTag)),
        method("set_registered_model_tag"),
        same,
    ),
    "delete_registered_model_tag": (
        1,
        lambda d: (d.name(), d.tag_key()),
        method("delete_registered_model_tag"),
        same,
    ),
    "create_model_version": (
        8,
        lambda d: (
            d.name(),
            d.rng.choice(SOURCES),
            d.rng.choice(RUN_IDS),
            d.tags(ModelVersionTag),
            d.rng.choice([None, "http://run"]),
            d.description(),
        ),
        method("create_model_version"),
        version_view,
    ),
    "update_model_version": (
        2,
        lambda d: (*d.name_and_version(), d.description()),
        method("update_model_version"),
        version_view,
    ),
    "delete_model_version": (
        3,
        lambda d: d.name_and_version(),
        method("delete_model_version"),
        same,
    ),
    "get_model_version": (
        1,
        lambda d: d.name_and_version(),
        method("get_model_version"),
        version_view,
    ),
    "get_model_version_download_uri": (
        1,
        lambda d: d.name_and_version(),
        method("get_model_version_download_uri"),
        same,
    ),
    "set_model_version_tag": (
        2,
        lambda d: (*d.name_and_version(), d.tag(ModelVersionTag)),
        method("set_model_version_tag"),
        same,
    ),
    "delete_model_version_tag": (
        1,
        lambda d: (*d.name_and_version(), d.tag_key()),
        method("delete_model_version_tag"),
        same,
    ),
    "transition_model_version_stage": (
        3,
        lambda d: (*d.name_and_version(), *d.stage_and_archive()),
        method("transition_model_version_stage"),
        version_view,
    ),
    "get_latest_versions": (
        2,
        lambda d: (d.name(), d.stages()),
        method("get_latest_versions"),
        versions_view,
    ),
    "set_registered_model_alias": (
        4,
        lambda d: d.alias_assignment(),
        method("set_registered_model_alias"),
        same,
    ),
    "delete_registered_model_alias": (
        1,
        lambda d: d.named_alias(),
        method("delete_registered_model_alias"),
        same,
    ),
    "get_model_version_by_alias": (
        2,
        lambda d: d.named_alias(),
        method("get_model_version_by_alias"),
        version_view,
    ),
    "search_registered_models": (
        4,
        lambda d: d.model_search(),
        lambda store, *args: paged(store.search_registered_models, *args),
        pages_view,
    ),
    "search_model_versions": (
        4,
        lambda d: d.search(VERSION_FILTERS, VERSION_ORDERS),
        lambda store, *args: paged(store.search_model_versions, *args),
        pages_view,
    ),
}


def state_view(store: Any) -> tuple[Any, ...]:
    """The whole registry: every model (with its aliases and tags) and every version."""
    models = store.search_registered_models(max_results=1000)
    model_versions = store.search_model_versions(max_results=1000)
    return pages_view([models]), pages_view([model_versions])


def outcome(invoke: Callable, store: Any, args: tuple[Any, ...], view: Callable) -> Any:
    try:
        return "ok", view(invoke(store, *args))
    except MlflowException as error:
        return "error", error.error_code


def next_millisecond() -> None:
    start = get_current_time_millis()
    while get_current_time_millis() == start:
        time.sleep(0.0002)


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with MLflow's schema; migrating takes seconds, copying it does not."""
    path = tmp_path_factory.mktemp("sql-registry") / "template.db"
    SqlAlchemyStore(f"sqlite:///{path}")._dispose_engine()
    return path


@pytest.mark.parametrize("seed", range(SEQUENCES))
def test_same_results_as_mlflow_sql_store(seed: int, migrated_database: Path, tmp_path) -> None:
    database = tmp_path / "registry.db"
    shutil.copy(migrated_database, database)
    sql_store = SqlAlchemyStore(f"sqlite:///{database}")
    memory_store = InMemoryRegistryStore()
    draw = Draw(random.Random(seed), memory_store)
    calls = list(CALLS)
    weights = [CALLS[call][0] for call in calls]
    try:
        for step in range(CALLS_PER_SEQUENCE):
            call = PROLOGUE[step] if step < len(PROLOGUE) else draw.rng.choices(calls, weights)[0]
            _, make_args, invoke, view = CALLS[call]
            args = make_args(draw)
            expected = outcome(invoke, sql_store, args, view)
            actual = outcome(invoke, memory_store, args, view)
            assert actual == expected, f"seed {seed}, step {step}: {call}{args!r}"
            next_millisecond()
        assert state_view(memory_store) == state_view(sql_store), f"seed {seed}: final state"
    finally:
        sql_store._dispose_engine()
