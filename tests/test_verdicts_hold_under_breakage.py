"""Verdicts hold under kinds of breakage, not only hand-picked ones (issue 9, deliverable 7).

Every family of ``tests/broken_families.py`` breaks the operations of every catalogue feature it
applies to, one (family, feature) per target. The shipped scenarios run first against the intact
registry, which records the store operations each feature's scenarios call; then, in two runs
side by side (the families that answer, and the stall, which needs a scenario timeout), against
every broken target, each running its broken feature and the features whose scenarios call none
of the broken operations (``tests/target_scope.py``; the others could only meet the breakage
again).

For each (family, feature): the feature's verdict is the family's (wrong answers
``non-conformant``; a denied right or a stall ``inconclusive``; the clean refusal of the
``not-implemented`` family, the control, ``unsupported``), so never ``supported``; and every
feature clear of the broken operations stays ``supported``.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mlflow.store.model_registry.abstract_store import AbstractStore

from conformance.catalogue import FEATURES
from tests import broken_families as faulty
from tests import target_scope

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[1]
FOREIGN_URI = "memory://breakage-foreign"
#: The stall run's scenario time limit (--scenario-timeout), far below ``faulty.STALL_S``.
SCENARIO_TIMEOUT_S = 4
RUN_LIMIT_S = 900
ANSWERING = [name for name in faulty.FAMILIES if name != "stall"]
ANSWERING_CASES = faulty.cases(ANSWERING)
STALL_CASES = faulty.cases(["stall"])
#: The store's operations are broken in-process, where the wire rows are not tested (not an HTTP
#: target: ``tests/test_wire_verdicts.py`` breaks the wire itself).
IN_PROCESS = [feature for feature in FEATURES if not feature.http_only]


def _case_id(family: str, feature_id: str) -> str:
    return f"{family}--{feature_id}"


EVERY_PAIR = [
    pytest.param(family, feature.id, id=_case_id(family, feature.id))
    for family in faulty.FAMILIES
    for feature in IN_PROCESS
]


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str
    document: dict[str, Any]

    def target_id(self, registry_uri: str) -> str:
        return next(t["id"] for t in self.document["targets"] if t["registry_uri"] == registry_uri)

    def verdicts(self, registry_uri: str) -> dict[str, dict[str, str]]:
        target = self.target_id(registry_uri)
        return {v["feature"]: v for v in self.document["verdicts"] if v["target"] == target}

    def scenarios(self, registry_uri: str, feature_id: str | None = None) -> list[dict[str, Any]]:
        """The target's scenarios (of one feature, when given)."""
        target = self.target_id(registry_uri)
        return [
            s
            for s in self.document["scenarios"]
            if s["target"] == target and feature_id in (None, *s["features"])
        ]


@dataclass(frozen=True)
class Proof:
    intact: Run
    answering: Run
    stall: Run
    #: feature id -> the store operations its scenarios called on the intact target
    uses: dict[str, set[str]]

    def run_of(self, family: str) -> Run:
        return self.stall if family == "stall" else self.answering


def clear_of(family: str, feature_id: str, uses: dict[str, set[str]]) -> list[str]:
    """The other features whose scenarios call none of the operations the family breaks."""
    broken = faulty.FAMILIES[family].breaks(feature_id)
    return [f.id for f in IN_PROCESS if f.id != feature_id and not uses[f.id] & broken]


def _start(folder: Path, uris: list[str], *options: str, scope: dict | None = None):
    folder.mkdir()
    (folder / "state").mkdir()
    command = [
        sys.executable,
        "-m",
        "conformance.cli",
        "run",
        "-p",
        "tests.target_scope",
        *(f"--registry-uri={uri}" for uri in uris),
        f"--foreign-tracking-uri={FOREIGN_URI}",
        f"--results-json={folder / 'results.json'}",
        # tracebacks of a thousand broken scenarios cost minutes; the reasons are in the document
        "--tb=no",
        *options,
    ]
    # This session's own pytest variables (xdist worker names, ...) are not the run's business.
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env[faulty.STATE_DIR_VARIABLE] = str(folder / "state")
    if scope is not None:
        (folder / "scope.json").write_text(json.dumps(scope))
        env[target_scope.SCOPE_FILE_VARIABLE] = str(folder / "scope.json")
    with (folder / "output.txt").open("w") as output:
        return subprocess.Popen(command, cwd=folder, env=env, stdout=output, stderr=output)


def _finish(folder: Path, process: subprocess.Popen) -> Run:
    try:
        returncode = process.wait(timeout=RUN_LIMIT_S)
    finally:
        process.kill()
    output = (folder / "output.txt").read_text()
    results = folder / "results.json"
    assert results.is_file(), f"no results document:\n{output[-6000:]}"
    return Run(returncode, output[-6000:], json.loads(results.read_text()))


def _features_uses(run: Run, by_nodeid: dict[str, set[str]]) -> dict[str, set[str]]:
    uses: dict[str, set[str]] = {feature.id: set() for feature in FEATURES}
    for scenario in run.scenarios(faulty.INTACT_URI):
        for feature_id in scenario["features"]:
            uses[feature_id] |= by_nodeid.get(scenario["nodeid"], set())
    return uses


