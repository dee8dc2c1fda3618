"""The wire rows' verdicts are true (slow: every scenario against eight served reference
backends behind proxies, in two runs of ~5 minutes, and the wire scenarios against three more).

Each break of ``tests/wire_proxy.py`` sits between the suite and a real ``reference-backend
serve`` of its own, and is one that MLflow's client does not notice. Against each, the row about
that part of the wire must move to the break's verdict (a wrong answer ``non-conformant``; a
clean refusal of what other scenarios of the row still get ``partial``), and every other row
must keep the verdict it has behind the faithful proxy, where every wire row is ``supported``.
The breaks of :data:`WIRE_MODELS_ONLY` touch only the models the wire scenarios name (``-wire-``),
which no other scenario does: only the wire rows run against them (``tests/target_scope.py``).
The in-process targets (``tests/test_verdicts_are_true.py``) cannot reach these rows: they are
not HTTP targets.
"""

from __future__ import annotations

import json
import os
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from conformance.catalogue import FEATURES
from tests import report_documents, servers
from tests.target_scope import SCOPE_FILE_VARIABLE
from tests.wire_proxy import BREAKS, wire_proxy

pytestmark = pytest.mark.slow

#: break -> (the row it must move, the verdict it must get there)
EXPECTED: dict[str, tuple[str, str]] = {
    "empty-bodies": ("wire.endpoints", "non-conformant"),
    "no-message": ("wire.error-envelope", "non-conformant"),
    "timestamps-as-strings": ("wire.types", "non-conformant"),
    "latest-get-ignores-stages": ("wire.get-latest-versions", "non-conformant"),
    "latest-get-refused": ("wire.get-latest-versions", "partial"),
    "unknown-fields-refused": ("wire.request-tolerance", "partial"),
    "charset-read-as-latin1": ("wire.request-tolerance", "non-conformant"),
    # a bare 404 where the endpoint has just answered is a wrong envelope, not "not offered"
    "missing-as-bare-404": ("wire.error-envelope", "non-conformant"),
    # a refusal that acted anyway is a wrong answer, not "not offered for these parameters"
    "unknown-fields-acted-on": ("wire.request-tolerance", "non-conformant"),
    # only wire.types is about JSON types: the other rows read a version as its text
    "versions-as-integers": ("wire.types", "non-conformant"),
}
#: Three runs, each well inside a run's time limit; the faithful proxy in the first.
RUNS = (
    ("faithful", "empty-bodies", "no-message", "timestamps-as-strings"),
    (
        "latest-get-ignores-stages",
        "latest-get-refused",
        "unknown-fields-refused",
        "charset-read-as-latin1",
    ),
    ("missing-as-bare-404", "unknown-fields-acted-on", "versions-as-integers"),
)
WIRE_ROWS = [feature.id for feature in FEATURES if feature.http_only]
#: Breaks of the wire scenarios' own models only: measured on the wire rows alone.
WIRE_MODELS_ONLY = frozenset(RUNS[2])


def _run(folder: Path, breaks: tuple[str, ...]) -> tuple[dict[str, dict[str, Any]], str]:
    """Every scenario against each break (one served reference backend each): the verdicts by
    break and feature, and the run's output."""
    with ExitStack() as stack:
        proxies = {
            name: stack.enter_context(
                wire_proxy(stack.enter_context(servers.reference_server(f"wire-{name}")), name)
            )
            for name in breaks
        }
        scope = folder / "scope.json"
        scope.write_text(
            json.dumps(
                {url: WIRE_ROWS for name, url in proxies.items() if name in WIRE_MODELS_ONLY}
            )
        )
        with mock.patch.dict(os.environ, {SCOPE_FILE_VARIABLE: str(scope)}):
            completed, document = report_documents.run_with_document(
                folder,
                *(f"--registry-uri={url}" for url in proxies.values()),
                *("-n", "2", "-p", "tests.target_scope"),
            )
    output = completed.stdout[-5000:] + completed.stderr[-2000:]
    # what the wire scenarios create by REST is in the run's ledger, and removed like the rest
    assert document["leftovers"] == [], output
    targets = {t["registry_uri"]: t["id"] for t in document["targets"]}
    verdicts: dict[str, dict[str, Any]] = {name: {} for name in breaks}
    for name, url in proxies.items():
        for verdict in document["verdicts"]:
            if verdict["target"] == targets[url]:
                verdicts[name][verdict["feature"]] = verdict
    return verdicts, output


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for index, breaks in enumerate(RUNS):
        got, output = _run(tmp_path_factory.mktemp(f"wire-run-{index}"), breaks)
        assert all(len(by_feature) == len(FEATURES) for by_feature in got.values()), output
        found.update(got)
    return found


def test_every_break_is_proven():
    assert sorted(name for run in RUNS for name in run) == sorted(
        BREAKS.keys() - {"missing-as-400"}
    )
    assert {row for row, _ in EXPECTED.values()} == set(WIRE_ROWS)


def test_the_faithful_proxy_supports_every_wire_row(verdicts):
    faithful = {row: verdicts["faithful"][row]["verdict"] for row in WIRE_ROWS}
    assert faithful == dict.fromkeys(WIRE_ROWS, "supported")


@pytest.mark.parametrize("break_name", list(EXPECTED))
def test_a_break_moves_exactly_its_row(verdicts, break_name):
    row, expected = EXPECTED[break_name]
    got = verdicts[break_name]
    assert got[row]["verdict"] == expected, f"{BREAKS[break_name].does}: {got[row]}"
    measured = WIRE_ROWS if break_name in WIRE_MODELS_ONLY else list(got)
    moved = {
        feature: f"{got[feature]['verdict']} (faithful: "
        f"{verdicts['faithful'][feature]['verdict']}): {got[feature]['note'][:400]}"
        for feature in measured
        if feature != row and got[feature]["verdict"] != verdicts["faithful"][feature]["verdict"]
    }
    assert not moved, f"{BREAKS[break_name].does} moved other rows: {moved}"
