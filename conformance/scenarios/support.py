"""Helpers for scenarios (not scenarios themselves): making models to work on, reading state
back, walking search pages, comparing file trees.

Apart from :func:`model_with_versions`, :func:`best_effort` and the ``mark_*`` helpers (setup
steps, always prerequisites) nothing here wraps a call in the probe: the scenario decides which
step is under test. Reads go through the most basic registry calls, so they work against any
target.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow
import pytest
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException, RestException
from mlflow.tracking import MlflowClient

from conformance.run import http_exchanges
from conformance.run.probe import Inconclusive, Probe, Unsupported, answer_status, no_verdict
from conformance.run.refusals import Kind, classify
from conformance.run.registry_client import direct
from conformance.scenarios import tiny_model

#: The start of MLflow 3's FutureWarning on each call of its stage API: registries still offer
#: stages and seed row 12 measures them, so exactly this warning is silenced, and MLflow
#: deprecating anything else the scenarios use shows in the run's warnings.
STAGE_API_DEPRECATION = (
    r"``mlflow\.tracking\.client\.MlflowClient\.\w+`` is deprecated since [\d.]+\. "
    r"Model registry stages will be removed"
)

#: MLflow's error code for an entity that does not exist.
MISSING = "RESOURCE_DOES_NOT_EXIST"

#: The states a version may report right after creation: READY, or still being registered.
CREATION_STATUSES = ("READY", "PENDING_REGISTRATION")

#: Files in a folder that is not an MLflow model: text, binary (every byte value), a subfolder.
NON_MLFLOW_FILES: dict[str, bytes] = {
    "README.txt": b"weights of a model that is not in MLflow format\n",
    "weights.bin": bytes(range(256)) * 4,
    "config/settings.json": b'{"layers": 3, "activation": "relu"}',
    "config/nested/crlf.dat": b"\x00\xffline\r\nend\r\n",
}

#: The file MLflow's client writes into a downloaded ``models:/`` folder that has an ``MLmodel``.
REGISTERED_MODEL_META_FILE = "registered_model_meta"


@dataclass(frozen=True)
class LoggedFolders:
    """Model folders logged as artifacts of one run: the run and each folder's artifact URI."""

    run_id: str
    artifact_uris: list[str]


def log_tiny_models(
    client: MlflowClient, experiment_id: str, slopes: list[float], workdir: Path
) -> LoggedFolders:
    """Save one tiny MLflow-format model per slope and log each under ``model-<i>`` of one run."""
    run = client.create_run(experiment_id)
    run_id = run.info.run_id
    root = run.info.artifact_uri.rstrip("/")
    uris = []
    for index, slope in enumerate(slopes, start=1):
        folder = tiny_model.save(workdir / f"model-{index}", slope)
        client.log_artifacts(run_id, str(folder), f"model-{index}")
        uris.append(f"{root}/model-{index}")
    client.set_terminated(run_id)
    return LoggedFolders(run_id, uris)


def register_logged(
    client: MlflowClient, name: str, logged: LoggedFolders
) -> dict[str, ModelVersion]:
    """One version of ``name`` per logged folder (source = its artifact URI, with the run id):
    the registry's answers by version number, in registration order."""
    answers = [
        client.create_model_version(name, source=uri, run_id=logged.run_id)
        for uri in logged.artifact_uris
    ]
    return {str(answer.version): answer for answer in answers}


def register_tiny_models(
    client: MlflowClient, experiment_id: str, name: str, slopes: list[float], workdir: Path
) -> list[str]:
    """Create ``name`` and register one tiny model per slope from a run's artifacts.

    For scenarios that need loadable versions as a prerequisite (stages, ...).
    """
    client.create_registered_model(name)
    return list(
        register_logged(client, name, log_tiny_models(client, experiment_id, slopes, workdir))
    )


