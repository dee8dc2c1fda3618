"""A live registry at scale: a real ``mlflow server`` on PostgreSQL holding 1,000 registered models
(versions, tags, aliases, stages, descriptions, gaps left by deleted versions), experiments and
runs, many named the way the suite names its own, is exactly as it was after a whole ``-n 2`` run
of the suite, and holds nothing of that run. So is the foreign tracking server of seed row 4.

"As it was" is checked twice: through the REST API (every field of every model, version,
experiment and run) and in the database (every row of every table). The only rows a run may add
are MLflow's soft deletions: the run's experiments and runs, marked deleted, and its webhooks
(with the events they subscribed to), marked deleted (``deleted_timestamp``), which MLflow's
REST API cannot remove for good (``mlflow gc`` does, for experiments and runs).

The run's namespace is minted here in the suite's own shape and given with ``--namespace``, so
that look-alikes can sit right beside it (a longer and a shorter namespace, other case, ``_``
and ``%``); the run must print it at its start and store it in its results document.

Wall time ~3.5 min on 2 busy cores (setup ~45 s, filling ~15-30 s of it beside the servers'
start; the run ~110 s; the dumps ~10 s).
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mlflow.entities import Metric, Param, RunStatus, RunTag
from mlflow.entities.model_registry import ModelVersionTag, RegisteredModelTag
from mlflow.tracking import MlflowClient

from tests import registry_dump, servers
from tests.report_documents import run_with_document

pytestmark = pytest.mark.slow

POSTGRES = "postgresql://postgres@127.0.0.1:5432"
MODELS = 1000
EXPERIMENTS = 40
FOREIGN_EXPERIMENTS = 10
#: Hints the suite's scenarios give their names (``<namespace>-<worker>-<counter>-<hint>``).
HINTS = [
    "list-0", "order", "Alpha", "alpha", "alphA2", "beta", "exact", "exact-longer", "in-a",
    "rename-old", "rename-new", "stages-latest", "tag-set", "vdelete-first", "from-run-fluent",
    "foreign-client", "mlflow-format-latest", "details-tags", "redescribe", "other",
]  # fmt: skip
WORKERS = ["main", "gw0", "gw1"]
STAGES = ["Production", "Staging", "Archived", "None"]
#: Tables of MLflow's model registry: a run must leave them exactly as they were (it deletes
#: its models for good; deleted versions of other models stay rows of theirs).
REGISTRY_TABLES = {
    "registered_models",
    "registered_model_tags",
    "registered_model_aliases",
    "model_versions",
    "model_version_tags",
}
#: Columns by which MLflow's tracking tables refer to experiments, runs, logged models, inputs.
ID_COLUMNS = {
    "experiment_id",
    "run_uuid",
    "run_id",
    "source_run_id",
    "model_id",
    "source_id",
    "destination_id",
    "input_uuid",
    "dataset_uuid",
    "webhook_id",
}


def namespace_like_the_suites(seconds_ago: float = 0) -> str:
    """A namespace of the shape the suite mints (``rc<yymmddHHMMSS><6 hex>``)."""
    when = time.localtime(time.time() - seconds_ago)
    return f"rc{time.strftime('%y%m%d%H%M%S', when)}{secrets.token_hex(3)}"


def model_names(namespace: str, rng: random.Random) -> list[str]:
    """``MODELS`` names: the suite's shape around the run's own namespace (a longer and a
    shorter one, other case, ``_`` and ``%`` where LIKE would match), other runs' namespaces of
    the same hours, and names of nobody's shape. None starts with ``<namespace>-``."""
    swapped = f"{namespace}-gw0-".swapcase()
    near = [
        f"{namespace}x-gw0-1-list-0",
        f"{namespace}0-gw1-2-order",
        f"{namespace[:-1]}-gw0-3-alpha",
        f"{namespace[:-1]}-main-1-beta",
        f"{swapped}4-beta",
        f"{swapped}5-BETA",
        f"{swapped}6-Alpha",
        f"{namespace.upper()}-main-7-alpha",
        f"{namespace}_gw0-8-alpha",
        f"{namespace}%gw1-9-alphA2",
        f"{namespace}_main-10-exact",
        f"{namespace}",
        f"{namespace}x",
        f"x{namespace}-gw0-11-exact",
    ]
    names = dict.fromkeys(near)
    while len(names) < MODELS * 9 // 10:
        other = namespace_like_the_suites(rng.uniform(1, 48 * 3600))
        name = f"{other}-{rng.choice(WORKERS)}-{rng.randint(1, 400)}-{rng.choice(HINTS)}"
        names[name] = None
    index = 0
    while len(names) < MODELS:
        names[f"{rng.choice(['churn', 'fraud', 'ranker'])}-model_{index:03d}"] = None
        index += 1
    return list(names)


