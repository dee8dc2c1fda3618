"""Core feature ``alias.reserved-names``: the alias names MLflow reserves are refused.

``models:/<name>@latest`` names the latest version and ``v<n>`` reads as a version number; both
of MLflow's own stores refuse them as alias names (INVALID_PARAMETER_VALUE), and MLflow's client
sends them to the registry unchecked, so the registry itself must refuse them. An ordinary alias
set first shows that the registry offers aliases at all; it must be all that is there after.
"""

from __future__ import annotations

import pytest

from conformance.scenarios.error_answers import INVALID, expect_codes
from conformance.scenarios.markers import feature
from conformance.scenarios.prerequisites import model_with_versions
from conformance.scenarios.states import model_state

RESERVED = {"latest": ("latest", "LaTeSt"), "version-number": ("v1", "V12")}


@pytest.mark.parametrize("kind", list(RESERVED))
@feature("alias.reserved-names")
def test_reserved_alias_names_are_refused(client, names, probe, kind):
    # given a model with a version and an ordinary alias on it
    name = names(f"alias-reserved-{kind}")
    model_with_versions(client, probe, name, 1)
    with probe.feature("set_registered_model_alias", state=lambda: model_state(client, name)):
        client.set_registered_model_alias(name, "champion", "1")
    before = model_state(client, name)
    assert before is not None, f"{name!r} is missing after an alias was set on it"
    assert before["aliases"] == {"champion": "1"}, (
        f"{name!r} accepted the alias 'champion' -> v1, but lists aliases {before['aliases']}"
    )

    # when reserved names are set as aliases
    for alias in RESERVED[kind]:
        expect_codes(
            [INVALID],
            f"set_registered_model_alias({name!r}, {alias!r}, 1), a reserved name",
            client.set_registered_model_alias,
            name,
            alias,
            "1",
        )

    # then each is refused, and the model is as it was
    after = model_state(client, name)
    assert after == before, f"refusing reserved aliases changed {name!r}: {before} -> {after}"
