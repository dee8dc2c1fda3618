"""In-memory MLflow tracking store: the part of tracking that registering from runs needs.

Experiments, runs (params, metrics, tags, inputs, outputs) and MLflow 3 logged models live in
plain records guarded by one re-entrant lock, and are copied into MLflow entities on every read
so callers never hold live state. Artifacts live under the artifact root with the layout of
MLflow's file and SQL stores, so artifact URIs look exactly like theirs. Errors carry the error
codes MLflow's own stores use, because clients and the REST layer branch on them.
"""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlflow.entities import (
    DatasetInput,
    Experiment,
    ExperimentTag,
    LifecycleStage,
    LoggedModel,
    LoggedModelInput,
    LoggedModelOutput,
    LoggedModelParameter,
    LoggedModelStatus,
    LoggedModelTag,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    RunStatus,
    RunTag,
    ViewType,
)
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import (
    INVALID_PARAMETER_VALUE,
    INVALID_STATE,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
)
from mlflow.store.entities.paged_list import PagedList
from mlflow.store.tracking import (
    SEARCH_LOGGED_MODEL_MAX_RESULTS_DEFAULT,
    SEARCH_MAX_RESULTS_DEFAULT,
    SEARCH_MAX_RESULTS_THRESHOLD,
)
from mlflow.store.tracking.abstract_store import AbstractStore
from mlflow.utils.mlflow_tags import MLFLOW_LOGGED_MODELS, MLFLOW_RUN_NAME
from mlflow.utils.name_utils import _generate_random_name
from mlflow.utils.search_utils import SearchExperimentsUtils, SearchLoggedModelsUtils, SearchUtils
from mlflow.utils.time import get_current_time_millis
from mlflow.utils.uri import append_to_uri_path, resolve_uri_if_local
from mlflow.utils.validation import (
    _validate_batch_log_data,
    _validate_batch_log_limits,
    _validate_experiment_artifact_location_length,
    _validate_experiment_name,
    _validate_experiment_tag,
    _validate_logged_model_name,
    _validate_param,
    _validate_param_keys_unique,
    _validate_tag_name,
)

from reference_backend import page_tokens

if TYPE_CHECKING:
    from mlflow.models import Model

DEFAULT_EXPERIMENT_ID = "0"
_ARTIFACTS = "artifacts"
_MODELS = "models"


@dataclass
class _ExperimentRecord:
    experiment_id: str
    name: str
    artifact_location: str
    creation_time: int
    last_update_time: int
    lifecycle_stage: str = LifecycleStage.ACTIVE
    tags: dict[str, str] = field(default_factory=dict)

    def to_entity(self) -> Experiment:
        return Experiment(
            experiment_id=self.experiment_id,
            name=self.name,
            artifact_location=self.artifact_location,
            lifecycle_stage=self.lifecycle_stage,
            tags=[ExperimentTag(k, v) for k, v in self.tags.items()],
            creation_time=self.creation_time,
            last_update_time=self.last_update_time,
        )


@dataclass
class _RunRecord:
    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    start_time: int
    artifact_uri: str
    status: str = RunStatus.to_string(RunStatus.RUNNING)
    end_time: int | None = None
    lifecycle_stage: str = LifecycleStage.ACTIVE
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metric_history: dict[str, list[Metric]] = field(default_factory=dict)
    dataset_inputs: dict[tuple[str, str], DatasetInput] = field(default_factory=dict)
    model_inputs: list[str] = field(default_factory=list)
    model_outputs: dict[str, int] = field(default_factory=dict)

    def to_info(self) -> RunInfo:
        return RunInfo(
            run_id=self.run_id,
            experiment_id=self.experiment_id,
            user_id=self.user_id,
            status=self.status,
            start_time=self.start_time,
            end_time=self.end_time,
            lifecycle_stage=self.lifecycle_stage,
            artifact_uri=self.artifact_uri,
            run_name=self.run_name,
        )

    def to_entity(self) -> Run:
        latest = [_latest(history) for history in self.metric_history.values()]
        data = RunData(
            metrics=latest,
            params=[Param(k, v) for k, v in self.params.items()],
            tags=[RunTag(k, v) for k, v in self.tags.items()],
        )
        inputs = RunInputs(
            dataset_inputs=list(self.dataset_inputs.values()),
            model_inputs=[LoggedModelInput(model_id) for model_id in self.model_inputs],
        )
        outputs = RunOutputs(
            [LoggedModelOutput(model_id, step) for model_id, step in self.model_outputs.items()]
        )
        return Run(self.to_info(), data, inputs, outputs)


