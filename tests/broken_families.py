"""Generic broken registries: kinds of breakage applied to the operations of any one feature.

Importing this module (``pytest -p tests.broken_families``) registers the MLflow store scheme
``faulty`` for the registry and the tracking side. ``faulty://<family>--<slug>`` (``slug``: a
feature id with ``.`` replaced by ``-``) is a reference-backend instance of its own whose registry
store has the operations of that feature (``FEATURE_OPERATIONS``) broken the family's way
(``FAMILIES``); everything else, the tracking store included, is the instance's own.
``faulty://intact`` breaks nothing and, when ``STATE_DIR_VARIABLE`` names a folder, records there
which store operations each scenario calls (``measured_uses``).

Nothing here knows a scenario: a family is a rule about a kind of answer (a write that is not
applied, a read one write behind, a code that contradicts the state, a page that loses or repeats
an item, a listing that does not end, a 500, a denied right, a stall, a refusal after a change,
and a clean refusal as the control), applied to whatever operations the table names, so a
feature added to the catalogue is broken every way once it has a row in the table.
The rules work on the reference store's records (``_models``, ``_names``, ``_lock``), the same
store-internal access ``tests/broken_backends.py`` takes, because "the state as it was" and "the
answer a write would have given" are only expressible there.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import os
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import (
    INTERNAL_ERROR,
    INVALID_PARAMETER_VALUE,
    NOT_IMPLEMENTED,
    PERMISSION_DENIED,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
    ErrorCode,
)
from mlflow.store.entities.paged_list import PagedList
from mlflow.tracking._model_registry.utils import _get_store_registry
from mlflow.tracking._tracking_service.utils import _tracking_store_registry
from mlflow.tracking._workspace.registry import _get_workspace_store_registry

from conformance.catalogue import FEATURES
from reference_backend.instances import Instance, get_instance
from reference_backend.name_index import NameIndex
from reference_backend.registry_store import InMemoryRegistryStore
from reference_backend.webhooks import Webhooks
from tests.broken_backends import Replacement, SabotagedRegistryStore

SCHEME = "faulty"
INTACT = "intact"
#: A folder shared by every process of a run: "first call" markers and the intact target's record.
STATE_DIR_VARIABLE = "FAULTY_REGISTRY_STATE_DIR"
#: How long the ``stall`` family blocks; the run's scenario timeout must be well below it.
STALL_S = 20.0
#: How many empty pages, each with a fresh next-page token, end an ``endless-pages`` answer: far
#: more than a listing of ``conformance.scenarios.searches.LISTING_CAP`` models takes, so a page
#: walk bounded anywhere near that cap stops first; without a bound the walk still ends.
ENDLESS_PAGES = 50_000


# --- the registry store's operations ---------------------------------------------------------


class Kind(str, Enum):
    READ = "read"
    SEARCH = "search"
    WRITE = "write"


@dataclass(frozen=True)
class Operation:
    kind: Kind
    #: A write that brings an entity into being: a contradicting code says it already exists.
    creates: bool = False


#: Every model-registry operation of MLflow's store API (prompts aside). Listing webhooks counts
#: as a search: it has no filter, but pages, which break as a search's do.
OPERATIONS: dict[str, Operation] = {
    "create_registered_model": Operation(Kind.WRITE, creates=True),
    "update_registered_model": Operation(Kind.WRITE),
    "rename_registered_model": Operation(Kind.WRITE, creates=True),
    "delete_registered_model": Operation(Kind.WRITE),
    "get_registered_model": Operation(Kind.READ),
    "search_registered_models": Operation(Kind.SEARCH),
    "get_latest_versions": Operation(Kind.READ),
    "set_registered_model_tag": Operation(Kind.WRITE),
    "delete_registered_model_tag": Operation(Kind.WRITE),
    "create_model_version": Operation(Kind.WRITE, creates=True),
    "copy_model_version": Operation(Kind.WRITE, creates=True),
    "update_model_version": Operation(Kind.WRITE),
    "transition_model_version_stage": Operation(Kind.WRITE),
    "delete_model_version": Operation(Kind.WRITE),
    "get_model_version": Operation(Kind.READ),
    "get_model_version_download_uri": Operation(Kind.READ),
    "search_model_versions": Operation(Kind.SEARCH),
    "set_model_version_tag": Operation(Kind.WRITE),
    "delete_model_version_tag": Operation(Kind.WRITE),
    "set_registered_model_alias": Operation(Kind.WRITE),
    "delete_registered_model_alias": Operation(Kind.WRITE),
    "get_model_version_by_alias": Operation(Kind.READ),
    "create_webhook": Operation(Kind.WRITE, creates=True),
    "get_webhook": Operation(Kind.READ),
    "list_webhooks": Operation(Kind.SEARCH),
    "update_webhook": Operation(Kind.WRITE),
    "delete_webhook": Operation(Kind.WRITE),
    "test_webhook": Operation(Kind.READ),
}

#: The operations on webhooks, whose state is the registry's webhooks, not its models.
_WEBHOOK_WRITES = ("create_webhook", "update_webhook", "delete_webhook")
_WEBHOOK_READS = ("get_webhook", "list_webhooks", "test_webhook")

#: The arguments that name the registered model(s) an operation is about.
_ENTITY_ARGUMENTS = ("name", "new_name", "dst_name")

_LOAD = ("get_latest_versions", "get_model_version_download_uri")

#: Feature id -> the store operations its scenarios call as the call under test (inside
#: ``probe.feature``; ``models:/<name>/<version>`` loads and downloads go through
#: get_model_version_download_uri, ``models:/<name>/latest`` and ``/<Stage>`` through
#: get_latest_versions first). Creating the models and versions a scenario works on is a
#: prerequisite, not the call under test, except where registering is the feature.
FEATURE_OPERATIONS: dict[str, tuple[str, ...]] = {
    "register.mlflow-format": ("create_model_version", *_LOAD),
    "register.non-mlflow-format": ("create_model_version", "get_model_version_download_uri"),
    "register.from-run": ("create_model_version", *_LOAD),
    "register.from-foreign-run": ("create_model_version", "get_model_version_download_uri"),
    "search.list": ("search_registered_models",),
    "version.details": ("get_model_version", "get_registered_model"),
    "version.description": ("update_model_version",),
    "version.tags": ("set_model_version_tag", "delete_model_version_tag"),
    "model.rename": ("rename_registered_model",),
    "model.delete": ("delete_registered_model",),
    "version.delete": ("delete_model_version",),
    "stages": ("transition_model_version_stage", *_LOAD),
    "search.by-name": ("search_registered_models",),
    "search.like-ilike": ("search_registered_models",),
    "search.by-tag": ("search_registered_models",),
    "search.name-in": ("search_registered_models",),
    # --- registry basics ---
    "model.create": ("create_registered_model",),
    "model.description": ("update_registered_model",),
    "model.tags": ("set_registered_model_tag", "delete_registered_model_tag"),
    "alias.set-get": (
        "set_registered_model_alias",
        "delete_registered_model_alias",
        "get_model_version_by_alias",
        "get_model_version_download_uri",
    ),
    "alias.reserved-names": ("set_registered_model_alias",),
    # (get_registered_model too, but MLflow's client reads the model before setting an alias,
    # so breaking it would break the prerequisite: it stays version.details' row)
    "alias.visible": ("get_model_version", "search_registered_models"),
    "alias.in-version-search": ("search_model_versions",),
    "alias.lifecycle": ("get_model_version_by_alias",),
    "errors.codes": (
        "create_registered_model",
        "get_registered_model",
        "get_model_version",
        "get_model_version_download_uri",
    ),
    # --- searches ---
    "search.versions-filter": ("search_model_versions",),
    "search.versions-in-like": ("search_model_versions",),
    "search.versions-order": ("search_model_versions",),
    "search.pagination": ("search_model_versions", "search_registered_models"),
    "search.prompt-clause": ("search_registered_models",),
    "search.filter-errors": ("search_registered_models", "search_model_versions"),
    # --- versions and URIs ---
    "uri.models": ("get_model_version_download_uri", "get_latest_versions"),
    "uri.logged-models": ("create_model_version", "get_model_version_download_uri"),
    "version.copy": ("create_model_version", "get_model_version_download_uri"),
    "version.numbering": ("create_model_version",),
    "timestamps": ("create_model_version",),
    "data.shapes": ("create_registered_model", "create_model_version"),
    # --- webhooks ---
    "webhooks.crud": (
        "create_webhook",
        "get_webhook",
        "list_webhooks",
        "update_webhook",
        "delete_webhook",
    ),
    # an ACTIVE webhook to the receiver is the subscription under test
    "webhooks.delivery": ("create_webhook", "test_webhook"),
    # (its own call, create_workspace, belongs to MLflow's workspace provider, not to the
    # registry store: the families break the registry calls it makes in the workspaces; its
    # searches and deletes are best-effort, other rows' operations)
    "workspaces.isolation": ("create_registered_model", "get_registered_model"),
}


def operations_of(feature_id: str, *kinds: Kind) -> frozenset[str]:
    """The feature's operations under test of the given kinds."""
    return frozenset(op for op in FEATURE_OPERATIONS[feature_id] if OPERATIONS[op].kind in kinds)


