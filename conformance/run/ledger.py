"""The ledger of entities a run creates, and the cleanup that removes exactly those.

Every name a scenario may create is minted here with the run's namespace before the call that
creates it, so cleanup finds it even when the scenario died half-way. Cleanup never touches a
name that is not in the ledger. It removes a model with one ``delete_registered_model`` (MLflow's
stores delete its versions, tags and aliases with it; a name that was never created answers
``RESOURCE_DOES_NOT_EXIST``); only where the registry refuses that does it remove aliases, then
versions, then try the model again, so that registries which refuse container deletion are still
left with nothing of ours but an empty container (reported as a leftover). A workspace the run
created (MLflow 3.10+) is removed after the models of the run in it, and only once it is seen to
hold no registered model and no prompt (see :func:`remove_workspace`). Only a namespace that
MLflow allows in workspace names as it is mints workspaces (``namespaces.is_workspace_of``).

Webhooks (MLflow 3.3+) are minted the same way, by name: a registry identifies them by an id it
gives, so their removal lists the registry's webhooks and deletes those that bear a minted name
(one the run gave, in its namespace) and nothing else.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mlflow.entities.model_registry import RegisteredModel
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from conformance.namespaces import is_workspace_of
from conformance.run import client_capabilities
from conformance.run.refusals import Kind, classify
from conformance.run.registry_client import direct
from conformance.run.stalls import Stalled, stall_of

#: How many times the cleanup sends a removal that met a fault on the way (see _worth_retrying).
_ATTEMPTS = 4
#: How many pages (of the registry's default size: a registry may cap it lower than any size the
#: suite would ask for) before a webhook listing is taken for one that never ends.
_WEBHOOK_PAGES = 1000
#: The search under which MLflow's stores show prompts (any other leaves them out; the tag is
#: spelled out: MLflow's constant is younger than the oldest client the suite runs with).
_PROMPTS = "tags.`mlflow.prompt.is_prompt` = 'true'"
#: The longest webhook name MLflow accepts (``_WEBHOOK_NAME_REGEX`` of ``mlflow.utils.validation``).
WEBHOOK_NAME_LIMIT = 63


@dataclass(frozen=True)
class Leftover:
    name: str
    reason: str


@dataclass
class Ledger:
    """Names minted by one process of one run (an xdist worker has its own ledger).

    A name stays *pending* from the moment it is minted until its removal is confirmed, so a
    cleanup cut short (a failure, an interrupt) is completed by the final :meth:`sweep`. So does
    a workspace (MLflow 3.10+) the run minted: a name used in one is pending there too, and the
    workspace is removed after them.
    """

    namespace: str
    worker: str = field(default_factory=lambda: os.environ.get("PYTEST_XDIST_WORKER", "main"))
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    #: pending (name, workspace) -> (tracking URI, registry URI) of the registry it may exist in;
    #: workspace None is the run's own (the one the client selects without being told)
    _pending: dict[tuple[str, str | None], tuple[str, str]] = field(default_factory=dict)
    #: pending workspace -> (tracking URI, registry URI) of the registry it may exist in
    _workspaces: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: the pending names that name webhooks, not registered models
    _webhooks: set[str] = field(default_factory=set)

    @property
    def prefix(self) -> str:
        """What every name this process mints starts with: no other run's or process's does."""
        return f"{self.namespace}-{self.worker}-"

    def mint(self, hint: str, tracking_uri: str, registry_uri: str, limit: int = 0) -> str:
        """A fresh name of this run, ``<prefix><counter>-<hint>``; ``hint`` says what it is for,
        to help a human reading it. With a ``limit`` the hint is cut (down to nothing) to keep
        the name within that many characters: the prefix and counter, never cut, make it the
        run's, and unique."""
        with self._lock:
            unique = f"{self.prefix}{next(self._counter)}"
            name = f"{unique}-{hint}"
            if limit and len(name) > limit:  # a name ends as it starts: a letter or a digit
                name = unique + name[len(unique) : limit].rstrip("-._")
            self._pending[(name, None)] = (tracking_uri, registry_uri)
        return name

    def mint_workspace(self, hint: str, tracking_uri: str, registry_uri: str) -> str:
        """A fresh workspace name of this run (``hint``: lowercase letters, digits). Raises
        ValueError where the namespace is not one that mints workspaces: normalised, it could
        name another namespace's, which the ``sweep`` of either must never take for its own."""
        with self._lock:
            name = f"{self.prefix}{next(self._counter)}-{hint}"
            if not is_workspace_of(self.namespace, name):
                raise ValueError(f"{name!r} is not a workspace name of namespace {self.namespace}")
            self._workspaces[name] = (tracking_uri, registry_uri)
        return name

    def place(self, name: str, workspace: str) -> None:
        """Record that the minted ``name`` may also be created in the minted ``workspace``."""
        with self._lock:
            where = self._pending.get((name, None)) or self._pending[(name, workspace)]
            self._pending[(name, workspace)] = where

    def mint_webhook(self, hint: str, tracking_uri: str, registry_uri: str) -> str:
        """A fresh webhook name of this run (as :meth:`mint`), within MLflow's 63 characters of a
        webhook name: a long namespace cuts the hint short."""
        name = self.mint(hint, tracking_uri, registry_uri, limit=WEBHOOK_NAME_LIMIT)
        with self._lock:
            self._webhooks.add(name)
        return name

    def remove(self, names: list[str]) -> list[Leftover]:
        """Delete what these minted names name (a model with its aliases and versions, in every
        workspace it was used in, or a webhook). Raises only :class:`Stalled`, at the first call
        that got no answer in time: that name and the following stay pending, so that a stalled
        registry costs one call timeout, not one each."""
        wanted = set(names)
        with self._lock:
            keys = [key for key in self._pending if key[0] in wanted]
        return self._remove_models(keys)

    def remove_workspaces(self, workspaces: list[str]) -> list[Leftover]:
        """Delete these minted workspaces, each after the names used in it. Raises only
        :class:`Stalled`, as :meth:`remove` does."""
        leftovers = []
        for workspace in workspaces:
            with self._lock:
                where = self._workspaces.get(workspace)
                keys = [key for key in self._pending if key[1] == workspace]
            if where is None:
                continue
            kept = self._remove_models(keys)
            leftovers += kept
            client = MlflowClient(tracking_uri=where[0], registry_uri=where[1])
            reason = remove_workspace(client, workspace, kept)
            if reason is None:
                with self._lock:
                    self._workspaces.pop(workspace, None)
            else:
                leftovers.append(Leftover(f"workspace {workspace}", reason))
        return leftovers

    def _remove_models(self, keys: list[tuple[str, str | None]]) -> list[Leftover]:
        leftovers = []
        for key in keys:
            with self._lock:
                where = self._pending.get(key)
            if where is None:
                continue
            name, workspace = key
            with self._lock:
                is_webhook = name in self._webhooks
            client = MlflowClient(tracking_uri=where[0], registry_uri=where[1])
            with in_workspace(workspace):
                reason = remove_webhook(client, name) if is_webhook else remove_model(client, name)
            if reason is None:
                with self._lock:
                    self._pending.pop(key, None)
                    self._webhooks.discard(name)
            else:
                leftovers.append(Leftover(_described(name, workspace), reason))
        return leftovers

    def sweep(self, where: tuple[str, str] | None = None) -> list[Leftover]:
        """Retry every name and workspace whose removal was never confirmed (of one registry:
        ``where`` is its tracking and registry URI); what remains is left behind. Raises
        :class:`Stalled` as :meth:`remove` does."""
        with self._lock:
            keys = [key for key, at in self._pending.items() if where in (None, at)]
            workspaces = [ws for ws, at in self._workspaces.items() if where in (None, at)]
        return self._remove_models(keys) + self.remove_workspaces(workspaces)

    def unconfirmed(self, reason: str, where: tuple[str, str] | None = None) -> list[Leftover]:
        """The names whose removal was never confirmed, when there is no time to retry them."""
        with self._lock:
            return [
                Leftover(_described(name, workspace), reason)
                for (name, workspace), at in self._pending.items()
                if where in (None, at)
            ] + [
                Leftover(f"workspace {workspace}", reason)
                for workspace, at in self._workspaces.items()
                if where in (None, at)
            ]


