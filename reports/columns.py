"""The report's columns: what each one measures and how its target is brought up for one run.

A column's ``start`` is a context manager over a scratch folder: it starts what the target needs
(a server, a fresh database), yields a :class:`Setup` and stops and removes everything on exit,
whatever happened inside.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from conformance.targets import unique_slug
from tests import servers

#: Seed row 4's "different tracking server" for every column that brings no server of its own
#: for it: see reports/README.md.
FOREIGN_TRACKING_URI = "memory://published-foreign"
POSTGRESQL = "postgresql://postgres@127.0.0.1:5432"
POSTGRESQL_PSYCOPG2 = "postgresql+psycopg2://postgres@127.0.0.1:5432"
MARIADB = "mysql+pymysql://root@127.0.0.1:3306"
DATABASE_PLACEHOLDER = "<db>"
AZUREML_URI = "memory://azureml?emulate=azureml"


@dataclass
class Setup:
    """A column's target, up: the suite's options, and what its results document needs fixed."""

    #: ``--registry-uri`` (and tracking URI); None runs the suite's embedded default.
    registry_uri: str | None = None
    #: Variables the suite's process needs on top of the regeneration's own.
    env: dict[str, str] = field(default_factory=dict)
    #: Volatile values (random ports, database names) and the placeholders they become.
    masks: dict[str, str] = field(default_factory=dict)
    #: What the suite cannot discover (database, driver, backend store): joins targets[].server.
    facts: dict[str, str] = field(default_factory=dict)
    #: ``--foreign-tracking-uri``: seed row 4's foreign tracking server.
    foreign_tracking_uri: str = FOREIGN_TRACKING_URI


@dataclass(frozen=True)
class Column:
    #: The column's name, given to the suite as ``--target-label``.
    label: str
    #: One sentence for reports/README.md: what the target is and how it runs.
    what: str
    start: Callable[[Path], AbstractContextManager[Setup]]
    #: SQLAlchemy URIs of database servers the column needs (reachable, driver installed).
    databases: tuple[str, ...] = ()
    #: Why the column cannot be measured in this checkout yet, or None.
    unavailable: Callable[[], str | None] = lambda: None
    #: The MLflow clients to measure it through (``run --client``, one column each in its
    #: document); none: the suite's own client. See reports/client_skew.py.
    clients: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        """The target id the suite makes of the label: the document's, and its file name."""
        return unique_slug(self.label, set())


def run_env(workdir: Path) -> dict[str, str]:
    """For every process of a run: temporary paths under its scratch folder (so masking that
    folder catches them all) and a fixed hash seed (so sets quoted in messages keep one order)."""
    return {"TMPDIR": str(workdir / "tmp"), "PYTHONHASHSEED": "0"}


def server_masks(url: str, port: str = "<port>") -> dict[str, str]:
    """A served target's URL, and its port as urllib3 quotes it in connection errors; ``port``
    tells the placeholders of several servers apart."""
    return {url: f"http://127.0.0.1:{port}", f"port={url.rsplit(':', 1)[1]}": f"port={port}"}


@contextmanager
def _embedded(workdir: Path) -> Iterator[Setup]:
    yield Setup()


@contextmanager
def _reference_http(workdir: Path) -> Iterator[Setup]:
    with servers.reference_server("published", env=run_env(workdir), workdir=workdir) as url:
        yield Setup(url, masks=server_masks(url))


@contextmanager
def _mlflow_sqlite(workdir: Path) -> Iterator[Setup]:
    yield Setup(f"sqlite:///{workdir / 'mlflow.db'}")


@contextmanager
def _mlflow_server_sqlite(workdir: Path) -> Iterator[Setup]:
    store = f"sqlite:///{servers.migrated_sqlite(workdir)}"
    with servers.mlflow_server(store, workdir, env=run_env(workdir)) as url:
        yield Setup(url, masks=server_masks(url), facts={"backend_store": store})


@contextmanager
def _mlflow_server_sqlite_workspaces(workdir: Path) -> Iterator[Setup]:
    store = f"sqlite:///{servers.migrated_sqlite(workdir)}"
    with servers.mlflow_server(store, workdir, env=run_env(workdir), workspaces=True) as url:
        yield Setup(
            url,
            masks=server_masks(url),
            facts={"backend_store": store, "options": "--enable-workspaces"},
        )


