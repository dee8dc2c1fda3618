"""Fixtures shared by the suite's own tests: real servers started and stopped by the session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import servers

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated MLflow SQLite file per session; copy it rather than migrating again."""
    return servers.migrated_sqlite(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def mlflow_sqlite_server(
    tmp_path_factory: pytest.TempPathFactory, migrated_sqlite: Path
) -> Iterator[str]:
    """A real ``mlflow server`` on SQLite, for the whole session."""
    workdir = tmp_path_factory.mktemp("mlflow-server")
    database = servers.copy_database(migrated_sqlite, workdir / "mlflow.db")
    with servers.mlflow_server(f"sqlite:///{database}", workdir) as url:
        yield url
