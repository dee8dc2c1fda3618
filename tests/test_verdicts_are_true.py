"""Proof that the verdicts are true.

For every feature of the catalogue but the wire rows (which in-process targets do not measure:
``tests/test_wire_verdicts.py`` proves them), a reference backend that breaks only that feature
(once silently wrong, once as a clean refusal; ``tests/broken_backends.py``) must make exactly
that row ``non-conformant`` or ``unsupported`` while every other row stays ``supported`` (the
wire rows ``not-tested``). One run of the
shipped scenarios measures all of them side by side, one column per broken backend, plus an
intact one.

Where one feature cannot be refused without refusing part of another, because the other row
does the very same thing (MLflow's protocol offers no narrower call), the overlap is declared
in ``OVERLAPS`` with its reason; there the other row may only drop to ``partial`` or
``unsupported``, never to ``non-conformant`` or ``inconclusive``.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.catalogue import FEATURES
from tests import broken_backends as broken
from tests import report_documents

CLEAN_URI = "memory://proof-clean"
FOREIGN_URI = "memory://proof-foreign"
#: The in-process targets measure every feature but the wire rows (they are not HTTP targets;
#: ``tests/test_wire_verdicts.py`` proves those behind proxies that break the wire).
FEATURE_IDS = [feature.id for feature in FEATURES if not feature.http_only]
NOT_HTTP = {feature.id: "not-tested" for feature in FEATURES if feature.http_only}
CASES = [(feature_id, mode) for feature_id in FEATURE_IDS for mode in broken.MODES]
BROKEN_URIS = [broken.uri(f, m) for f, m in CASES if broken.sabotage_of(f, m) is not None]
EXPECTED = {"wrong": "non-conformant", "refuse": "unsupported"}

#: (broken feature, mode) -> {another feature that must drop too: why it is unavoidable}
OVERLAPS: dict[tuple[str, str], dict[str, str]] = {
    ("register.mlflow-format", "refuse"): {
        "register.from-run": "a run's model that register_model('runs:/...') registers and "
        "models:/<name>/latest loads is an MLflow-format model",
        "register.from-foreign-run": "the foreign run's model that the consumer loads is an "
        "MLflow-format model",
        "stages": "loading models:/<name>/<Stage> needs registered MLflow-format models "
        "(a prerequisite, refused)",
        "alias.set-get": "loading models:/<name>@<alias> needs registered MLflow-format models "
        "(a prerequisite, refused)",
        # --- versions and URIs ---
        "uri.models": "loading and downloading through models:/ URIs needs registered "
        "MLflow-format models (a prerequisite, refused)",
        "uri.logged-models": "a logged model (MLflow 3) is an MLflow-format model",
        "version.copy": "a copy is checked by loading it as the source version it copies, an "
        "MLflow-format model (registering the source is refused)",
    },
    ("register.from-run", "refuse"): {
        "register.mlflow-format": "two of its ways (register_model('runs:/...') of a run's "
        "MLmodel folder, and create_model_version from that folder with the run id) are "
        "registrations from a run of the same tracking server, request for request",
        "stages": "loading models:/<name>/<Stage> registers models from a run's artifacts "
        "with its run id (a prerequisite, refused)",
        "alias.set-get": "loading models:/<name>@<alias> registers models from a run's "
        "artifacts with its run id (a prerequisite, refused)",
        # --- versions and URIs ---
        "uri.models": "loading through models:/ URIs registers models from a run's artifacts "
        "with its run id (a prerequisite, refused)",
        "version.copy": "its source is a run's model, registered with its run id (refused)",
    },
    ("alias.set-get", "refuse"): {
        "alias.reserved-names": "refusing a reserved name means something only where aliases "
        "can be set (an ordinary alias is set first, refused)",
        "alias.visible": "an alias must be set before it can be seen (a prerequisite, refused)",
        "alias.in-version-search": "an alias must be set before a version search can carry it "
        "(a prerequisite, refused)",
        "alias.lifecycle": "an alias must be set before a deletion or rename can carry or drop "
        "it (a prerequisite, refused)",
    },
    # --- versions and URIs ---
    ("uri.logged-models", "refuse"): {
        "register.mlflow-format": "one of its ways registers an MLflow 3 logged model "
        "(models:/m-<id>), which this refusal refuses",
        "register.from-run": "one of its ways registers the run's logged model (models:/m-<id>, "
        "with its model_id), which this refusal refuses",
    },
    # --- searches ---
    ("search.list", "refuse"): {
        "search.prompt-clause": "MLflow's client lists the registry with its prompt clause as "
        "the only filter: a registry that refuses listings without a filter of the caller's "
        "refuses that listing too",
    },
    # --- webhooks ---
    ("version.tags", "refuse"): {
        "webhooks.delivery": "the registry event a delivery scenario waits for is a version tag "
        "set (model_version_tag.set): where tags are refused, no event is made",
    },
    ("webhooks.crud", "refuse"): {
        "webhooks.delivery": "a webhook must be created before it can deliver anything "
        "(creating it is refused)",
    },
}
OVERLAP_VERDICTS = frozenset({"partial", "unsupported"})


@dataclass(frozen=True)
class Proof:
    completed: subprocess.CompletedProcess[str]
    document: dict[str, Any]

    def target_id(self, registry_uri: str) -> str:
        return next(t["id"] for t in self.document["targets"] if t["registry_uri"] == registry_uri)

    def verdicts(self, registry_uri: str) -> dict[str, dict[str, str]]:
        target = self.target_id(registry_uri)
        return {v["feature"]: v for v in self.document["verdicts"] if v["target"] == target}

    def scenarios(self, registry_uri: str) -> list[dict[str, Any]]:
        target = self.target_id(registry_uri)
        return [s for s in self.document["scenarios"] if s["target"] == target]

    def output(self) -> str:
        return f"{self.completed.stdout[-6000:]}\n{self.completed.stderr[-3000:]}"


@pytest.fixture(scope="module")
def proof(tmp_path_factory: pytest.TempPathFactory) -> Proof:
    """The shipped scenarios against every broken backend and an intact one, in one run."""
    completed, document = report_documents.run_with_document(
        tmp_path_factory.mktemp("proof"),
        "-p",
        "tests.broken_backends",
        *(f"--registry-uri={uri}" for uri in [*BROKEN_URIS, CLEAN_URI]),
        f"--foreign-tracking-uri={FOREIGN_URI}",
        "-n",
        "2",
        "--dist",
        "load",
    )
    return Proof(completed, document)


def test_one_run_measured_every_target(proof):
    # exit code 1: scenarios failed (the wrong backends); anything else is a broken run
    assert proof.completed.returncode == 1, proof.output()
    assert proof.document["complete"] is True
    measured = [target["registry_uri"] for target in proof.document["targets"]]
    assert measured == [*BROKEN_URIS, CLEAN_URI]


def test_the_intact_backend_passes_every_scenario(proof):
    # (the wire rows' scenarios are skipped: not an HTTP target)
    outcomes = {
        s["nodeid"]: s["outcome"]
        for s in proof.scenarios(CLEAN_URI)
        if not set(s["features"]) & NOT_HTTP.keys()
    }
    assert outcomes, "no scenario ran against the intact backend"
    not_passed = {nodeid: outcome for nodeid, outcome in outcomes.items() if outcome != "passed"}
    assert not not_passed, proof.output()
    verdicts = {feature: v["verdict"] for feature, v in proof.verdicts(CLEAN_URI).items()}
    assert verdicts == {**dict.fromkeys(FEATURE_IDS, "supported"), **NOT_HTTP}


@pytest.mark.parametrize(
    ("feature_id", "mode"), CASES, ids=[f"{feature_id}--{mode}" for feature_id, mode in CASES]
)
def test_breaking_one_feature_changes_exactly_its_verdict(proof, feature_id, mode):
    if broken.sabotage_of(feature_id, mode) is None:
        pytest.skip(
            f"no clean refusal of {feature_id} alone: {broken.SABOTAGES[feature_id].impossible}"
        )
    verdicts = proof.verdicts(broken.uri(feature_id, mode))
    overlaps = OVERLAPS.get((feature_id, mode), {})

    wrong = {}
    for other, verdict in verdicts.items():
        if other == feature_id:
            allowed = {EXPECTED[mode]}
        elif other in NOT_HTTP:
            allowed = {NOT_HTTP[other]}
        elif other in overlaps:
            allowed = OVERLAP_VERDICTS
        else:
            allowed = {"supported"}
        if verdict["verdict"] not in allowed:
            wrong[other] = f"{verdict['verdict']} (allowed: {sorted(allowed)}): {verdict['note']}"

    assert not wrong, (
        f"breaking {feature_id} ({mode}: {broken.sabotage_of(feature_id, mode).does}) gave:\n"
        + "\n".join(f"  {feature}: {text[:600]}" for feature, text in wrong.items())
    )


def test_refusals_are_the_broken_backends_own(proof):
    # every scenario of a refused feature names the refusal it met: the sabotage's, not another
    for feature_id, mode in CASES:
        if mode != "refuse" or broken.sabotage_of(feature_id, mode) is None:
            continue
        scenarios = [
            s for s in proof.scenarios(broken.uri(feature_id, mode)) if feature_id in s["features"]
        ]
        assert scenarios
        for scenario in scenarios:
            assert scenario["outcome"] == "unsupported", scenario["nodeid"]
            assert "broken backend:" in scenario["reason"], (scenario["nodeid"], scenario["reason"])


def test_no_sabotage_makes_a_scenario_inconclusive(proof):
    # an error means a prerequisite broke in an unclean way: the sabotage leaked out of its feature
    errors = [
        f"{s['nodeid']}: {s['reason'][:300]}"
        for s in proof.document["scenarios"]
        if s["outcome"] == "error"
    ]
    assert not errors, "\n".join(errors)


def test_every_feature_is_broken_both_ways_or_says_why_not():
    assert list(broken.SABOTAGES) == FEATURE_IDS
    for feature_id, sabotage in broken.SABOTAGES.items():
        assert sabotage.wrong.replacements, feature_id
        assert (sabotage.refuse is None) == bool(sabotage.impossible), feature_id
    for (feature_id, mode), others in OVERLAPS.items():
        assert broken.sabotage_of(feature_id, mode) is not None
        assert mode == "refuse", "a wrong answer must stay within its own feature"
        assert feature_id not in others
        assert set(others) <= set(FEATURE_IDS)
