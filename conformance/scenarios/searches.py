"""Registered-model searches as scenarios walk them: the registry's own store's search (the
filter as given), a bounded walk of every page, names one step from a model's (that no model
has), and which names exist.

Nothing here wraps a call in the probe: the scenario decides which step is under test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from mlflow.exceptions import MlflowException

from conformance.run.probe import Inconclusive
from conformance.run.registry_client import direct
from conformance.scenarios.error_answers import MISSING

#: How many registered models an exhaustive listing may walk before the scenario gives up.
LISTING_CAP = 10_000


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
