"""Enforce an instance's platform emulation (``emulations.py``) in its registry store.

The store calls one check at the top of each operation an emulation can refuse, before it changes
anything, so a refused call leaves the registry as it was. Where the emulated platform is MLflow
itself, the checks call MLflow's own validators or raise MLflow's own messages and codes; the
other platforms' messages come from the emulation.
"""

from __future__ import annotations

import contextlib
import errno
import os
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn

from mlflow.entities.model_registry.prompt_version import IS_PROMPT_TAG_KEY
from mlflow.exceptions import MlflowException
from mlflow.models.model import MLMODEL_FILE_NAME
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE
from mlflow.store.artifact.runs_artifact_repo import RunsArtifactRepository
from mlflow.store.artifact.utils.models import _parse_model_uri
from mlflow.store.model_registry.file_store import _validate_model_name as _file_store_name_rule
from mlflow.utils.file_utils import local_file_uri_to_path
from mlflow.utils.search_utils import SearchModelUtils, SearchModelVersionUtils, SearchUtils
from mlflow.utils.uri import append_to_uri_path, is_local_uri

from reference_backend.emulations import Emulation, OrderKeys
from reference_backend.search_filter import parse_filter

# MLflow's parser of one registered-model order_by clause, per store: each raises that store's
# own INVALID_PARAMETER_VALUE for a key it does not know.
_ORDER_BY_PARSERS: dict[OrderKeys, Callable[[str], Any]] = {
    OrderKeys.SQL_STORE: SearchUtils.parse_order_by_for_search_registered_models,
    OrderKeys.FILE_STORE: SearchModelUtils.parse_order_by_for_search_registered_models,
}


def _refusal(message: str, **values: str) -> MlflowException:
    return MlflowException(message.format(**values), INVALID_PARAMETER_VALUE)


#: The clause MLflow's client appends to every search_registered_models filter
#: (mlflow/prompt/registry_utils.py add_prompt_filter_string), as (tag key, comparator, value).
_PROMPT_CLAUSE = (IS_PROMPT_TAG_KEY, "!=", "true")


@lru_cache(maxsize=512)
def _filter_uses(parser: type[SearchUtils], filter_string: str | None) -> tuple[bool, bool, bool]:
    """(uses LIKE or ILIKE, compares a tag other than the client's prompt clause, has the
    client's prompt clause)."""
    comparisons = parse_filter(parser, filter_string)
    like = any(c["comparator"] in ("LIKE", "ILIKE") for c in comparisons)
    clause = [
        c["type"] == "tag" and (c["key"], c["comparator"], c["value"]) == _PROMPT_CLAUSE
        for c in comparisons
    ]
    tags = any(
        c["type"] == "tag" and not is_clause
        for c, is_clause in zip(comparisons, clause, strict=True)
    )
    return like, tags, any(clause)