def experiment_names(namespace: str, count: int, rng: random.Random) -> list[str]:
    """Experiments of the suite's shape (``<namespace>-<worker>``) and others, none the run's."""
    near = [
        f"{namespace}x-gw0",
        f"{namespace[:-1]}-gw1",
        f"{namespace}-gw0".upper(),
        f"{namespace}_main",
        f"{namespace}",
    ]
    names = dict.fromkeys(near)
    while len(names) < count * 3 // 4:
        names[f"{namespace_like_the_suites(rng.uniform(1, 48 * 3600))}-{rng.choice(WORKERS)}"] = (
            None
        )
    while len(names) < count:
        names[f"team-experiment-{len(names)}"] = None
    return list(names)


@dataclass
class Filled:
    """What the fill made, counted."""

    models: int = 0
    versions: int = 0
    deleted_versions: int = 0
    aliases: int = 0
    staged: int = 0
    experiments: int = 0
    runs: int = 0
    seconds: float = 0.0


def fill_tracking(uri: str, names: list[str], filled: Filled) -> list[str]:
    """Experiments (tags, one deleted) with runs (params, metrics, tags, one deleted), through
    MLflow's SQL store on the database itself; returns the run ids."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(uri, "mlflow-artifacts:/")
    run_ids = []
    try:
        for index, name in enumerate(names):
            experiment_id = store.create_experiment(name, tags=[])
            store.set_experiment_tag(experiment_id, _experiment_tag(index))
            for number in range(3):
                run = store.create_run(
                    experiment_id, "ops", 1_700_000_000_000 + index, [], f"run-{index}-{number}"
                )
                run_id = run.info.run_id
                store.log_batch(
                    run_id,
                    metrics=[Metric("auc", 0.5 + number / 10, 1_700_000_000_000, number)],
                    params=[Param("depth", str(index % 9))],
                    tags=[RunTag("owner", "ops")],
                )
                store.update_run_info(run_id, RunStatus.FINISHED, 1_700_000_100_000 + index, None)
                run_ids.append(run_id)
            filled.experiments += 1
            filled.runs += 3
        store.delete_run(run_ids[4])
        store.delete_experiment(store.get_experiment_by_name(names[-1]).experiment_id)
    finally:
        store.engine.dispose()
    return run_ids


def _experiment_tag(index: int):
    from mlflow.entities import ExperimentTag

    return ExperimentTag("project", f"p{index % 5}")


def fill_registry(uri: str, names: list[str], run_ids: list[str], filled: Filled) -> None:
    """The registered models, four threads at a time through MLflow's SQL store."""
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(uri)
    try:
        with ThreadPoolExecutor(4) as pool:
            for counts in pool.map(
                lambda item: _fill_model(store, *item, run_ids), enumerate(names)
            ):
                for key, value in counts.items():
                    setattr(filled, key, getattr(filled, key) + value)
    finally:
        store.engine.dispose()


def _fill_model(store: Any, index: int, name: str, run_ids: list[str]) -> dict[str, int]:
    """One model: 0-4 versions (every tenth with its second deleted), tags, a description on
    two of three, aliases, stages, versions linked to runs."""
    tags = [RegisteredModelTag("team", f"t{index % 7}"), RegisteredModelTag("kept", str(index))]
    description = None if index % 3 == 0 else f"model {index}: keep me"
    store.create_registered_model(name, tags=tags, description=description)
    versions = index % 5
    for number in range(1, versions + 1):
        run_id = run_ids[index % len(run_ids)] if index % 7 == 0 else None
        store.create_model_version(
            name,
            f"s3://models/{index}/{number}",
            run_id=run_id,
            tags=[ModelVersionTag("v", str(number)), ModelVersionTag("model", name)],
            description=f"version {number}" if number % 2 else None,
        )
    counts = {"models": 1, "versions": versions, "deleted_versions": 0, "aliases": 0, "staged": 0}
    if versions >= 3 and index % 10 == 3:
        store.delete_model_version(name, "2")
        counts["deleted_versions"] = 1
    if versions:
        store.set_registered_model_alias(name, "champion", str(versions))
        counts["aliases"] += 1
        if index % 4 == 1:
            store.set_registered_model_alias(name, "challenger", "1")
            counts["aliases"] += 1
        stage = STAGES[index % 4]
        if stage != "None":
            store.transition_model_version_stage(name, "1", stage, False)
            counts["staged"] += 1
        store.set_registered_model_tag(name, RegisteredModelTag("filled", "yes"))
    return counts