def _described(name: str, workspace: str | None) -> str:
    return name if workspace is None else f"{name} (workspace {workspace})"


@contextlib.contextmanager
def in_workspace(workspace: str | None) -> Iterator[None]:
    """MLflow's client selects ``workspace`` for the calls inside (None: leaves it as it is).

    ``WorkspaceContext`` (MLflow 3.10+) is imported only when a workspace is given: a client
    without workspaces never mints one."""
    if workspace is None:
        yield
        return
    from mlflow.utils.workspace_context import WorkspaceContext

    with WorkspaceContext(workspace):
        yield


def remove_workspace(client: MlflowClient, workspace: str, kept: list[Leftover]) -> str | None:
    """Delete one of the run's workspaces once the run's models in it are gone (``kept``: those
    that are not) and it is seen to hold no registered model and no prompt; None when it is
    gone, else why it is not. What it holds is a leftover to report, never to destroy unseen, and
    the deletion alone cannot promise that: MLflow's client asks for ``RESTRICT`` by sending no
    mode, and a registry whose default is ``CASCADE`` would delete whatever the workspace holds."""
    if kept:
        return f"it still holds {', '.join(left.name for left in kept)}"
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            held = _models_in(client, workspace)
            if held:
                return f"it still holds registered models: {', '.join(held)}"[:300]
            client.delete_workspace(workspace)
        except Exception as exc:
            _raise_if_stalled(exc)
            if isinstance(exc, MlflowException) and exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                return None
            if attempt < _ATTEMPTS and _worth_retrying(exc):
                continue
            return f"{type(exc).__name__}: {exc}"[:300]
        return None
    return None


