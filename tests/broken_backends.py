"""Reference backends that each break exactly one catalogue feature, to prove the verdicts true.

Importing this module (``pytest -p tests.broken_backends``) registers the MLflow store scheme
``broken`` for both the registry and the tracking side. ``broken://<slug>--<mode>`` (``slug``: a
feature id with ``.`` replaced by ``-``; ``mode``: ``wrong`` or ``refuse``) is a reference-backend
instance of its own whose registry store is wrapped so that only that feature's operations are
sabotaged; its tracking store is the instance's own, untouched. The stock MLflow client talks to
it as to any store.

* ``wrong``: the operation is accepted and answers plausibly, but violates the feature's spec
  paragraph (``conformance/catalogue.py``): the verdict must be ``non-conformant``.
* ``refuse``: the operation is refused with an MLflow error code (``NOT_IMPLEMENTED`` or
  ``INVALID_PARAMETER_VALUE``) before anything changes: the verdict must be ``unsupported``.

Each sabotage is the smallest change that violates its feature's paragraph and nothing else, so
every other feature of that target must stay ``supported`` (``tests/test_verdicts_are_true.py``).
``broken://fault--<fault>`` serves one of ``FAULTS`` instead: kinds of breakage that weaker
scenarios let pass, each of which a named scenario must now see (``tests/test_scenario_faults.py``).
Sabotages go through the reference store's public API where they can; where a wrong state
cannot be expressed that way (a run id not recorded, numbers reused, versions orphaned), they
edit the store's own records through ``_record``/``_model_record``.
"""

from __future__ import annotations

import copy
import functools
import inspect
import re
import shutil
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlflow.entities.model_registry import ModelVersionTag, RegisteredModelTag
from mlflow.entities.model_registry.model_version_stages import get_canonical_stage
from mlflow.entities.model_registry.prompt_version import IS_PROMPT_TAG_KEY
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import (
    INTERNAL_ERROR,
    INVALID_PARAMETER_VALUE,
    NOT_IMPLEMENTED,
    RESOURCE_DOES_NOT_EXIST,
)
from mlflow.store.artifact.runs_artifact_repo import RunsArtifactRepository
from mlflow.store.artifact.utils.models import _parse_model_uri
from mlflow.store.entities.paged_list import PagedList
from mlflow.store.model_registry.abstract_store import AbstractStore
from mlflow.tracking._model_registry.utils import _get_store_registry
from mlflow.tracking._tracking_service.utils import _tracking_store_registry
from mlflow.tracking._workspace.registry import _get_workspace_store_registry
from mlflow.utils.file_utils import local_file_uri_to_path
from mlflow.utils.search_utils import SearchModelUtils, SearchModelVersionUtils

from reference_backend.instances import Instance, get_instance
from reference_backend.search_filter import (
    compile_model_version_filter,
    compile_registered_model_filter,
    parse_filter,
)
from reference_backend.workspaces import DEFAULT_WORKSPACE_NAME

SCHEME = "broken"
MODES = ("wrong", "refuse")

Replacement = Callable[..., Any]


# --- the store wrapper ----------------------------------------------------------------------