def latest_version_numbers(client: MlflowClient, name: str) -> tuple[str, ...] | None:
    """The versions ``get_registered_model`` lists as latest, or None when the model is missing.

    A cheap read of whatever a refused version creation could have changed.
    """
    try:
        model = client.get_registered_model(name)
    except MlflowException as exc:
        if exc.error_code == MISSING:
            return None
        raise
    return latest_numbers_of(model)


def latest_numbers_of(model: Any) -> tuple[str, ...]:
    """:func:`latest_version_numbers` of a registered model the registry has just answered with
    (``create_registered_model``'s answer: the model as it was created)."""
    return tuple(sorted(str(version.version) for version in model.latest_versions or []))


def latest_held(client: Any, name: str, numbers: tuple[str, ...]) -> Callable[[], Any]:
    """:func:`latest_version_numbers` as a ``state`` for :meth:`Probe.feature` whose answer
    before the call the scenario holds: ``numbers``."""
    return held(numbers, functools.partial(latest_version_numbers, client, name))


def held(value: Any, read: Callable[[], Any]) -> Callable[[], Any]:
    """A ``state`` for :meth:`Probe.feature` whose first answer the scenario already holds:
    ``value``, what ``read`` answered (or the registry told) with nothing written since. The
    state before the call is then not read again; after a refusal, ``read`` reads it."""
    return functools.partial(_held_or_read, iter([value]), read)


def _held_or_read(answers: Iterator[Any], read: Callable[[], Any]) -> Any:
    for value in answers:
        return value
    return read()


def resolved_version(client: Any, name: str, stage: str | None = None) -> str:
    """The version ``models:/<name>/latest`` (``/<stage>`` when given) resolves to, asked as
    MLflow's client asks: the highest of the versions ``get_latest_versions`` answers.

    A scenario asks it under test before loading such a URI: a registry that does not offer
    ``get_latest_versions`` (Unity Catalog) refuses it cleanly there, where it means "this way of
    naming a version is not offered", not inside a load of what the registry accepted.
    """
    stages = None if stage is None else [stage]
    with stage_api():
        latest = client.get_latest_versions(name, stages)
    assert latest, f"get_latest_versions({name!r}, stages={stages}) answered no version"
    return str(max(int(version.version) for version in latest))


@contextlib.contextmanager
def stage_api() -> Iterator[None]:
    """Around calls of MLflow's stage API: its deprecation is not shown, every other warning is."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", STAGE_API_DEPRECATION, FutureWarning)
        yield


def predictions(model_uri: str) -> list[float]:
    """Load ``model_uri`` with ``mlflow.pyfunc`` (the fluent URIs) and predict the sample input."""
    model = mlflow.pyfunc.load_model(model_uri)
    return [float(value) for value in model.predict(tiny_model.SAMPLE_INPUT)]


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    """Write ``files`` (relative POSIX path -> bytes) under ``root``."""
    for relative, content in files.items():
        path = root.joinpath(*relative.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def read_tree(root: Path, *, ignore: tuple[str, ...] = ()) -> dict[str, bytes]:
    """Every file under ``root`` as relative POSIX path -> bytes, minus the names in ``ignore``."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.relative_to(root).as_posix() not in ignore
    }


def download_tree(artifact_uri: str, destination: Path, **kwargs: Any) -> dict[str, bytes]:
    """Download ``artifact_uri`` into a fresh ``destination`` and read every file back.

    The ``registered_model_meta`` file that MLflow's client adds to a downloaded MLflow model is
    the client's, not the registry's, and is left out.
    """
    destination.mkdir(parents=True)
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=artifact_uri, dst_path=str(destination), **kwargs
    )
    return read_tree(Path(local), ignore=(REGISTERED_MODEL_META_FILE,))


def tree_difference(expected: dict[str, bytes], actual: dict[str, bytes]) -> str:
    """A human-readable account of how two file trees differ ("" when they are identical)."""
    problems = []
    if missing := sorted(expected.keys() - actual.keys()):
        problems.append(f"missing {missing}")
    if extra := sorted(actual.keys() - expected.keys()):
        problems.append(f"unexpected {extra}")
    changed = sorted(
        path for path in expected.keys() & actual.keys() if expected[path] != actual[path]
    )
    if changed:
        problems.append(
            "different bytes in "
            + ", ".join(
                f"{path} ({len(expected[path])} bytes sent, {len(actual[path])} back)"
                for path in changed
            )
        )
    return "; ".join(problems)


