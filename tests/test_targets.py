"""Targets resolve from options and MLflow's environment; credentials never show."""

import pytest

from conformance.masking import mask_text, mask_uri
from conformance.targets import (
    EMBEDDED_FOREIGN_TRACKING_URI,
    EMBEDDED_REGISTRY_URI,
    TargetError,
    resolve_targets,
    target_id,
)


@pytest.fixture(autouse=True)
def _no_mlflow_env(monkeypatch):
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


@pytest.mark.parametrize(
    ("uri", "masked"),
    [
        ("https://alice:s3cret@reg.example/api", "https://alice:***@reg.example/api"),
        ("https://tok@reg.example", "https://***@reg.example"),
        ("postgresql://u:pw@db:5432/m", "postgresql://u:***@db:5432/m"),
        ("http://h/x?token=abc&a=1", "http://h/x?token=***&a=1"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ],
)
def test_mask_uri(uri, masked):
    assert mask_uri(uri) == masked


def test_default_is_the_embedded_reference_with_a_foreign_instance():
    (target,) = resolve_targets([], [], None)
    assert target.embedded
    assert target.registry_uri == target.tracking_uri == EMBEDDED_REGISTRY_URI
    assert target.foreign_tracking_uri not in (None, EMBEDDED_REGISTRY_URI)


def test_reference_instances_get_a_foreign_instance_others_need_the_option():
    memory, sqlite = resolve_targets(["memory://x?emulate=azureml", "sqlite:///a.db"], [], None)
    assert memory.foreign_tracking_uri == EMBEDDED_FOREIGN_TRACKING_URI
    assert sqlite.foreign_tracking_uri is None
    given = resolve_targets(["memory://x"], [], "http://foreign:5000")
    assert given[0].foreign_tracking_uri == "http://foreign:5000"


def test_labels_name_the_columns_and_their_ids():
    first, second = resolve_targets(
        ["http://127.0.0.1:5000", "http://127.0.0.1:5001"],
        [],
        None,
        ["MLflow 3.17 · SQLite", "Ours"],
    )
    assert (first.label, first.id) == ("MLflow 3.17 · SQLite", "mlflow-3-17-sqlite")
    assert (second.label, second.id) == ("Ours", "ours")
    assert first.describe()["label"] == "MLflow 3.17 · SQLite"
    with pytest.raises(TargetError, match="one per target"):
        resolve_targets(["sqlite:///a.db", "sqlite:///b.db"], [], None, ["only one"])
    with pytest.raises(TargetError, match="empty"):
        resolve_targets(["sqlite:///a.db"], [], None, [" "])


def test_mlflow_environment_is_honoured(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://tracking:5000")
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", "http://registry:5000")
    (target,) = resolve_targets([], [], None)
    assert (target.registry_uri, target.tracking_uri) == (
        "http://registry:5000",
        "http://tracking:5000",
    )
    assert target.foreign_tracking_uri is None


def test_tracking_uris_pair_with_registries():
    targets = resolve_targets(
        ["sqlite:///a.db", "sqlite:///b.db"], ["http://t1", "http://t2"], None
    )
    assert [t.tracking_uri for t in targets] == ["http://t1", "http://t2"]
    one = resolve_targets(["sqlite:///a.db", "sqlite:///b.db"], [], None)
    assert [t.tracking_uri for t in one] == ["sqlite:///a.db", "sqlite:///b.db"]
    with pytest.raises(TargetError, match="one per target"):
        resolve_targets(["a://", "b://", "c://"], ["x://", "y://"], None)


def test_target_ids_are_unique_and_hide_credentials():
    taken: set[str] = set()
    first = target_id("https://u:pw@h:5000/", taken)
    second = target_id("https://u:other@h:5000/", taken)
    assert first != second
    assert "pw" not in first
    assert "other" not in second


@pytest.mark.parametrize(
    ("text", "secret", "kept"),
    [
        ("GET /api\nAuthorization: Bearer abc.def-123\nAccept: */*", "abc.def-123", "Bearer ***"),
        ("headers={'Authorization': 'Basic dXNlcjpwdw==', 'X': '1'}", "dXNlcjpwdw==", "Basic ***"),
        ("authorization=AWS4 Credential=AKIA/x, Signature=f00", "AKIA", "authorization=***"),
        ("401 for token Bearer eyJhbGciOi.x.y from server", "eyJhbGciOi", "Bearer ***"),
        ("GET https://h/api?a=1&token=xyz&b=2 failed", "xyz", "?a=1&token=***&b=2"),
        ("see http://h/x?X-Amz-Signature=deadbeef#frag", "deadbeef", "X-Amz-Signature=***#"),
        ("fetch https://h/p?api_key=k3y&sig=s1g", "k3y", "api_key=***&sig=***"),
        ("connect https://user:secret@host/db", "secret", "https://user:***@host/db"),
    ],
)
def test_mask_text_hides_credentials_in_free_text(text, secret, kept):
    masked = mask_text(text)
    assert secret not in masked
    assert kept in masked
    assert mask_text(masked) == masked


def test_mask_text_keeps_ordinary_text():
    text = "search_registered_models(order_by=['name ASC']): Authorization header missing, ?page=2"
    assert mask_text(text) == text
