"""Extended feature ``search.prompt-clause``: the "not a prompt" clause that MLflow 3's client
appends to every ``search_registered_models`` filter (``mlflow.prompt.registry_utils.
add_prompt_filter_string``, called by ``ModelRegistryClient.search_registered_models``).

Each search is made three ways: through ``MlflowClient`` (the client appends the clause); with
the clause as the client builds it, sent directly (over HTTP with ``requests``, through MLflow's
``http_request`` and the client's credentials; in-process to the store); and with the plain
filter, sent directly. The plain search is the baseline (a prerequisite: its correctness is the
other search rows'); the two with the clause are under test and must answer as it does. Every
other search row sends its filters without the clause (``searches.model_search``), so a registry
that breaks only the clause shows here and nowhere else. The listing scenario walks the whole
registry: these scenarios hold the run's registry lock exclusively (``registry_lock``).
"""

from __future__ import annotations

from collections import Counter
from types import SimpleNamespace
from typing import Any

from mlflow.store.entities.paged_list import PagedList
from mlflow.utils.rest_utils import http_request, verify_rest_response

from conformance.run.registry_client import direct
from conformance.scenarios.markers import feature, requires_client
from conformance.scenarios.searches import model_search, names_of, search_all
from conformance.scenarios.version_search import search_by_name

#: A client older than the clause sends none: for it this row is not a question.
pytestmark = requires_client("prompt clause")


def add_prompt_filter_string(filter_string: str | None, is_prompt: bool = False) -> str:
    """The filter as the installed client sends it, with its clause (imported here: clients
    without the clause have no such function)."""
    from mlflow.prompt.registry_utils import add_prompt_filter_string as client_builds

    return client_builds(filter_string, is_prompt)


SEARCH_ENDPOINT = "/api/2.0/mlflow/registered-models/search"


def _wire_search(client: Any, target: Any):
    """``search_registered_models`` sent as given: a GET with ``requests`` to an HTTP target
    (MLflow's ``http_request``, with the credentials the client sends), the store otherwise."""
    store = getattr(direct(client), "store", None)
    host_creds = getattr(store, "get_host_creds", None)
    if not target.is_http or host_creds is None:
        return model_search(client)

    def search(filter_string=None, max_results=100, order_by=None, page_token=None):
        params: dict[str, Any] = {"max_results": max_results}
        if filter_string:
            params["filter"] = filter_string
        if order_by:
            params["order_by"] = order_by
        if page_token:
            params["page_token"] = page_token
        response = http_request(host_creds(), SEARCH_ENDPOINT, "GET", params=params)
        body = verify_rest_response(response, SEARCH_ENDPOINT).json()
        models = [
            SimpleNamespace(
                name=model["name"], tags={t["key"]: t.get("value") for t in model.get("tags", [])}
            )
            for model in body.get("registered_models", [])
        ]
        return PagedList(models, body.get("next_page_token") or None)

    return search


@feature("search.prompt-clause")
def test_name_search_with_the_clause_answers_as_without(client, names, probe, target):
    # given two models of ours
    name, other = names("prompt-a"), names("prompt-b")
    for model in (name, other):
        with probe.prerequisite("create_registered_model"):
            client.create_registered_model(model)
    wire = _wire_search(client, target)

    # when the model is searched by name through the client (which appends the clause; by
    # name =, else LIKE: which name filters a registry offers is other rows'), and directly
    # with the clause as the client writes it
    plain, found = search_by_name(
        client,
        probe,
        name,
        call="MlflowClient.search_registered_models, with its prompt clause,",
        search=client.search_registered_models,
    )
    via_client = names_of(found)
    with_clause = add_prompt_filter_string(plain, False)
    with probe.feature(f"search_registered_models({with_clause}), sent directly"):
        via_wire = names_of(search_all(client, with_clause, search=wire))

    # then both find exactly that model, as the same filter without the clause does
    assert via_client == [name], (
        f"MlflowClient.search_registered_models({plain!r}), sent as {with_clause!r}, returned "
        f"{via_client}, expected [{name!r}]"
    )
    assert via_wire == [name], f"the filter {with_clause!r} returned {via_wire}"
    with probe.prerequisite(f"search_registered_models({plain}) without the clause"):
        baseline = names_of(search_all(client, plain, search=wire))
        assert baseline == [name], f"the filter {plain!r} returned {baseline}"


@feature("search.prompt-clause")
def test_listing_with_the_clause_lists_as_without(client, names, probe, target):
    # given three models of ours, among whatever else the registry holds
    ours = [names(f"prompt-list-{index}") for index in range(3)]
    for name in ours:
        with probe.prerequisite("create_registered_model"):
            client.create_registered_model(name)

    # when the registry is listed through the client (the clause alone is its filter)
    with probe.feature("MlflowClient.search_registered_models() (its prompt clause alone)"):
        via_client = Counter(names_of(search_all(client, search=client.search_registered_models)))

    # then each of ours is listed exactly once, as a listing without the clause lists it
    wrong = {name: via_client[name] for name in ours if via_client[name] != 1}
    assert not wrong, (
        f"MlflowClient.search_registered_models() (filter {add_prompt_filter_string(None)!r}) "
        f"listed some of ours other than once (name: times listed): {wrong}"
    )
    with probe.prerequisite("search_registered_models() without the clause"):
        plain = Counter(names_of(search_all(client, search=_wire_search(client, target))))
        assert all(plain[name] == 1 for name in ours), (
            f"an unfiltered listing listed ours {[plain[name] for name in ours]} times"
        )