@dataclass
class SharedModels:
    """Registered models that several scenarios of a module only read (the ``shared_models``
    fixture): made by the first scenario that needs a set, under its own probe; a set whose
    making failed is made afresh by the next scenario that needs it, so each one meets the
    registry's answer itself."""

    mint: Callable[[str], str]
    _made: dict[str, dict[str, str]] = field(default_factory=dict)
    _details: dict[str, Any] = field(default_factory=dict)

    def get(
        self, key: str, hints: Iterable[str], make: Callable[[dict[str, str]], Any]
    ) -> dict[str, str]:
        """The set ``key``: hint -> name, minted for ``hints`` and created by ``make``."""
        if key not in self._made:
            minted = {hint: self.mint(hint) for hint in hints}
            self._details[key] = make(minted)
            self._made[key] = minted
        return self._made[key]

    def has(self, key: str) -> bool:
        return key in self._made

    def details(self, key: str) -> Any:
        """What ``make`` returned when it made the set ``key``."""
        return self._details[key]


@dataclass
class SharedRuns:
    """Runs holding model folders that several scenarios register versions from (registering
    only reads a run), logged once per target and process (the ``shared_runs`` fixture) by the
    first scenario that needs each, under its own probe; one whose logging failed is logged
    afresh by the next. They go with this process's experiment at the end of the run."""

    workdir: Path
    _logged: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, log: Callable[[Path], Any]) -> Any:
        """The run ``key``: what ``log`` returned, given a fresh folder to work in."""
        if key not in self._logged:
            folder = self.workdir / f"{key}-{len(list(self.workdir.iterdir()))}"
            folder.mkdir(parents=True)
            self._logged[key] = log(folder)
        return self._logged[key]


#: Slopes of the tiny models of :func:`tiny_models_run`: versions 1-4 tell each other apart.
TINY_SLOPES = (1.0, 2.0, 3.0, 4.0)


def tiny_models_run(
    shared_runs: SharedRuns, client: MlflowClient, experiment_id: str
) -> LoggedFolders:
    """The run holding one tiny model per slope of ``TINY_SLOPES`` (``model-1`` ...), shared."""
    return shared_runs.get(
        "tiny-models",
        lambda folder: log_tiny_models(client, experiment_id, list(TINY_SLOPES), folder),
    )


#: How many registered models an exhaustive listing may walk before the scenario gives up.
LISTING_CAP = 10_000

#: A source that MLflow's servers accept without a run (only the ``..`` check applies).
SOURCE_ROOT = "s3://rc-bucket"


def model_search(client: Any) -> Callable[..., Any]:
    """``search_registered_models`` of the registry's own store: the filter goes out as given.

    ``MlflowClient`` (MLflow 3) appends its "not a prompt" clause to every registered-model
    filter; how a registry answers that clause is ``search.prompt-clause``'s row, so the other
    search rows send their filters without it (a registry that breaks only the clause fails one
    row, not every search row: mlflow#16800, Azure/azure-sdk-for-python#42155).
    """
    store = getattr(direct(client), "store", None)
    return store.search_registered_models if store is not None else client.search_registered_models


