"""Sweeping what an interrupted run left: every entity of one run's namespace, and nothing else.

A run killed outright (SIGKILL, a lost machine) never reaches its cleanup, and its ledger dies
with it; the names it minted still share one prefix, ``<namespace>-``. The sweep asks the
server for names LIKE that prefix and keeps only those that really start with it: MLflow's
LIKE has no escape character every store honours (SQLite none, PostgreSQL and MySQL a
backslash), so a ``_`` of the namespace stays the one-character wildcard, which makes the
server's answer a superset (and ``LIKE`` is case-insensitive on some stores) that the exact,
case-sensitive prefix check narrows to the run's own entities. A namespace has no ``%`` and no
quote (the command checks it as ``run --namespace`` does), so it goes into a filter as it is.
Webhooks have no filter: every page of the registry's webhooks is read, and those whose name
starts with the prefix are the run's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from mlflow.entities import ViewType
from mlflow.tracking import MlflowClient

from conformance.run import client_capabilities
from conformance.run.ledger import (
    Leftover,
    remove_experiment,
    remove_model,
    remove_webhook,
    webhooks_named,
)
from conformance.run.refusals import classify

_PAGE = 1000


@dataclass(frozen=True)
class SweptModel:
    name: str
    versions: list[str]
    aliases: list[str]


@dataclass(frozen=True)
class SweptExperiment:
    id: str
    name: str
    runs: list[str]


@dataclass(frozen=True)
class SweptWebhook:
    id: str
    name: str


@dataclass(frozen=True)
class Found:
    """The entities of one namespace on one registry and its tracking server."""

    models: list[SweptModel]
    experiments: list[SweptExperiment]
    webhooks: list[SweptWebhook]

    def lines(self) -> list[str]:
        return [
            *(
                f"model {model.name} (versions: {', '.join(model.versions) or 'none'}; "
                f"aliases: {', '.join(model.aliases) or 'none'})"
                for model in self.models
            ),
            *(
                f"experiment {experiment.id} {experiment.name} ({len(experiment.runs)} runs)"
                for experiment in self.experiments
            ),
            *(f"webhook {webhook.name} (id {webhook.id})" for webhook in self.webhooks),
        ]


def find(namespace: str, registry_uri: str, tracking_uri: str) -> Found:
    """List the namespace's registered models (with versions and aliases) and experiments
    (with runs). Raises what the client raises when the server cannot be read."""
    prefix = f"{namespace}-"
    registry = MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri)
    tracking = MlflowClient(tracking_uri=tracking_uri)
    models = [
        SweptModel(
            model.name,
            sorted(
                (
                    str(version.version)
                    for version in registry.search_model_versions(
                        f"name = '{model.name}'", max_results=10_000
                    )
                ),
                key=int,
            ),
            sorted(model.aliases or {}),
        )
        for model in _pages(registry.search_registered_models, f"name LIKE '{prefix}%'")
        if model.name.startswith(prefix)
    ]
    experiments = [
        SweptExperiment(
            experiment.experiment_id,
            experiment.name,
            [
                run.info.run_id
                for run in tracking.search_runs(
                    [experiment.experiment_id], max_results=10_000, run_view_type=ViewType.ALL
                )
            ],
        )
        for experiment in _pages(tracking.search_experiments, f"name LIKE '{prefix}%'")
        if experiment.name.startswith(prefix)
    ]
    return Found(models, experiments, _webhooks(registry, prefix))


def _webhooks(registry: MlflowClient, prefix: str) -> list[SweptWebhook]:
    """The namespace's webhooks; none where the registry (or the client) has no webhooks."""
    if not client_capabilities.has("webhooks"):
        return []
    try:
        found = webhooks_named(registry, lambda name: name.startswith(prefix))
    except Exception as exc:
        if classify(exc).not_offered:
            return []
        raise
    return [SweptWebhook(webhook.webhook_id, webhook.name) for webhook in found]


def delete(found: Found, registry_uri: str, tracking_uri: str) -> list[Leftover]:
    """Delete what :func:`find` listed (each model and webhook as the ledger removes it; logged
    models, runs, experiment); what could not be deleted is returned."""
    registry = MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri)
    leftovers = []
    for model in found.models:
        reason = remove_model(registry, model.name)
        if reason is not None:
            leftovers.append(Leftover(model.name, reason))
    for name in sorted({webhook.name for webhook in found.webhooks}):
        reason = remove_webhook(registry, name)
        if reason is not None:
            leftovers.append(Leftover(f"webhook {name}", reason))
    tracking = MlflowClient(tracking_uri=tracking_uri)
    for experiment in found.experiments:
        leftovers += remove_experiment(tracking, experiment.id)
    return leftovers


def _pages(search, filter_string: str) -> Iterator:
    """Every page of a paged MLflow search."""
    token = None
    while True:
        page = search(filter_string=filter_string, max_results=_PAGE, page_token=token)
        yield from page
        token = page.token
        if not token:
            return
