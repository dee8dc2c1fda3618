"""Every registry operation of the in-memory store, through the stock MlflowClient, exact values."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterator

import pytest
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersionTag, RegisteredModelTag
from mlflow.entities.webhook import WebhookAction, WebhookEntity, WebhookEvent
from mlflow.exceptions import MlflowException
from mlflow.utils.time import get_current_time_millis

from reference_backend.instances import drop_instance, get_instance
from reference_backend.registry_store import InMemoryRegistryStore


@pytest.fixture
def uri() -> Iterator[str]:
    uri = f"memory://registry-store-{uuid.uuid4().hex}"
    yield uri
    drop_instance(uri)


@pytest.fixture
def client(uri: str) -> MlflowClient:
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


@pytest.fixture
def store(uri: str) -> InMemoryRegistryStore:
    return get_instance(uri).registry_store


def next_millisecond() -> None:
    """Let the clock move on, so a timestamp bump is visible."""
    start = get_current_time_millis()
    while get_current_time_millis() == start:
        time.sleep(0.0005)


def error_code(call, *args, **kwargs) -> str:
    with pytest.raises(MlflowException) as raised:
        call(*args, **kwargs)
    return raised.value.error_code


def names(models) -> list[str]:
    return [model.name for model in models]


def versions(model_versions) -> list[tuple[str, int]]:
    return [(mv.name, mv.version) for mv in model_versions]


# Registered models


def test_create_registered_model_returns_every_field(client: MlflowClient) -> None:
    before = get_current_time_millis()
    model = client.create_registered_model("m", tags={"team": "a", "n": 1}, description="first")
    assert model.name == "m"
    assert model.description == "first"
    assert model.tags == {"team": "a", "n": "1"}
    assert model.aliases == {}
    assert model.latest_versions == []
    assert before <= model.creation_timestamp == model.last_updated_timestamp
    fetched = client.get_registered_model("m")
    assert (fetched.name, fetched.description, fetched.tags) == ("m", "first", model.tags)
    assert fetched.creation_timestamp == model.creation_timestamp


def test_create_existing_name_is_refused(client: MlflowClient) -> None:
    client.create_registered_model("m")
    assert error_code(client.create_registered_model, "m") == "RESOURCE_ALREADY_EXISTS"


def test_update_description_bumps_last_updated_only(client: MlflowClient) -> None:
    created = client.create_registered_model("m")
    next_millisecond()
    updated = client.update_registered_model("m", description="new")
    assert updated.description == "new"
    assert updated.creation_timestamp == created.creation_timestamp
    assert updated.last_updated_timestamp > created.last_updated_timestamp


def test_rename_keeps_versions_tags_aliases_and_creation_time(client: MlflowClient) -> None:
    created = client.create_registered_model("old", tags={"k": "v"}, description="d")
    client.create_model_version("old", "s3://b/1", tags={"t": "1"})
    client.create_model_version("old", "s3://b/2")
    client.set_registered_model_alias("old", "champion", 2)
    next_millisecond()
    client.rename_registered_model("old", "new")
    renamed = client.get_registered_model("new")
    assert (renamed.tags, renamed.aliases, renamed.description) == (
        {"k": "v"},
        {"champion": 2},
        "d",
    )
    assert renamed.creation_timestamp == created.creation_timestamp
    assert renamed.last_updated_timestamp > created.last_updated_timestamp
    mv1 = client.get_model_version("new", 1)
    assert (mv1.name, mv1.source, mv1.tags) == ("new", "s3://b/1", {"t": "1"})
    assert mv1.last_updated_timestamp == renamed.last_updated_timestamp
    assert client.get_model_version_by_alias("new", "champion").version == 2
    assert error_code(client.get_registered_model, "old") == "RESOURCE_DOES_NOT_EXIST"
    assert client.create_registered_model("old").name == "old"
    assert names(client.search_registered_models()) == ["new", "old"]


def test_delete_cascades_and_recreated_model_restarts_numbering(client: MlflowClient) -> None:
    client.create_registered_model("m", tags={"k": "v"})
    client.create_model_version("m", "s3://b/1")
    client.create_model_version("m", "s3://b/2")
    client.set_registered_model_alias("m", "a", 1)
    client.delete_registered_model("m")
    assert error_code(client.get_registered_model, "m") == "RESOURCE_DOES_NOT_EXIST"
    assert error_code(client.get_model_version, "m", 1) == "RESOURCE_DOES_NOT_EXIST"
    assert client.search_model_versions("name = 'm'") == []
    recreated = client.create_registered_model("m")
    assert (recreated.tags, recreated.aliases) == ({}, {})
    assert client.create_model_version("m", "s3://b/new").version == 1


def test_registered_model_tags_set_overwrite_delete(client: MlflowClient) -> None:
    created = client.create_registered_model("m")
    client.set_registered_model_tag("m", "a", "1")
    client.set_registered_model_tag("m", "a", "2")
    client.set_registered_model_tag("m", "b", "x")
    client.delete_registered_model_tag("m", "b")
    client.delete_registered_model_tag("m", "never-set")
    model = client.get_registered_model("m")
    assert model.tags == {"a": "2"}
    assert model.last_updated_timestamp == created.last_updated_timestamp


# Model versions


def test_versions_number_from_one_and_never_reuse_numbers(client: MlflowClient) -> None:
    client.create_registered_model("m")
    assert [client.create_model_version("m", f"s3://b/{i}").version for i in range(3)] == [1, 2, 3]
    client.delete_model_version("m", 3)
    client.delete_model_version("m", 2)
    assert client.create_model_version("m", "s3://b/4").version == 4
    assert versions(client.search_model_versions("name = 'm'")) == [("m", 4), ("m", 1)]


def test_create_model_version_returns_every_field(client: MlflowClient) -> None:
    model = client.create_registered_model("m")
    next_millisecond()
    mv = client.create_model_version(
        "m", "s3://b/model", run_id="r1", tags={"t": "v"}, run_link="http://r", description="d"
    )
    assert (mv.name, mv.version, mv.source, mv.run_id, mv.run_link) == (
        "m",
        1,
        "s3://b/model",
        "r1",
        "http://r",
    )
    assert (mv.description, mv.tags, mv.aliases) == ("d", {"t": "v"}, [])
    assert (mv.current_stage, mv.status, mv.status_message, mv.user_id) == (
        "None",
        "READY",
        None,
        None,
    )
    assert mv.creation_timestamp == mv.last_updated_timestamp > model.creation_timestamp
    assert client.get_registered_model("m").last_updated_timestamp == mv.creation_timestamp
    assert client.get_model_version("m", "1").source == "s3://b/model"


def test_update_version_description_does_not_bump_the_model(client: MlflowClient) -> None:
    client.create_registered_model("m")
    created = client.create_model_version("m", "s3://b/1")
    next_millisecond()
    updated = client.update_model_version("m", 1, description="better")
    assert updated.description == "better"
    assert updated.last_updated_timestamp > created.last_updated_timestamp
    assert client.get_registered_model("m").last_updated_timestamp == created.creation_timestamp


def test_version_tags_set_overwrite_delete(client: MlflowClient) -> None:
    client.create_registered_model("m")
    created = client.create_model_version("m", "s3://b/1", tags={"a": "1"})
    client.set_model_version_tag("m", 1, "a", "2")
    client.set_model_version_tag("m", 1, "b", "x")
    client.delete_model_version_tag("m", 1, "b")
    client.delete_model_version_tag("m", 1, "never-set")
    mv = client.get_model_version("m", 1)
    assert mv.tags == {"a": "2"}
    assert mv.last_updated_timestamp == created.last_updated_timestamp


def test_delete_version_keeps_the_others_and_bumps_the_model(client: MlflowClient) -> None:
    client.create_registered_model("m")
    client.create_model_version("m", "s3://b/1")
    created = client.create_model_version("m", "s3://b/2")
    next_millisecond()
    client.delete_model_version("m", 1)
    assert error_code(client.get_model_version, "m", 1) == "RESOURCE_DOES_NOT_EXIST"
    assert client.get_model_version("m", 2).source == "s3://b/2"
    model = client.get_registered_model("m")
    assert model.last_updated_timestamp > created.creation_timestamp
    assert versions(model.latest_versions) == [("m", 2)]


def test_download_uri_and_models_uri_sources(client: MlflowClient) -> None:
    client.create_registered_model("src")
    client.create_model_version("src", "s3://b/one")
    client.create_model_version("src", "s3://b/two")
    client.transition_model_version_stage("src", 1, "Staging")
    client.set_registered_model_alias("src", "champion", 2)
    client.create_registered_model("dst")
    for source in (
        "models:/src/1",
        "models:/src/staging",
        "models:/src/latest",
        "models:/src@champion",
    ):
        client.create_model_version("dst", source)
    uris = [client.get_model_version_download_uri("dst", v) for v in (1, 2, 3, 4)]
    assert uris == ["s3://b/one", "s3://b/one", "s3://b/two", "s3://b/two"]
    assert client.get_model_version("dst", 2).source == "models:/src/staging"


def test_copy_model_version(client: MlflowClient) -> None:
    client.create_registered_model("src")
    client.create_model_version("src", "s3://b/m", run_id="r1", tags={"t": "v"}, description="d")
    client.set_registered_model_alias("src", "champion", 1)
    copy = client.copy_model_version("models:/src@champion", "dst")
    assert (copy.name, copy.version, copy.source) == ("dst", 1, "models:/src/1")
    assert (copy.run_id, copy.tags, copy.description) == ("r1", {"t": "v"}, "d")
    assert client.get_model_version_download_uri("dst", 1) == "s3://b/m"
    assert client.copy_model_version("models:/src/1", "dst").version == 2


def test_logged_model_source_resolves_through_the_tracking_store(client: MlflowClient) -> None:
    experiment_id = client.create_experiment("e")
    run = client.create_run(experiment_id)
    logged = client.create_logged_model(experiment_id, source_run_id=run.info.run_id)
    client.create_registered_model("m")
    mv = client.create_model_version("m", f"models:/{logged.model_id}", model_id=logged.model_id)
    assert (mv.run_id, mv.model_id) == (run.info.run_id, logged.model_id)
    assert client.get_model_version_download_uri("m", 1) == logged.artifact_location


# Stages


def test_transition_stores_canonical_stage_and_bumps_model(client: MlflowClient) -> None:
    client.create_registered_model("m")
    created = client.create_model_version("m", "s3://b/1")
    next_millisecond()
    moved = client.transition_model_version_stage("m", 1, "pRoDuCtIoN")
    assert moved.current_stage == "Production"
    assert moved.last_updated_timestamp > created.last_updated_timestamp
    assert client.get_registered_model("m").last_updated_timestamp == moved.last_updated_timestamp


def test_archive_existing_versions_archives_only_the_target_stage(client: MlflowClient) -> None:
    client.create_registered_model("m")
    for i in range(4):
        client.create_model_version("m", f"s3://b/{i}")
    client.transition_model_version_stage("m", 1, "Production")
    client.transition_model_version_stage("m", 2, "Production")
    client.transition_model_version_stage("m", 3, "Staging")
    client.transition_model_version_stage("m", 4, "Production", archive_existing_versions=True)
    stages = {v: client.get_model_version("m", v).current_stage for v in (1, 2, 3, 4)}
    assert stages == {1: "Archived", 2: "Archived", 3: "Staging", 4: "Production"}


def test_latest_versions_is_the_highest_version_per_stage(client: MlflowClient) -> None:
    client.create_registered_model("m")
    stages = ["Archived", "Production", "Archived", "Production", "Staging", "Staging", "None"]
    for i, stage in enumerate(stages, start=1):
        client.create_model_version("m", f"s3://b/{i}")
        client.transition_model_version_stage("m", i, stage)
    latest = {mv.current_stage: mv.version for mv in client.get_latest_versions("m")}
    assert latest == {"Production": 4, "Staging": 6, "Archived": 3, "None": 7}
    assert versions(client.get_latest_versions("m", ["staging", "PRODUCTION"])) == [
        ("m", 4),
        ("m", 6),
    ]
    model = client.get_registered_model("m")
    assert sorted(mv.version for mv in model.latest_versions) == [3, 4, 6, 7]
    client.delete_model_version("m", 7)
    assert {mv.current_stage for mv in client.get_latest_versions("m", ["None"])} == set()


# Aliases


def test_aliases_set_move_resolve_and_delete(client: MlflowClient) -> None:
    client.create_registered_model("m")
    client.create_model_version("m", "s3://b/1")
    client.create_model_version("m", "s3://b/2")
    client.set_registered_model_alias("m", "champion", 1)
    client.set_registered_model_alias("m", "Champion", 1)
    client.set_registered_model_alias("m", "champion", "2")
    assert client.get_registered_model("m").aliases == {"champion": 2, "Champion": 1}
    assert client.get_model_version("m", 2).aliases == ["champion"]
    assert client.get_model_version_by_alias("m", "Champion").version == 1
    assert client.get_model_version_by_alias("m", "LATEST").version == 2
    assert client.search_model_versions("name = 'm'")[0].aliases == ["champion"]
    client.delete_registered_model_alias("m", "Champion")
    client.delete_registered_model_alias("m", "never-set")
    assert client.get_registered_model("m").aliases == {"champion": 2}


def test_deleting_a_version_removes_its_aliases(client: MlflowClient) -> None:
    client.create_registered_model("m")
    client.create_model_version("m", "s3://b/1")
    client.create_model_version("m", "s3://b/2")
    client.set_registered_model_alias("m", "a", 1)
    client.set_registered_model_alias("m", "b", 2)
    client.delete_model_version("m", 1)
    assert client.get_registered_model("m").aliases == {"b": 2}
    assert error_code(client.get_model_version_by_alias, "m", "a") == "INVALID_PARAMETER_VALUE"


# Searching registered models


@pytest.fixture
def zoo(client: MlflowClient) -> MlflowClient:
    """Models whose names and tags exercise every filter operator."""
    for name, tags in [
        ("alpha", {"team": "red", "my key": "x"}),
        ("Alpha2", {"team": "blue"}),
        ("beta", {"team": "red", "stage": "prod"}),
        ("beta_1", {}),
        ("betaX1", {"team": "RED"}),
        ("gamma", {"my key": "y"}),
    ]:
        client.create_registered_model(name, tags=tags)
        next_millisecond()
    return client


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        (None, ["Alpha2", "alpha", "beta", "betaX1", "beta_1", "gamma"]),
        ("name = 'beta'", ["beta"]),
        ("name != 'beta'", ["Alpha2", "alpha", "betaX1", "beta_1", "gamma"]),
        ("name LIKE 'alpha%'", ["alpha"]),
        ("name ILIKE 'alpha%'", ["Alpha2", "alpha"]),
        ("name LIKE 'beta_1'", ["betaX1", "beta_1"]),
        ("name LIKE '%a'", ["alpha", "beta", "gamma"]),
        ("name like '%A%'", ["Alpha2"]),
        ("name IN ('beta', 'gamma', 'nope')", ["beta", "gamma"]),
        ("name NOT IN ('beta', 'gamma')", ["Alpha2", "alpha", "betaX1", "beta_1"]),
        ("tags.team = 'red'", ["alpha", "beta"]),
        ("tag.team != 'red'", ["Alpha2", "betaX1"]),
        ("tags.team ILIKE 'red'", ["alpha", "beta", "betaX1"]),
        ("tags.team LIKE 'r%'", ["alpha", "beta"]),
        ("tags.`my key` = 'y'", ["gamma"]),
        ("tags.\"my key\" LIKE '%'", ["alpha", "gamma"]),
        ("tags.team = 'red' AND tags.stage = 'prod'", ["beta"]),
        ("name LIKE 'b%' and tags.team ILIKE 'red'", ["beta", "betaX1"]),
        ("attribute.name = 'gamma'", ["gamma"]),
    ],
)
def test_search_registered_models_filters(zoo: MlflowClient, filter_string, expected) -> None:
    assert names(zoo.search_registered_models(filter_string)) == expected


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (["name DESC"], ["gamma", "beta_1", "betaX1", "beta", "alpha", "Alpha2"]),
        (["creation_timestamp"], ["alpha", "Alpha2", "beta", "beta_1", "betaX1", "gamma"]),
        (["creation_timestamp DESC"], ["gamma", "betaX1", "beta_1", "beta", "Alpha2", "alpha"]),
        (["last_updated_timestamp DESC"], ["beta", "gamma", "betaX1", "beta_1", "Alpha2", "alpha"]),
        (["timestamp ASC"], ["alpha", "Alpha2", "beta_1", "betaX1", "gamma", "beta"]),
    ],
)
def test_search_registered_models_order(zoo: MlflowClient, order_by, expected) -> None:
    zoo.update_registered_model("beta", "touched last")
    assert names(zoo.search_registered_models(order_by=order_by)) == expected


def test_search_registered_models_ties_break_by_name(store: InMemoryRegistryStore) -> None:
    for name in ["c", "a", "b"]:
        store.create_registered_model(name)
    for model in ["a", "b", "c"]:  # same timestamps: order falls back to name ASC
        store._models[model].last_updated_timestamp = 7
    assert names(store.search_registered_models(order_by=["timestamp DESC"])) == ["a", "b", "c"]


@pytest.mark.parametrize("order_by", [None, ["name DESC"], ["last_updated_timestamp DESC"]])
def test_search_registered_models_pages(client: MlflowClient, order_by) -> None:
    for i in range(7):
        client.create_registered_model(f"m{i}")
    expected = names(client.search_registered_models(order_by=order_by))
    pages, token = [], None
    while True:
        page = client.search_registered_models(max_results=2, order_by=order_by, page_token=token)
        pages.append(names(page))
        token = page.token
        if token is None:
            break
    assert [len(page) for page in pages] == [2, 2, 2, 1]
    assert [name for page in pages for name in page] == expected
    last = client.search_registered_models(max_results=7, order_by=order_by)
    assert (len(last), last.token) == (7, None)


def test_prompts_are_hidden_unless_asked_for(client: MlflowClient, store) -> None:
    client.create_registered_model("model")
    client.register_prompt("greeting", "Hello {{name}}")
    assert names(client.search_registered_models()) == ["model"]
    assert names(store.search_registered_models()) == ["model"]
    asked = "tags.`mlflow.prompt.is_prompt` = 'true'"
    assert names(store.search_registered_models(asked)) == ["greeting"]
    assert [prompt.name for prompt in client.search_prompts()] == ["greeting"]
    assert client.search_model_versions() == []
    assert error_code(client.create_registered_model, "greeting") == "RESOURCE_ALREADY_EXISTS"


# Searching model versions


@pytest.fixture
def versions_zoo(client: MlflowClient) -> MlflowClient:
    client.create_registered_model("a")
    client.create_registered_model("b")
    for name, source, run_id, tags in [
        ("a", "s3://bucket/a1", "run1", {"t": "x"}),
        ("a", "s3://bucket/a2", "run2", {"t": "y"}),
        ("b", "gs://other/b1", "run1", {}),
        ("a", "s3://bucket/a3", None, {"t": "X"}),
        ("b", "gs://other/b2", "run3", {"t": "x"}),
    ]:
        client.create_model_version(name, source, run_id=run_id, tags=tags)
        next_millisecond()
    return client


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("name = 'a'", [("a", 3), ("a", 2), ("a", 1)]),
        ("run_id = 'run1'", [("b", 1), ("a", 1)]),
        ("run_id != 'run1'", [("b", 2), ("a", 2)]),
        ("run_id IN ('run2', 'run3')", [("b", 2), ("a", 2)]),
        ("run_id NOT IN ('run2')", [("b", 2), ("b", 1), ("a", 1)]),
        ("name IN ('b')", [("b", 2), ("b", 1)]),
        ("source_path LIKE 's3://%'", [("a", 3), ("a", 2), ("a", 1)]),
        ("source_path = 'gs://other/b1'", [("b", 1)]),
        ("version_number >= 2", [("b", 2), ("a", 3), ("a", 2)]),
        ("version_number = '1'", [("b", 1), ("a", 1)]),
        ("name = 'a' AND version_number < 3 AND version_number != 1", [("a", 2)]),
        ("tags.t = 'x'", [("b", 2), ("a", 1)]),
        ("tags.t ILIKE 'x'", [("b", 2), ("a", 3), ("a", 1)]),
        ("tags.t != 'x'", [("a", 3), ("a", 2)]),
    ],
)
def test_search_model_versions_filters(versions_zoo: MlflowClient, filter_string, expected) -> None:
    assert versions(versions_zoo.search_model_versions(filter_string)) == expected


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (["name", "version_number"], [("a", 1), ("a", 2), ("a", 3), ("b", 1), ("b", 2)]),
        (["version_number DESC"], [("a", 3), ("a", 2), ("b", 2), ("a", 1), ("b", 1)]),
        (["creation_timestamp"], [("a", 1), ("a", 2), ("b", 1), ("a", 3), ("b", 2)]),
        (["last_updated_timestamp ASC"], [("a", 2), ("b", 1), ("a", 3), ("b", 2), ("a", 1)]),
    ],
)
def test_search_model_versions_order(versions_zoo: MlflowClient, order_by, expected) -> None:
    versions_zoo.update_model_version("a", 1, "touched last")
    assert versions(versions_zoo.search_model_versions(order_by=order_by)) == expected


def test_search_model_versions_pages(versions_zoo: MlflowClient) -> None:
    seen, token = [], None
    while True:
        page = versions_zoo.search_model_versions(max_results=2, page_token=token)
        seen.append(versions(page))
        if (token := page.token) is None:
            break
    assert seen == [[("b", 2), ("a", 3)], [("b", 1), ("a", 2)], [("a", 1)]]


# Isolation of returned entities


def test_returned_entities_are_copies(store: InMemoryRegistryStore) -> None:
    model = store.create_registered_model("m", tags=[RegisteredModelTag("k", "v")])
    mv = store.create_model_version("m", "s3://b/1", tags=[ModelVersionTag("t", "v")])
    store.set_registered_model_alias("m", "a", 1)
    fetched = store.get_registered_model("m")
    fetched.aliases["b"] = 1
    fetched.latest_versions.clear()
    fetched._tags["k"] = "changed"
    model._tags["k"] = "changed"
    mv._tags["t"] = "changed"
    store.get_model_version("m", 1).aliases.append("z")
    again = store.get_registered_model("m")
    assert (again.tags, again.aliases, len(again.latest_versions)) == ({"k": "v"}, {"a": 1}, 1)
    assert store.get_model_version("m", 1).tags == {"t": "v"}
    assert store.get_model_version("m", 1).aliases == ["a"]


def test_no_webhook_listens_to_registry_events(store: InMemoryRegistryStore) -> None:
    # MLflow's server asks on every create; an empty answer keeps its log clean.
    event = WebhookEvent(WebhookEntity.MODEL_VERSION, WebhookAction.CREATED)
    page = store.list_webhooks_by_event(event)
    assert (list(page), page.token) == ([], None)


def test_webhook_pages_hold_while_listed_webhooks_are_deleted(store: InMemoryRegistryStore) -> None:
    # Another run on the registry deletes and creates webhooks while this one walks the listing:
    # its pages must neither repeat nor skip a webhook that was there all along.
    event = WebhookEvent(WebhookEntity.MODEL_VERSION, WebhookAction.CREATED)
    for i in range(7):
        store.create_webhook(f"hook-{i}", "https://example.com/hook", [event])
    expected = [hook.webhook_id for hook in store.list_webhooks()]
    listed, token = [], None
    while True:
        page = store.list_webhooks(max_results=2, page_token=token)
        listed += [hook.webhook_id for hook in page]
        for hook in page:
            store.delete_webhook(hook.webhook_id)
        next_millisecond()  # strictly newer than every listed one: it belongs before the cursor
        store.create_webhook("newcomer", "https://example.com/hook", [event])
        token = page.token
        if token is None:
            break
    assert listed == expected


@pytest.mark.parametrize(
    "token",
    ["garbage", *(base64.b64encode(raw).decode() for raw in (b"[]", b'{"offset": 2}', b"[1, 2]"))],
    ids=["not-base64-json", "empty-list", "offset-token", "id-not-a-string"],
)
def test_malformed_webhook_page_tokens_are_refused(store: InMemoryRegistryStore, token) -> None:
    assert error_code(store.list_webhooks, page_token=token) == "INVALID_PARAMETER_VALUE"
