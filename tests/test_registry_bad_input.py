"""Bad input gets MLflow's error code from the in-memory registry, and changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from reference_backend.instances import drop_instance, get_instance

INVALID = "INVALID_PARAMETER_VALUE"
MISSING = "RESOURCE_DOES_NOT_EXIST"
EXISTS = "RESOURCE_ALREADY_EXISTS"


@pytest.fixture
def uri() -> Iterator[str]:
    uri = f"memory://registry-bad-input-{uuid.uuid4().hex}"
    yield uri
    drop_instance(uri)


@pytest.fixture
def client(uri: str) -> MlflowClient:
    """A registry holding model ``m`` (versions 1 and 2, alias ``a``) and model ``other``."""
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model("m", tags={"k": "v"}, description="d")
    client.create_model_version("m", "s3://b/1", tags={"t": "1"})
    client.create_model_version("m", "s3://b/2", run_id="r")
    client.set_registered_model_alias("m", "a", 1)
    client.create_registered_model("other")
    return client


def snapshot(client: MlflowClient) -> tuple[list[Any], list[Any]]:
    """Everything observable, timestamps included (protos compare field by field)."""
    models = client.search_registered_models(max_results=1000)
    model_versions = client.search_model_versions(max_results=1000)
    return [rm.to_proto() for rm in models], [mv.to_proto() for mv in model_versions]


Call = Callable[[MlflowClient], object]
CASES: list[tuple[str, Call, str]] = [
    ("create-empty-name", lambda c: c.create_registered_model(""), INVALID),
    ("create-blank-name", lambda c: c.create_registered_model("  "), INVALID),
    ("create-slash-name", lambda c: c.create_registered_model("a/b"), INVALID),
    ("create-colon-name", lambda c: c.create_registered_model("a:b"), INVALID),
    ("create-dotdot-name", lambda c: c.create_registered_model("..x"), INVALID),
    ("create-existing", lambda c: c.create_registered_model("m"), EXISTS),
    ("create-bad-tag-key", lambda c: c.create_registered_model("n", tags={"a*b": "1"}), INVALID),
    (
        "create-long-tag-key",
        lambda c: c.create_registered_model("n", tags={"k" * 251: "1"}),
        INVALID,
    ),
    ("get-missing", lambda c: c.get_registered_model("nope"), MISSING),
    ("update-missing", lambda c: c.update_registered_model("nope", "x"), MISSING),
    ("rename-missing", lambda c: c.rename_registered_model("nope", "n"), MISSING),
    ("rename-to-existing", lambda c: c.rename_registered_model("m", "other"), EXISTS),
    ("rename-to-bad-name", lambda c: c.rename_registered_model("m", "x/y"), INVALID),
    ("delete-missing", lambda c: c.delete_registered_model("nope"), MISSING),
    ("set-tag-missing-model", lambda c: c.set_registered_model_tag("nope", "k", "v"), MISSING),
    ("set-tag-path-key", lambda c: c.set_registered_model_tag("m", "../k", "v"), INVALID),
    ("set-tag-long-value", lambda c: c.set_registered_model_tag("m", "k", "v" * 100_001), INVALID),
    ("delete-tag-missing-model", lambda c: c.delete_registered_model_tag("nope", "k"), MISSING),
    ("version-on-missing-model", lambda c: c.create_model_version("nope", "s3://b"), MISSING),
    ("version-bad-tag", lambda c: c.create_model_version("m", "s3://b", tags={"a*": "1"}), INVALID),
    ("version-missing-source", lambda c: c.create_model_version("m", "models:/nope/1"), MISSING),
    ("version-bad-models-uri", lambda c: c.create_model_version("m", "models:/a/b/c"), INVALID),
    ("get-missing-version", lambda c: c.get_model_version("m", 9), MISSING),
    ("get-non-integer-version", lambda c: c.get_model_version("m", "abc"), INVALID),
    ("update-missing-version", lambda c: c.update_model_version("m", 9, "x"), MISSING),
    ("delete-missing-version", lambda c: c.delete_model_version("m", 9), MISSING),
    ("version-tag-missing", lambda c: c.set_model_version_tag("m", 9, "k", "v"), MISSING),
    ("version-tag-bad-key", lambda c: c.set_model_version_tag("m", 1, "a*", "v"), INVALID),
    ("download-uri-missing", lambda c: c.get_model_version_download_uri("m", 9), MISSING),
    (
        "transition-unknown-stage",
        lambda c: c.transition_model_version_stage("m", 1, "Bogus"),
        INVALID,
    ),
    (
        "archive-into-archived",
        lambda c: c.transition_model_version_stage("m", 1, "Archived", True),
        INVALID,
    ),
    ("transition-missing", lambda c: c.transition_model_version_stage("m", 9, "Staging"), MISSING),
    ("latest-unknown-stage", lambda c: c.get_latest_versions("m", ["Bogus"]), INVALID),
    ("latest-missing-model", lambda c: c.get_latest_versions("nope"), MISSING),
    ("alias-latest", lambda c: c.set_registered_model_alias("m", "latest", 1), INVALID),
    ("alias-LaTeSt", lambda c: c.set_registered_model_alias("m", "LaTeSt", 1), INVALID),
    ("alias-v1", lambda c: c.set_registered_model_alias("m", "v1", 1), INVALID),
    ("alias-V12", lambda c: c.set_registered_model_alias("m", "V12", 1), INVALID),
    ("alias-space", lambda c: c.set_registered_model_alias("m", "a b", 1), INVALID),
    ("alias-too-long", lambda c: c.set_registered_model_alias("m", "a" * 256, 1), INVALID),
    ("alias-missing-version", lambda c: c.set_registered_model_alias("m", "b", 9), MISSING),
    ("alias-missing-model", lambda c: c.set_registered_model_alias("nope", "b", 1), MISSING),
    ("get-missing-alias", lambda c: c.get_model_version_by_alias("m", "nope"), INVALID),
    ("delete-alias-missing-model", lambda c: c.delete_registered_model_alias("nope", "a"), MISSING),
    ("latest-of-empty-model", lambda c: c.get_model_version_by_alias("other", "latest"), MISSING),
    ("rm-unquoted-value", lambda c: c.search_registered_models("name = foo"), INVALID),
    ("rm-or", lambda c: c.search_registered_models("name = 'a' OR name = 'b'"), INVALID),
    ("rm-unknown-attribute", lambda c: c.search_registered_models("description = 'd'"), INVALID),
    ("rm-is-null", lambda c: c.search_registered_models("tags.k IS NULL"), INVALID),
    ("rm-bad-comparator", lambda c: c.search_registered_models("name > 'a'"), INVALID),
    ("rm-tag-in", lambda c: c.search_registered_models("tags.k IN ('v')"), INVALID),
    ("rm-max-results-0", lambda c: c.search_registered_models(max_results=0), INVALID),
    ("rm-max-results-1001", lambda c: c.search_registered_models(max_results=1001), INVALID),
    ("rm-bad-token", lambda c: c.search_registered_models(page_token="garbage"), INVALID),
    ("rm-bad-order", lambda c: c.search_registered_models(order_by=["bogus"]), INVALID),
    ("rm-tag-order", lambda c: c.search_registered_models(order_by=["tags.k"]), INVALID),
    (
        "rm-duplicate-order",
        lambda c: c.search_registered_models(order_by=["timestamp", "last_updated_timestamp"]),
        INVALID,
    ),
    ("mv-float-version", lambda c: c.search_model_versions("version_number = 1.5"), INVALID),
    ("mv-like-version", lambda c: c.search_model_versions("version_number LIKE '1'"), INVALID),
    ("mv-source-in", lambda c: c.search_model_versions("source_path IN ('a')"), INVALID),
    ("mv-stage-filter", lambda c: c.search_model_versions("current_stage = 'None'"), INVALID),
    ("mv-max-results-0", lambda c: c.search_model_versions(max_results=0), INVALID),
    ("mv-max-results-big", lambda c: c.search_model_versions(max_results=200_001), INVALID),
    ("mv-bad-token", lambda c: c.search_model_versions(page_token="e30="), INVALID),
    ("mv-bad-order", lambda c: c.search_model_versions(order_by=["run_id"]), INVALID),
]


@pytest.mark.parametrize(("call", "code"), [case[1:] for case in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_and_changes_nothing(client: MlflowClient, call: Call, code) -> None:
    before = snapshot(client)
    with pytest.raises(MlflowException) as raised:
        call(client)
    assert raised.value.error_code == code
    assert snapshot(client) == before


def test_rename_to_empty_name_is_refused_by_the_store(uri: str, client: MlflowClient) -> None:
    # MlflowClient refuses an empty new name itself (INTERNAL_ERROR) before reaching the store.
    before = snapshot(client)
    with pytest.raises(MlflowException) as raised:
        get_instance(uri).registry_store.rename_registered_model("m", "")
    assert raised.value.error_code == INVALID
    assert snapshot(client) == before


def test_refused_versions_do_not_use_up_numbers(client: MlflowClient) -> None:
    with pytest.raises(MlflowException):
        client.create_model_version("m", "s3://b", tags={"a*": "1"})
    assert client.create_model_version("m", "s3://b/3").version == 3


def test_token_of_another_order_is_refused(client: MlflowClient) -> None:
    token = client.search_registered_models(max_results=1).token
    with pytest.raises(MlflowException) as raised:
        client.search_registered_models(order_by=["timestamp"], page_token=token)
    assert raised.value.error_code == INVALID


def test_deleting_what_is_not_there_is_a_no_op(client: MlflowClient) -> None:
    before = snapshot(client)
    client.delete_registered_model_alias("m", "nope")
    client.delete_registered_model_tag("m", "nope")
    client.delete_model_version_tag("m", 1, "nope")
    assert snapshot(client) == before
