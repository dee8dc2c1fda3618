"""In-memory MLflow model-registry store: MLflow's registry semantics without a database.

Mirrors ``SqlAlchemyStore``: the same validators, error codes, version numbering, timestamp bumps
and prompt hiding; the deliberate differences are listed in DIFFERENCES.md, and an instance's
platform emulation (``emulation_guard.py``) may refuse more. One re-entrant lock per store
serialises every operation, and entities are built afresh on every call, so callers never hold
the store's own state.
"""

from __future__ import annotations

import functools
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from mlflow.entities.model_registry import (
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelAlias,
    RegisteredModelTag,
)
from mlflow.entities.model_registry.model_version_stages import (
    ALL_STAGES,
    DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS,
    STAGE_ARCHIVED,
    STAGE_NONE,
    get_canonical_stage,
)
from mlflow.entities.model_registry.prompt_version import IS_PROMPT_TAG_KEY
from mlflow.exceptions import MlflowException
from mlflow.prompt.registry_utils import handle_resource_already_exist_error, has_prompt_tag
from mlflow.protos.databricks_pb2 import RESOURCE_ALREADY_EXISTS, RESOURCE_DOES_NOT_EXIST
from mlflow.store.artifact.utils.models import ParsedModelUri, _parse_model_uri
from mlflow.store.entities.paged_list import PagedList
from mlflow.store.model_registry import (
    SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
    SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD,
)
from mlflow.store.model_registry.abstract_store import AbstractStore
from mlflow.utils.time import get_current_time_millis
from mlflow.utils.validation import (
    _validate_model_alias_name,
    _validate_model_name,
    _validate_model_renaming,
    _validate_model_version,
    _validate_model_version_tag,
    _validate_registered_model_tag,
    _validate_tag_name,
    missing_value,
)

from reference_backend.emulation_guard import EmulationGuard
from reference_backend.emulations import UNRESTRICTED
from reference_backend.name_index import NameIndex
from reference_backend.search_filter import (
    CompiledFilter,
    compile_model_version_filter,
    compile_registered_model_filter,
)
from reference_backend.search_paging import (
    check_max_results,
    decode_page_token,
    model_version_order,
    registered_model_order,
    sort_page,
    take_page,
)
from reference_backend.workspaces import (
    MLFLOW_HAS_WORKSPACES,
    WorkspaceProvider,
    entity_workspace,
)

if TYPE_CHECKING:
    from mlflow.entities.webhook import Webhook, WebhookTestResult

    from reference_backend.webhooks import Webhooks

try:  # MLflow 3.3+ has webhooks
    from reference_backend.webhooks import Webhooks as _Webhooks
except ImportError:  # before, there are none: the base store's NotImplementedError answers
    _Webhooks = None

F = TypeVar("F", bound=Callable[..., Any])

#: The alias that ``models:/name@latest`` means: the newest version (MLflow reserves the name).
LATEST_ALIAS = "latest"

try:  # MLflow 3.3+ checks reserved alias names apart, so that get and delete accept "latest"
    from mlflow.utils.validation import _validate_model_alias_name_reserved
except ImportError:  # before, _validate_model_alias_name refuses them for every call

    def _validate_model_alias_name_reserved(model_alias_name: str) -> None:
        pass


@dataclass(slots=True)
class _Version:
    name: str
    version: int
    creation_timestamp: int
    last_updated_timestamp: int
    source: str
    storage_location: str
    run_id: str | None
    run_link: str | None
    description: str | None
    model_id: str | None
    tags: dict[str, str]
    current_stage: str = STAGE_NONE