def _all_of(*kinds: Kind) -> frozenset[str]:
    return frozenset(op for op, operation in OPERATIONS.items() if operation.kind in kinds)


# --- the reference store's state, copied -----------------------------------------------------


def _registry_over(
    inner: InMemoryRegistryStore, models: dict[str, Any], hooks: dict[str, Any] | None = None
) -> InMemoryRegistryStore:
    """A store with ``inner``'s settings whose registered models are ``models`` (name -> record)
    in the active workspace (callers hold ``inner``'s lock) and, when given, whose webhooks are
    ``hooks`` (id -> record; else ``inner``'s own)."""
    other = copy.copy(inner)
    other._lock = threading.RLock()
    names = NameIndex()
    for name in sorted(models):
        names.add(name)
    active = inner._partition()
    other._partitions = {
        **inner._partitions,
        active.name: dataclasses.replace(active, models=models, names=names),
    }
    if hooks is not None:
        other._webhooks = Webhooks()
        other._webhooks._hooks = hooks
    return other


def _throwaway_copy(inner: InMemoryRegistryStore) -> InMemoryRegistryStore:
    """A copy of the registry that a write can change without changing the registry (webhook
    records are immutable: a copy of their table is a copy of them)."""
    with inner._lock, inner._webhooks._lock:
        return _registry_over(inner, copy.deepcopy(inner._models), dict(inner._webhooks._hooks))


