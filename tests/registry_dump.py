"""Everything a registry and its tracking server hold, as plain values to compare before and
after a run of the suite: what the REST API shows (every field of every model, version,
experiment and run) and what the database holds (every row of every table)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from google.protobuf.json_format import MessageToDict
from mlflow.entities import ViewType
from mlflow.tracking import MlflowClient


@dataclass(frozen=True)
class Table:
    """A table's column names and its rows, each a tuple of its values as text, sorted."""

    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]


def model_names(client: MlflowClient) -> set[str]:
    """The names of every registered model."""
    return {model.name for model in pages(client.search_registered_models, max_results=1000)}


def snapshot(client: MlflowClient, name: str) -> dict[str, Any]:
    """One model's description, tags, aliases and versions (stage, tags, description, time)."""
    model = client.get_registered_model(name)
    versions = client.search_model_versions(f"name = '{name}'")
    return {
        "model": (model.description, model.tags, model.aliases, model.last_updated_timestamp),
        "versions": sorted(
            (str(v.version), v.current_stage, v.tags, v.description, v.last_updated_timestamp)
            for v in versions
        ),
    }


def registry(client: MlflowClient) -> dict[str, dict[str, Any]]:
    """Every registered model, name -> every field the API gives (latest versions, tags,
    aliases, description, timestamps) and every version with every field, sorted by number."""
    models = {
        model.name: {"model": _fields(model), "versions": []}
        for model in pages(client.search_registered_models, max_results=1000)
    }
    for version in pages(client.search_model_versions, max_results=10_000):
        models[version.name]["versions"].append(_fields(version))
    for model in models.values():
        model["versions"].sort(key=lambda version: int(version["version"]))
    return models


def tracking(client: MlflowClient) -> dict[str, dict[str, Any]]:
    """Every experiment, active or deleted, name -> every field (tags, lifecycle stage,
    timestamps) and its runs, active or deleted, id -> every field (info, params, metrics,
    tags, inputs)."""
    experiments = {}
    for experiment in pages(client.search_experiments, view_type=ViewType.ALL, max_results=1000):
        runs = pages(
            client.search_runs,
            experiment_ids=[experiment.experiment_id],
            run_view_type=ViewType.ALL,
            max_results=1000,
        )
        experiments[experiment.name] = {
            "experiment": _fields(experiment),
            "runs": {run.info.run_id: _fields(run) for run in runs},
        }
    return experiments


def database(uri: str) -> dict[str, Table]:
    """Every row of every table of the database at the SQLAlchemy ``uri``, by table name."""
    from sqlalchemy import MetaData, create_engine, select

    engine = create_engine(uri)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return {
                name: Table(
                    tuple(column.name for column in table.columns),
                    sorted(
                        tuple(_text(value) for value in row)
                        for row in connection.execute(select(table))
                    ),
                )
                for name, table in metadata.tables.items()
            }
    finally:
        engine.dispose()


def pages(search: Callable[..., Any], **arguments: Any) -> Iterator[Any]:
    """Every item of every page of a paged MLflow search."""
    token = None
    while True:
        page = search(**arguments, page_token=token)
        yield from page
        token = page.token
        if not token:
            return


def _fields(entity: Any) -> dict[str, Any]:
    """Every field of an MLflow entity, as its protobuf message carries it over the wire."""
    return MessageToDict(entity.to_proto(), preserving_proto_field_name=True)


def _text(value: Any) -> str:
    return value.hex() if isinstance(value, bytes | memoryview) else repr(value)