@dataclass
class _LoggedModelRecord:
    model_id: str
    experiment_id: str
    name: str
    artifact_location: str
    creation_timestamp: int
    last_updated_timestamp: int
    source_run_id: str | None
    model_type: str | None
    status: LoggedModelStatus = LoggedModelStatus.PENDING
    lifecycle_stage: str = LifecycleStage.ACTIVE
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metrics: list[Metric] = field(default_factory=list)

    def to_entity(self) -> LoggedModel:
        latest: dict[tuple[str, str | None, str | None], list[Metric]] = {}
        for metric in self.metrics:
            latest.setdefault((metric.key, metric.dataset_name, metric.dataset_digest), []).append(
                metric
            )
        return LoggedModel(
            experiment_id=self.experiment_id,
            model_id=self.model_id,
            name=self.name,
            artifact_location=self.artifact_location,
            creation_timestamp=self.creation_timestamp,
            last_updated_timestamp=self.last_updated_timestamp,
            model_type=self.model_type,
            source_run_id=self.source_run_id,
            status=self.status,
            tags=dict(self.tags),
            params=dict(self.params),
            metrics=[_latest(group) for group in latest.values()],
        )


def _latest(history: list[Metric]) -> Metric:
    """The value MLflow reports as a metric's current one: highest step, then timestamp."""
    return max(history, key=lambda m: (m.step, m.timestamp, m.value))


def _not_found(what: str) -> MlflowException:
    return MlflowException(f"{what} not found", RESOURCE_DOES_NOT_EXIST)


def _check_max_results(max_results: Any, limit: int = SEARCH_MAX_RESULTS_THRESHOLD) -> None:
    if not isinstance(max_results, int) or not 1 <= max_results <= limit:
        raise MlflowException(
            f"Invalid value {max_results!r} for parameter 'max_results' supplied. It must be "
            f"a positive integer at most {limit}",
            INVALID_PARAMETER_VALUE,
        )


