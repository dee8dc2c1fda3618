"""Core feature ``search.pagination``: ``max_results`` and ``page_token`` of both searches.

The walk of an unfiltered registered-model listing is ``search.list``'s (seed row 5); here the
version search is walked (filtered on one model of ours, so nothing else of the run shifts its
pages), and both searches are asked at and above MLflow's documented maximum page size and with
page tokens they never handed out. Registered models are searched through the registry's store
(``searches.model_search``: without the client's prompt clause, which is another row's), by name
with ``=``, else ``LIKE`` (which name filters a registry offers is other rows').
"""

from __future__ import annotations

import base64
import json

from mlflow.store.model_registry import (
    SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD,
)

from conformance.scenarios.error_answers import INVALID, expect_codes
from conformance.scenarios.markers import feature
from conformance.scenarios.prerequisites import model_with_versions
from conformance.scenarios.searches import model_search, names_of
from conformance.scenarios.version_search import keys, search_by_name, search_versions

#: Page tokens no registry hands out: not base64, base64 of JSON that is no position (an object
#: and a list).
NOT_A_TOKEN = "rc:not-a-page-token!"
LIST_TOKEN = base64.b64encode(b"[]").decode()
#: The page size of searches sent to the store directly (which, unlike the client, has no default
#: in every store: MLflow's file store refuses none).
PAGE_SIZE = 100
FOREIGN_TOKEN = base64.b64encode(json.dumps({"rc": "not a position"}).encode()).decode()


@feature("search.pagination")
def test_version_search_pages_walk_every_version_once(client, names, probe):
    # given a model with five versions
    name = names("page-walk")
    model_with_versions(client, probe, name, 5)
    filter_string = f"name = '{name}'"

    # when its versions are searched in pages of two, following every page token
    with probe.feature("search_model_versions(max_results=2, page_token=...)"):
        walked = keys(search_versions(client, filter_string, page_size=2))

    # then every page held at most two (checked by the walk), and each version came once
    expected = [(name, str(number)) for number in range(1, 6)]
    assert sorted(walked) == expected, (
        f"search_model_versions({filter_string}) in pages of 2 listed {walked}, expected each "
        f"of {expected} exactly once"
    )


@feature("search.pagination")
def test_max_results_up_to_the_documented_maximum(client, names, probe):
    # given a model with two versions
    name = names("page-max")
    model_with_versions(client, probe, name, 2)
    filter_string = f"name = '{name}'"
    expected = [(name, "1"), (name, "2")]
    search_models = model_search(client)

    # when its versions are searched one per page, then at the maximum and above it
    with probe.feature("search_model_versions(max_results=1, page_token=...)"):
        one_by_one = keys(search_versions(client, filter_string, page_size=1))
    version_max = SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD
    with probe.feature(f"search_model_versions(max_results={version_max})"):
        at_max = keys(client.search_model_versions(filter_string, max_results=version_max))
    expect_codes(
        [INVALID],
        f"search_model_versions(max_results={version_max + 1})",
        client.search_model_versions,
        filter_string,
        max_results=version_max + 1,
    )
    # and the registered model, at the maximum and above it
    model_max = SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD
    model_filter, found = search_by_name(client, probe, name, page_size=model_max)
    models_at_max = names_of(found)
    expect_codes(
        [INVALID],
        f"search_registered_models({model_filter}, max_results={model_max + 1})",
        search_models,
        model_filter,
        max_results=model_max + 1,
    )

    # then the pages of one and the pages at the maximum hold every version once
    assert sorted(one_by_one) == expected, (
        f"search_model_versions({filter_string}) in pages of 1 listed {one_by_one}"
    )
    assert sorted(at_max) == expected, (
        f"search_model_versions({filter_string}, max_results={version_max}) listed {at_max}"
    )
    assert models_at_max == [name], (
        f"search_registered_models({model_filter}, max_results={model_max}) listed {models_at_max}"
    )


@feature("search.pagination")
def test_page_tokens_never_handed_out_are_refused(client, names, probe):
    # given a model with one version, found by a search without a token
    name = names("page-token")
    model_with_versions(client, probe, name, 1)
    filter_string = f"name = '{name}'"
    search_models = model_search(client)
    with probe.feature("search_model_versions"):
        found = keys(search_versions(client, filter_string))
    assert found == [(name, "1")], f"search_model_versions({filter_string}) listed {found}"

    # when the versions are searched with tokens it never handed out
    # then each is refused as invalid
    for token in (NOT_A_TOKEN, FOREIGN_TOKEN, LIST_TOKEN):
        expect_codes(
            [INVALID],
            f"search_model_versions(page_token={token!r})",
            client.search_model_versions,
            filter_string,
            page_token=token,
        )

    # and so is the registered-model search, which finds the model without a token
    model_filter, found_models = search_by_name(client, probe, name)
    models = names_of(found_models)
    assert models == [name], f"search_registered_models({model_filter}) listed {models}"
    for token in (NOT_A_TOKEN, LIST_TOKEN):
        expect_codes(
            [INVALID],
            f"search_registered_models({model_filter}, page_token={token!r})",
            search_models,
            model_filter,
            max_results=PAGE_SIZE,
            page_token=token,
        )