def _entities(arguments: dict[str, Any]) -> list[str]:
    return [arguments[key] for key in _ENTITY_ARGUMENTS if isinstance(arguments.get(key), str)]


def _about(arguments: dict[str, Any]) -> str:
    """The entity (or, for a search, the query) a call is about, for messages and keys."""
    if "webhook_id" in arguments:
        return f"webhook {arguments['webhook_id']}"
    if "version" in arguments:
        return f"{arguments.get('name')} v{arguments['version']}"
    if entities := _entities(arguments):
        return " -> ".join(entities)
    return f"filter={arguments.get('filter_string')!r} order_by={arguments.get('order_by')!r}"


def _fault(family: str, text: str, code: int) -> MlflowException:
    return MlflowException(f"faulty registry ({family}): {text}", error_code=code)


_first_times: set[str] = set()
_first_times_lock = threading.Lock()


def _first_time(key: str) -> bool:
    """Whether this is the run's first call with ``key`` (across processes when the run shares a
    state folder, else within this process)."""
    folder = os.environ.get(STATE_DIR_VARIABLE)
    if not folder:
        with _first_times_lock:
            first = key not in _first_times
            _first_times.add(key)
        return first
    marker = Path(folder) / f"first-{hashlib.sha256(key.encode()).hexdigest()[:32]}"
    try:
        marker.touch(exist_ok=False)
    except FileExistsError:
        return False
    return True