@contextmanager
def _mlflow_servers_sharing_s3(workdir: Path) -> Iterator[Setup]:
    """The target and seed row 4's foreign tracking server: two ``mlflow server``s on SQLite
    whose runs keep their artifacts in one S3 bucket (moto), which the servers and the suite's
    clients address directly by ``s3://`` URI (not proxied)."""
    store_file = servers.migrated_sqlite(workdir)
    (workdir / "foreign").mkdir()
    foreign_file = servers.copy_database(store_file, workdir / "foreign" / "mlflow.db")
    with servers.s3_object_store(workdir) as bucket:
        env = {**run_env(workdir), **bucket.env}
        with (
            servers.mlflow_server(
                f"sqlite:///{store_file}",
                workdir,
                env=env,
                artifacts=servers.s3_artifacts(bucket, "target"),
            ) as url,
            servers.mlflow_server(
                f"sqlite:///{foreign_file}",
                workdir / "foreign",
                env=env,
                artifacts=servers.s3_artifacts(bucket, "foreign"),
            ) as foreign,
        ):
            yield Setup(
                url,
                env=bucket.env,
                masks={
                    **server_masks(url),
                    **server_masks(foreign, "<foreign-port>"),
                    **server_masks(bucket.endpoint_url, "<s3-port>"),
                },
                facts={
                    "backend_store": f"sqlite:///{store_file}",
                    "artifacts": f"{bucket.uri('target')} (moto S3, not proxied)",
                    "foreign_tracking_server": (
                        f"mlflow server on SQLite, artifacts {bucket.uri('foreign')} "
                        "in the same bucket (not proxied)"
                    ),
                },
                foreign_tracking_uri=foreign,
            )


def _mlflow_server_on(database_server: str) -> Callable[[Path], AbstractContextManager[Setup]]:
    """``mlflow server`` on a fresh database of ``database_server``, dropped afterwards."""

    @contextmanager
    def start(workdir: Path) -> Iterator[Setup]:
        with (
            servers.fresh_database(database_server, prefix="rc_report") as database,
            servers.mlflow_server(database.uri, workdir, env=run_env(workdir)) as url,
        ):
            yield Setup(
                url,
                masks={**server_masks(url), database.name: DATABASE_PLACEHOLDER},
                facts={
                    "backend_store": database.uri,
                    "database": database.version,
                    "database_driver": database.driver,
                },
            )

    return start


@contextmanager
def _mlflow_file_store(workdir: Path) -> Iterator[Setup]:
    # MLflow 3.17 refuses the file store unless this documented opt-out is set.
    yield Setup(str(workdir / "mlruns"), env={"MLFLOW_ALLOW_FILE_STORE": "true"})


@contextmanager
def _reference_azureml(workdir: Path) -> Iterator[Setup]:
    yield Setup(AZUREML_URI)


COLUMNS: tuple[Column, ...] = (
    Column(
        "reference (embedded)",
        "The in-memory reference backend in the suite's own process: the suite's default target, "
        "no `--registry-uri`.",
        _embedded,
    ),
    Column(
        "reference (HTTP)",
        "The reference backend served by `reference-backend serve` on a free port, through "
        "MLflow's REST client.",
        _reference_http,
    ),
    Column(
        "MLflow SQLite store (in-process)",
        "MLflow's SQL store on a fresh SQLite file, opened in the suite's process "
        "(`sqlite:///...`).",
        _mlflow_sqlite,
    ),
    Column(
        "mlflow server · SQLite",
        "`mlflow server` (one worker, proxied artifacts) on a fresh, migrated SQLite file.",
        _mlflow_server_sqlite,
    ),
    Column(
        "mlflow server · SQLite · workspaces",
        "The same with `--enable-workspaces` (MLflow 3.10+): requests without a workspace go "
        "to the default one; the workspaces row is measured only here.",
        _mlflow_server_sqlite_workspaces,
    ),
    Column(
        "mlflow server · SQLite · shared S3",
        "`mlflow server` (one worker) on a fresh, migrated SQLite file, whose artifacts, like "
        "those of its foreign tracking server (a second `mlflow server` on SQLite), live in one "
        "S3 bucket (moto) that servers and clients address directly (`s3://`, not proxied).",
        _mlflow_servers_sharing_s3,
    ),
    Column(
        "mlflow server · PostgreSQL",
        "`mlflow server` on a fresh PostgreSQL database, `postgresql://`: with the driver "
        "SQLAlchemy picks for that scheme.",
        _mlflow_server_on(POSTGRESQL),
        databases=(POSTGRESQL,),
    ),
    Column(
        "mlflow server · PostgreSQL (psycopg2)",
        "The same with `postgresql+psycopg2://`: the driver SQLAlchemy used for "
        "`postgresql://` before 2.1.",
        _mlflow_server_on(POSTGRESQL_PSYCOPG2),
        databases=(POSTGRESQL_PSYCOPG2,),
    ),
    Column(
        "mlflow server · MariaDB",
        "`mlflow server` on a fresh MariaDB database, `mysql+pymysql://`.",
        _mlflow_server_on(MARIADB),
        databases=(MARIADB,),
    ),
    Column(
        "MLflow file store (in-process)",
        "MLflow's file store on a fresh local folder (a plain path as registry and tracking URI), "
        "with `MLFLOW_ALLOW_FILE_STORE=true`: without it MLflow 3.17 refuses to open it.",
        _mlflow_file_store,
    ),
    Column(
        "reference · Azure ML emulation",
        f"The reference backend in-process emulating Azure ML, `{AZUREML_URI}`: it refuses what "
        "the seed's Azure ML column says Azure ML refuses.",
        _reference_azureml,
    ),
)
COLUMNS_BY_ID = {column.id: column for column in COLUMNS}
