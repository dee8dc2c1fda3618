"""Sweeping what an interrupted run left: every entity of one run's namespace, and nothing else.

A run killed outright (SIGKILL, a lost machine) never reaches its cleanup, and its ledger dies
with it; the names it minted still share one prefix, ``<namespace>-``. The sweep asks the
server for names LIKE that prefix and keeps only those a run of exactly this namespace mints
(``is_name_of``: ``<namespace>-<process>-<counter>-<hint>``, not merely any name that starts
with the prefix, as namespace ``ci-x``'s names do for namespace ``ci``): MLflow's LIKE has no
escape character every store honours (SQLite none, PostgreSQL and MySQL a backslash), so a
``_`` of the namespace stays the one-character wildcard, which makes the server's answer a
superset (and ``LIKE`` is case-insensitive on some stores) that the exact, case-sensitive match
narrows to the run's own entities. A namespace has no ``%`` and no quote (the command checks it
as ``run --namespace`` does), so it goes into a filter as it is. Webhooks have no filter: every
page of the registry's webhooks is read, and those whose names the run minted are its.
Workspaces have none either: every workspace is listed, and only the names a run of exactly this
namespace mints are its (``is_workspace_of``); a workspace is deleted only once empty.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field

from mlflow.entities import ViewType
from mlflow.tracking import MlflowClient

from conformance.namespaces import is_name_of, is_workspace_of
from conformance.run import client_capabilities
from conformance.run.ledger import (
    Leftover,
    in_workspace,
    remove_experiment,
    remove_model,
    remove_webhook,
    remove_workspace,
    webhooks_named,
)
from conformance.run.refusals import Kind, classify
from conformance.run.registry_client import direct

_PAGE = 1000


@dataclass(frozen=True)
class SweptModel:
    name: str
    versions: list[str]
    aliases: list[str]

    def line(self, where: str = "") -> str:
        return (
            f"model {self.name}{where} (versions: {', '.join(self.versions) or 'none'}; "
            f"aliases: {', '.join(self.aliases) or 'none'})"
        )


@dataclass(frozen=True)
class SweptExperiment:
    id: str
    name: str
    runs: list[str]


@dataclass(frozen=True)
class SweptWorkspace:
    name: str
    models: list[SweptModel]


@dataclass(frozen=True)
class SweptWebhook:
    id: str
    name: str


@dataclass(frozen=True)
class Found:
    """The entities of one namespace on one registry and its tracking server."""

    models: list[SweptModel]
    experiments: list[SweptExperiment]
    workspaces: list[SweptWorkspace] = field(default_factory=list)
    webhooks: list[SweptWebhook] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [
            *(
                model.line(f" in workspace {workspace.name}")
                for workspace in self.workspaces
                for model in workspace.models
            ),
            *(f"workspace {workspace.name}" for workspace in self.workspaces),
            *(model.line() for model in self.models),
            *(
                f"experiment {experiment.id} {experiment.name} ({len(experiment.runs)} runs)"
                for experiment in self.experiments
            ),
            *(f"webhook {webhook.name} (id {webhook.id})" for webhook in self.webhooks),
        ]


def find(namespace: str, registry_uri: str, tracking_uri: str) -> Found:
    """List the namespace's registered models (with versions and aliases), its workspaces (with
    the namespace's models in each) and experiments (with runs). Raises what the client raises
    when the server cannot be read."""
    prefix = f"{namespace}-"
    registry = MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri)
    tracking = MlflowClient(tracking_uri=tracking_uri)
    workspaces = []
    for workspace in _workspaces(registry):
        if is_workspace_of(namespace, workspace):
            with in_workspace(workspace):
                workspaces.append(SweptWorkspace(workspace, _models(registry, namespace)))
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
        if is_name_of(namespace, experiment.name)
    ]
    return Found(
        _models(registry, namespace), experiments, workspaces, _webhooks(registry, namespace)
    )


def _models(registry: MlflowClient, namespace: str) -> list[SweptModel]:
    """The namespace's registered models (of the selected workspace)."""
    return [
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
        for model in _pages(registry.search_registered_models, f"name LIKE '{namespace}-%'")
        if is_name_of(namespace, model.name)
    ]


def _workspaces(registry: MlflowClient) -> list[str]:
    """The names of the registry's workspaces; none where it (or MLflow's client) has none.

    Whether it has them is judged as the scenarios judge it (``skip_without_workspaces``): a
    refusal means none (MLflow's client raises INVALID_PARAMETER_VALUE where ``server-info`` and
    ``server-features`` are both missing, as on every MLflow 2 server); what allows no such
    judgement (no answer, a missing right, a broken one) is raised."""
    if not hasattr(registry, "list_workspaces"):
        return []
    try:
        offered = getattr(direct(registry).store, "supports_workspaces", False)
    except Exception as exc:
        if classify(exc).kind is Kind.REFUSAL:
            return []
        raise
    if not offered:
        return []
    return [workspace.name for workspace in registry.list_workspaces()]


def _webhooks(registry: MlflowClient, namespace: str) -> list[SweptWebhook]:
    """The namespace's webhooks; none where the registry (or the client) has no webhooks."""
    if not client_capabilities.has("webhooks"):
        return []
    try:
        found = webhooks_named(registry, functools.partial(is_name_of, namespace))
    except Exception as exc:
        if classify(exc).not_offered:
            return []
        raise
    return [SweptWebhook(webhook.webhook_id, webhook.name) for webhook in found]


def delete(found: Found, registry_uri: str, tracking_uri: str) -> list[Leftover]:
    """Delete what :func:`find` listed (each model and webhook as the ledger removes it; a
    workspace after its models, once it holds none; logged models, runs, experiment); what could
    not be deleted is returned."""
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
    for workspace in found.workspaces:
        kept = []
        for model in workspace.models:
            with in_workspace(workspace.name):
                reason = remove_model(registry, model.name)
            if reason is not None:
                kept.append(Leftover(f"{model.name} (workspace {workspace.name})", reason))
        leftovers += kept
        reason = remove_workspace(registry, workspace.name, kept)
        if reason is not None:
            leftovers.append(Leftover(f"workspace {workspace.name}", reason))
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