@pytest.fixture(scope="module")
def proof(tmp_path_factory: pytest.TempPathFactory) -> Proof:
    """The intact registry first (which operations each feature calls), then every broken
    target on its feature and the features clear of its breakage, in two runs side by side."""
    root = tmp_path_factory.mktemp("breakage")
    intact = _finish(root / "intact", _start(root / "intact", [faulty.INTACT_URI]))
    uses = _features_uses(intact, faulty.measured_uses(root / "intact" / "state"))
    answering_scope = {
        faulty.uri(*case): [case[1], *clear_of(*case, uses)] for case in ANSWERING_CASES
    }
    stall_scope = {faulty.uri(*case): [case[1]] for case in STALL_CASES}
    started = {
        "answering": _start(
            root / "answering", list(answering_scope), "-n", "2", scope=answering_scope
        ),
        "stall": _start(
            root / "stall",
            list(stall_scope),
            "-n",
            "2",
            f"--scenario-timeout={SCENARIO_TIMEOUT_S}",
            scope=stall_scope,
        ),
    }
    runs = {name: _finish(root / name, process) for name, process in started.items()}
    return Proof(intact, runs["answering"], runs["stall"], uses)


# --- the tables ------------------------------------------------------------------------------


def test_every_catalogue_feature_is_mapped_to_store_operations():
    assert list(faulty.FEATURE_OPERATIONS) == [feature.id for feature in IN_PROCESS]
    for feature_id, operations in faulty.FEATURE_OPERATIONS.items():
        assert operations, feature_id
        assert set(operations) <= set(faulty.OPERATIONS), feature_id
    store_methods = {name for name, _ in inspect.getmembers(AbstractStore, inspect.isfunction)}
    assert set(faulty.OPERATIONS) <= store_methods


def test_every_family_applies_or_says_why_not():
    for family in faulty.FAMILIES.values():
        assert family.verdict in {"non-conformant", "inconclusive", "unsupported"}, family.name
        for feature in IN_PROCESS:
            assert family.applies_to(feature.id) or family.unfit, (family.name, feature.id)


# --- the runs --------------------------------------------------------------------------------


def test_the_runs_measured_every_target(proof):
    assert proof.intact.returncode == 0, proof.intact.output
    for run, cases in ((proof.answering, ANSWERING_CASES), (proof.stall, STALL_CASES)):
        # exit code 1: scenarios failed (broken targets); anything else is a broken run
        assert run.returncode == 1, run.output
        assert run.document["complete"] is True
        measured = [target["registry_uri"] for target in run.document["targets"]]
        assert measured == [faulty.uri(*case) for case in cases]


def test_the_intact_registry_passes_every_scenario(proof):
    wire = {feature.id for feature in FEATURES if feature.http_only}  # skipped: not HTTP
    intact = [s for s in proof.intact.scenarios(faulty.INTACT_URI) if not set(s["features"]) & wire]
    assert intact, "no scenario ran against the intact registry"
    not_passed = {s["nodeid"]: s["reason"] for s in intact if s["outcome"] != "passed"}
    assert not not_passed, not_passed
    verdicts = {f: v["verdict"] for f, v in proof.intact.verdicts(faulty.INTACT_URI).items()}
    assert verdicts == {
        feature.id: "not-tested" if feature.http_only else "supported" for feature in FEATURES
    }


def test_mapped_operations_are_called_by_the_features_scenarios(proof):
    for feature_id, operations in faulty.FEATURE_OPERATIONS.items():
        uncalled = set(operations) - proof.uses[feature_id]
        assert not uncalled, f"{feature_id}'s scenarios never call {sorted(uncalled)}"


@pytest.mark.parametrize(("family", "feature_id"), EVERY_PAIR)
def test_the_broken_feature_gets_the_familys_verdict(proof, family, feature_id):
    assert feature_id in faulty.FEATURE_OPERATIONS, f"{feature_id} has no operations mapped"
    kind = faulty.FAMILIES[family]
    if not kind.applies_to(feature_id):
        pytest.skip(f"{family} does not apply to {feature_id}: {kind.unfit}")
    run = proof.run_of(family)
    registry_uri = faulty.uri(family, feature_id)
    verdict = run.verdicts(registry_uri)[feature_id]
    scenarios = "\n".join(
        f"  {s['outcome']:<11} {s['nodeid'].rpartition('/')[2]}: {s['reason'][:400]}"
        for s in run.scenarios(registry_uri, feature_id)
    )
    assert verdict["verdict"] == kind.verdict, (
        f"{feature_id} broken by {family} ({kind.does}; operations "
        f"{sorted(kind.breaks(feature_id))}) is {verdict['verdict']}, expected {kind.verdict}: "
        f"{verdict['note'][:400]}\n{scenarios}"
    )


@pytest.mark.parametrize(
    ("family", "feature_id"), ANSWERING_CASES, ids=[_case_id(*case) for case in ANSWERING_CASES]
)
def test_features_clear_of_the_breakage_stay_supported(proof, family, feature_id):
    broken = faulty.FAMILIES[family].breaks(feature_id)
    verdicts = proof.answering.verdicts(faulty.uri(family, feature_id))
    wrong = {
        other: f"{verdicts[other]['verdict']}: {verdicts[other]['note'][:300]}"
        for other in clear_of(family, feature_id, proof.uses)
        if verdicts[other]["verdict"] != "supported"
    }
    assert not wrong, (
        f"{family} on {feature_id} (breaks {sorted(broken)}) changed features that call none "
        "of those operations:\n" + "\n".join(f"  {f}: {text}" for f, text in wrong.items())
    )