# --- the families ----------------------------------------------------------------------------


def _dropped_writes(feature_id: str, target: str) -> dict[str, Replacement]:
    def dropped(op: str) -> Replacement:
        def answer(store, call, **arguments):
            # what the write would answer, from a copy of the registry that is then thrown away
            return getattr(_throwaway_copy(store.inner), op)(**arguments)

        return answer

    return {op: dropped(op) for op in operations_of(feature_id, Kind.WRITE)}


def _stale_reads(feature_id: str, target: str) -> dict[str, Replacement]:
    own_writes = operations_of(feature_id, Kind.WRITE)
    counted = own_writes or _all_of(Kind.WRITE)
    stale = (
        _all_of(Kind.READ, Kind.SEARCH)
        if own_writes
        else operations_of(feature_id, Kind.READ, Kind.SEARCH)
    )
    #: registered model name -> its record before its latest counted write (None: absent)
    before_latest: dict[str, Any] = {}
    #: webhook id -> its record before its latest counted write (None: absent)
    hooks_before_latest: dict[str, Any] = {}

    def write(op: str) -> Replacement:
        def answer(store, call, **arguments):
            inner = store.inner
            if op in _WEBHOOK_WRITES:
                return _webhook_write(inner, call, arguments, hooks_before_latest, op in counted)
            with inner._lock:
                before = {
                    name: copy.deepcopy(inner._models.get(name)) for name in _entities(arguments)
                }
                result = call(**arguments)
                for name, record in before.items():
                    if op in counted:
                        before_latest[name] = record
                    else:
                        before_latest.pop(name, None)
            return result

        return answer

    def read(op: str) -> Replacement:
        def answer(store, call, **arguments):
            inner = store.inner
            if op in _WEBHOOK_READS:
                with inner._webhooks._lock:  # not reentrant: the call comes after it
                    hooks = {**inner._webhooks._hooks, **hooks_before_latest}
                if not hooks_before_latest:
                    return call(**arguments)
                view = _registry_over(
                    inner, inner._models, {i: h for i, h in hooks.items() if h is not None}
                )
                return getattr(view, op)(**arguments)
            with inner._lock:
                if not before_latest:
                    return call(**arguments)
                models = {**inner._models, **before_latest}
                view = _registry_over(inner, {n: m for n, m in models.items() if m is not None})
            return getattr(view, op)(**arguments)

        return answer

    return {
        **{op: write(op) for op in _all_of(Kind.WRITE)},
        **{op: read(op) for op in stale},
    }


def _webhook_write(
    inner: InMemoryRegistryStore,
    call: Replacement,
    arguments: dict[str, Any],
    before_latest: dict[str, Any],
    counted: bool,
) -> Any:
    """Do a webhook write, keeping the webhook's record as it was before (stale reads)."""
    hooks = inner._webhooks
    webhook_id = arguments.get("webhook_id")
    before = hooks._hooks.get(webhook_id) if webhook_id else None
    result = call(**arguments)
    webhook_id = webhook_id or result.webhook_id  # a creation: absent before
    with hooks._lock:
        if counted:
            before_latest[webhook_id] = before
        else:
            before_latest.pop(webhook_id, None)
    return result


def _entity_codes(feature_id: str, target: str) -> dict[str, Replacement]:
    def contradicting(op: str) -> Replacement:
        operation = OPERATIONS[op]
        code = RESOURCE_ALREADY_EXISTS if operation.creates else RESOURCE_DOES_NOT_EXIST

        def answer(store, call, **arguments):
            # where the call would fail, its own error is the answer (a write tries on a copy)
            if operation.kind is Kind.WRITE:
                getattr(_throwaway_copy(store.inner), op)(**arguments)
            else:
                call(**arguments)
            raise _fault("entity-codes", f"{op}: {_about(arguments)}: {ErrorCode.Name(code)}", code)

        return answer

    return {op: contradicting(op) for op in FEATURE_OPERATIONS[feature_id]}


# (a search's arguments are its filter, order and page, a webhook listing's only its page)


