"""Helpers for scenarios (not scenarios themselves): making models to work on, reading state
back, walking search pages, comparing file trees.

Apart from :func:`model_with_versions` and :func:`best_effort` (setup steps, always
prerequisites) nothing here wraps a call in the probe: the scenario decides which step is under
test. Reads go through the most basic registry calls, so they work against any target.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
from mlflow.exceptions import MlflowException, RestException
from mlflow.tracking import MlflowClient

from conformance import http_exchanges, tiny_model
from conformance.probe import Inconclusive, Probe, Unsupported, answer_status, no_verdict
from conformance.refusals import Kind, classify

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


def register_logged(client: MlflowClient, name: str, logged: LoggedFolders) -> list[str]:
    """One version of ``name`` per logged folder (source = its artifact URI, with the run id)."""
    return [
        str(client.create_model_version(name, source=uri, run_id=logged.run_id).version)
        for uri in logged.artifact_uris
    ]


def register_tiny_models(
    client: MlflowClient, experiment_id: str, name: str, slopes: list[float], workdir: Path
) -> list[str]:
    """Create ``name`` and register one tiny model per slope from a run's artifacts.

    For scenarios that need loadable versions as a prerequisite (stages, ...).
    """
    client.create_registered_model(name)
    return register_logged(client, name, log_tiny_models(client, experiment_id, slopes, workdir))


def latest_version_numbers(client: MlflowClient, name: str) -> tuple[str, ...] | None:
    """The versions ``get_registered_model`` lists as latest, or None when the model is missing.

    A cheap read of whatever a refused version creation could have changed.
    """
    try:
        model = client.get_registered_model(name)
    except MlflowException as exc:
        if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
            return None
        raise
    return tuple(sorted(str(version.version) for version in model.latest_versions or []))


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


#: How many registered models an exhaustive listing may walk before the scenario gives up.
LISTING_CAP = 10_000

#: A source that MLflow's servers accept without a run (only the ``..`` check applies).
SOURCE_ROOT = "s3://rc-bucket"


def search_all(
    client: Any,
    filter_string: str | None = None,
    *,
    order_by: list[str] | None = None,
    page_size: int = 100,
    cap: int = LISTING_CAP,
) -> list[Any]:
    """Every registered model a search returns, following page tokens to the end.

    Raises ``Inconclusive`` past ``cap`` models (a registry too big to judge in a test run) and
    ``AssertionError`` when the registry hands out a page token it handed out before (a listing
    that would never end).
    """
    found: list[Any] = []
    seen_tokens: set[str] = set()
    token = None
    while True:
        page = client.search_registered_models(
            filter_string=filter_string, max_results=page_size, order_by=order_by, page_token=token
        )
        found.extend(page)
        if len(found) > cap:
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
            if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
    return present


def versions_present(client: Any, name: str, versions: Iterable[str]) -> dict[str, str | None]:
    """For each version number: its source if ``get_model_version`` finds it, else ``None``."""
    present: dict[str, str | None] = {}
    for version in versions:
        try:
            present[str(version)] = client.get_model_version(name, str(version)).source
        except MlflowException as exc:
            if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
            present[str(version)] = None
    return present


def version_tags(client: Any, name: str, version: str) -> dict[str, str]:
    return dict(client.get_model_version(name, version).tags or {})


def expect_error(code: str, what: str, call: Callable[..., Any], *args: Any) -> MlflowException:
    """Run ``call(*args)`` and check that the registry answers with MLflow error ``code``.

    Any other answer is judged by the refusal vocabulary: an operation not offered at all (a
    bare 404, ``ENDPOINT_NOT_FOUND``, ...) makes the scenario unsupported, transport and auth
    trouble leave it without a verdict, and any other code is a wrong answer.
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


def best_effort(
    probe: Probe, what: str, call: Callable[..., Any], *args: Any, **kwargs: Any
) -> bool:
    """A setup step the scenario can do without: ``False`` if the registry cleanly refuses it.

    Used where a refused step (another feature) only makes a scenario judge less, so that a
    registry lacking that other feature does not change this feature's verdict. Any other
    failure of the step is a broken prerequisite, as usual.
    """
    with probe.prerequisite(what):
        try:
            call(*args, **kwargs)
        except Exception as exc:
            if classify(exc).kind is Kind.REFUSAL:
                return False
            raise
    return True


def description_of(entity: Any) -> str:
    """A description as text: REST stores send ``""`` where in-process stores keep ``None``."""
    return entity.description or ""


def model_with_versions(
    client: Any, probe: Probe, name: str, count: int, source_root: str = SOURCE_ROOT
) -> dict[str, str]:
    """Create ``name`` with ``count`` versions (sources ``<root>/<name>/<n>``), as a prerequisite.

    Returns ``{version: source}`` in creation order.
    """
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(name)
    sources = {}
    for number in range(1, count + 1):
        source = f"{source_root}/{name}/{number}"
        with probe.prerequisite("create_model_version"):
            made = client.create_model_version(name, source, run_id=None)
        sources[str(made.version)] = source
    return sources