@dataclass(slots=True)
class _Model:
    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str | None
    tags: dict[str, str | None]
    aliases: dict[str, int] = field(default_factory=dict)
    versions: dict[int, _Version] = field(default_factory=dict)  # live versions only
    last_version: int = 0  # highest number ever given, so deleted numbers are never reused

    def latest_per_stage(self) -> list[_Version]:
        """The highest version of each stage, in version order."""
        latest: dict[str, _Version] = {}
        for mv in self.versions.values():
            if mv.current_stage not in latest or latest[mv.current_stage].version < mv.version:
                latest[mv.current_stage] = mv
        return sorted(latest.values(), key=lambda mv: mv.version)

    def has_prompt_version(self) -> bool:
        return any(mv.tags.get(IS_PROMPT_TAG_KEY) == "true" for mv in self.versions.values())


def _synchronized(method: F) -> F:
    @functools.wraps(method)
    def locked(self: InMemoryRegistryStore, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return locked  # type: ignore[return-value]


def _version_number(version: Any) -> int:
    if version is None:
        raise MlflowException.invalid_parameter_value(missing_value("version"))
    _validate_model_version(version)  # MLflow's error for a non-integer (3.10 returns None)
    return int(version)


def _tag_map(tags: Iterable[Any] | None, validate: Callable[[str, Any], None]) -> dict[str, Any]:
    """Validated tags as a dict; a repeated key keeps its last value, as in the SQL store."""
    result = {}
    for tag in tags or []:
        validate(tag.key, tag.value)
        result[tag.key] = tag.value
    return result


def _not_found(name: str, version: Any) -> MlflowException:
    return MlflowException(
        f"Model Version (name={name}, version={version}) not found", RESOURCE_DOES_NOT_EXIST
    )


class InMemoryRegistryStore(WorkspaceProvider, AbstractStore):
    """MLflow's model-registry store API over plain dicts, safe to share between threads; its
    own workspace provider (``workspaces.py``): each workspace holds its own models."""

    def __init__(self, tracking_store: Any = None, guard: EmulationGuard | None = None) -> None:
        super().__init__()
        # Consulted only to resolve logged models (``models:/m-<id>`` sources, ``model_id``).
        self._tracking_store = tracking_store
        # What the instance's platform emulation refuses, checked before anything changes.
        self._guard = guard or EmulationGuard(UNRESTRICTED, tracking_store)
        self._lock = threading.RLock()
        self._init_workspaces()
        self._webhooks = _Webhooks() if _Webhooks is not None else None

    @property
    def supports_workspaces(self) -> bool:  # type: ignore[override]
        return MLFLOW_HAS_WORKSPACES and self._guard.emulation.workspaces

    @property
    def _models(self) -> dict[str, _Model]:
        """The active workspace's models (callers hold the lock)."""
        return self._partition().models

    @property
    def _names(self) -> NameIndex:
        return self._partition().names

    def _notify(self, name: str, event: str, **data: Any) -> None:
        """Deliver a registry event (``entity.action``) about model ``name``, as MLflow's server
        handlers do after the write (events of prompts are not delivered: DIFFERENCES.md)."""
        model = self._models.get(name)
        is_prompt = model is None or model.tags.get(IS_PROMPT_TAG_KEY) == "true"
        if self._webhooks is not None and not is_prompt:
            self._webhooks.notify(event, {"name": name, **data})

    def _hooks(self, operation: str) -> Webhooks:
        """The webhooks, for ``operation``: refused as MLflow's base store refuses it where there
        are none (an emulation without them, or MLflow before 3.3)."""
        self._guard.check_webhooks(operation)
        if self._webhooks is None:
            raise NotImplementedError(f"{type(self).__name__} does not support {operation}")
        return self._webhooks

    # Lookups and entity building (callers hold the lock)

    def _model(self, name: str) -> _Model:
        _validate_model_name(name)
        model = self._models.get(name)
        if model is None:
            raise MlflowException(
                f"Registered Model with name={name} not found", RESOURCE_DOES_NOT_EXIST
            )
        return model

    def _version(self, name: str, version: Any) -> tuple[_Model, _Version]:
        _validate_model_name(name)
        number = _version_number(version)
        model = self._models.get(name)
        mv = model.versions.get(number) if model else None
        if model is None or mv is None:
            raise _not_found(name, version)
        return model, mv

    @staticmethod
    def _alias_target(model: _Model, alias: str) -> _Version:
        if alias.lower() == LATEST_ALIAS:
            if not model.versions:
                raise MlflowException(
                    f"Latest version not found for model {model.name}.", RESOURCE_DOES_NOT_EXIST
                )
            return model.versions[max(model.versions)]
        number = model.aliases.get(alias)
        if number is None:
            raise MlflowException.invalid_parameter_value(
                f"Registered model alias {alias} not found."
            )
        return model.versions[number]

    @staticmethod
    def _version_entity(model: _Model, mv: _Version, with_aliases: bool = True) -> ModelVersion:
        return ModelVersion(
            name=mv.name,
            version=mv.version,
            creation_timestamp=mv.creation_timestamp,
            last_updated_timestamp=mv.last_updated_timestamp,
            description=mv.description,
            current_stage=mv.current_stage,
            source=mv.source,
            run_id=mv.run_id,
            tags=[ModelVersionTag(key, value) for key, value in mv.tags.items()],
            run_link=mv.run_link,
            aliases=[alias for alias, number in model.aliases.items() if number == mv.version]
            if with_aliases
            else [],
            model_id=mv.model_id,
            **entity_workspace(),
        )

    def _model_entity(self, model: _Model) -> RegisteredModel:
        return RegisteredModel(
            name=model.name,
            creation_timestamp=model.creation_timestamp,
            last_updated_timestamp=model.last_updated_timestamp,
            description=model.description,
            latest_versions=[self._version_entity(model, mv) for mv in model.latest_per_stage()],
            tags=[RegisteredModelTag(key, value) for key, value in model.tags.items()],
            aliases=[
                RegisteredModelAlias(alias, number) for alias, number in model.aliases.items()
            ],
        )

    # Registered models

    @_synchronized
    def create_registered_model(
        self, name, tags=None, description=None, deployment_job_id=None
    ) -> RegisteredModel:
        _validate_model_name(name)
        self._guard.check_new_name(name)
        tag_map = _tag_map(tags, _validate_registered_model_tag)
        if (existing := self._models.get(name)) is not None:
            handle_resource_already_exist_error(
                name, has_prompt_tag(existing.tags), bool(has_prompt_tag(tags))
            )
        self._guard.check_tag_keys(tag_map)
        now = get_current_time_millis()
        model = _Model(name, now, now, description, tag_map)
        self._models[name] = model
        self._names.add(name)
        self._notify(
            name,
            "registered_model.created",
            tags=tag_map,
            description=description,
        )
        return self._model_entity(model)

    @_synchronized
    def update_registered_model(self, name, description, deployment_job_id=None) -> RegisteredModel:
        model = self._model(name)
        model.description = description
        model.last_updated_timestamp = get_current_time_millis()
        return self._model_entity(model)

    @_synchronized
    def rename_registered_model(self, name, new_name) -> RegisteredModel:
        self._guard.check_rename(new_name)
        _validate_model_renaming(new_name)
        model = self._model(name)
        if new_name != name and new_name in self._models:
            raise MlflowException(
                f"Registered Model (name={new_name}) already exists.", RESOURCE_ALREADY_EXISTS
            )
        now = get_current_time_millis()
        del self._models[name]
        self._names.remove(name)
        self._models[new_name] = model
        self._names.add(new_name)
        model.name = new_name
        model.last_updated_timestamp = now
        for mv in model.versions.values():
            mv.name = new_name
            mv.last_updated_timestamp = now
        if not self._guard.rename_keeps_tags_and_aliases:
            model.tags.clear()
            model.aliases.clear()
        return self._model_entity(model)

    @_synchronized
    def delete_registered_model(self, name) -> None:
        self._guard.check_model_delete()
        self._model(name)
        del self._models[name]
        self._names.remove(name)

    @_synchronized
    def get_registered_model(self, name) -> RegisteredModel:
        return self._model_entity(self._model(name))

    @_synchronized
    def search_registered_models(
        self,
        filter_string=None,
        max_results=SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
        order_by=None,
        page_token=None,
    ) -> PagedList[RegisteredModel]:
        check_max_results(max_results, SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD)
        self._guard.check_model_search(filter_string, order_by or ())
        query = compile_registered_model_filter(filter_string)
        order = registered_model_order(tuple(order_by or ()))
        after = self._page_after(page_token, order)
        leading, ascending = order.fields[0]
        if leading == "name":
            # Names are unique, so the name index already is the requested order: walk it from
            # the cursor and stop as soon as the page is full.
            after_name = None if after is None else after[0]
            names = self._names.walk(query.name_prefix, after_name, ascending)
            page, token = take_page(self._matching(names, query), order, max_results)
        else:
            names = self._names.walk(query.name_prefix) if query.name_prefix else self._models
            page, token = sort_page(self._matching(names, query), order, after, max_results)
        return PagedList([self._model_entity(model) for model in page], token)

    def _page_after(self, page_token: Any, order: Any) -> Any:
        """Where the page of ``page_token`` starts; an emulation may crash on a bad token."""
        try:
            return decode_page_token(page_token, order)
        except MlflowException:
            self._guard.check_unreadable_page_token(page_token)
            raise

    def _matching(self, names: Iterable[str], query: CompiledFilter) -> Iterator[_Model]:
        """The named models that the query selects (prompts only when it asks for them)."""
        models = self._models
        for name in names:
            model = models[name]
            if (
                query.include_prompts or model.tags.get(IS_PROMPT_TAG_KEY) != "true"
            ) and query.matches(model):
                yield model

    @_synchronized
    def get_latest_versions(self, name, stages=None) -> list[ModelVersion]:
        model = self._model(name)
        wanted = {get_canonical_stage(stage) for stage in stages or ALL_STAGES}
        return [
            self._version_entity(model, mv)
            for mv in model.latest_per_stage()
            if mv.current_stage in wanted
        ]

    @_synchronized
    def set_registered_model_tag(self, name, tag) -> None:
        _validate_model_name(name)
        _validate_registered_model_tag(tag.key, tag.value)
        model = self._model(name)
        self._guard.check_tag_keys([tag.key])
        model.tags[tag.key] = tag.value

    @_synchronized
    def delete_registered_model_tag(self, name, key) -> None:
        _validate_model_name(name)
        _validate_tag_name(key)
        self._model(name).tags.pop(key, None)

    # Model versions

    @_synchronized
    def create_model_version(
        self,
        name,
        source,
        run_id=None,
        tags=None,
        run_link=None,
        description=None,
        local_model_path=None,
        model_id=None,
    ) -> ModelVersion:
        _validate_model_name(name)
        tag_map = _tag_map(tags, _validate_model_version_tag)
        if not source:
            raise MlflowException.invalid_parameter_value(missing_value("source"))
        self._guard.check_source(source, run_id, model_id)
        storage_location, run_id = self._resolve_source(source, run_id, model_id)
        model = self._model(name)
        self._guard.check_tag_keys(tag_map)
        now = get_current_time_millis()
        model.last_version += 1
        mv = _Version(
            name=name,
            version=model.last_version,
            creation_timestamp=now,
            last_updated_timestamp=now,
            source=source,
            storage_location=storage_location,
            run_id=run_id,
            run_link=run_link,
            description=description,
            model_id=model_id if self._guard.keeps_version_model_id else None,
            tags=tag_map,
        )
        model.versions[mv.version] = mv
        model.last_updated_timestamp = now
        self._notify(
            name,
            "model_version.created",
            version=str(mv.version),
            source=source,
            run_id=run_id,
            tags=tag_map,
            description=description,
        )
        return self._version_entity(model, mv)

    def _resolve_source(self, source: str, run_id: str | None, model_id: str | None):
        """Where the artifacts of ``source`` live, and the run they come from (as the SQL store)."""
        storage_location = source
        if urllib.parse.urlparse(source).scheme == "models":
            try:
                parsed = _parse_model_uri(source)
            except MlflowException as error:
                raise MlflowException.invalid_parameter_value(error.message) from error
            if parsed.model_id is not None:
                logged_model = self._logged_model(parsed.model_id)
                storage_location = logged_model.artifact_location
                run_id = run_id or logged_model.source_run_id
            else:
                storage_location = self._registered_source_location(parsed)
        if not run_id and model_id:
            run_id = self._logged_model(model_id).source_run_id
        return storage_location, run_id

    def _registered_source_location(self, parsed: ParsedModelUri) -> str:
        """Storage location of the version named by ``models:/name/<version|stage|latest>``."""
        model = self._model(parsed.name)
        if parsed.version is not None:
            _, mv = self._version(parsed.name, parsed.version)
        elif parsed.alias is not None:
            mv = self._alias_target(model, parsed.alias)
        else:
            stage = parsed.stage and get_canonical_stage(parsed.stage)
            candidates = [v for v in model.versions.values() if stage in (None, v.current_stage)]
            if not candidates:
                raise MlflowException(
                    f"No versions of model with name '{parsed.name}' and stage '{stage}' found",
                    RESOURCE_DOES_NOT_EXIST,
                )
            mv = max(candidates, key=lambda v: v.version)
        return mv.storage_location or mv.source

    def _logged_model(self, model_id: str) -> Any:
        if self._tracking_store is not None:
            return self._tracking_store.get_logged_model(model_id)
        # Like the SQL store: without a paired tracking store, ask the current tracking URI.
        from mlflow.tracking.client import MlflowClient

        return MlflowClient().get_logged_model(model_id)

    @_synchronized
    def update_model_version(self, name, version, description=None) -> ModelVersion:
        model, mv = self._version(name, version)
        mv.description = description
        mv.last_updated_timestamp = get_current_time_millis()
        return self._version_entity(model, mv)

    @_synchronized
    def transition_model_version_stage(
        self, name, version, stage, archive_existing_versions
    ) -> ModelVersion:
        stage = get_canonical_stage(stage)
        if archive_existing_versions and stage not in DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS:
            raise MlflowException.invalid_parameter_value(
                f"Model version transition cannot archive existing model versions because "
                f"'{stage}' is not an Active stage. Valid stages are "
                f"{DEFAULT_STAGES_FOR_GET_LATEST_VERSIONS}"
            )
        model, mv = self._version(name, version)
        now = get_current_time_millis()
        if archive_existing_versions:
            for other in model.versions.values():
                if other is not mv and other.current_stage == stage:
                    other.current_stage = STAGE_ARCHIVED
                    other.last_updated_timestamp = now
        mv.current_stage = stage
        mv.last_updated_timestamp = now
        model.last_updated_timestamp = now
        return self._version_entity(model, mv)

    @_synchronized
    def delete_model_version(self, name, version) -> None:
        model, mv = self._version(name, version)
        model.aliases = {a: number for a, number in model.aliases.items() if number != mv.version}
        del model.versions[mv.version]
        model.last_updated_timestamp = get_current_time_millis()

    @_synchronized
    def get_model_version(self, name, version) -> ModelVersion:
        return self._version_entity(*self._version(name, version))

    @_synchronized
    def get_model_version_download_uri(self, name, version) -> str:
        _, mv = self._version(name, version)
        return mv.storage_location or mv.source

    @_synchronized
    def search_model_versions(
        self,
        filter_string=None,
        max_results=SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
        order_by=None,
        page_token=None,
    ) -> PagedList[ModelVersion]:
        check_max_results(max_results, SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD)
        self._guard.check_version_search(filter_string)
        query = compile_model_version_filter(filter_string)
        order = model_version_order(tuple(order_by or ()))
        after = self._page_after(page_token, order)
        names = self._names.walk(query.name_prefix) if query.name_prefix else self._models
        matches = (
            mv
            for model in map(self._models.__getitem__, names)
            # Like the SQL store, a model with a prompt-tagged version is a prompt.
            if query.include_prompts or not model.has_prompt_version()
            for mv in model.versions.values()
            if query.matches(mv)
        )
        page, token = sort_page(matches, order, after, max_results)
        aliases = self._guard.aliases_in_version_search
        return PagedList(
            [self._version_entity(self._models[mv.name], mv, aliases) for mv in page], token
        )

    @_synchronized
    def set_model_version_tag(self, name, version, tag) -> None:
        _validate_model_name(name)
        _version_number(version)
        _validate_model_version_tag(tag.key, tag.value)
        _, mv = self._version(name, version)
        self._guard.check_tag_keys([tag.key])
        mv.tags[tag.key] = tag.value
        self._notify(
            name,
            "model_version_tag.set",
            version=str(version),
            key=tag.key,
            value=tag.value,
        )

    @_synchronized
    def delete_model_version_tag(self, name, version, key) -> None:
        _validate_model_name(name)
        _version_number(version)
        _validate_tag_name(key)
        _, mv = self._version(name, version)
        mv.tags.pop(key, None)
        self._notify(
            name,
            "model_version_tag.deleted",
            version=str(version),
            key=key,
        )

    # Aliases

    @_synchronized
    def set_registered_model_alias(self, name, alias, version) -> None:
        _validate_model_name(name)
        _validate_model_alias_name(alias)
        _validate_model_alias_name_reserved(alias)
        model, mv = self._version(name, version)
        model.aliases[alias] = mv.version
        self._notify(
            name,
            "model_version_alias.created",
            alias=alias,
            version=str(version),
        )

    @_synchronized
    def delete_registered_model_alias(self, name, alias) -> None:
        _validate_model_name(name)
        _validate_model_alias_name(alias)
        self._model(name).aliases.pop(alias, None)
        self._notify(name, "model_version_alias.deleted", alias=alias)

    @_synchronized
    def get_model_version_by_alias(self, name, alias) -> ModelVersion:
        _validate_model_name(name)
        _validate_model_alias_name(alias)
        model = self._model(name)
        return self._version_entity(model, self._alias_target(model, alias))

    # Webhooks (their own lock: ``webhooks.py``)

    def create_webhook(
        self, name, url, events, description=None, secret=None, status=None
    ) -> Webhook:
        hooks = self._hooks("create_webhook")
        self._guard.check_webhook_url(url)
        return hooks.create(name, url, events, description, secret, status)

    def get_webhook(self, webhook_id) -> Webhook:
        return self._hooks("get_webhook").get(webhook_id)

    def list_webhooks(self, max_results=None, page_token=None) -> PagedList[Webhook]:
        return self._hooks("list_webhooks").page(max_results, page_token)

    def list_webhooks_by_event(
        self, event, max_results=None, page_token=None
    ) -> PagedList[Webhook]:
        return self._hooks("list_webhooks_by_event").page(max_results, page_token, event)

    def update_webhook(
        self,
        webhook_id,
        name=None,
        description=None,
        url=None,
        events=None,
        secret=None,
        status=None,
    ) -> Webhook:
        hooks = self._hooks("update_webhook")
        self._guard.check_webhook_url(url)
        return hooks.update(webhook_id, name, description, url, events, secret, status)

    def delete_webhook(self, webhook_id) -> None:
        self._hooks("delete_webhook").delete(webhook_id)

    def test_webhook(self, webhook_id, event=None) -> WebhookTestResult:
        return self._hooks("test_webhook").test(webhook_id, event)

    def _await_model_version_creation(self, mv, await_creation_for) -> None:
        """Versions are READY on creation, as in the SQL store: nothing to wait for."""