class EmulationGuard:
    """The checks of one emulation, bound to the instance's tracking store and artifact folder.

    ``tracking_store`` tells this instance's own runs and logged models from foreign ones;
    ``proxied_artifacts_dir`` is where a served instance keeps ``mlflow-artifacts:/`` uploads,
    so that their folders can be read too.
    """

    def __init__(
        self,
        emulation: Emulation,
        tracking_store: Any,
        proxied_artifacts_dir: Path | None = None,
    ) -> None:
        self.emulation = emulation
        self._tracking = tracking_store
        self._proxied_artifacts_dir = proxied_artifacts_dir
        # Looked up once: searches are the hot path, and most emulations check nothing there.
        self._parse_order_by = _ORDER_BY_PARSERS.get(emulation.order_keys)
        self._checks_filters = bool(
            emulation.like_filter_refusal
            or emulation.model_tag_filter_refusal
            or emulation.prompt_clause_refusal
        )

    @property
    def rename_keeps_tags_and_aliases(self) -> bool:
        return self.emulation.rename_keeps_tags_and_aliases

    @property
    def aliases_in_version_search(self) -> bool:
        return self.emulation.aliases_in_version_search

    @property
    def keeps_version_model_id(self) -> bool:
        return self.emulation.keeps_version_model_id

    # Tags

    def check_tag_keys(self, keys: Iterable[str]) -> None:
        """Tag keys about to be written (model or version, at creation or set): MLflow's file
        store names a file after each key, and one too long for a file name escapes as the
        bare ``OSError`` it raises (an HTML 500 over HTTP)."""
        limit = self.emulation.tag_key_file_name_bytes
        if limit is None:
            return
        for key in keys:
            if len(key.encode("utf-8", "surrogatepass")) > limit:
                raise OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG), key)

    # Registered models

    def check_new_name(self, name: str) -> None:
        """A name about to be given to a model (created or renamed)."""
        if not self.emulation.percent_in_names:
            _file_store_name_rule(name)

    def check_rename(self, new_name: str) -> None:
        if self.emulation.rename_refusal:
            raise _refusal(self.emulation.rename_refusal)
        self.check_new_name(new_name)

    def check_model_delete(self) -> None:
        if self.emulation.model_delete_refusal:
            raise _refusal(self.emulation.model_delete_refusal)

    # Webhooks

    def check_webhooks(self, operation: str) -> None:
        """A webhook call: refused as MLflow's base store refuses it, where the emulated store
        has none."""
        if not self.emulation.webhooks:
            raise NotImplementedError(f"FileStore does not support {operation}")

    def check_webhook_url(self, url: str | None) -> None:
        """A webhook URL about to be stored: MLflow's server's own policy, where emulated."""
        if url is not None and self.emulation.webhook_url_policy:
            from mlflow.utils.validation import _validate_webhook_url

            _validate_webhook_url(url)

    # Searches

    def check_model_search(self, filter_string: str | None, order_by: Sequence[str]) -> None:
        self._crash_as_mlflow(SearchModelUtils, filter_string)
        if self._parse_order_by is not None:
            for clause in order_by:
                self._parse_order_by(clause)
        if filter_string and self._checks_filters:
            like_refusal = self.emulation.like_filter_refusal
            tag_refusal = self.emulation.model_tag_filter_refusal
            like, tags, clause = _filter_uses(SearchModelUtils, filter_string)
            if clause and self.emulation.prompt_clause_refusal:
                raise _refusal(self.emulation.prompt_clause_refusal, filter=filter_string)
            if tags and tag_refusal:
                raise _refusal(tag_refusal, filter=filter_string)
            if like and like_refusal:
                raise _refusal(like_refusal, filter=filter_string)

    def check_version_search(self, filter_string: str | None) -> None:
        self._crash_as_mlflow(SearchModelVersionUtils, filter_string)
        refusal = self.emulation.like_filter_refusal
        if filter_string and refusal and _filter_uses(SearchModelVersionUtils, filter_string)[0]:
            raise _refusal(refusal, filter=filter_string)

    def check_unreadable_page_token(self, page_token: str | None) -> None:
        """A page token the store refuses: where MLflow's offset parser crashes on it, so does
        an emulated MLflow store (its bare error escapes)."""
        if self.emulation.search_input_crashes and page_token:
            with contextlib.suppress(MlflowException):  # (MLflow refuses it cleanly too)
                SearchUtils.parse_start_offset_from_page_token(page_token)

    def _crash_as_mlflow(self, parser: type[SearchUtils], filter_string: str | None) -> None:
        """MLflow's own parse of a filter, whose bare errors escape (MLflow's stores)."""
        if self.emulation.search_input_crashes and filter_string:
            with contextlib.suppress(MlflowException):  # (the store goes on to refuse it)
                parser.parse_search_filter(filter_string)

    # Model version sources

    def check_source(self, source: str, run_id: str | None, model_id: str | None) -> None:
        """Whether a version may be registered from ``source`` (with these run and model ids)."""
        if self.emulation.server_source_rule:
            self._mlflow_server_source_rule(source, run_id, model_id)
        if self.emulation.foreign_run_refusal:
            self._refuse_foreign(self.emulation.foreign_run_refusal, source, run_id, model_id)
        if self.emulation.non_mlflow_format_refusal:
            folder = self._readable_folder(source)
            if folder is not None and not (folder / MLMODEL_FILE_NAME).is_file():
                raise _refusal(self.emulation.non_mlflow_format_refusal, source=source)

    def _mlflow_server_source_rule(
        self, source: str, run_id: str | None, model_id: str | None
    ) -> None:
        """MLflow 3.17's ``_validate_source_run`` and ``_validate_source_model``
        (``mlflow/server/handlers.py``), messages verbatim. Not ported: the relative-path check of
        remote sources and the ``mlflow-artifacts:`` branch, which MLflow's own handlers apply
        when the instance is served."""
        kind, owner = ("model_id", model_id) if model_id else ("run_id", run_id)
        parsed = urllib.parse.urlparse(source)
        if is_local_uri(source):
            root = self._owner_root(kind, owner, source) if owner else None
            path = Path(local_file_uri_to_path(source)).resolve()
            if root and is_local_uri(root) and _contains(root, path):
                return
            raise MlflowException(
                f"Invalid model version source: '{path if owner else source}'. To use a local "
                f"path as a model version source, the {kind} request parameter has to be "
                "specified and the local path has to be contained within the artifact directory "
                f"of the run specified by the {kind}.",
                INVALID_PARAMETER_VALUE,
            )
        if parsed.scheme == "runs":
            if model_id or parsed.netloc or not run_id:
                _raise_unidentified(source, kind)
            if RunsArtifactRepository.parse_runs_uri(source)[0] != run_id:
                _raise_unidentified(source, kind)
        if parsed.scheme == "models":
            if parsed.netloc:
                _raise_unidentified(source, "model_id")
            try:
                source_model_id = _parse_model_uri(source).model_id
            except MlflowException:
                _raise_unidentified(source, "model_id")
            if source_model_id is not None and source_model_id != model_id:
                _raise_unidentified(source, "model_id")

    def _owner_root(self, kind: str, owner: str, source: str) -> str:
        """Artifact location of this server's run or logged model ``owner``."""
        try:
            if kind == "model_id":
                return self._tracking.get_logged_model(owner).artifact_location
            return self._tracking.get_run(owner).info.artifact_uri
        except MlflowException as error:
            if error.error_code == "RESOURCE_DOES_NOT_EXIST":
                _raise_unidentified(source, kind)
            raise

    def _refuse_foreign(
        self, message: str, source: str, run_id: str | None, model_id: str | None
    ) -> None:
        """Refuse runs and logged models that this instance's tracking store does not know."""
        parsed = urllib.parse.urlparse(source)
        run_ids = [run_id] if run_id else []
        model_ids = [model_id] if model_id else []
        if parsed.scheme == "runs":
            run_ids.append(RunsArtifactRepository.parse_runs_uri(source)[0])
        elif parsed.scheme == "models":
            model_ids.append(_parse_model_uri(source).model_id)
        for kind, ids, lookup in (
            ("run", run_ids, self._tracking.get_run),
            ("logged model", model_ids, self._tracking.get_logged_model),
        ):
            for unknown in filter(None, ids):
                try:
                    lookup(unknown)
                except MlflowException as error:
                    if error.error_code != "RESOURCE_DOES_NOT_EXIST":
                        raise
                    raise _refusal(message, origin=f"{kind} '{unknown}'") from None

    def _readable_folder(self, source: str) -> Path | None:
        """The local folder that ``source`` names, or None where it cannot be read from here
        (remote storage, a registered version's ``models:/name/...``): those are taken on trust,
        as Azure ML's plugin checks only local folders."""
        parsed = urllib.parse.urlparse(source)
        if parsed.scheme in ("", "file") and not parsed.netloc:
            return Path(local_file_uri_to_path(source))
        if parsed.scheme == "runs":
            run, path = RunsArtifactRepository.parse_runs_uri(source)
            root = self._tracking.get_run(run).info.artifact_uri
            return self._readable_folder(append_to_uri_path(root, path or ""))
        if parsed.scheme == "models":
            logged_model = _parse_model_uri(source).model_id
            if logged_model is None:
                return None
            location = self._tracking.get_logged_model(logged_model).artifact_location
            return self._readable_folder(location)
        if parsed.scheme == "mlflow-artifacts" and self._proxied_artifacts_dir is not None:
            return self._proxied_artifacts_dir / parsed.path.lstrip("/")
        return None


def _contains(root: str, path: Path) -> bool:
    """Whether the local artifact location ``root`` is ``path`` or one of its parents."""
    return Path(local_file_uri_to_path(root)).resolve() in (path, *path.parents)


def _raise_unidentified(source: str, kind: str) -> NoReturn:
    """MLflow's ``_raise_invalid_model_version_source`` (``mlflow/server/handlers.py``)."""
    raise MlflowException(
        f"Invalid model version source: '{source}'. The {kind} request parameter must identify "
        "the resource that contains the source.",
        INVALID_PARAMETER_VALUE,
    )