def analyze(uri: str) -> None:
    """Give PostgreSQL the statistics of the filled tables, as its autovacuum would soon.

    Without them (autovacuum may be off, as on the test machine) it plans MLflow's query of
    each model's latest versions badly: an unfiltered search takes ~5 s a call, any page size,
    and the suite's listings run past their time limit (its verdicts say inconclusive)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(uri, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("ANALYZE"))
    finally:
        engine.dispose()


@dataclass
class Dumps:
    """One server's state: its REST view and its database."""

    registry: dict[str, Any] | None
    tracking: dict[str, Any]
    rows: dict[str, registry_dump.Rows]


def dump(url: str, database_uri: str, with_registry: bool) -> Dumps:
    client = MlflowClient(tracking_uri=url, registry_uri=url)
    return Dumps(
        registry_dump.registry(client) if with_registry else None,
        registry_dump.tracking(client),
        registry_dump.database(database_uri),
    )


@dataclass
class Servers:
    target: str
    target_db: str
    foreign: str
    foreign_db: str
    filled: Filled
    namespace: str


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path) -> Iterator[Servers]:
    """The pre-filled target (PostgreSQL) and foreign tracking server (SQLite), running. The
    databases fill while the servers start."""
    namespace = namespace_like_the_suites()
    rng = random.Random(namespace)
    filled = Filled()
    foreign_workdir = tmp_path_factory.mktemp("scale-foreign")
    foreign_uri = f"sqlite:///{servers.copy_database(migrated_sqlite, foreign_workdir / 'db')}"
    with ExitStack() as stack:
        database = stack.enter_context(servers.fresh_database(POSTGRES, "rcscale"))
        migrate(database.uri)  # once, before the server would

        def fill() -> None:
            started = time.monotonic()
            experiments = experiment_names(namespace, EXPERIMENTS, rng)
            run_ids = fill_tracking(database.uri, experiments, filled)
            fill_registry(database.uri, model_names(namespace, rng), run_ids, filled)
            analyze(database.uri)
            filled.seconds = time.monotonic() - started
            foreign_experiments = experiment_names(namespace, FOREIGN_EXPERIMENTS, rng)
            fill_tracking(foreign_uri, foreign_experiments, Filled())

        with ThreadPoolExecutor(1) as background:
            filling = background.submit(fill)
            target = stack.enter_context(
                servers.mlflow_server(database.uri, tmp_path_factory.mktemp("scale-target"))
            )
            foreign = stack.enter_context(servers.mlflow_server(foreign_uri, foreign_workdir))
            filling.result()
        yield Servers(target, database.uri, foreign, foreign_uri, filled, namespace)


def migrate(uri: str) -> None:
    from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore

    SqlAlchemyStore(uri).engine.dispose()


def test_a_whole_run_on_a_big_live_registry_touches_nothing_and_leaves_nothing(
    live: Servers, tmp_path: Path
):
    # given 1,000 models and their versions, experiments and runs on the target, and
    # experiments and runs on the foreign tracking server, many named like the suite's own
    assert (live.filled.models, live.filled.experiments) == (MODELS, EXPERIMENTS)
    assert live.filled.seconds < 90, f"filling took {live.filled.seconds:.0f} s"
    before = dump(live.target, live.target_db, with_registry=True)
    foreign_before = dump(live.foreign, live.foreign_db, with_registry=False)
    assert len(before.registry) == MODELS
    versions = sum(len(model["versions"]) for model in before.registry.values())
    assert versions == live.filled.versions - live.filled.deleted_versions

    # when the whole suite runs against it on two workers
    done, document = run_with_document(
        tmp_path,
        *("--registry-uri", live.target, "--foreign-tracking-uri", live.foreign),
        *("--namespace", live.namespace, "-n", "2"),
    )
    output = done.stdout[-4000:] + done.stderr[-2000:]

    # then the run said which namespace it names its entities with, and ran every scenario
    namespace = document["namespace"]
    assert namespace == live.namespace
    assert f"registry-conformance: namespace {namespace} " in done.stdout, output
    assert document["complete"] is True, output
    assert document["leftovers"] == [], output
    ran = [s for s in document["scenarios"] if s["outcome"] != "skipped"]
    assert len(ran) > 50, output
    # (none without a verdict: a stalled registry would have spared the rest of the run)
    assert [s["nodeid"] for s in ran if s["outcome"] == "error"] == [], output

    # and the registry is exactly as it was, field by field and row by row
    after = dump(live.target, live.target_db, with_registry=True)
    assert _differences(before.registry, after.registry) == [], output
    for server, was, now in (
        ("target", before, after),
        ("foreign", foreign_before, dump(live.foreign, live.foreign_db, with_registry=False)),
    ):
        # and nothing of the run is active; what MLflow keeps of it is marked deleted
        kept = _of_namespace(now.tracking, namespace)
        active = {
            name: _active_runs(experiment)
            for name, experiment in kept.items()
            if experiment["experiment"]["lifecycle_stage"] != "deleted" or _active_runs(experiment)
        }
        assert active == {}, f"{server}: the run left active {active}\n{output}"
        others = {name: value for name, value in now.tracking.items() if name not in kept}
        assert _differences(was.tracking, others) == [], f"{server}\n{output}"
        _assert_rows_untouched(server, was.rows, now.rows, namespace)