class SabotagedRegistryStore:
    """A reference instance's registry store with some operations replaced.

    Every attribute not replaced is the wrapped store's own. A replacement is called as
    ``replacement(store, call, **arguments)``: ``store`` is this wrapper, ``call`` the wrapped
    store's original method, ``arguments`` the call's arguments bound by name (MLflow's client
    passes some positionally, some by keyword). Replaced methods keep the original signature,
    which MLflow's client inspects.
    """

    def __init__(self, instance: Instance, replacements: dict[str, Replacement]) -> None:
        self.instance = instance
        self.inner = instance.registry_store
        self.tracking = instance.tracking_store
        #: Registered models deleted by a ``model.delete`` sabotage, by name, with their versions.
        self.orphans: dict[str, Any] = {}
        #: Unfiltered listings begun in small pages, for a fault that only the first one shows.
        self.small_walks = 0
        for method, replacement in replacements.items():
            setattr(self, method, _bind(self, getattr(self.inner, method), replacement))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _bind(store: SabotagedRegistryStore, original: Callable, replacement: Replacement):
    signature = inspect.signature(original)

    @functools.wraps(original)
    def sabotaged(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return replacement(store, original, **bound.arguments)

    return sabotaged


def _record(store: SabotagedRegistryStore, name: str, version: Any) -> Any:
    """The reference store's own record of a version (callers hold ``store.inner._lock``)."""
    return store.inner._models[name].versions[int(version)]


def _model_record(store: SabotagedRegistryStore, name: str) -> Any:
    """The reference store's own record of a registered model (callers hold the lock)."""
    return store.inner._models[name]


def _answer_with(entity: Any, **fields: Any) -> Any:
    """A copy of a ModelVersion entity whose answer carries other values for some fields."""
    changed = copy.copy(entity)
    for name, value in fields.items():
        attribute = {"creation_timestamp": "_creation_time"}.get(name, f"_{name}")
        assert hasattr(changed, attribute), f"ModelVersion has no {attribute} (MLflow changed?)"
        setattr(changed, attribute, value)
    return changed


# --- what a source is -----------------------------------------------------------------------


def _local_folder(store: SabotagedRegistryStore, source: str) -> Path | None:
    """The folder a version's source names, when it is one this process can read."""
    try:
        scheme = urllib.parse.urlparse(source).scheme
        location = source
        if scheme == "models":
            model_id = _parse_model_uri(source).model_id
            if model_id is None:
                return None
            location = store.tracking.get_logged_model(model_id).artifact_location
        elif scheme == "runs":
            run_id, path = RunsArtifactRepository.parse_runs_uri(source)
            root = store.tracking.get_run(run_id).info.artifact_uri.rstrip("/")
            location = f"{root}/{path}" if path else root
        if urllib.parse.urlparse(location).scheme not in ("file", ""):
            return None
        folder = Path(local_file_uri_to_path(location))
    except MlflowException:
        return None
    return folder if folder.is_dir() else None


def _is_mlflow_model(store: SabotagedRegistryStore, source: str) -> bool:
    folder = _local_folder(store, source)
    return folder is not None and (folder / "MLmodel").is_file()


def _is_plain_folder(store: SabotagedRegistryStore, source: str) -> bool:
    """A folder without ``MLmodel`` (seed row 2's kind of model)."""
    folder = _local_folder(store, source)
    return folder is not None and not (folder / "MLmodel").is_file()


def _is_own_run(store: SabotagedRegistryStore, run_id: str | None) -> bool:
    """Whether ``run_id`` names a run of this registry's own tracking server."""
    if not run_id:
        return False
    try:
        store.tracking.get_run(run_id)
    except MlflowException:
        return False
    return True


def _is_foreign_run(store: SabotagedRegistryStore, run_id: str | None) -> bool:
    return bool(run_id) and not _is_own_run(store, run_id)


def _is_local_folder_without_run(source: str, run_id: str | None, model_id: str | None) -> bool:
    """A model handed over as a local folder (``file://``), not as a run's or logged model's."""
    return not run_id and not model_id and urllib.parse.urlparse(source).scheme in ("file", "")


def _copy_into_registry(
    store: SabotagedRegistryStore, folder: Path, keep: Callable[[str], bool]
) -> str:
    """Copy the files of ``folder`` that ``keep`` (relative POSIX path) accepts into the
    instance's own storage, as a registry that snapshots sources does; the copy's URI."""
    destination = store.instance.workdir / "registry-copies" / uuid.uuid4().hex
    destination.mkdir(parents=True)
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and keep(relative):
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return destination.as_uri()


# --- search filters -------------------------------------------------------------------------


def _comparisons(filter_string: str | None) -> tuple[list[dict], list[dict]]:
    """The filter's comparisons: (the caller's own, the client's "not a prompt" condition)."""
    # (MLflow's parser, its unhandled errors as the reference store answers them: INVALID_...)
    parsed = parse_filter(SearchModelUtils, filter_string) if filter_string else []
    own = [c for c in parsed if not (c["type"] == "tag" and c["key"] == IS_PROMPT_TAG_KEY)]
    prompt = [c for c in parsed if c not in own]
    return own, prompt


def _filter_text(comparisons: list[dict]) -> str | None:
    def quoted(value: str) -> str:
        assert "'" not in value, f"cannot re-quote {value!r}"
        return f"'{value}'"

    def text(c: dict) -> str:
        key = f"tags.`{c['key']}`" if c["type"] == "tag" else c["key"]
        value = c["value"]
        value = f"({', '.join(map(quoted, value))})" if isinstance(value, tuple) else quoted(value)
        return f"{key} {c['comparator']} {value}"

    return " AND ".join(map(text, comparisons)) or None


def _is_name(c: dict, *comparators: str) -> bool:
    return c["type"] == "attribute" and c["key"] == "name" and c["comparator"] in comparators


def _search_rewritten(
    rewrite: Callable[[list[dict]], list[dict]],
) -> Replacement:
    """Search with the caller's comparisons rewritten (the client's prompt condition kept)."""

    def search(store, call, filter_string, max_results, order_by, page_token):
        own, prompt = _comparisons(filter_string)
        filter_string = _filter_text(rewrite(own) + prompt)
        return call(filter_string, max_results, order_by, page_token)

    return search


# --- refusals -------------------------------------------------------------------------------


def _refusal(message: str, code: int) -> MlflowException:
    return MlflowException(f"broken backend: {message}", error_code=code)


def _refuse(message: str, code: int = NOT_IMPLEMENTED) -> Replacement:
    def refuse(store, call, **arguments):
        raise _refusal(message, code)

    return refuse


def _refuse_if(test: Callable[..., bool], message: str, code: int = NOT_IMPLEMENTED):
    """Refuse the calls whose arguments pass ``test(store, **arguments)``; do the others."""

    def refuse_or_call(store, call, **arguments):
        if test(store, **arguments):
            raise _refusal(message, code)
        return call(**arguments)

    return refuse_or_call


def _refuse_search_if(test: Callable[[list[dict]], bool], message: str) -> Replacement:
    def search(store, call, filter_string, max_results, order_by, page_token):
        if test(_comparisons(filter_string)[0]):
            raise _refusal(message, INVALID_PARAMETER_VALUE)
        return call(filter_string, max_results, order_by, page_token)

    return search


# --- the wrong answers, one per feature ----------------------------------------------------


def _local_folders_stay_pending(store, call, name, version):
    mv = call(name, version)
    if _is_local_folder_without_run(mv.source, mv.run_id, mv.model_id):
        return _answer_with(mv, status="PENDING_REGISTRATION")
    return mv


def _copy_plain_folders_flat(store, call, **arguments):
    created = call(**arguments)
    folder = _local_folder(store, arguments["source"])
    if folder is not None and not (folder / "MLmodel").is_file():
        copied = _copy_into_registry(store, folder, keep=lambda relative: "/" not in relative)
        with store.inner._lock:
            _record(store, created.name, created.version).storage_location = copied
    return created


def _forget_own_run_of_models(store, call, **arguments):
    created = call(**arguments)
    if _is_own_run(store, arguments["run_id"]) and _is_mlflow_model(store, arguments["source"]):
        with store.inner._lock:
            _record(store, created.name, created.version).run_id = None
        return store.inner.get_model_version(created.name, created.version)
    return created


def _copy_foreign_models_without_artifacts(store, call, **arguments):
    created = call(**arguments)
    folder = _local_folder(store, arguments["source"])
    if _is_foreign_run(store, arguments["run_id"]) and folder is not None:
        copied = _copy_into_registry(store, folder, keep=lambda relative: relative == "MLmodel")
        with store.inner._lock:
            _record(store, created.name, created.version).storage_location = copied
    return created


def _pages_lose_their_last_model(store, call, filter_string, max_results, order_by, page_token):
    page = call(filter_string, max_results, order_by, page_token)
    if page.token and not _comparisons(filter_string)[0]:
        return PagedList(list(page)[:-1], page.token)
    return page


def _timestamps_in_seconds(store, call, name, version):
    mv = call(name, version)
    return _answer_with(
        mv,
        creation_timestamp=mv.creation_timestamp // 1000,
        last_updated_timestamp=mv.last_updated_timestamp // 1000,
    )


def _answer_as_before_the_update(store, call, name, version, description):
    before = store.inner.get_model_version(name, version)
    call(name=name, version=version, description=description)
    return before


def _ignore(store, call, **arguments):
    return None


def _rename_without_versions(store, call, name, new_name):
    model = store.inner.get_registered_model(name)
    tags = [RegisteredModelTag(key, value) for key, value in model.tags.items()]
    store.inner.create_registered_model(new_name, tags=tags, description=model.description)
    store.inner.delete_registered_model(name)
    return store.inner.get_registered_model(new_name)


def _delete_orphaning_versions(store, call, name):
    with store.inner._lock:
        model = store.inner._models.get(name)
        call(name)
        store.orphans[name] = model


def _create_adopting_orphans(store, call, **arguments):
    created = call(**arguments)
    name = arguments["name"]
    with store.inner._lock:
        orphan = store.orphans.pop(name, None)
        if orphan is None:
            return created
        model = _model_record(store, name)
        model.versions, model.last_version = orphan.versions, orphan.last_version
    return store.inner.get_registered_model(name)


def _delete_version_freeing_its_number(store, call, name, version):
    call(name, version)
    with store.inner._lock:
        model = _model_record(store, name)
        model.last_version = max(model.versions, default=0)


def _transition_never_archiving(store, call, name, version, stage, archive_existing_versions):
    return call(name, version, stage, False)


def _name_equals_ignoring_case(comparisons: list[dict]) -> list[dict]:
    return [
        {**c, "comparator": "ILIKE"} if _is_name(c, "=") and not set(c["value"]) & {"%", "_"} else c
        for c in comparisons
    ]


def _like_ignoring_case(comparisons: list[dict]) -> list[dict]:
    return [{**c, "comparator": "ILIKE"} if _is_name(c, "LIKE") else c for c in comparisons]


def _name_in_first_only(comparisons: list[dict]) -> list[dict]:
    return [
        {**c, "comparator": "=", "value": c["value"][0]} if _is_name(c, "IN") else c
        for c in comparisons
    ]


def _first_tag_condition_only(comparisons: list[dict]) -> list[dict]:
    tags = [c for c in comparisons if c["type"] == "tag"]
    return [c for c in comparisons if c["type"] != "tag" or c is tags[0]]


# --- registry basics: the wrong answers ----------------------------------------------------


def _create_dropping_the_description(store, call, **arguments):
    return call(**{**arguments, "description": None})


def _answer_model_as_before_the_update(store, call, **arguments):
    before = store.inner.get_registered_model(arguments["name"])
    call(**arguments)
    return before


def _alias_never_moves(store, call, name, alias, version):
    with store.inner._lock:
        model = store.inner._models.get(name)
        if model is not None and alias in model.aliases:
            return None  # "set", and left where it was
    return call(name, alias, version)


_VERSION_ALIAS = re.compile(r"^[vV]\d+$")


def _accept_version_numbers_as_aliases(store, call, name, alias, version):
    if not _VERSION_ALIAS.match(alias):
        return call(name, alias, version)
    with store.inner._lock:
        model, mv = store.inner._version(name, version)
        model.aliases[alias] = mv.version
    return None


def _is_reserved_alias(store, alias, **_):
    return alias.lower() == "latest" or bool(_VERSION_ALIAS.match(alias))


def _search_dropping_aliases(store, call, filter_string, max_results, order_by, page_token):
    """Either search, its results without aliases (a model's dict, a version's list, emptied)."""
    page = call(filter_string, max_results, order_by, page_token)
    stripped = []
    for entity in page:
        entity = copy.copy(entity)
        assert hasattr(entity, "_aliases"), f"{type(entity).__name__} has no _aliases (MLflow?)"
        entity._aliases = type(entity._aliases)()
        stripped.append(entity)
    return PagedList(stripped, page.token)


#: (id of the reference store, model name, alias) -> the version the alias resolved to before
#: its version was deleted or its model renamed: an alias index that is never updated.
_ghost_aliases: dict[tuple[int, str, str], Any] = {}


def _remember_aliases(store, name: str, version: int | None = None) -> None:
    """Keep the version each alias of ``name`` (on ``version`` only, when given) resolves to."""
    inner = store.inner
    with inner._lock:
        model = inner._models.get(name)
        for alias, number in (model.aliases if model else {}).items():
            if version is None or number == version:
                _ghost_aliases[(id(inner), name, alias)] = inner.get_model_version(name, number)


def _delete_version_keeping_alias_index(store, call, name, version):
    _remember_aliases(store, name, int(version))
    return call(name, version)


def _rename_keeping_alias_index(store, call, name, new_name):
    _remember_aliases(store, name)
    return call(name, new_name)


def _resolve_through_stale_alias_index(store, call, name, alias):
    try:
        return call(name, alias)
    except MlflowException:
        ghost = _ghost_aliases.get((id(store.inner), name, alias))
        if ghost is None:
            raise
        return ghost


def _non_numeric_version_missing(store, call, name, version):
    if not str(version).strip().isdigit():
        raise MlflowException(
            f"Model Version (name={name}, version={version}) not found", RESOURCE_DOES_NOT_EXIST
        )
    return call(name, version)


# --- searches: the wrong answers -----------------------------------------------------------


def _version_comparisons(filter_string: str | None) -> list[dict] | None:
    """A model-version filter's comparisons; None when MLflow's parser refuses it (the store
    then answers it as it would)."""
    try:
        return SearchModelVersionUtils.parse_search_filter(filter_string) if filter_string else []
    except Exception:
        return None


def _version_search_rewritten(rewrite: Callable[[list[dict]], list[dict]]) -> Replacement:
    """Search versions with the filter's comparisons rewritten."""

    def search(store, call, filter_string, max_results, order_by, page_token):
        comparisons = _version_comparisons(filter_string)
        if comparisons:
            rewritten = rewrite(comparisons)
            # (numbers quoted: MLflow's grammar takes version_number = '2' as well)
            texts = [
                {**c, "value": str(c["value"])} if isinstance(c["value"], int) else c
                for c in rewritten
            ]
            filter_string = _filter_text(texts)
        return call(filter_string, max_results, order_by, page_token)

    return search


def _refuse_version_search_if(test: Callable[[list[dict]], bool], message: str) -> Replacement:
    def search(store, call, filter_string, max_results, order_by, page_token):
        comparisons = _version_comparisons(filter_string)
        if comparisons and test(comparisons):
            raise _refusal(message, INVALID_PARAMETER_VALUE)
        return call(filter_string, max_results, order_by, page_token)

    return search


def _without_tag_conditions(comparisons: list[dict]) -> list[dict]:
    return [c for c in comparisons if c["type"] != "tag"]


_SINGLE_VALUE = frozenset({"=", "!=", "<", "<=", ">", ">="})


def _compares_more_than_name_and_run(comparisons: list[dict]) -> bool:
    return any(
        c["type"] == "tag"
        or (c["key"] not in ("name", "run_id") and c["comparator"] in _SINGLE_VALUE)
        for c in comparisons
    )


def _has_list_or_pattern(comparisons: list[dict]) -> bool:
    return any(c["comparator"] in ("IN", "NOT IN", "LIKE", "ILIKE") for c in comparisons)


def _version_order_ignored(store, call, filter_string, max_results, order_by, page_token):
    return call(filter_string, max_results, None, page_token)


def _refuse_version_order(store, call, filter_string, max_results, order_by, page_token):
    if order_by:
        raise _refusal("order_by is not supported in model-version search", INVALID_PARAMETER_VALUE)
    return call(filter_string, max_results, order_by, page_token)


def _unreadable_tokens_start_over(store, call, filter_string, max_results, order_by, page_token):
    try:
        return call(filter_string, max_results, order_by, page_token)
    except MlflowException as error:
        if not page_token or error.error_code != "INVALID_PARAMETER_VALUE":
            raise
        return call(filter_string, max_results, order_by, None)


def _refuse_version_page_tokens(store, call, filter_string, max_results, order_by, page_token):
    if page_token:
        raise _refusal("model-version search serves one page: no page tokens", NOT_IMPLEMENTED)
    return call(filter_string, max_results, order_by, page_token)


def _prompt_clause_matches_nothing(store, call, filter_string, max_results, order_by, page_token):
    try:
        prompt = _comparisons(filter_string)[1]
    except MlflowException:
        prompt = []
    if prompt:
        return PagedList([], None)
    return call(filter_string, max_results, order_by, page_token)


def _refuse_prompt_clause(store, call, filter_string, max_results, order_by, page_token):
    try:
        prompt = _comparisons(filter_string)[1]
    except MlflowException:
        prompt = []
    if prompt:
        raise _refusal(
            "Currently unsupported filter string format (we currently do not support OR). "
            f"Provided filter string: {filter_string}",
            INVALID_PARAMETER_VALUE,
        )
    return call(filter_string, max_results, order_by, page_token)


def _malformed_filters_answer(code: int, compile_filter: Callable[[str | None], Any]):
    """Answer a filter the reference store's parser refuses with ``code`` instead."""

    def search(store, call, filter_string, max_results, order_by, page_token):
        try:
            compile_filter(filter_string)
        except MlflowException as error:
            raise _refusal(f"the filter could not be read: {error.message}", code) from None
        return call(filter_string, max_results, order_by, page_token)

    return search


# --- versions and URIs: the wrong answers and refusals -------------------------------------


def _deleted_versions(store: SabotagedRegistryStore) -> dict[str, list[Any]]:
    """Versions a ``uri.models`` sabotage deleted, by model name (answered as they were)."""
    return store.__dict__.setdefault("deleted_versions", {})


def _delete_version_remembering_it(store, call, name, version):
    gone = store.inner.get_model_version(name, version)
    call(name, version)
    _deleted_versions(store).setdefault(name, []).append(gone)


def _latest_counting_deleted_versions(store, call, name, stages):
    """get_latest_versions as if the deleted versions were still there (a stale index)."""
    latest = list(call(name, stages))
    wanted = {get_canonical_stage(stage) for stage in stages} if stages else None
    for gone in _deleted_versions(store).get(name, []):
        if wanted is not None and gone.current_stage not in wanted:
            continue
        same_stage = [v for v in latest if v.current_stage == gone.current_stage]
        if all(int(gone.version) > int(v.version) for v in same_stage):
            latest = [v for v in latest if v.current_stage != gone.current_stage] + [gone]
    return latest


def _is_logged_model_source(store, source, model_id=None, **_) -> bool:
    return bool(model_id) or str(source).startswith("models:/m-")


def _without_model_id(store, call, **arguments):
    return call(**{**arguments, "model_id": None})


def _is_version_uri(store, source, **_) -> bool:
    """A ``models:/<name>/<version|stage|latest>`` or ``@alias`` source (what a copy sends)."""
    if urllib.parse.urlsplit(str(source)).scheme != "models":
        return False
    try:
        return _parse_model_uri(source).model_id is None
    except MlflowException:
        return False


def _copy_serving_the_newest_version(store, call, **arguments):
    """A version copied from ``models:/<src>/<n>`` gets the files of the source's newest version."""
    created = call(**arguments)
    if _is_version_uri(store, **arguments):
        with store.inner._lock:
            source = _model_record(store, _parse_model_uri(arguments["source"]).name)
            newest = source.versions[max(source.versions)]
            record = _record(store, created.name, created.version)
            record.storage_location = newest.storage_location
    return created


def _copy_through_the_wrapper(store, call, src_mv, dst_name):
    """MLflow's own copy (``AbstractStore``), its writes through the sabotaged store: an
    in-process client copies with the store's method, which would bypass the wrapper."""
    return AbstractStore.copy_model_version(store, src_mv, dst_name)


def _numbering_racing(store, call, **arguments):
    """Reads the highest number, then numbers the version one more, outside one lock: two
    creators at once get the same number, and the later record replaces the earlier one."""
    name = arguments["name"]
    with store.inner._lock:
        model = store.inner._models.get(name)
        seen = model.last_version if model is not None else None
    time.sleep(0.02)
    created = call(**arguments)
    if seen is None or int(created.version) == seen + 1:
        return created
    with store.inner._lock:
        model = _model_record(store, name)
        record = model.versions.pop(int(created.version))
        record.version = seen + 1
        model.versions[seen + 1] = record
    return _answer_with(created, version=seen + 1)


def _version_creation_keeping_the_models_timestamp(store, call, **arguments):
    with store.inner._lock:
        model = store.inner._models.get(arguments["name"])
        kept = model.last_updated_timestamp if model is not None else None
        created = call(**arguments)
        if kept is not None:
            model.last_updated_timestamp = kept
    return created


#: The column width a ``data.shapes`` sabotage cuts tag values to (MLflow's SQL schema's).
_SHORT_COLUMN = 5000


def _cut(tags: Any, kind: type) -> Any:
    return [kind(tag.key, (tag.value or "")[:_SHORT_COLUMN]) for tag in tags or []] or tags


def _model_created_with_cut_tags(store, call, **arguments):
    return call(**{**arguments, "tags": _cut(arguments.get("tags"), RegisteredModelTag)})


def _version_created_with_cut_tags(store, call, **arguments):
    return call(**{**arguments, "tags": _cut(arguments.get("tags"), ModelVersionTag)})


def _plain_name(name: str) -> bool:
    return name.isascii() and not any(character.isspace() for character in name)


def _long_values(tags: Any) -> bool:
    return any(len(tag.value or "") > _SHORT_COLUMN for tag in tags or [])


# --- webhooks: the wrong answers and refusals ----------------------------------------------


def _update_not_kept(store, call, webhook_id, **changes):
    """The update's answer, with the webhook's record left as it was."""
    hooks = store.inner._webhooks
    with hooks._lock:
        kept = hooks._hooks[webhook_id]
    answer = call(webhook_id=webhook_id, **changes)
    with hooks._lock:
        hooks._hooks[webhook_id] = kept
    return answer


def _another_secret(store, call, secret=None, **arguments):
    """Keeps a secret other than the one given: deliveries are signed with the wrong key."""
    return call(secret=f"{secret}-not-the-secret" if secret else secret, **arguments)


def _is_active(store, status=None, **_):
    return status is None or str(status) == "ACTIVE"


_NO_DELIVERY = "webhooks are stored but never delivered: only DISABLED webhooks are accepted"


# --- the table ------------------------------------------------------------------------------


def _workspaces_sharing_models(store, call, workspace):
    """Creates the workspace, but over the models of another non-default workspace when there is
    one: one namespace of names behind the workspaces (records edited: the store's partitions)."""
    created = call(workspace)
    with store.inner._lock:
        partitions = store.inner._partitions
        others = [
            p for n, p in partitions.items() if n not in (DEFAULT_WORKSPACE_NAME, created.name)
        ]
        if others:
            partitions[created.name].models = others[0].models
            partitions[created.name].names = others[0].names
    return created


@dataclass(frozen=True)
class Break:
    """One way of breaking a feature: what it does, and the store methods it replaces."""

    does: str
    replacements: dict[str, Replacement] = field(default_factory=dict)


@dataclass(frozen=True)
class Sabotage:
    wrong: Break
    #: None when no clean refusal of the feature alone exists (``impossible`` says why).
    refuse: Break | None
    impossible: str = ""


def _has_own(*comparators: str) -> Callable[[list[dict]], bool]:
    return lambda own: any(_is_name(c, *comparators) for c in own)


SABOTAGES: dict[str, Sabotage] = {
    "register.mlflow-format": Sabotage(
        wrong=Break(
            "a version registered from a local folder (no run) never leaves PENDING_REGISTRATION",
            {"get_model_version": _local_folders_stay_pending},
        ),
        refuse=Break(
            "refuses sources that are MLflow-format models",
            {
                "create_model_version": _refuse_if(
                    lambda s, source, **_: _is_mlflow_model(s, source),
                    "MLflow-format models cannot be registered here",
                )
            },
        ),
    ),
    "register.non-mlflow-format": Sabotage(
        wrong=Break(
            "copies a folder without MLmodel into its storage without its subfolders",
            {"create_model_version": _copy_plain_folders_flat},
        ),
        refuse=Break(
            "refuses sources without an MLmodel file",
            {
                "create_model_version": _refuse_if(
                    lambda s, source, **_: _is_plain_folder(s, source),
                    "a model version's source must hold an MLmodel file",
                    INVALID_PARAMETER_VALUE,
                )
            },
        ),
    ),
    "register.from-run": Sabotage(
        wrong=Break(
            "does not record the run id of a model registered from a run of its own "
            "tracking server",
            {"create_model_version": _forget_own_run_of_models},
        ),
        refuse=Break(
            "refuses a model registered with the run id of a run of its own tracking server",
            {
                "create_model_version": _refuse_if(
                    lambda s, source, run_id, **_: (
                        _is_own_run(s, run_id) and _is_mlflow_model(s, source)
                    ),
                    "registering a run's model with its run id is not supported",
                )
            },
        ),
    ),
    "register.from-foreign-run": Sabotage(
        wrong=Break(
            "copies a foreign run's model into its storage without its artifacts (MLmodel only)",
            {"create_model_version": _copy_foreign_models_without_artifacts},
        ),
        refuse=Break(
            "refuses run ids that its own tracking server does not know",
            {
                "create_model_version": _refuse_if(
                    lambda s, run_id, **_: _is_foreign_run(s, run_id),
                    "the run is not a run of this registry's tracking server",
                    INVALID_PARAMETER_VALUE,
                )
            },
        ),
    ),
    "search.list": Sabotage(
        wrong=Break(
            "an unfiltered search drops the last model of every page that has a next page",
            {"search_registered_models": _pages_lose_their_last_model},
        ),
        refuse=Break(
            "refuses searches without a filter of the caller's",
            {
                "search_registered_models": _refuse_search_if(
                    lambda own: not own, "listing registered models needs a filter"
                )
            },
        ),
    ),
    "version.details": Sabotage(
        wrong=Break(
            "get_model_version reports timestamps in seconds",
            {"get_model_version": _timestamps_in_seconds},
        ),
        refuse=None,
        impossible=(
            "every scenario of every feature reads versions back with get_model_version (and "
            "models with get_registered_model), and MLflow's protocol has no finer call to "
            "refuse: any refusal of version details breaks every row"
        ),
    ),
    "version.description": Sabotage(
        wrong=Break(
            "update_model_version stores the description but answers with the version as it was",
            {"update_model_version": _answer_as_before_the_update},
        ),
        refuse=Break(
            "refuses update_model_version",
            {"update_model_version": _refuse("editing a version's description is not supported")},
        ),
    ),
    "version.tags": Sabotage(
        wrong=Break(
            "delete_model_version_tag answers success and deletes nothing",
            {"delete_model_version_tag": _ignore},
        ),
        refuse=Break(
            "refuses set_model_version_tag and delete_model_version_tag",
            {
                "set_model_version_tag": _refuse("editing version tags is not supported"),
                "delete_model_version_tag": _refuse("editing version tags is not supported"),
            },
        ),
    ),
    "model.rename": Sabotage(
        wrong=Break(
            "rename makes a new model with the tags and description, and drops the versions",
            {"rename_registered_model": _rename_without_versions},
        ),
        refuse=Break(
            "refuses rename_registered_model",
            {"rename_registered_model": _refuse("renaming registered models is not supported")},
        ),
    ),
    "model.delete": Sabotage(
        wrong=Break(
            "delete_registered_model leaves the versions behind; registering the name again "
            "brings them back",
            {
                "delete_registered_model": _delete_orphaning_versions,
                "create_registered_model": _create_adopting_orphans,
            },
        ),
        refuse=Break(
            "refuses delete_registered_model",
            {"delete_registered_model": _refuse("deleting registered models is not supported")},
        ),
    ),
    "version.delete": Sabotage(
        wrong=Break(
            "delete_model_version frees the number of the highest version for reuse",
            {"delete_model_version": _delete_version_freeing_its_number},
        ),
        refuse=Break(
            "refuses delete_model_version",
            {"delete_model_version": _refuse("deleting model versions is not supported")},
        ),
    ),
    "stages": Sabotage(
        wrong=Break(
            "transition_model_version_stage ignores archive_existing_versions",
            {"transition_model_version_stage": _transition_never_archiving},
        ),
        refuse=Break(
            "refuses transition_model_version_stage",
            {"transition_model_version_stage": _refuse("model stages are not supported")},
        ),
    ),
    "search.by-name": Sabotage(
        wrong=Break(
            "name = '...' matches names case-insensitively",
            {"search_registered_models": _search_rewritten(_name_equals_ignoring_case)},
        ),
        refuse=Break(
            "refuses filters with name =",
            {
                "search_registered_models": _refuse_search_if(
                    _has_own("="), "filtering on the exact name is not supported"
                )
            },
        ),
    ),
    "search.like-ilike": Sabotage(
        wrong=Break(
            "name LIKE matches case-insensitively",
            {"search_registered_models": _search_rewritten(_like_ignoring_case)},
        ),
        refuse=Break(
            "refuses filters with name LIKE or ILIKE",
            {
                "search_registered_models": _refuse_search_if(
                    _has_own("LIKE", "ILIKE"), "LIKE and ILIKE are not supported"
                )
            },
        ),
    ),
    "search.by-tag": Sabotage(
        wrong=Break(
            "only the first tag condition of a filter is applied",
            {"search_registered_models": _search_rewritten(_first_tag_condition_only)},
        ),
        refuse=Break(
            "refuses filters on tags (other than the client's own prompt condition)",
            {
                "search_registered_models": _refuse_search_if(
                    lambda own: any(c["type"] == "tag" for c in own),
                    "filtering on tags is not supported",
                )
            },
        ),
    ),
    "search.name-in": Sabotage(
        wrong=Break(
            "name IN (...) matches only the first name of the list",
            {"search_registered_models": _search_rewritten(_name_in_first_only)},
        ),
        refuse=Break(
            "refuses filters with name IN, as MLflow 2.22's server does",
            {
                "search_registered_models": _refuse_search_if(
                    _has_own("IN"), "the IN comparator is not supported for registered models"
                )
            },
        ),
    ),
    # --- registry basics ---
    "model.create": Sabotage(
        wrong=Break(
            "create_registered_model keeps the tags given at creation and drops the description",
            {"create_registered_model": _create_dropping_the_description},
        ),
        refuse=Break(
            "refuses a description given at creation (INVALID_PARAMETER_VALUE)",
            {
                "create_registered_model": _refuse_if(
                    lambda s, description, **_: bool(description),
                    "a description cannot be given when a model is created",
                    INVALID_PARAMETER_VALUE,
                )
            },
        ),
    ),
    "model.description": Sabotage(
        wrong=Break(
            "update_registered_model stores the description but answers with the model as it was",
            {"update_registered_model": _answer_model_as_before_the_update},
        ),
        refuse=Break(
            "refuses update_registered_model",
            {
                "update_registered_model": _refuse(
                    "editing a registered model's description is not supported"
                )
            },
        ),
    ),
    "model.tags": Sabotage(
        wrong=Break(
            "delete_registered_model_tag answers success and deletes nothing",
            {"delete_registered_model_tag": _ignore},
        ),
        refuse=Break(
            "refuses set_registered_model_tag and delete_registered_model_tag",
            {
                "set_registered_model_tag": _refuse("registered model tags are not supported"),
                "delete_registered_model_tag": _refuse("registered model tags are not supported"),
            },
        ),
    ),
    "alias.set-get": Sabotage(
        wrong=Break(
            "setting an alias that exists answers success and leaves it on its old version",
            {"set_registered_model_alias": _alias_never_moves},
        ),
        refuse=Break(
            "refuses set_registered_model_alias (no aliases at all)",
            {"set_registered_model_alias": _refuse("model aliases are not supported")},
        ),
    ),
    "alias.reserved-names": Sabotage(
        wrong=Break(
            "accepts v<digits> as alias names (refuses only latest)",
            {"set_registered_model_alias": _accept_version_numbers_as_aliases},
        ),
        refuse=Break(
            "answers NOT_IMPLEMENTED to the reserved alias names instead of refusing them as "
            "invalid",
            {
                "set_registered_model_alias": _refuse_if(
                    _is_reserved_alias, "aliases named like latest or a version are not offered"
                )
            },
        ),
    ),
    "alias.visible": Sabotage(
        wrong=Break(
            "search_registered_models answers models without their aliases (as MLflow's SQL store "
            "answers version searches, mlflow#9783)",
            {"search_registered_models": _search_dropping_aliases},
        ),
        refuse=None,
        impossible=(
            "aliases are fields of the answers of get_registered_model, get_model_version and "
            "the model search, which every row reads with: a registry can only report them or "
            "report them wrongly; one without aliases refuses setting them (alias.set-get)"
        ),
    ),
    "alias.in-version-search": Sabotage(
        wrong=Break(
            "search_model_versions answers versions without their aliases (as MLflow's SQL "
            "store does, mlflow#9783)",
            {"search_model_versions": _search_dropping_aliases},
        ),
        refuse=None,
        impossible=(
            "aliases are a field of the version search's results: a registry can report them "
            "or report them wrongly; refusing the version search is the search rows' refusal"
        ),
    ),
    "alias.lifecycle": Sabotage(
        wrong=Break(
            "get_model_version_by_alias still resolves an alias whose version was deleted, or "
            "under a renamed model's old name (an alias index never updated)",
            {
                "delete_model_version": _delete_version_keeping_alias_index,
                "rename_registered_model": _rename_keeping_alias_index,
                "get_model_version_by_alias": _resolve_through_stale_alias_index,
            },
        ),
        refuse=None,
        impossible=(
            "what happens to aliases is a consequence of deleting a version and renaming a "
            "model: a registry that refuses either refuses version.delete or model.rename (the "
            "scenario is then not applicable), and one without aliases refuses alias.set-get"
        ),
    ),
    "errors.codes": Sabotage(
        wrong=Break(
            "get_model_version answers a version that is not a number with "
            "RESOURCE_DOES_NOT_EXIST instead of INVALID_PARAMETER_VALUE",
            {"get_model_version": _non_numeric_version_missing},
        ),
        refuse=None,
        impossible=(
            "error codes are answers of other rows' operations, not an operation a registry "
            "can leave out: it can only answer them wrongly; a call refused as not offered is "
            "the refusal of that operation's own row"
        ),
    ),
    # --- searches ---
    "search.versions-filter": Sabotage(
        wrong=Break(
            "model-version search ignores the tag conditions of a filter",
            {"search_model_versions": _version_search_rewritten(_without_tag_conditions)},
        ),
        refuse=Break(
            "model-version search compares only the name and the run id: a filter comparing "
            "source_path, version_number or a tag is refused",
            {
                "search_model_versions": _refuse_version_search_if(
                    _compares_more_than_name_and_run,
                    "model versions can be searched by name and run id only",
                )
            },
        ),
    ),
    "search.versions-in-like": Sabotage(
        wrong=Break(
            "name LIKE in model-version search matches case-insensitively",
            {"search_model_versions": _version_search_rewritten(_like_ignoring_case)},
        ),
        refuse=Break(
            "refuses IN, LIKE and ILIKE in model-version filters",
            {
                "search_model_versions": _refuse_version_search_if(
                    _has_list_or_pattern, "IN, LIKE and ILIKE are not supported for model versions"
                )
            },
        ),
    ),
    "search.versions-order": Sabotage(
        wrong=Break(
            "model-version search ignores order_by (answers in its default order)",
            {"search_model_versions": _version_order_ignored},
        ),
        refuse=Break(
            "refuses order_by in model-version search, as Unity Catalog does",
            {"search_model_versions": _refuse_version_order},
        ),
    ),
    "search.pagination": Sabotage(
        wrong=Break(
            "both searches read a page token they cannot decode as 'from the first page'",
            {
                "search_model_versions": _unreadable_tokens_start_over,
                "search_registered_models": _unreadable_tokens_start_over,
            },
        ),
        refuse=Break(
            "model-version search refuses page tokens (NOT_IMPLEMENTED): it serves one page",
            {"search_model_versions": _refuse_version_page_tokens},
        ),
    ),
    "search.prompt-clause": Sabotage(
        wrong=Break(
            "a filter with the client's prompt clause matches no model (a model without the tag "
            "fails tag.`mlflow.prompt.is_prompt` != 'true')",
            {"search_registered_models": _prompt_clause_matches_nothing},
        ),
        refuse=Break(
            "refuses filters comparing the prompt tag, in Azure ML's words "
            "(Azure/azure-sdk-for-python#42155)",
            {"search_registered_models": _refuse_prompt_clause},
        ),
    ),
    "search.filter-errors": Sabotage(
        wrong=Break(
            "answers a filter its parser cannot read with INTERNAL_ERROR (500)",
            {
                "search_registered_models": _malformed_filters_answer(
                    INTERNAL_ERROR, compile_registered_model_filter
                ),
                "search_model_versions": _malformed_filters_answer(
                    INTERNAL_ERROR, compile_model_version_filter
                ),
            },
        ),
        refuse=Break(
            "answers a filter its parser cannot read with NOT_IMPLEMENTED",
            {
                "search_registered_models": _malformed_filters_answer(
                    NOT_IMPLEMENTED, compile_registered_model_filter
                ),
                "search_model_versions": _malformed_filters_answer(
                    NOT_IMPLEMENTED, compile_model_version_filter
                ),
            },
        ),
    ),
    # --- versions and URIs ---
    "uri.models": Sabotage(
        wrong=Break(
            "get_latest_versions still answers a deleted version that was the newest (so "
            "models:/<name>/latest names a version that is gone)",
            {
                "delete_model_version": _delete_version_remembering_it,
                "get_latest_versions": _latest_counting_deleted_versions,
            },
        ),
        refuse=None,
        impossible=(
            "models:/ URIs are resolved through get_model_version_download_uri and "
            "get_latest_versions, which every row that registers a model loads through: "
            "refusing them refuses those rows (the downloads-refused and latest-versions-"
            "refused faults show it)"
        ),
    ),
    "uri.logged-models": Sabotage(
        wrong=Break(
            "create_model_version drops the model_id of a version registered from a logged model",
            {"create_model_version": _without_model_id},
        ),
        refuse=Break(
            "refuses versions from MLflow 3 logged models (a model_id, or a models:/m-<id> source)",
            {
                "create_model_version": _refuse_if(
                    _is_logged_model_source, "logged models (MLflow 3) are not supported"
                )
            },
        ),
    ),
    "version.copy": Sabotage(
        wrong=Break(
            "a version created from models:/<src>/<n> serves the files of the source model's "
            "newest version, not of version n",
            {
                "create_model_version": _copy_serving_the_newest_version,
                "copy_model_version": _copy_through_the_wrapper,
            },
        ),
        refuse=Break(
            "refuses model-version URIs (models:/<name>/...) as sources, so copies",
            {
                "create_model_version": _refuse_if(
                    _is_version_uri, "model version URI sources are not supported"
                ),
                "copy_model_version": _copy_through_the_wrapper,
            },
        ),
    ),
    "version.numbering": Sabotage(
        wrong=Break(
            "create_model_version reads the highest number and numbers the new version outside "
            "one lock: concurrent creators get the same number",
            {"create_model_version": _numbering_racing},
        ),
        refuse=None,
        impossible=(
            "numbers are how a registry answers create_model_version, which every row creates "
            "versions with: refusing it refuses them all"
        ),
    ),
    "timestamps": Sabotage(
        wrong=Break(
            "create_model_version leaves the model's last_updated_timestamp as it was",
            {"create_model_version": _version_creation_keeping_the_models_timestamp},
        ),
        refuse=None,
        impossible=(
            "timestamps are fields of every answer about models and versions: a registry can "
            "only report them or report them wrongly"
        ),
    ),
    "data.shapes": Sabotage(
        wrong=Break(
            "tag values given at creation are cut to 5000 characters (a VARCHAR(5000) column), "
            "silently",
            {
                "create_registered_model": _model_created_with_cut_tags,
                "create_model_version": _version_created_with_cut_tags,
            },
        ),
        refuse=Break(
            "refuses model names outside ASCII or with spaces, and tag values over 5000 "
            "characters (INVALID_PARAMETER_VALUE)",
            {
                "create_registered_model": _refuse_if(
                    lambda s, name, tags=None, **_: not _plain_name(name) or _long_values(tags),
                    "model names must be ASCII without spaces; tag values at most 5000 characters",
                    INVALID_PARAMETER_VALUE,
                ),
                "create_model_version": _refuse_if(
                    lambda s, tags=None, **_: _long_values(tags),
                    "tag values are limited to 5000 characters",
                    INVALID_PARAMETER_VALUE,
                ),
            },
        ),
    ),
    "webhooks.crud": Sabotage(
        wrong=Break(
            "update_webhook answers the new values and keeps the old ones",
            {"update_webhook": _update_not_kept},
        ),
        refuse=Break(
            "refuses every webhook call (NOT_IMPLEMENTED), listing aside (it lists none)",
            {
                op: _refuse("webhooks are not supported")
                for op in ("create_webhook", "get_webhook", "update_webhook", "delete_webhook")
            },
        ),
    ),
    "webhooks.delivery": Sabotage(
        wrong=Break(
            "keeps another secret than the one given, so deliveries carry a wrong signature",
            {"create_webhook": _another_secret, "update_webhook": _another_secret},
        ),
        refuse=Break(
            "refuses ACTIVE webhooks and test deliveries (NOT_IMPLEMENTED); DISABLED ones are kept",
            {
                "create_webhook": _refuse_if(_is_active, _NO_DELIVERY),
                "update_webhook": _refuse_if(
                    lambda s, status=None, **_: status is not None and str(status) == "ACTIVE",
                    _NO_DELIVERY,
                ),
                "test_webhook": _refuse(_NO_DELIVERY),
            },
        ),
    ),
    "workspaces.isolation": Sabotage(
        wrong=Break(
            "a workspace created while another (not the default) exists shares its registered "
            "models: one namespace of names behind the workspaces",
            {"create_workspace": _workspaces_sharing_models},
        ),
        refuse=Break(
            "refuses to create workspaces (NOT_IMPLEMENTED), as a provider whose workspaces are "
            "made elsewhere does",
            {"create_workspace": _refuse("creating workspaces is not supported")},
        ),
    ),
}


def slug(feature_id: str) -> str:
    return feature_id.replace(".", "-")


def uri(feature_id: str, mode: str) -> str:
    """The store URI of the reference backend that breaks ``feature_id`` the ``mode`` way."""
    return f"{SCHEME}://{slug(feature_id)}--{mode}"


def sabotage_of(feature_id: str, mode: str) -> Break | None:
    return getattr(SABOTAGES[feature_id], mode)


# --- faults beyond one feature's wrong answer (tests/test_scenario_faults.py) -----------------
#
# Each is a kind of breakage that a weaker scenario let pass: a fault shown only once (a retry
# hid it), a listing that never ends, damage to the entities next to the one operated on (a
# snapshot of sources only missed it), a write accepted and dropped, a touch that moves no
# timestamp. ``broken://fault--<name>`` serves one of them.

FAULT = "fault"
_ENDLESS = "rc-endless-"
_AGAIN = "rc-again-"


def _first_small_walk_loses_models(store, call, filter_string, max_results, order_by, page_token):
    page = call(filter_string, max_results, order_by, page_token)
    if _comparisons(filter_string)[0] or max_results >= 100:
        return page
    if page_token is None:
        store.small_walks += 1
    if store.small_walks == 1 and page.token:
        return PagedList(list(page)[:-1], page.token)
    return page


def _pages_never_end(store, call, filter_string, max_results, order_by, page_token):
    if page_token and page_token.startswith(_ENDLESS):
        return PagedList([], f"{_ENDLESS}{uuid.uuid4().hex}")
    page = call(filter_string, max_results, order_by, page_token)
    return page if page.token else PagedList(list(page), f"{_ENDLESS}{uuid.uuid4().hex}")


def _pages_start_over(store, call, filter_string, max_results, order_by, page_token):
    if page_token and page_token.startswith(_AGAIN):
        page_token = None
    page = call(filter_string, max_results, order_by, page_token)
    return page if page.token else PagedList(list(page), f"{_AGAIN}{uuid.uuid4().hex}")


def _then_damage_other_versions(damage: Callable[[Any], None]) -> Replacement:
    """Do the call, then ``damage`` the record of every other live version of the model."""

    def replacement(store, call, **arguments):
        result = call(**arguments)
        with store.inner._lock:
            model = store.inner._models.get(arguments["name"])
            touched = int(arguments.get("version") or 0)
            for number, record in (model.versions if model else {}).items():
                if number != touched:
                    damage(record)
        return result

    return replacement


def _then_damage_other_models(store, call, name):
    call(name)
    with store.inner._lock:
        for model in store.inner._models.values():
            model.tags.clear()
            model.description = None


def _rename_dropping_version_tags(store, call, name, new_name):
    renamed = call(name, new_name)
    with store.inner._lock:
        for record in _model_record(store, new_name).versions.values():
            record.tags.clear()
    return renamed


def _update_keeping_the_timestamp(store, call, **arguments):
    with store.inner._lock:
        kept = _model_record(store, arguments["name"]).last_updated_timestamp
        call(**arguments)
        _model_record(store, arguments["name"]).last_updated_timestamp = kept
    return store.inner.get_registered_model(arguments["name"])


def _archived_not_kept(store, call, name, version, stage, archive_existing_versions):
    if get_canonical_stage(stage) != "Archived":
        return call(name, version, stage, archive_existing_versions)
    return _answer_with(store.inner.get_model_version(name, version), current_stage="Archived")


def _apply_then_refuse(message: str) -> Replacement:
    def refuse_after_applying(store, call, **arguments):
        call(**arguments)
        raise _refusal(message, NOT_IMPLEMENTED)

    return refuse_after_applying


def _wipe_tags(record: Any) -> None:
    record.tags.clear()


def _wipe_tags_and_stage(record: Any) -> None:
    record.tags.clear()
    record.current_stage = "None"


def _wipe_description(record: Any) -> None:
    record.description = None


FAULTS: dict[str, Break] = {
    "listing-wrong-once": Break(
        "the first unfiltered listing in pages of fewer than 100 loses the last model of each "
        "page that has a next page; every later listing is right",
        {"search_registered_models": _first_small_walk_loses_models},
    ),
    "listing-never-ends": Break(
        "after its last page, every search hands out empty pages with fresh tokens, forever",
        {"search_registered_models": _pages_never_end},
    ),
    "listing-starts-over": Break(
        "after its last page, every search starts over from its first page with a fresh token",
        {"search_registered_models": _pages_start_over},
    ),
    "version-delete-damages-others": Break(
        "delete_model_version also wipes the tags and the stage of the model's other versions",
        {"delete_model_version": _then_damage_other_versions(_wipe_tags_and_stage)},
    ),
    "model-delete-damages-others": Break(
        "delete_registered_model also wipes the tags and description of every other model",
        {"delete_registered_model": _then_damage_other_models},
    ),
    "tag-damages-other-versions": Break(
        "set_model_version_tag also wipes the descriptions of the model's other versions",
        {"set_model_version_tag": _then_damage_other_versions(_wipe_description)},
    ),
    "description-damages-other-versions": Break(
        "update_model_version also wipes the tags of the model's other versions",
        {"update_model_version": _then_damage_other_versions(_wipe_tags)},
    ),
    "transition-damages-other-versions": Break(
        "transition_model_version_stage also wipes the tags of the model's other versions",
        {"transition_model_version_stage": _then_damage_other_versions(_wipe_tags)},
    ),
    "rename-drops-version-tags": Break(
        "rename_registered_model drops the tags of the model's versions",
        {"rename_registered_model": _rename_dropping_version_tags},
    ),
    "model-tags-dropped": Break(
        "set_registered_model_tag answers success and keeps nothing",
        {"set_registered_model_tag": _ignore},
    ),
    "updates-keep-timestamps": Break(
        "update_registered_model leaves last_updated_timestamp as it was",
        {"update_registered_model": _update_keeping_the_timestamp},
    ),
    "archived-not-kept": Break(
        "a transition to Archived answers Archived and leaves the stage as it was",
        {"transition_model_version_stage": _archived_not_kept},
    ),
    "downloads-refused": Break(
        "accepts every version, and refuses get_model_version_download_uri (so models:/ URIs "
        "neither download nor load)",
        {"get_model_version_download_uri": _refuse("downloading versions is not supported")},
    ),
    "latest-versions-refused": Break(
        "refuses get_latest_versions, as Unity Catalog does (so models:/<name>/latest and "
        "models:/<name>/<Stage> cannot be resolved); everything else works",
        {"get_latest_versions": _refuse("latest versions are not supported")},
    ),
    "version-tags-refused-after-change": Break(
        "set_model_version_tag applies the tag, then answers NOT_IMPLEMENTED",
        {"set_model_version_tag": _apply_then_refuse("editing version tags is not supported")},
    ),
    "model-descriptions-refused": Break(
        "refuses update_registered_model (registered-model descriptions)",
        {"update_registered_model": _refuse("editing a model's description is not supported")},
    ),
}


def fault_uri(name: str) -> str:
    """The store URI of the reference backend that shows the fault ``name`` of ``FAULTS``."""
    return f"{SCHEME}://{FAULT}--{name}"


# --- the MLflow store plugin ----------------------------------------------------------------

_lock = threading.Lock()
_stores: dict[tuple[str, str], SabotagedRegistryStore] = {}
_BY_SLUG = {slug(feature_id): feature_id for feature_id in SABOTAGES}


def _instance_and_store(store_uri: str) -> tuple[Instance, SabotagedRegistryStore]:
    parsed = urllib.parse.urlsplit(store_uri)
    feature_slug, _, mode = parsed.netloc.partition("--")
    feature_id = FAULT if feature_slug == FAULT else _BY_SLUG.get(feature_slug)
    if feature_id == FAULT:
        broken = FAULTS.get(mode)
    else:
        broken = sabotage_of(feature_id, mode) if feature_id and mode in MODES else None
    if parsed.scheme != SCHEME or parsed.path not in ("", "/") or broken is None:
        raise MlflowException(
            f"Not a broken-backend URI: {store_uri!r}; expected '{SCHEME}://<feature>--<mode>' "
            f"with a feature of {sorted(_BY_SLUG)} and a mode of {MODES} that has a sabotage, "
            f"or '{SCHEME}://{FAULT}--<fault>' with a fault of {sorted(FAULTS)}.",
            INVALID_PARAMETER_VALUE,
        )
    instance = get_instance(f"memory://broken-{feature_slug}-{mode}")
    with _lock:
        store = _stores.get((feature_id, mode))
        if store is None:
            store = _stores[(feature_id, mode)] = SabotagedRegistryStore(
                instance, broken.replacements
            )
    return instance, store


def registry_store(store_uri: str, tracking_uri: str | None = None, **_: Any) -> Any:
    """Builder for MLflow's registry-store registry, called as ``(store_uri=, tracking_uri=)``."""
    return _instance_and_store(store_uri)[1]


def tracking_store(store_uri: str, artifact_uri: str | None = None) -> Any:
    """Builder for MLflow's tracking-store registry, called as ``(store_uri=, artifact_uri=)``."""
    return _instance_and_store(store_uri)[0].tracking_store


def workspace_store(workspace_uri: str) -> Any:
    """Builder for MLflow's workspace-provider registry (3.10+): the sabotaged registry store,
    which is its own workspace provider as the reference store is."""
    return _instance_and_store(workspace_uri)[1]


_get_store_registry().register(SCHEME, registry_store)
_tracking_store_registry.register(SCHEME, tracking_store)
_get_workspace_store_registry().register(SCHEME, workspace_store)