def _lossy_pages(feature_id: str, target: str) -> dict[str, Replacement]:
    def search(store, call, **arguments):
        page = call(**arguments)
        if arguments["page_token"] is None and page:  # the next page, if any, still starts after it
            return PagedList(list(page)[:-1], page.token)
        return page

    return dict.fromkeys(operations_of(feature_id, Kind.SEARCH), search)


_REPEAT = "repeating-pages:"


def _repeating_pages(feature_id: str, target: str) -> dict[str, Replacement]:
    def search(store, call, **arguments):
        page_token = arguments["page_token"]
        if page_token and page_token.startswith(_REPEAT):  # the first page's last item again
            first = call(**{**arguments, "page_token": None})
            return PagedList(list(first)[-1:], page_token.removeprefix(_REPEAT) or None)
        page = call(**arguments)
        if page_token is None and page:
            return PagedList(page, _REPEAT + (page.token or ""))
        return page

    return dict.fromkeys(operations_of(feature_id, Kind.SEARCH), search)


_ENDLESS = "endless-pages:"


def _endless_pages(feature_id: str, target: str) -> dict[str, Replacement]:
    def search(store, call, **arguments):
        page_token = arguments["page_token"]
        if page_token and page_token.startswith(_ENDLESS):
            following = int(page_token.removeprefix(_ENDLESS)) + 1
            return PagedList([], f"{_ENDLESS}{following}" if following < ENDLESS_PAGES else None)
        page = call(**arguments)
        return page if page.token else PagedList(page, f"{_ENDLESS}1")

    return dict.fromkeys(operations_of(feature_id, Kind.SEARCH), search)


def _server_error(feature_id: str, target: str) -> dict[str, Replacement]:
    def once(op: str) -> Replacement:
        def answer(store, call, **arguments):
            if _first_time(f"{target}|{op}|{_about(arguments)}"):
                raise _fault("server-error", f"{op}: {_about(arguments)} broke", INTERNAL_ERROR)
            return call(**arguments)

        return answer

    return {op: once(op) for op in FEATURE_OPERATIONS[feature_id]}


def _permission_denied(feature_id: str, target: str) -> dict[str, Replacement]:
    def denied(store, call, **arguments):
        raise _fault("permission-denied", "the caller may not do this", PERMISSION_DENIED)

    return dict.fromkeys(FEATURE_OPERATIONS[feature_id], denied)


def _not_implemented(feature_id: str, target: str) -> dict[str, Replacement]:
    def refused(store, call, **arguments):
        raise _fault("not-implemented", "this operation is not offered", NOT_IMPLEMENTED)

    return dict.fromkeys(FEATURE_OPERATIONS[feature_id], refused)


def _changing_refusals(feature_id: str, target: str) -> dict[str, Replacement]:
    def applied_then_refused(store, call, **arguments):
        call(**arguments)
        raise _fault("changing-refusals", "this operation is not offered", NOT_IMPLEMENTED)

    return dict.fromkeys(operations_of(feature_id, Kind.WRITE), applied_then_refused)


def _stall(feature_id: str, target: str) -> dict[str, Replacement]:
    def stalled(store, call, **arguments):
        if _first_time(f"{target}|stall"):
            time.sleep(STALL_S)
        return call(**arguments)

    return dict.fromkeys(FEATURE_OPERATIONS[feature_id], stalled)


@dataclass(frozen=True)
class Family:
    """A kind of breakage: what the registry does, the verdict it must earn, and how."""

    name: str
    does: str
    #: The broken feature's verdict on such a registry (DESIGN.md, "Verdicts").
    verdict: str
    #: Feature id -> the store operations the family breaks (empty: it cannot apply).
    breaks: Callable[[str], frozenset[str]]
    #: Why the family cannot apply to a feature for which ``breaks`` is empty.
    unfit: str
    build: Callable[[str, str], dict[str, Replacement]]

    def applies_to(self, feature_id: str) -> bool:
        return bool(self.breaks(feature_id))


