"""Helpers of the search scenarios of the batch "searches" (not scenarios themselves): a bounded
walk of every page of ``search_model_versions``, versions as comparable keys, sources, and a
registered-model search by name with the first name filter the registry offers.

Nothing here wraps a call in the probe: the scenario decides which step is under test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from conformance.run.probe import Probe, Unsupported
from conformance.scenarios.prerequisites import SOURCE_ROOT
from conformance.scenarios.searches import search_all

#: How many pages a search of a few of our versions may take before it is an endless one.
MAX_PAGES = 50


def search_versions(
    client: Any,
    filter_string: str | None,
    *,
    order_by: list[str] | None = None,
    page_size: int = 100,
    max_pages: int = MAX_PAGES,
    search: Callable[..., Any] | None = None,
) -> list[Any]:
    """Every version a search returns, following page tokens to the end (bounded).

    Each page must hold at most ``page_size`` versions and no token may be handed out twice; a
    walk longer than ``max_pages`` pages would never end. Any of those is a wrong answer
    (``AssertionError``).
    """
    search = search or client.search_model_versions
    found: list[Any] = []
    seen: set[Any] = set()
    token = None
    for _ in range(max_pages):
        page = search(
            filter_string=filter_string, max_results=page_size, order_by=order_by, page_token=token
        )
        assert len(page) <= page_size, (
            f"search_model_versions({filter_string!r}, max_results={page_size}) returned a page "
            f"of {len(page)}"
        )
        found.extend(page)
        token = page.token
        if not token:
            return found
        assert token not in seen, (
            f"search_model_versions({filter_string!r}) handed out page token {token!r} twice: "
            "the listing would never end"
        )
        seen.add(token)
    raise AssertionError(
        f"search_model_versions({filter_string!r}, max_results={page_size}) still handed out a "
        f"next-page token after {max_pages} pages ({len(found)} versions): the listing would "
        "never end"
    )


def keys(versions: Iterable[Any]) -> list[tuple[str, str]]:
    """(model name, version) of each version, in the order given (version numbers as text:
    REST stores send strings, in-process stores ints)."""
    return [(mv.name, str(mv.version)) for mv in versions]


def quoted_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(f"'{value}'" for value in values) + ")"


def source_of(name: str, number: int | str) -> str:
    """The source :func:`.prerequisites.model_with_versions` gives a version."""
    return f"{SOURCE_ROOT}/{name}/{number}"


def create_version(client: Any, name: str, number: int, run_id: str | None = None) -> str:
    """Create the next version of ``name`` (its source as :func:`source_of` names it, with
    ``run_id`` when given); the version number the registry gave."""
    made = client.create_model_version(name, source_of(name, number), run_id=run_id)
    return str(made.version)


def search_by_name(
    client: Any,
    probe: Probe,
    name: str,
    *,
    call: str = "search_registered_models",
    search: Callable[..., Any] | None = None,
    page_size: int = 100,
    clause: Callable[[str], str] = str,
) -> tuple[str, list[Any]]:
    """Every registered model a search for ``name`` returns, under test, with the first name
    filter the registry offers (``=``, else ``LIKE``: which name filters it offers is other
    rows'), as ``clause`` makes it; the filter the registry accepted (before ``clause``) and
    what it found. A refusal of both is the answer (``Unsupported``)."""
    refused: Unsupported | None = None
    for filter_string in (f"name = '{name}'", f"name LIKE '{name}'"):
        sent = clause(filter_string)
        try:
            with probe.feature(f"{call}({sent})"):
                return filter_string, search_all(client, sent, page_size=page_size, search=search)
        except Unsupported as exc:
            refused = exc
    assert refused is not None
    raise refused
