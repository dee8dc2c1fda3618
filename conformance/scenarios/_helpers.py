"""Small helpers shared by the search, edit and delete scenarios (not scenarios themselves).

They only read: listing every page of a search, reading which models or versions exist, and
checking that a read reports a given MLflow error code. None of them is a feature under test,
so none of them wraps a call in the probe; scenarios decide what is under test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from mlflow.exceptions import MlflowException

from conformance.probe import Inconclusive, Probe
from conformance.refusals import Kind, classify

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
    """Run ``call(*args)`` and check that the registry answers with MLflow error ``code``."""
    try:
        result = call(*args)
    except MlflowException as exc:
        error = exc
    else:
        raise AssertionError(f"{what}: expected error {code}, but the registry answered {result!r}")
    assert error.error_code == code, (
        f"{what}: expected error {code}, got {error.error_code}: {str(error.message)[:300]}"
    )
    return error


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