def _writes_else_reads(feature_id: str) -> frozenset[str]:
    return operations_of(feature_id, Kind.WRITE) or operations_of(
        feature_id, Kind.READ, Kind.SEARCH
    )


def _every_operation(feature_id: str) -> frozenset[str]:
    return frozenset(FEATURE_OPERATIONS[feature_id])


_NO_PAGES = (
    "only searches and listings have pages, and the feature's operations under test include none"
)

FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        Family(
            "dropped-writes",
            "the feature's writes answer what they would have answered and change nothing",
            "non-conformant",
            lambda feature_id: operations_of(feature_id, Kind.WRITE),
            "the feature's operations under test are all reads: there is no write to drop",
            _dropped_writes,
        ),
        Family(
            "stale-reads",
            "a registered model (with its versions) whose latest write was one of the "
            "feature's writes reads as it was before that write; a feature without writes "
            "reads every model through its own operations as it was before its latest write",
            "non-conformant",
            _writes_else_reads,
            "",
            _stale_reads,
        ),
        Family(
            "entity-codes",
            "each call of the feature's operations that would succeed answers "
            "RESOURCE_DOES_NOT_EXIST (RESOURCE_ALREADY_EXISTS for a creation) and changes nothing",
            "non-conformant",
            _every_operation,
            "",
            _entity_codes,
        ),
        Family(
            "lossy-pages",
            "the first page of every search answer loses its last item (a next page still "
            "starts after it)",
            "non-conformant",
            lambda feature_id: operations_of(feature_id, Kind.SEARCH),
            _NO_PAGES,
            _lossy_pages,
        ),
        Family(
            "repeating-pages",
            "the first page's last item of every search answer is served again, alone, as the "
            "next page (the rest follows as it would have)",
            "non-conformant",
            lambda feature_id: operations_of(feature_id, Kind.SEARCH),
            _NO_PAGES,
            _repeating_pages,
        ),
        Family(
            "server-error",
            "the first call of each of the feature's operations about an entity (a registered "
            "model or a version; for a search, a query) answers INTERNAL_ERROR (500) and "
            "changes nothing",
            "non-conformant",
            _every_operation,
            "",
            _server_error,
        ),
        Family(
            "permission-denied",
            "every call of the feature's operations answers PERMISSION_DENIED",
            "inconclusive",
            _every_operation,
            "",
            _permission_denied,
        ),
        Family(
            "endless-pages",
            "the last page of every search answer carries a next-page token, and so does every "
            f"(empty) page after it, {ENDLESS_PAGES} times",
            "non-conformant",
            lambda feature_id: operations_of(feature_id, Kind.SEARCH),
            _NO_PAGES,
            _endless_pages,
        ),
        Family(
            "changing-refusals",
            "each call of the feature's writes is applied, then answers NOT_IMPLEMENTED",
            "non-conformant",
            lambda feature_id: operations_of(feature_id, Kind.WRITE),
            "the feature's operations under test are all reads: a refusal of a read changes "
            "nothing",
            _changing_refusals,
        ),
        Family(
            "not-implemented",
            "every call of the feature's operations answers NOT_IMPLEMENTED and changes nothing "
            "(a clean refusal: the one family whose verdict is not about a fault)",
            "unsupported",
            _every_operation,
            "",
            _not_implemented,
        ),
        Family(
            "stall",
            f"the run's first call of the feature's operations blocks for {STALL_S:.0f} s, then "
            "answers",
            "inconclusive",
            _every_operation,
            "",
            _stall,
        ),
    )
}


def slug(feature_id: str) -> str:
    return feature_id.replace(".", "-")


def uri(family: str, feature_id: str) -> str:
    """The store URI of the reference backend broken the ``family`` way for ``feature_id``."""
    return f"{SCHEME}://{family}--{slug(feature_id)}"


INTACT_URI = f"{SCHEME}://{INTACT}"


# --- the intact target's record of which operations each scenario calls ----------------------

_recorded: set[tuple[str, str]] = set()
_recorded_lock = threading.Lock()


def _recording(op: str) -> Replacement:
    def answer(store, call, **arguments):
        _record_use(op)
        return call(**arguments)

    return answer