class InMemoryTrackingStore(AbstractStore):
    """MLflow tracking store kept in process memory; artifacts go under ``artifact_root_uri``."""

    def __init__(self, artifact_root_uri: str) -> None:
        super().__init__()
        self.artifact_root_uri = resolve_uri_if_local(artifact_root_uri)
        self._lock = threading.RLock()
        self._experiment_ids = itertools.count(1)
        self._experiments: dict[str, _ExperimentRecord] = {}
        self._runs: dict[str, _RunRecord] = {}
        self._models: dict[str, _LoggedModelRecord] = {}
        self._add_experiment(DEFAULT_EXPERIMENT_ID, Experiment.DEFAULT_EXPERIMENT_NAME, None, [])

    # Experiments ---------------------------------------------------------------------------

    def _add_experiment(
        self,
        experiment_id: str,
        name: str,
        artifact_location: str | None,
        tags: list[ExperimentTag],
    ) -> str:
        now = get_current_time_millis()
        self._experiments[experiment_id] = _ExperimentRecord(
            experiment_id=experiment_id,
            name=name,
            artifact_location=resolve_uri_if_local(artifact_location)
            if artifact_location
            else append_to_uri_path(self.artifact_root_uri, experiment_id),
            creation_time=now,
            last_update_time=now,
            tags={tag.key: tag.value for tag in tags},
        )
        return experiment_id

    def _experiment(self, experiment_id: str | None) -> _ExperimentRecord:
        experiment_id = DEFAULT_EXPERIMENT_ID if experiment_id is None else str(experiment_id)
        if (record := self._experiments.get(experiment_id)) is None:
            raise MlflowException(
                f"No Experiment with id={experiment_id} exists", RESOURCE_DOES_NOT_EXIST
            )
        return record

    def _active_experiment(self, experiment_id: str | None) -> _ExperimentRecord:
        record = self._experiment(experiment_id)
        if record.lifecycle_stage != LifecycleStage.ACTIVE:
            raise MlflowException(
                f"The experiment {record.experiment_id} must be in the 'active' state. "
                f"Current state is {record.lifecycle_stage}.",
                INVALID_PARAMETER_VALUE,
            )
        return record

    def _check_name_free(self, name: str) -> None:
        if any(e.name == name for e in self._experiments.values()):
            raise MlflowException(
                f"Experiment(name={name}) already exists.", RESOURCE_ALREADY_EXISTS
            )

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: list[ExperimentTag] | None = None,
    ) -> str:
        _validate_experiment_name(name)
        if artifact_location:
            _validate_experiment_artifact_location_length(artifact_location)
        for tag in tags or []:
            _validate_experiment_tag(tag.key, tag.value)
        with self._lock:
            self._check_name_free(name)
            experiment_id = str(next(self._experiment_ids))
            return self._add_experiment(experiment_id, name, artifact_location, tags or [])

    def get_experiment(self, experiment_id: str) -> Experiment:
        with self._lock:
            return self._experiment(experiment_id).to_entity()

    def get_experiment_by_name(self, experiment_name: str) -> Experiment | None:
        with self._lock:
            for record in self._experiments.values():
                if record.name == experiment_name:
                    return record.to_entity()
        return None

    def search_experiments(
        self,
        view_type: int = ViewType.ACTIVE_ONLY,
        max_results: int = SEARCH_MAX_RESULTS_DEFAULT,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        _check_max_results(max_results)
        with self._lock:
            experiments = [
                e.to_entity()
                for e in self._experiments.values()
                if LifecycleStage.matches_view_type(view_type, e.lifecycle_stage)
            ]
        filtered = SearchExperimentsUtils.filter(experiments, filter_string)
        ordered = SearchExperimentsUtils.sort(
            filtered, order_by or ["creation_time DESC", "experiment_id ASC"]
        )
        page, token = page_tokens.paginate(ordered, page_token, max_results)
        return PagedList(page, token)

    def _set_experiment_stage(self, experiment_id: str, stage: str) -> None:
        record = self._experiment(experiment_id)
        expected = (
            LifecycleStage.DELETED if stage == LifecycleStage.ACTIVE else LifecycleStage.ACTIVE
        )
        if record.lifecycle_stage != expected:
            raise MlflowException(
                f"No Experiment with id={experiment_id} in stage {expected} exists",
                RESOURCE_DOES_NOT_EXIST,
            )
        record.lifecycle_stage = stage
        record.last_update_time = get_current_time_millis()
        for run in self._runs.values():
            if run.experiment_id == record.experiment_id:
                run.lifecycle_stage = stage

    def delete_experiment(self, experiment_id: str) -> None:
        with self._lock:
            self._set_experiment_stage(experiment_id, LifecycleStage.DELETED)

    def restore_experiment(self, experiment_id: str) -> None:
        with self._lock:
            self._set_experiment_stage(experiment_id, LifecycleStage.ACTIVE)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        _validate_experiment_name(new_name)
        with self._lock:
            record = self._experiment(experiment_id)
            if record.lifecycle_stage != LifecycleStage.ACTIVE:
                raise MlflowException("Cannot rename a non-active experiment.", INVALID_STATE)
            if new_name != record.name:
                self._check_name_free(new_name)
            record.name = new_name
            record.last_update_time = get_current_time_millis()

    def set_experiment_tag(self, experiment_id: str, tag: ExperimentTag) -> None:
        _validate_experiment_tag(tag.key, tag.value)
        with self._lock:
            self._active_experiment(experiment_id).tags[tag.key] = tag.value

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        with self._lock:
            tags = self._active_experiment(experiment_id).tags
            if tags.pop(key, None) is None:
                raise _not_found(f"Tag '{key}' of experiment {experiment_id}")

    # Runs ----------------------------------------------------------------------------------

    def _run(self, run_id: str) -> _RunRecord:
        if (record := self._runs.get(run_id)) is None:
            raise MlflowException(f"Run with id={run_id} not found", RESOURCE_DOES_NOT_EXIST)
        return record

    def _active_run(self, run_id: str) -> _RunRecord:
        record = self._run(run_id)
        if record.lifecycle_stage != LifecycleStage.ACTIVE:
            raise MlflowException(
                f"The run {run_id} must be in the 'active' state. "
                f"Current state is {record.lifecycle_stage}.",
                INVALID_PARAMETER_VALUE,
            )
        return record

    def create_run(
        self,
        experiment_id: str,
        user_id: str | None,
        start_time: int | None,
        tags: list[RunTag] | None,
        run_name: str | None,
    ) -> Run:
        tags = list(tags or [])
        tag_name = next((t.value for t in tags if t.key == MLFLOW_RUN_NAME), None)
        if run_name and tag_name and run_name != tag_name:
            raise MlflowException(
                "Both 'run_name' argument and 'mlflow.runName' tag are specified, but with "
                f"different values (run_name='{run_name}', mlflow.runName='{tag_name}').",
                INVALID_PARAMETER_VALUE,
            )
        run_name = run_name or tag_name or _generate_random_name()
        _, _, tags = _validate_batch_log_data([], [], tags)
        with self._lock:
            experiment = self._active_experiment(experiment_id)
            run_id = uuid.uuid4().hex
            record = _RunRecord(
                run_id=run_id,
                experiment_id=experiment.experiment_id,
                run_name=run_name,
                user_id=user_id or "",
                start_time=get_current_time_millis() if start_time is None else start_time,
                artifact_uri=append_to_uri_path(experiment.artifact_location, run_id, _ARTIFACTS),
                tags={t.key: t.value for t in tags},
            )
            record.tags[MLFLOW_RUN_NAME] = run_name
            self._runs[run_id] = record
            return record.to_entity()

    def get_run(self, run_id: str) -> Run:
        with self._lock:
            return self._run(run_id).to_entity()

    def update_run_info(
        self, run_id: str, run_status: int | None, end_time: int | None, run_name: str | None
    ) -> RunInfo:
        with self._lock:
            record = self._active_run(run_id)
            if run_status is not None:
                record.status = RunStatus.to_string(run_status)
            if end_time is not None:
                record.end_time = end_time
            if run_name:
                record.run_name = run_name
                record.tags[MLFLOW_RUN_NAME] = run_name
            return record.to_info()

    def delete_run(self, run_id: str) -> None:
        with self._lock:
            self._run(run_id).lifecycle_stage = LifecycleStage.DELETED

    def restore_run(self, run_id: str) -> None:
        with self._lock:
            self._run(run_id).lifecycle_stage = LifecycleStage.ACTIVE

    def log_batch(
        self, run_id: str, metrics: list[Metric], params: list[Param], tags: list[RunTag]
    ) -> None:
        metrics, params, tags = _validate_batch_log_data(metrics, params, tags)
        _validate_batch_log_limits(metrics, params, tags)
        _validate_param_keys_unique(params)
        with self._lock:
            record = self._active_run(run_id)
            changed = {
                p.key: p.value for p in params if record.params.get(p.key, p.value) != p.value
            }
            if changed:
                raise MlflowException(
                    f"Changing param values is not allowed. Params were already logged='{changed}'"
                    f" for run ID='{run_id}'.",
                    INVALID_PARAMETER_VALUE,
                )
            models = {m.model_id: self._model(m.model_id) for m in metrics if m.model_id}
            record.params.update((p.key, p.value) for p in params)
            for metric in metrics:
                record.metric_history.setdefault(metric.key, []).append(metric)
                if metric.model_id:
                    models[metric.model_id].metrics.append(metric)
            for tag in tags:
                record.tags[tag.key] = tag.value
                if tag.key == MLFLOW_RUN_NAME:
                    record.run_name = tag.value

    def delete_tag(self, run_id: str, key: str) -> None:
        with self._lock:
            if self._active_run(run_id).tags.pop(key, None) is None:
                raise _not_found(f"Tag '{key}' of run {run_id}")

    def get_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> PagedList[Metric]:
        with self._lock:
            history = list(self._run(run_id).metric_history.get(metric_key, []))
        history.sort(key=lambda m: (m.timestamp, m.step, m.value))
        if max_results is None:
            return PagedList(history[page_tokens.start_offset(page_token) :], None)
        page, token = page_tokens.paginate(history, page_token, max_results)
        return PagedList(page, token)

    def _search_runs(
        self,
        experiment_ids: list[str],
        filter_string: str | None,
        run_view_type: int,
        max_results: int,
        order_by: list[str] | None,
        page_token: str | None,
    ) -> tuple[list[Run], str | None]:
        _check_max_results(max_results)
        wanted = {str(e) for e in experiment_ids}
        with self._lock:
            runs = [
                r.to_entity()
                for r in self._runs.values()
                if r.experiment_id in wanted
                and LifecycleStage.matches_view_type(run_view_type, r.lifecycle_stage)
            ]
        ordered = SearchUtils.sort(SearchUtils.filter(runs, filter_string), order_by)
        return page_tokens.paginate(ordered, page_token, max_results)

    def log_inputs(
        self,
        run_id: str,
        datasets: list[DatasetInput] | None = None,
        models: list[LoggedModelInput] | None = None,
    ) -> None:
        with self._lock:
            record = self._active_run(run_id)
            for dataset_input in datasets or []:
                dataset = dataset_input.dataset
                record.dataset_inputs[(dataset.name, dataset.digest)] = dataset_input
            for model_input in models or []:
                if model_input.model_id not in record.model_inputs:
                    record.model_inputs.append(model_input.model_id)

    def log_outputs(self, run_id: str, models: list[LoggedModelOutput]) -> None:
        with self._lock:
            record = self._active_run(run_id)
            for output in models:
                self._model(output.model_id)
                record.model_outputs[output.model_id] = output.step

    def record_logged_model(self, run_id: str, mlflow_model: Model) -> None:
        """Append the model to the run's ``mlflow.log-model.history`` tag (MLflow 2 lineage)."""
        try:
            entry = mlflow_model.get_tags_dict()
        except (AttributeError, TypeError, ValueError) as error:
            # e.g. ``flavors`` not an object: MLflow's stores fail with an internal error.
            raise MlflowException(
                f"Malformed model info: {error}", INVALID_PARAMETER_VALUE
            ) from error
        with self._lock:
            record = self._active_run(run_id)
            history = json.loads(record.tags.get(MLFLOW_LOGGED_MODELS, "[]"))
            history.append(entry)
            record.tags[MLFLOW_LOGGED_MODELS] = json.dumps(history)

    # Logged models (MLflow 3) --------------------------------------------------------------

    def _model(self, model_id: str, allow_deleted: bool = False) -> _LoggedModelRecord:
        record = self._models.get(model_id)
        if record is None or (
            record.lifecycle_stage == LifecycleStage.DELETED and not allow_deleted
        ):
            raise MlflowException(
                f"Logged model with ID '{model_id}' not found.", RESOURCE_DOES_NOT_EXIST
            )
        return record

    def create_logged_model(
        self,
        experiment_id: str = DEFAULT_EXPERIMENT_ID,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: list[LoggedModelTag] | None = None,
        params: list[LoggedModelParameter] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        _validate_logged_model_name(name)
        for param in params or []:
            _validate_param(param.key, param.value)
        for tag in tags or []:
            _validate_tag_name(tag.key)
        with self._lock:
            experiment = self._active_experiment(experiment_id)
            model_id = f"m-{uuid.uuid4().hex}"
            now = get_current_time_millis()
            record = _LoggedModelRecord(
                model_id=model_id,
                experiment_id=experiment.experiment_id,
                name=name or _generate_random_name(),
                artifact_location=append_to_uri_path(
                    experiment.artifact_location, _MODELS, model_id, _ARTIFACTS
                ),
                creation_timestamp=now,
                last_updated_timestamp=now,
                source_run_id=source_run_id,
                model_type=model_type,
                tags={t.key: t.value for t in tags or []},
                params={p.key: p.value for p in params or []},
            )
            self._models[model_id] = record
            return record.to_entity()

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        with self._lock:
            return self._model(model_id, allow_deleted).to_entity()

    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus) -> LoggedModel:
        with self._lock:
            record = self._model(model_id)
            record.status = status
            record.last_updated_timestamp = get_current_time_millis()
            return record.to_entity()

    def set_logged_model_tags(self, model_id: str, tags: list[LoggedModelTag]) -> None:
        for tag in tags:
            _validate_tag_name(tag.key)
        with self._lock:
            self._model(model_id).tags.update((t.key, t.value) for t in tags)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        with self._lock:
            if self._model(model_id).tags.pop(key, None) is None:
                raise MlflowException(
                    f"No tag with key {key!r} found for model with ID {model_id!r}.",
                    RESOURCE_DOES_NOT_EXIST,
                )

    def log_logged_model_params(self, model_id: str, params: list[LoggedModelParameter]) -> None:
        for param in params:
            _validate_param(param.key, param.value)
        with self._lock:
            self._model(model_id).params.update((p.key, p.value) for p in params)

    def delete_logged_model(self, model_id: str) -> None:
        with self._lock:
            record = self._model(model_id)
            record.lifecycle_stage = LifecycleStage.DELETED
            record.last_updated_timestamp = get_current_time_millis()

    def search_logged_models(
        self,
        experiment_ids: list[str],
        filter_string: str | None = None,
        datasets: list[dict[str, Any]] | None = None,
        max_results: int | None = None,
        order_by: list[dict[str, Any]] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        if datasets and not all(d.get("dataset_name") for d in datasets):
            raise MlflowException(
                "`dataset_name` in the `datasets` clause must be specified.",
                INVALID_PARAMETER_VALUE,
            )
        wanted = {str(e) for e in experiment_ids}
        with self._lock:
            models = [
                m.to_entity()
                for m in self._models.values()
                if m.experiment_id in wanted and m.lifecycle_stage == LifecycleStage.ACTIVE
            ]
        filtered = SearchLoggedModelsUtils.filter_logged_models(models, filter_string, datasets)
        ordered = SearchLoggedModelsUtils.sort(filtered, order_by)
        page, token = page_tokens.paginate(
            ordered, page_token, max_results or SEARCH_LOGGED_MODEL_MAX_RESULTS_DEFAULT
        )
        return PagedList(page, token)

    # MLflow's server calls these for its deprecated v2 trace endpoints although the abstract
    # store does not declare them; without them a request is an AttributeError (HTML 500).
    def deprecated_start_trace_v2(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("traces are not stored by the reference backend")

    def deprecated_end_trace_v2(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("traces are not stored by the reference backend")
