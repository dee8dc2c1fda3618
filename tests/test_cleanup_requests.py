"""The cleanup removes a model with one request where the registry deletes containers, and only
where it refuses that falls back to aliases, then versions, then the model
(``conformance.run.ledger.remove_model``, which the scenarios' teardown, the end-of-run cleanup
and ``sweep`` share). Wall time: a reference server's start (~3 s) and a few calls."""

from __future__ import annotations

from typing import Any

import pytest
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient
from requests.adapters import HTTPAdapter

from conformance.run.ledger import remove_model
from tests import servers

pytestmark = pytest.mark.slow


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The requests MLflow's client sends, counted at ``requests``' transport adapter."""
    requests: list[str] = []
    send = HTTPAdapter.send

    def counting(self: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
        requests.append(f"{request.method} {request.path_url.split('?')[0]}")
        return send(self, request, *args, **kwargs)

    monkeypatch.setattr(HTTPAdapter, "send", counting)
    return requests


def _model_with_versions_and_alias(client: MlflowClient, name: str) -> None:
    client.create_registered_model(name, tags={"k": "v"})
    for number in (1, 2):
        client.create_model_version(name, f"s3://rc-bucket/{name}/{number}")
    client.set_registered_model_alias(name, "champion", "2")


def _missing(call: Any, *args: Any) -> bool:
    try:
        call(*args)
    except MlflowException as exc:
        return exc.error_code == "RESOURCE_DOES_NOT_EXIST"
    return False


def test_a_model_goes_with_one_request_and_takes_its_versions(sent: list[str]):
    with servers.reference_server("cleanup-requests") as url:
        client = MlflowClient(tracking_uri=url, registry_uri=url)
        _model_with_versions_and_alias(client, "rc-gone")
        sent.clear()

        reason = remove_model(client, "rc-gone")
        removal = list(sent)
        never_created = remove_model(client, "rc-never-created")

        assert reason is None
        assert removal == ["DELETE /api/2.0/mlflow/registered-models/delete"]
        assert never_created is None
        assert len(sent) == 2  # the name that names nothing: one answer, RESOURCE_DOES_NOT_EXIST
        assert _missing(client.get_registered_model, "rc-gone")
        assert _missing(client.get_model_version, "rc-gone", "1")
        assert _missing(client.get_model_version_by_alias, "rc-gone", "champion")


def test_where_container_delete_is_refused_aliases_and_versions_go():
    uri = "memory://rc-cleanup-refused?emulate=azureml"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    _model_with_versions_and_alias(client, "rc-kept")

    reason = remove_model(client, "rc-kept")

    assert reason is not None
    assert "container" in reason
    left = client.get_registered_model("rc-kept")
    assert not left.aliases
    assert client.search_model_versions("name = 'rc-kept'") == []