def _record_use(op: str) -> None:
    folder = os.environ.get(STATE_DIR_VARIABLE)
    current = os.environ.get("PYTEST_CURRENT_TEST", "")
    nodeid, _, phase = current.rpartition(" ")
    if not folder or not nodeid or phase == "(teardown)":  # cleanup is not the scenario's
        return
    with _recorded_lock:
        if (nodeid, op) in _recorded:
            return
        _recorded.add((nodeid, op))
        with (Path(folder) / f"uses-{os.getpid()}.jsonl").open("a") as record:
            record.write(json.dumps({"nodeid": nodeid, "operation": op}) + "\n")


def measured_uses(folder: Path) -> dict[str, set[str]]:
    """Scenario node id -> the store operations it called on the intact target."""
    uses: dict[str, set[str]] = {}
    for path in folder.glob("uses-*.jsonl"):
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            uses.setdefault(entry["nodeid"], set()).add(entry["operation"])
    return uses


# --- the MLflow store plugin -----------------------------------------------------------------

_lock = threading.Lock()
_stores: dict[str, SabotagedRegistryStore] = {}
_BY_SLUG = {slug(feature_id): feature_id for feature_id in FEATURE_OPERATIONS}


def _replacements(target: str) -> dict[str, Replacement] | None:
    """The replacements a ``faulty://`` authority asks for; None when it names nothing known."""
    if target == INTACT:
        return {op: _recording(op) for op in OPERATIONS}
    family, _, feature_slug = target.partition("--")
    feature_id = _BY_SLUG.get(feature_slug)
    if family not in FAMILIES or feature_id is None or not FAMILIES[family].applies_to(feature_id):
        return None
    return FAMILIES[family].build(feature_id, target)


def _instance_and_store(store_uri: str) -> tuple[Instance, SabotagedRegistryStore]:
    parsed = urllib.parse.urlsplit(store_uri)
    target = parsed.netloc
    with _lock:
        store = _stores.get(target)
        if store is None:
            replacements = _replacements(target)
            if parsed.scheme != SCHEME or parsed.path not in ("", "/") or replacements is None:
                raise MlflowException(
                    f"Not a faulty-registry URI: {store_uri!r}; expected {INTACT_URI!r} or "
                    f"'{SCHEME}://<family>--<feature>' with a family of {sorted(FAMILIES)} that "
                    f"applies to a feature of {sorted(_BY_SLUG)}.",
                    INVALID_PARAMETER_VALUE,
                )
            instance = get_instance(f"memory://faulty-{target}")
            store = _stores[target] = SabotagedRegistryStore(instance, replacements)
    return store.instance, store


def registry_store(store_uri: str, tracking_uri: str | None = None, **_: Any) -> Any:
    """Builder for MLflow's registry-store registry, called as ``(store_uri=, tracking_uri=)``."""
    return _instance_and_store(store_uri)[1]


def tracking_store(store_uri: str, artifact_uri: str | None = None) -> Any:
    """Builder for MLflow's tracking-store registry, called as ``(store_uri=, artifact_uri=)``."""
    return _instance_and_store(store_uri)[0].tracking_store


def workspace_store(workspace_uri: str) -> Any:
    """Builder for MLflow's workspace-provider registry (3.10+), called as ``(workspace_uri=)``."""
    return _instance_and_store(workspace_uri)[1]


def cases(families: Iterable[str] = FAMILIES) -> list[tuple[str, str]]:
    """Every (family, feature id) pair where the family applies, for the catalogue's features
    that ``FEATURE_OPERATIONS`` maps (an unmapped one fails the proof's table test instead)."""
    return [
        (family, feature.id)
        for family in families
        for feature in FEATURES
        if feature.id in FEATURE_OPERATIONS and FAMILIES[family].applies_to(feature.id)
    ]


_get_store_registry().register(SCHEME, registry_store)
_tracking_store_registry.register(SCHEME, tracking_store)
_get_workspace_store_registry().register(SCHEME, workspace_store)