def search_all(
    client: Any,
    filter_string: str | None = None,
    *,
    order_by: list[str] | None = None,
    page_size: int = 100,
    cap: int = LISTING_CAP,
    search: Callable[..., Any] | None = None,
) -> list[Any]:
    """Every registered model a search returns, following page tokens to the end.

    The search is :func:`model_search`'s (the filter as given) unless ``search`` is another
    ``search_registered_models`` (``client.search_registered_models``: the client's own filter).

    The walk is bounded: a registry of at most ``cap`` models fills at most ``cap / page_size``
    pages, plus one empty page that may end the walk. A walk longer than that, or a page token
    handed out twice, is a listing that never ends (``AssertionError``, whatever the pages
    held: empty pages with fresh tokens, or the same models again). Only a registry that shows
    more than ``cap`` distinct models is too big to judge (``Inconclusive``).
    """
    search = search or model_search(client)
    max_pages = -(-cap // page_size) + 1
    found: list[Any] = []
    seen_tokens: set[str] = set()
    token = None
    for _ in range(max_pages):
        page = search(
            filter_string=filter_string, max_results=page_size, order_by=order_by, page_token=token
        )
        found.extend(page)
        if len(found) > cap and len({model.name for model in found}) > cap:
            raise Inconclusive(
                f"the registry holds more than {cap} registered models matching "
                f"{filter_string or 'no filter'}: too many to list in a conformance run"
            )
        assert len(page) <= page_size, (
            f"search_registered_models(max_results={page_size}) returned a page of {len(page)}"
        )
        token = page.token
        if not token:
            return found
        assert token not in seen_tokens, (
            f"search_registered_models handed out page token {token!r} twice: "
            "the listing would never end"
        )
        seen_tokens.add(token)
    raise AssertionError(
        f"search_registered_models(max_results={page_size}, filter {filter_string or 'none'}) "
        f"still handed out a next-page token after {max_pages} pages ({len(found)} models, "
        f"{len({model.name for model in found})} distinct): the listing would never end"
    )


#: The ways :func:`near_misses` names a model that does not exist.
NEAR_MISS_KINDS = ("other-case", "prefix-of-name", "name-plus-suffix")


def near_misses(name: str, hint: str) -> dict[str, str]:
    """Names that no model has, each one character-level step from ``name`` (which ends with
    ``hint``): the hint in swapped case, the name cut short, the name with a suffix."""
    return {
        "other-case": name.removesuffix(hint) + hint.swapcase(),
        "prefix-of-name": name[:-2],
        "name-plus-suffix": name + "x",
    }


def names_of(models: Iterable[Any]) -> list[str]:
    return [model.name for model in models]


def names_present(client: Any, *model_names: str) -> list[str]:
    """Which of the given registered models exist (read with ``get_registered_model``)."""
    present = []
    for name in model_names:
        try:
            client.get_registered_model(name)
            present.append(name)
        except MlflowException as exc:
            if exc.error_code != MISSING:
                raise
    return present


def version_state(client: Any, name: str, version: str) -> dict[str, Any] | None:
    """Every field of a version that an operation on something else could damage (aliases where
    the registry reports them), or ``None`` when the registry says the version does not exist.
    """
    try:
        read = client.get_model_version(name, str(version))
    except MlflowException as exc:
        if exc.error_code != MISSING:
            raise
        return None
    return state_of_version(read)


def state_of_version(read: Any) -> dict[str, Any]:
    """:func:`version_state` of a version already read (or just created: the registry's answer)."""
    return {
        "source": read.source,
        "run_id": read.run_id or None,  # REST stores send "" where in-process ones keep None
        "stage": read.current_stage,
        "status": read.status,
        "description": description_of(read),
        "tags": dict(read.tags or {}),
        "aliases": sorted(getattr(read, "aliases", None) or []),
    }


def model_state(client: Any, name: str) -> dict[str, Any] | None:
    """Every field of a registered model that an operation on something else could damage, or
    ``None`` when the registry says the model does not exist."""
    try:
        model = client.get_registered_model(name)
    except MlflowException as exc:
        if exc.error_code != MISSING:
            raise
        return None
    return state_of_model(model)


def state_of_model(model: Any) -> dict[str, Any]:
    """:func:`model_state` of a registered model already read."""
    aliases = getattr(model, "aliases", None) or {}
    return {
        "tags": dict(model.tags or {}),
        "description": description_of(model),
        "aliases": {alias: str(version) for alias, version in aliases.items()},
        "latest_versions": sorted(
            (str(version.version), version.current_stage) for version in model.latest_versions or []
        ),
    }


def versions_state(
    client: Any, name: str, versions: Iterable[str]
) -> dict[str, dict[str, Any] | None]:
    """:func:`version_state` of each of ``versions`` of ``name``."""
    return {str(version): version_state(client, name, version) for version in versions}


def registry_state(client: Any, models: dict[str, Iterable[str]]) -> dict[str, Any]:
    """The full state of some models and versions (``{name: versions}``), for the checks that
    an operation left them alone: compare it before and after."""
    return {
        name: {
            "model": model_state(client, name),
            "versions": versions_state(client, name, versions),
        }
        for name, versions in models.items()
    }


def created_state(client: Any, name: str, created: dict[str, ModelVersion]) -> Callable[[], Any]:
    """:func:`registry_state` of ``name`` and some of its versions as a ``state`` (for
    :meth:`Probe.feature`, :func:`best_effort`, :func:`mark_version`) whose versions' part
    before the call the scenario holds: ``created`` (version -> the registry's last answer about
    it, creating or reading it), with nothing written on those versions since. The model is read
    (its latest versions moved since); every later call reads all. If an answer shows a version
    still being registered, all are read."""
    read = functools.partial(registry_state, client, {name: list(created)})
    if any(answer.status != "READY" for answer in created.values()):
        return read
    return functools.partial(_held_or_read, _model_read_with(client, name, created), read)


def _model_read_with(client: Any, name: str, created: dict[str, ModelVersion]) -> Iterator[Any]:
    """The first answer of :func:`created_state`, read when it is asked for."""
    versions = {version: state_of_version(answer) for version, answer in created.items()}
    yield {name: {"model": model_state(client, name), "versions": versions}}


def answers_of(created: dict[str, Created]) -> dict[str, ModelVersion]:
    """The registry's answers in :func:`model_with_versions`' result, by version."""
    return {version: made.answer for version, made in created.items()}


def version_tags(client: Any, name: str, version: str) -> dict[str, str]:
    return dict(client.get_model_version(name, version).tags or {})


def expect_error(
    code: str, what: str, call: Callable[..., Any], *args: Any, or_refused: bool = False
) -> Exception:
    """Run ``call(*args)`` and check that the registry answers with MLflow error ``code``.

    Any other answer is judged by the refusal vocabulary: an operation not offered at all (a
    bare 404, ``ENDPOINT_NOT_FOUND``, ...) makes the scenario unsupported, transport and auth
    trouble leave it without a verdict, and any other code is a wrong answer. ``or_refused``: a
    clean refusal does as well as ``code`` (a write that must not act, refused as it is refused
    everywhere; whether it changed anything the scenario judges by the state it reads after).
    """
    try:
        with http_exchanges.recording() as exchanges:
            result = call(*args)
    except Exception as exc:
        error = exc
    else:
        raise AssertionError(f"{what}: expected error {code}, but the registry answered {result!r}")
    if isinstance(error, MlflowException) and _sent_code(error) == code:
        return error
    answer = classify(error, answer_status(exchanges))
    if or_refused and answer.kind is Kind.REFUSAL:
        return error
    if answer.not_offered:
        raise Unsupported(f"{what}: {answer.reason}") from error
    if answer.kind in (Kind.TRANSPORT, Kind.AUTH):
        raise Inconclusive(no_verdict(what, answer)) from None
    raise AssertionError(f"{what}: expected error {code}, got {answer.reason[:300]}") from error


def _sent_code(error: MlflowException) -> str:
    """The error code as the registry sent it (MLflow's client maps codes it does not know)."""
    if isinstance(error, RestException):
        return str(error.json.get("error_code") or "")
    return error.error_code


#: ``best_effort``'s ``before`` when the scenario does not hold the state: it is read.
UNREAD: Any = object()


def best_effort(
    probe: Probe,
    what: str,
    step: Callable[[], object],
    *,
    state: Callable[[], object],
    before: object = UNREAD,
) -> bool:
    """A setup step the scenario can do without: ``False`` if the registry cleanly refuses it.

    Used where a refused step (another feature) only makes a scenario judge less, so that a
    registry lacking that other feature does not change this feature's verdict. The refusal is
    kept in the probe's evidence (:meth:`Probe.judged_without`). ``state`` reads whatever the
    step could change: a refusal that changed it was no clean refusal. That, like any other
    failure of the step, is a broken prerequisite, as usual. ``before`` is that state as the
    scenario already holds it (read, or known since its last read), so that it is not read again.
    """
    with probe.prerequisite(what):
        if before is UNREAD:
            before = state()
        try:
            with http_exchanges.recording() as exchanges:
                step()
        except Exception as exc:
            answer = classify(exc, answer_status(exchanges))
            if answer.kind is not Kind.REFUSAL:
                raise
            after = state()
            assert after == before, (
                f"refused ({answer.reason}), but it changed the state: {before} -> {after}"
            )
            probe.judged_without(what, exc, exchanges)
            return False
    return True


@dataclass(frozen=True)
class Marks:
    """The marks a registry accepted on a model (``version`` None) or a version, to be checked
    in a state the scenario reads anyway (:func:`check_marks`) instead of read back at once."""

    name: str
    version: str | None
    expected: dict[str, str]

    @property
    def what(self) -> str:
        return self.name if self.version is None else f"{self.name} v{self.version}"


def check_marks(probe: Probe, snapshot: dict[str, Any], marks: Iterable[Marks]) -> None:
    """Check marks in a :func:`registry_state` that covers them, read after they were set: a
    mark that was accepted but does not read back is a broken prerequisite."""
    for mark in marks:
        with probe.prerequisite(f"read back the marks of {mark.what}"):
            entry = snapshot.get(mark.name) or {}
            if mark.version is None:
                state = entry.get("model")
            else:
                state = (entry.get("versions") or {}).get(mark.version)
            assert state is not None, f"{mark.what} is missing after it was marked"
            _assert_marks_kept(mark.what, mark.expected, _marks_found(state))


def _marks_found(state: dict[str, Any]) -> dict[str, Any]:
    """The marks in a :func:`model_state` or :func:`version_state` (a version has a stage)."""
    found = {"tag rc.mark": state["tags"].get("rc.mark"), "description": state["description"]}
    if "stage" in state:
        found["stage"] = state["stage"]
    return found


def mark_model(
    client: Any, probe: Probe, name: str, *, pending: list[Marks] | None = None
) -> dict[str, Any] | None:
    """Give a registered model a tag and a description, each best-effort: marks that a careless
    operation on something else would damage, so that :func:`registry_state` shows it. A mark
    the registry accepted must read back (else the prerequisite broke): a check that compares
    states must not pass because the marks were never kept. Returns the model's state as read
    back; with ``pending``, nothing is read back: the marks are added to it, for
    :func:`check_marks` in a state the scenario reads next.

    The state is read once before the marks: each accepted mark changes exactly its own field,
    so the state before the next one is known (a refusal is still compared with it)."""
    registry = direct(client)
    # (mark as read back, value), the step, and the field of model_state it sets
    marks = (
        (
            ("tag rc.mark", name),
            lambda: registry.set_registered_model_tag(name, "rc.mark", name),
            lambda known: known["tags"].update({"rc.mark": name}),
        ),
        (
            ("description", f"model {name}"),
            lambda: registry.update_registered_model(name, description=f"model {name}"),
            lambda known: known.update(description=f"model {name}"),
        ),
    )
    calls = ("set_registered_model_tag", "update_registered_model")
    expected = {}
    state = functools.partial(model_state, client, name)
    known = state()
    for call, (mark, step, effect) in zip(calls, marks, strict=True):
        if best_effort(probe, call, step, state=state, before=known):
            expected[mark[0]] = mark[1]
            known = _after(known, effect)
    if pending is not None:
        pending.append(Marks(name, None, expected))
        return None
    with probe.prerequisite(f"read back the marks of {name}"):
        marked = model_state(client, name)
        assert marked is not None, f"{name} is missing after it was marked"
        _assert_marks_kept(name, expected, _marks_found(marked))
    return marked


def mark_version(
    client: Any,
    probe: Probe,
    name: str,
    version: str,
    *,
    under_test: Collection[str] = (),
    pending: list[Marks] | None = None,
    created: ModelVersion | None = None,
) -> dict[str, Any] | None:
    """Give a version a tag, a description, an alias and the stage Staging, each best-effort,
    like :func:`mark_model`. Aliases are only compared where a registry reports them on the
    version, so an accepted alias is not required to read back. Returns the version's
    :func:`version_state` as read back (``pending``: as :func:`mark_model`).

    ``under_test`` names the scenario's own calls under test: the mark one of them would set is
    left out. Its answer is evidence about the feature, which a best-effort step would turn into
    a broken prerequisite; the scenario makes such writes itself, under test.

    The state (model and version) is read before the first mark; an accepted tag or description
    changes exactly that field of the version, so the state before the next mark is known. So
    does an accepted alias, once a read after one has shown whether the registry reports aliases
    on models and on versions (learned once per registry and process); after a stage (which
    moves the model's latest versions) it is read again. ``created``, the registry's answer
    when it created the version (nothing written on it since), is the version's part of the
    first state (:func:`created_state`).
    """
    registry = direct(client)
    alias = f"mark{version}"
    reported = _ALIASES_REPORTED.get(getattr(client, "_registry_uri", None))

    def alias_effect(known: dict[str, Any]) -> None:
        model, entry = known[name]["model"], known[name]["versions"][version]
        if reported and reported[0]:
            model["aliases"] = {**model["aliases"], alias: version}
        if reported and reported[1]:
            entry["aliases"] = sorted({*entry["aliases"], alias})

    def version_field(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
        def effect(known: dict[str, Any]) -> None:
            entry = known[name]["versions"][version]
            if field == "tags":
                entry["tags"] = {**entry["tags"], **value}
            else:
                entry[field] = value

        return effect

    # (mark as read back, value) or None, the step, and its exact effect on registry_state (None
    # where it is not known), by the call that sets the mark
    marks: dict[str, tuple[tuple[str, str] | None, Callable[[], object], Any]] = {
        "set_model_version_tag": (
            ("tag rc.mark", f"v{version}"),
            lambda: registry.set_model_version_tag(name, version, "rc.mark", f"v{version}"),
            version_field("tags", {"rc.mark": f"v{version}"}),
        ),
        "update_model_version": (
            ("description", f"version {version}"),
            lambda: registry.update_model_version(name, version, description=f"version {version}"),
            version_field("description", f"version {version}"),
        ),
        "set_registered_model_alias": (
            None,
            lambda: registry.set_registered_model_alias(name, alias, version),
            alias_effect if reported else None,
        ),
        "transition_model_version_stage": (
            ("stage", "Staging"),
            lambda: registry.transition_model_version_stage(name, version, "Staging", False),
            None,
        ),
    }
    if unknown := set(under_test) - marks.keys():
        raise ValueError(f"mark_version sets no mark with {sorted(unknown)}")
    expected = {}
    state: Callable[[], Any] = functools.partial(registry_state, client, {name: [version]})
    if created is not None:
        state = created_state(client, name, {version: created})
    known: Any = UNREAD
    alias_kept = False
    for call, (mark, step, effect) in marks.items():
        if call in under_test:
            continue
        if known is UNREAD:
            known = state()
            if alias_kept and not reported:
                _learn_alias_reporting(client, known, name, version, alias)
        with stage_api():
            kept = best_effort(probe, call, step, state=state, before=known)
        if kept:
            known = UNREAD if effect is None else _after(known, effect)
            alias_kept = call == "set_registered_model_alias"
            if mark is not None:
                expected[mark[0]] = mark[1]
    if pending is not None:
        pending.append(Marks(name, version, expected))
        return None
    with probe.prerequisite(f"read back the marks of {name} v{version}"):
        marked = version_state(client, name, version)
        assert marked is not None, f"{name} v{version} is missing after it was marked"
        _assert_marks_kept(f"{name} v{version}", expected, _marks_found(marked))
    return marked


#: registry URI -> whether it reports an alias (on the model, on the version), as a read right
#: after an accepted alias showed it: what :func:`mark_version` expects of the next one.
_ALIASES_REPORTED: dict[str, tuple[bool, bool]] = {}


def _learn_alias_reporting(client: Any, known: Any, name: str, version: str, alias: str) -> None:
    uri = getattr(client, "_registry_uri", None)
    model = (known or {}).get(name, {}).get("model")
    entry = (known or {}).get(name, {}).get("versions", {}).get(version)
    if uri and model is not None and entry is not None:
        _ALIASES_REPORTED[uri] = (alias in model["aliases"], alias in entry["aliases"])


def _after(known: Any, effect: Callable[[Any], None]) -> Any:
    """The state ``known`` with an accepted mark's ``effect``; unread where it was missing."""
    if known is None or known is UNREAD:
        return UNREAD
    try:
        changed = copy.deepcopy(known)
        effect(changed)
    except (KeyError, TypeError):  # a model or version the registry said is missing
        return UNREAD
    return changed


def _assert_marks_kept(what: str, expected: dict[str, str], found: dict[str, Any]) -> None:
    lost = {mark: found[mark] for mark, value in expected.items() if found[mark] != value}
    assert not lost, f"{what} accepted the marks {expected} but reads back {lost}"


def description_of(entity: Any) -> str:
    """A description as text: REST stores send ``""`` where in-process stores keep ``None``."""
    return entity.description or ""


@dataclass(frozen=True)
class RunWorkspaces:
    """The ``workspaces`` fixture: workspace names of this run, and where its names are used."""

    #: a fresh workspace name of this run (``hint``: lowercase letters, digits, ``-``)
    mint: Callable[[str], str]
    #: record that a name of this run is created in one of its workspaces (for the cleanup)
    place: Callable[[str, str], None]


def skip_without_workspaces(client: Any) -> None:
    """Skip (``not-tested``) unless the target has workspaces (the client's are
    ``requires_client("workspaces")``'s question).

    Whether the target has them is MLflow's own question, ``supports_workspaces`` of the client's
    registry store: over HTTP, ``workspaces_enabled`` in the server's ``server-info`` (a server
    too old to have that endpoint has no workspaces); in-process, the store itself (MLflow's SQL
    store only as ``WorkspaceAwareSqlAlchemyStore``).
    """
    store = getattr(direct(client), "store", None)
    try:
        with http_exchanges.recording() as exchanges:
            offered = bool(getattr(store, "supports_workspaces", False))
    except Exception as exc:
        answer = classify(exc, answer_status(exchanges))
        if answer.kind is not Kind.REFUSAL:
            raise Inconclusive(no_verdict("whether the target has workspaces", answer)) from exc
        pytest.skip(f"the target has no workspaces: {answer.reason[:200]}")
    if not offered:
        pytest.skip(
            "the target has no workspaces (MLflow 3.10+, mlflow server --enable-workspaces)"
        )


@dataclass(frozen=True)
class Created:
    """A version :func:`model_with_versions` created: the source sent, and the registry's answer
    (for :func:`created_state`, while nothing is written on the version)."""

    source: str
    answer: ModelVersion


def model_with_versions(
    client: Any, probe: Probe, name: str, count: int, source_root: str = SOURCE_ROOT
) -> dict[str, Created]:
    """Create ``name`` with ``count`` versions (sources ``<root>/<name>/<n>``), as a prerequisite.

    Returns ``{version: Created}`` in creation order.
    """
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(name)
    created = {}
    for number in range(1, count + 1):
        source = f"{source_root}/{name}/{number}"
        with probe.prerequisite("create_model_version"):
            made = client.create_model_version(name, source, run_id=None)
        created[str(made.version)] = Created(source, made)
    return created
