"""Extended feature ``wire.get-latest-versions``: ``registered-models/get-latest-versions`` by
POST (a JSON body) and by GET (query parameters, ``stages`` repeated), answering alike (HTTP
targets only).

MLflow's client sends POST and falls back to GET only when POST is not found, so a registry
whose GET form is missing or wrong looks right through it; other clients use either. The model
has version 1 in Staging, 2 in Production and 3 in no stage: the latest of Staging and
Production are 1 and 2, and of every stage 1, 2 and 3.
"""

from __future__ import annotations

from typing import Any

from conformance.scenarios.markers import feature
from conformance.scenarios.prerequisites import model_with_versions
from conformance.scenarios.stages import stage_api

ENDPOINT = "registered-models/get-latest-versions"
ASKED = ["Staging", "Production"]


def _staged_model(client: Any, probe: Any, name: str) -> None:
    model_with_versions(client, probe, name, 3)
    for version, stage in (("1", "Staging"), ("2", "Production")):
        with probe.prerequisite("transition_model_version_stage"), stage_api():
            client.transition_model_version_stage(name, version, stage)


def _latest(body: Any) -> list[tuple[str, str]]:
    versions = body.get("model_versions", []) if isinstance(body, dict) else body
    return sorted((str(v.get("version")), str(v.get("current_stage"))) for v in versions)


EXPECTED_ASKED = [("1", "Staging"), ("2", "Production")]
EXPECTED_ALL = [("1", "Staging"), ("2", "Production"), ("3", "None")]


@feature("wire.get-latest-versions")
def test_post_form(client, rest, names, probe):
    # given a model with a version in Staging, one in Production and one in no stage
    name = names("wire-latest-post")
    _staged_model(client, probe, name)

    # when the latest versions are asked by POST, of two stages and of every stage
    with probe.feature(f"POST {ENDPOINT}"):
        asked = _latest(rest.ok("POST", ENDPOINT, json_body={"name": name, "stages": ASKED}))
        every = _latest(rest.ok("POST", ENDPOINT, json_body={"name": name}))

    # then each answer holds the highest version of each stage asked for, only those
    assert asked == EXPECTED_ASKED, f"POST with stages {ASKED} answered {asked}"
    assert every == EXPECTED_ALL, f"POST without stages answered {every}"


@feature("wire.get-latest-versions")
def test_get_form(client, rest, names, probe):
    # given a model with a version in Staging, one in Production and one in no stage
    name = names("wire-latest-get")
    _staged_model(client, probe, name)

    # when the latest versions are asked by GET, of two stages (stages=..&stages=..) and of all
    with probe.feature(f"GET {ENDPOINT}"):
        asked = _latest(rest.ok("GET", ENDPOINT, params={"name": name, "stages": ASKED}))
        every = _latest(rest.ok("GET", ENDPOINT, params={"name": name}))

    # then each answer holds the highest version of each stage asked for, only those
    assert asked == EXPECTED_ASKED, f"GET with stages={'&stages='.join(ASKED)} answered {asked}"
    assert every == EXPECTED_ALL, f"GET without stages answered {every}"