def _of_namespace(tracking: dict[str, Any], namespace: str) -> dict[str, Any]:
    return {name: value for name, value in tracking.items() if name.startswith(f"{namespace}-")}


def _active_runs(experiment: dict[str, Any]) -> list[str]:
    return [
        run_id
        for run_id, run in experiment["runs"].items()
        if run["info"]["lifecycle_stage"] != "deleted"
    ]


def _differences(was: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What changed between two dumps, one line per entity added, removed or changed."""
    lines = [f"removed: {name}" for name in sorted(was.keys() - now.keys())]
    lines += [f"added: {name}" for name in sorted(now.keys() - was.keys())]
    lines += [
        f"changed: {name}: {was[name]} -> {now[name]}"
        for name in sorted(was.keys() & now.keys())
        if was[name] != now[name]
    ]
    return lines


def _assert_rows_untouched(
    server: str, was: dict[str, registry_dump.Table], now: dict[str, registry_dump.Table], ns: str
) -> None:
    """Every row that was there is there, unchanged; the registry's tables are identical; every
    row added belongs to one of the run's experiments (``<namespace>-...``, marked deleted)."""
    assert was.keys() == now.keys(), server
    added = {}
    for name, table in was.items():
        gone = sorted(set(table.rows) - set(now[name].rows))
        assert gone == [], f"{server}: rows of {name} removed or changed: {gone[:5]}"
        new = sorted(set(now[name].rows) - set(table.rows))
        if new:
            added[name] = registry_dump.Table(table.columns, new)
    assert not added.keys() & REGISTRY_TABLES, f"{server}: {added}"
    not_of_the_run = _not_of_the_run(added, ns)
    assert not_of_the_run == {}, f"{server}: rows added: {not_of_the_run}"


def _not_of_the_run(added: dict[str, registry_dump.Table], namespace: str) -> dict[str, Any]:
    """The added rows that do not trace back to the run's experiments (``<namespace>-...``)
    through their id columns, and the run's experiments, runs and logged models that are not
    marked deleted; by table."""
    owned: set[str] = set()
    for table, id_column in (("experiments", "experiment_id"), ("webhooks", "webhook_id")):
        if table in added:
            columns = added[table].columns
            name, entity_id = columns.index("name"), columns.index(id_column)
            # values are repr()s: a name of the run's reads '<namespace>-...'
            owned |= {
                row[entity_id]
                for row in added[table].rows
                if row[name].startswith(f"'{namespace}-")
            }
    rows = [(table, added[table].columns, row) for table in added for row in added[table].rows]
    grown = True
    while grown:  # a run's id is owned through its experiment, a logged model's through its run
        grown = False
        for _, columns, row in rows:
            ids = _ids(columns, row)
            if ids & owned and not ids <= owned:
                owned |= ids
                grown = True
    wrong: dict[str, Any] = {}
    for table, columns, row in rows:
        if not _ids(columns, row) & owned:
            wrong.setdefault(table, []).append(("not the run's", row))
        elif not _marked_deleted(columns, row):
            wrong.setdefault(table, []).append(("not deleted", row))
    return wrong


def _marked_deleted(columns: tuple[str, ...], row: tuple[str, ...]) -> bool:
    """Whether a row MLflow soft-deletes is marked so (a row of a table without the mark: yes)."""
    values = dict(zip(columns, row, strict=True))
    return values.get("lifecycle_stage", "'deleted'") == "'deleted'" and (
        values.get("deleted_timestamp") != "None"
    )


def _ids(columns: tuple[str, ...], row: tuple[str, ...]) -> set[str]:
    return {value for column, value in zip(columns, row, strict=True) if column in ID_COLUMNS}
