"""Seed row 9: renaming registered models."""

from __future__ import annotations

import pytest
from mlflow.exceptions import MlflowException

from conformance.markers import feature


@feature("model.rename")
def test_rename_moves_versions_and_frees_old_name(client, names, probe):
    # given a model with a tag and one version
    old, new = names("rename-old"), names("rename-new")
    with probe.prerequisite("create_registered_model"):
        client.create_registered_model(old, tags={"team": "a"}, description="d")
    with probe.prerequisite("create_model_version"):
        client.create_model_version(old, "s3://bucket/model", run_id=None)

    # when it is renamed
    with probe.feature("rename_registered_model", state=lambda: _names_present(client, old, new)):
        client.rename_registered_model(old, new)

    # then only the new name exists, with its tag, description and version
    renamed = client.get_registered_model(new)
    assert renamed.name == new
    assert renamed.tags == {"team": "a"}
    assert renamed.description == "d"
    version = client.get_model_version(new, "1")
    assert version.name == new
    with pytest.raises(MlflowException) as missing:
        client.get_registered_model(old)
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"


def _names_present(client, *model_names):
    present = []
    for name in model_names:
        try:
            client.get_registered_model(name)
            present.append(name)
        except MlflowException:
            pass
    return present