def _models_in(client: MlflowClient, workspace: str) -> list[str]:
    """Some of the registered models and prompts in ``workspace``; none when it holds neither.
    (MLflow's stores show prompts only to a search that asks for them; its registry client would
    also rewrite the filters, so the store is asked.)"""
    store, held = direct(client).store, []
    with in_workspace(workspace):
        for filter_string in (None, _PROMPTS):
            page = store.search_registered_models(
                filter_string=filter_string, max_results=10, order_by=None, page_token=None
            )
            held += [model.name for model in page]
    return held


def remove_model(client: MlflowClient, name: str) -> str | None:
    """Remove one model; None when it is gone (or never existed), else why it is not.

    One request where the registry deletes containers (the model's own name is the run's, never
    a prompt: MLflow's registry client, without ``MlflowClient``'s read before the write)."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            direct(client).delete_registered_model(name)
        except Exception as exc:
            _raise_if_stalled(exc)
            if isinstance(exc, MlflowException) and exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                return None
            if attempt < _ATTEMPTS and _worth_retrying(exc):
                continue
            return _remove_piecewise(client, name)
        return None
    return None


def _remove_piecewise(client: MlflowClient, name: str) -> str | None:
    """Aliases, versions, then the model: for a registry that would not delete it whole."""
    try:
        model = client.get_registered_model(name)
    except Exception as exc:
        _raise_if_stalled(exc)
        return _existence_unknown(exc)
    try:
        _remove_existing_model(client, model)
    except MlflowException as exc:
        _raise_if_stalled(exc)
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            return str(exc.message).splitlines()[0][:300]
    except Exception as exc:
        _raise_if_stalled(exc)
        return f"{type(exc).__name__}: {exc}"[:300]
    return None


def _raise_if_stalled(exc: Exception) -> None:
    stall = stall_of(exc)
    if stall:
        raise Stalled(stall) from exc


def _existence_unknown(exc: Exception) -> str | None:
    """Why a name whose model could not be read may still exist; None when the registry says it
    does not: the model is missing, or reading models is not offered at all (a registry that
    cannot show a model holds none of ours: a name minted there was never created)."""
    if isinstance(exc, MlflowException) and exc.error_code == "RESOURCE_DOES_NOT_EXIST":
        return None
    verdict = classify(exc)
    if verdict.not_offered:
        return None
    return f"could not check whether it exists: {verdict.reason}"[:300]


def _remove_existing_model(client: MlflowClient, model: RegisteredModel) -> None:
    name, registry = model.name, direct(client)
    for alias in model.aliases or {}:
        _ignore_missing(registry.delete_registered_model_alias, name, alias)
    for version in _versions(client, name, model):
        _ignore_missing(registry.delete_model_version, name, version)
    registry.delete_registered_model(name)


def _versions(client: MlflowClient, name: str, model) -> set[str]:
    try:
        found = client.search_model_versions(f"name = '{name}'", max_results=10_000)
        return {str(version.version) for version in found}
    except MlflowException as exc:
        _raise_if_stalled(exc)
        return {str(version.version) for version in (model.latest_versions or [])}


def _ignore_missing(call, *args) -> None:
    try:
        call(*args)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise


def remove_webhook(client: MlflowClient, name: str) -> str | None:
    """Remove the webhooks named ``name`` (a minted name: the run's own); None when none is left
    (or none was ever made: a client without webhooks makes none), else why not."""
    if not client_capabilities.has("webhooks"):
        return None
    for attempt in range(1, _ATTEMPTS + 1):
        listed = False
        try:
            found = webhooks_named(client, lambda found: found == name)
            listed = True
            for webhook in found:
                _ignore_missing(direct(client).delete_webhook, webhook.webhook_id)
        except Exception as exc:
            _raise_if_stalled(exc)
            if attempt < _ATTEMPTS and _worth_retrying(exc):
                continue
            verdict = classify(exc)
            if verdict.not_offered and not listed:
                return None  # a registry that lists no webhooks holds none of ours
            # a refused deletion leaves a webhook of ours (maybe active, calling a closed port)
            return f"webhook: {verdict.reason}"[:300]
        return None
    return None


def webhooks_named(client: MlflowClient, wanted: Callable[[str], bool]) -> list[Any]:
    """Every webhook of the registry whose name ``wanted`` accepts, from every page."""
    found, token = [], None
    for _ in range(_WEBHOOK_PAGES):
        page = direct(client).list_webhooks(page_token=token)
        found += [webhook for webhook in page if wanted(webhook.name)]
        token = page.token
        if not token:
            return found
    raise RuntimeError(f"list_webhooks still had pages after {_WEBHOOK_PAGES} of them")


def remove_experiment(client: MlflowClient, experiment_id: str) -> list[Leftover]:
    """Delete a run's own experiment with its runs and logged models; never raise."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            if attempt > 1 and client.get_experiment(experiment_id).lifecycle_stage == "deleted":
                return []  # the delete that met the fault went through
            # a client without logged models (MLflow 2) has logged none
            logged = client_capabilities.has("logged models")
            for model in (
                client.search_logged_models(experiment_ids=[experiment_id]) if logged else ()
            ):
                _ignore_missing(client.delete_logged_model, model.model_id)
            for run in client.search_runs([experiment_id], max_results=10_000):
                _ignore_missing(client.delete_run, run.info.run_id)
            client.delete_experiment(experiment_id)
        except Exception as exc:
            if attempt < _ATTEMPTS and _worth_retrying(exc):
                continue
            return [Leftover(f"experiment {experiment_id}", f"{type(exc).__name__}: {exc}"[:300])]
        return []
    return []


def _worth_retrying(exc: Exception) -> bool:
    """A fault on the way that is no stall (a 503, a reset): the cleanup judges nothing, so it
    tries again, up to ``_ATTEMPTS`` times in all, rather than leave the entity behind."""
    return stall_of(exc) is None and classify(exc).kind is Kind.TRANSPORT
