"""Support levels and seed rows (issue 13, "Support levels"): the run selects by them (serially,
under ``-n 2``, as ``registry-conformance run`` and as plain pytest), the results document carries
each feature's level and the selection, the report shows and limits by level keeping the seed's
numbering, the gate covers levels and says whether a target conforms to core, ``features``
lists and filters, and documents written before levels still merge, compare and render.

The runs are real, against the embedded reference backend and its Azure ML emulation; together
they take about 150 s on two busy cores (slow).
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance import results
from conformance.catalogue import FEATURES, FEATURES_BY_ID, LEVELS, applies
from conformance.gate import expectations
from conformance.report import html as report_html
from conformance.report import markdown as report_markdown
from conformance.report import terminal as matrix_text
from conformance.results import compare, levels, merge
from tests import report_documents

REPO_ROOT = Path(__file__).resolve().parents[1]
CORE = [f for f in FEATURES if f.level == "core"]
EXTENDED = [f for f in FEATURES if f.level == "extended"]
#: Features Azure ML refuses (the seed's column, emulated): rename and container delete (core),
#: LIKE/ILIKE and tag search (core), non-MLflow format and foreign runs (extended).
AZUREML_REFUSED_CORE = {"model.rename", "model.delete", "search.like-ilike", "search.by-tag"}


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = report_documents.suite_environment()
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
        env=env,
        timeout=600,
    )


def _without_levels(document: dict[str, Any]) -> dict[str, Any]:
    """The document as a suite that predates levels wrote it: no level, no selection."""
    old = copy.deepcopy(document)
    for feature in old["features"]:
        feature.pop("level", None)
    old.pop("selection", None)
    return old


def _nodeids(document: dict[str, Any]) -> set[str]:
    """Scenario node ids without their target parameter (targets' ids differ between runs)."""
    return {re.sub(r"\[[^\]]*\]$", "", s["nodeid"]) for s in document["scenarios"]}


# --- parsing: one-line messages for bad values -------------------------------------------------


def test_levels_and_seed_rows_parse_lists_and_ranges():
    assert levels.parse_levels("core") == ("core",)
    assert levels.parse_levels("extended, core,core") == ("extended", "core")
    assert levels.parse_seed_rows("1-5,12") == (1, 2, 3, 4, 5, 12)
    assert levels.parse_seed_rows("all") == levels.SEED_ROWS
    assert tuple(f.seed_row for f in FEATURES if f.seed_row) == levels.SEED_ROWS
    assert levels.ranges([1, 2, 3, 5, 7, 8]) == "1-3,5,7-8"
    chosen = levels.Selection.of(["extended", "core"], [12, 1, 2, 3])
    assert chosen.describe() == "--level core,extended --seed-rows 1-3,12"
    assert levels.Selection.of(seed_rows=levels.SEED_ROWS).describe() == "--seed-rows"
    assert not levels.Selection.of()
    assert levels.Selection.from_json(chosen.as_json()) == chosen


@pytest.mark.parametrize(
    ("parse", "text", "message"),
    [
        (levels.parse_levels, "gold", "'gold' is no support level (core or extended;"),
        (levels.parse_levels, "core,", "'' is no support level"),
        (levels.parse_seed_rows, "0", "'0' is outside the seed's rows 1-15"),
        (levels.parse_seed_rows, "1-5,16", "'16' is outside the seed's rows 1-15"),
        (levels.parse_seed_rows, "5-3", "'5-3' is an empty range"),
        (levels.parse_seed_rows, "one", "'one' is no seed row or range (e.g. 1-5,12;"),
    ],
)
def test_bad_values_say_which_part_is_wrong(parse, text, message):
    with pytest.raises(levels.SelectionError) as raised:
        parse(text)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--level", "gold"],
        ["run", "--level", "core", "--level", "core,platinum"],
        ["run", "--seed-rows", "0-3"],
        ["run", "--seed-rows", "3,x"],
    ],
)
def test_a_bad_value_is_a_one_line_usage_error_before_anything_runs(args, tmp_path):
    done = _cli(*args, "--results-json", str(tmp_path / "r.json"), cwd=tmp_path)
    assert done.returncode == 4  # pytest's usage error
    errors = [line for line in done.stderr.splitlines() if "error: argument --" in line]
    assert len(errors) == 1, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert not (tmp_path / "r.json").exists()


@pytest.mark.parametrize(
    "args", [["features", "--level", "gold"], ["features", "--seed-rows", "99"]]
)
def test_a_bad_value_of_a_reading_command_is_a_usage_error(args):
    done = _cli(*args)
    assert done.returncode == 2  # argparse's
    assert len([line for line in done.stderr.splitlines() if "error:" in line]) == 1
    assert "Traceback" not in done.stderr


# --- features -----------------------------------------------------------------------------------


def test_features_lists_the_level_and_filters_by_level_and_seed_row():
    listing = _cli("features")
    assert listing.returncode == 0
    lines = listing.stdout.splitlines()
    for feature, line in zip(FEATURES, lines, strict=True):
        assert re.search(
            rf"\s{re.escape(feature.id)}\s+{feature.level}\s+-m {feature.marker}\s", line
        )
    core = _cli("features", "--level", "core").stdout.splitlines()
    assert [line[4:].split()[0] for line in core] == [f.id for f in CORE]
    rows = _cli("features", "--seed-rows", "1-3,12", "--level", "extended").stdout.splitlines()
    expected = [f for f in FEATURES if f.seed_row in (1, 2, 3, 12) and f.level == "extended"]
    assert [(int(line[:2]), line[4:].split()[0]) for line in rows] == [
        (f.seed_row, f.id) for f in expected
    ]
    plugin = _cli("run", "--list-features", "--level", "core")  # the plugin's listing too
    assert plugin.stdout.splitlines() == core


# --- runs: selection, document, report ---------------------------------------------------------


@pytest.fixture(scope="module")
def full(tmp_path_factory) -> dict[str, Any]:
    """Every scenario against the embedded reference backend."""
    return report_documents.embedded(tmp_path_factory)


@pytest.fixture(scope="module")
def core_rows(tmp_path_factory) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """``registry-conformance run --level core --seed-rows 1-5,12``, serially."""
    return report_documents.run_with_document(
        tmp_path_factory.mktemp("core-rows"), "--level", "core", "--seed-rows", "1-5,12"
    )


@pytest.mark.slow
def test_the_document_carries_every_features_level(full):
    results.validate(full)
    assert [(f["id"], f["seed_row"], f["level"]) for f in full["features"]] == [
        (f.id, f.seed_row, f.level) for f in FEATURES
    ]
    assert "selection" not in full  # nothing left out
    assert {f["level"] for f in full["features"]} == set(LEVELS)


@pytest.mark.slow
def test_a_run_selects_by_level_and_seed_row_and_deselects_the_rest(core_rows, full):
    done, document = core_rows
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    selected = {f.id for f in FEATURES if f.level == "core" and f.seed_row in (1, 2, 3, 4, 5, 12)}
    assert selected == {"register.mlflow-format", "register.from-run", "search.list"}
    # pytest says what it deselected: every scenario of the other features.
    others = [s for s in full["scenarios"] if not selected & set(s["features"])]
    assert re.search(rf"\b{len(others)} deselected\b", done.stdout), done.stdout[-500:]
    assert _nodeids(document) == {
        nodeid for nodeid in _nodeids(full) if nodeid not in _nodeids({"scenarios": others})
    }
    assert document["selection"] == {"levels": ["core"], "seed_rows": [1, 2, 3, 4, 5, 12]}
    for verdict in document["verdicts"]:
        if verdict["feature"] in selected:
            assert verdict["verdict"] == "supported", verdict
        else:
            assert verdict["verdict"] == "not-tested", verdict
            assert verdict["note"] == "not selected (--level core --seed-rows 1-5,12)"
    # Not judged on core: the run left core features out.
    assert "not judged on core (the run selected --level core --seed-rows 1-5,12)" in done.stdout


@pytest.mark.slow
def test_plain_pytest_under_xdist_selects_the_same_scenarios(tmp_path, full):
    """``pytest --registry-uri ... -n 2 --level extended --seed-rows`` (no test path)."""
    path = tmp_path / "results.json"
    env = report_documents.suite_environment()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-p",
            "no:warnings",
            "--registry-uri",
            "memory://levels-xdist",
            "-n",
            "2",
            "--level",
            "extended",
            "--results-json",
            str(path),
            "--seed-rows",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    document = json.loads(path.read_text())
    selected = {f.id for f in EXTENDED if f.seed_row}
    assert document["selection"] == {"levels": ["extended"], "seed_rows": list(levels.SEED_ROWS)}
    expected = {
        re.sub(r"\[[^\]]*\]$", "", s["nodeid"])
        for s in full["scenarios"]
        if selected & set(s["features"])
    }
    assert _nodeids(document) == expected
    assert {v["feature"] for v in document["verdicts"] if v["verdict"] == "supported"} == selected
    # The controller counts what its workers deselected, as a serial run's last line does.
    deselected = len(full["scenarios"]) - len(document["scenarios"])
    assert re.search(rf"\b{deselected} deselected\b", done.stdout.splitlines()[-1]), done.stdout


@pytest.mark.slow
def test_the_report_shows_levels_and_limits_rows_keeping_seed_numbers(full, tmp_path):
    path = tmp_path / "full.json"
    path.write_text(json.dumps(full), encoding="utf-8")
    html, md = tmp_path / "core.html", tmp_path / "core.md"
    done = _cli(
        "report", str(path), "--level", "core", "--seed-rows", "--html", str(html), "--md", str(md)
    )
    assert done.returncode == 0, done.stderr
    shown = [f for f in CORE if f.seed_row]
    # Terminal: "#", feature, level; the seed's numbers, not 1..n.
    lines = done.stdout.splitlines()
    assert lines[0] == "rows limited to --level core --seed-rows"
    assert lines[1].split()[:4] == ["#", "feature", "level", full["targets"][0]["id"]]
    rows = lines[3 : 3 + len(shown)]
    assert [row.split()[:3] for row in rows] == [[str(f.seed_row), f.id, "core"] for f in shown]
    # Markdown: a Level column, the seed's numbers.
    table = [line for line in md.read_text().splitlines() if line.startswith("| ")][2:]
    cells = [[cell.strip() for cell in line.strip("|").split("|")] for line in table]
    assert [(c[0], c[1], c[2]) for c in cells] == [
        (str(f.seed_row), f.title, "Core") for f in shown
    ]
    # HTML: each row says its level.
    page = html.read_text()
    found = re.findall(
        r'<tr data-feature="([^"]+)" data-level="([^"]+)">\n<td class="num">(\d*)<', page
    )
    assert found == [(f.id, "core", str(f.seed_row)) for f in shown]
    assert re.findall(r'class="level level-core"[^>]*>Core<', page).__len__() == len(shown)
    assert "Rows limited to <code>--level core --seed-rows</code>" in page


@pytest.mark.slow
def test_conformance_to_core_is_judged_on_every_core_feature(full, tmp_path):
    """The reference backend conforms (core features without a scenario yet leave it not
    judged; the wire rows do not apply to it: not an HTTP target); the Azure ML emulation does
    not: it refuses core features."""
    [embedded] = levels.conformance(full)
    uri = full["targets"][0]["registry_uri"]
    core = {f["id"] for f in full["features"] if f["level"] == "core" and applies(f["id"], uri)}
    assert core < {f["id"] for f in full["features"] if f["level"] == "core"}
    verdicts = [v["verdict"] for v in full["verdicts"] if v["feature"] in core]
    assert embedded.total == len(core) == len(verdicts)
    assert embedded.supported == verdicts.count("supported")
    assert set(verdicts) <= {"supported", "not-tested"}, embedded.line()  # the reference
    assert embedded.conforms is (None if "not-tested" in verdicts else True)
    done, azureml = report_documents.run_with_document(
        tmp_path, "--registry-uri", "memory://levels-az?emulate=azureml", "--level", "core"
    )
    assert done.returncode in (0, 1), done.stdout[-2000:]
    [target] = levels.conformance(azureml)
    assert target.conforms is False
    refused = {feature for feature, verdict in target.short if verdict == "unsupported"}
    assert refused == AZUREML_REFUSED_CORE
    wire = sum(f.http_only for f in CORE)  # not an HTTP target: the wire rows do not apply
    assert target.total == len(CORE) - wire
    line = f"{target.target} does NOT conform to core ({target.supported} of {target.total} core"
    assert line in done.stdout
    markdown = report_markdown.render(azureml)
    assert "does NOT conform to core" in markdown
    page = report_html.render(azureml)
    assert 'data-conforms="no"' in page


# --- the gate ----------------------------------------------------------------------------------


def _expectations_file(folder: Path, text: str) -> Path:
    path = folder / "core.toml"
    path.write_text('schema = "registry-conformance/expectations/v1"\n' + text, encoding="utf-8")
    return path


def test_an_expectations_file_may_cover_levels_and_claims_only_in_them(tmp_path):
    path = _expectations_file(
        tmp_path, 'levels = ["core"]\n\n[features."stages"]\nclaim = "unsupported"\n'
    )
    with pytest.raises(expectations.ExpectationsError) as raised:
        expectations.load(str(path))
    message = f"{path}:4: features.stages: level extended, outside this file's levels (core)"
    assert message in str(raised.value)
    bad = _expectations_file(tmp_path, 'levels = ["gold"]\n')
    with pytest.raises(expectations.ExpectationsError, match=r"levels\.0: 'gold' is not one of"):
        expectations.load(str(bad))
    good = _expectations_file(tmp_path, 'levels = ["core"]\n')
    assert expectations.load(str(good)).levels == ("core",)


@pytest.mark.slow
def test_the_gate_judges_only_core_and_says_who_conforms(tmp_path):
    """A file that covers core, strict, against the Azure ML emulation: exactly its refused core
    features are regressions; extended ones are not gated, not even as unverified."""
    path = _expectations_file(tmp_path, 'default = "supported"\nlevels = ["core"]\n')
    done, document = report_documents.run_with_document(
        tmp_path,
        "--registry-uri",
        "memory://levels-gate?emulate=azureml",
        "--expect",
        str(path),
        "--strict",
    )
    assert done.returncode == 1, done.stdout[-2000:]
    gate = document["gate"]
    assert gate["expectations"]["levels"] == ["core"]
    assert {c["feature"] for c in gate["checks"]} == {f.id for f in CORE}
    regressions = {c["feature"] for c in gate["checks"] if c["status"] == "regression"}
    assert regressions == AZUREML_REFUSED_CORE
    [conformance] = gate["conformance"]
    assert conformance["conforms"] is False
    assert {item["feature"] for item in conformance["not_supported"]} >= AZUREML_REFUSED_CORE
    assert (
        f"{len(EXTENDED)} features not gated: extended, outside the levels of {path}" in done.stdout
    )


@pytest.mark.slow
def test_a_run_limited_to_core_gates_only_core_even_when_strict(core_rows, tmp_path):
    """The core run of seed rows 1-5,12 against a file of every level: what was not selected is
    no unverified claim."""
    path = _expectations_file(tmp_path, 'default = "supported"\n')
    done, document = report_documents.run_with_document(
        tmp_path, "--level", "core", "--seed-rows", "1-5,12", "--expect", str(path), "--strict"
    )
    assert done.returncode == 0, done.stdout[-2000:]
    gate = document["gate"]
    assert {c["status"] for c in gate["checks"]} == {"holds"}
    assert {c["feature"] for c in gate["checks"]} == {
        "register.mlflow-format",
        "register.from-run",
        "search.list",
    }
    assert gate["conformance"][0]["conforms"] is None  # not every core feature was selected


def test_expectations_from_a_core_run_cover_core_only(core_rows, tmp_path):
    _, document = core_rows
    path, out = tmp_path / "core-run.json", tmp_path / "expectations.toml"
    path.write_text(json.dumps(document), encoding="utf-8")
    done = _cli("expectations", "from-results", str(path), "-o", str(out))
    assert done.returncode == 0, done.stderr
    written = expectations.load(str(out))
    assert written.levels == ("core",)
    assert {FEATURES_BY_ID[feature].level for feature in written.features} <= {"core"}
    # Core features the run left out (seed rows outside 1-5,12) are ignored, not claimed.
    assert written.claim_for("model.rename").claim == "ignored"
    assert written.claim_for("search.list").claim == "supported"


# --- documents written before levels ----------------------------------------------------------


@pytest.mark.slow
def test_old_documents_still_merge_compare_and_render(full, tmp_path):
    old = _without_levels(full)
    results.validate(old)
    # Rendered as before: no level column, no conformance line.
    assert matrix_text.render(old)[0].split()[:3] == ["#", "feature", full["targets"][0]["id"]]
    assert "Level" not in report_markdown.render(old).split("\n", 4)[2]
    page = report_html.render(old)
    assert "data-level" not in page
    assert "Conforms to core" not in page
    # Merged with a new one, the features get the level the new one records.
    merged = merge.merge([old, full], ["old.json", "new.json"])
    assert [f.get("level") for f in merged["features"]] == [f.level for f in FEATURES]
    # Compared either way: the levels of the changes come from whichever records them.
    worse = copy.deepcopy(full)
    for verdict in worse["verdicts"]:
        if verdict["feature"] == "model.rename":
            verdict["verdict"], verdict["note"] = "unsupported", "refused"
    comparison = compare.compare(old, worse)
    assert [(c.feature, c.level) for c in comparison.regressions] == [("model.rename", "core")]
    assert compare.format_comparison(comparison)[0] == "regressions: 1 (1 core)"
    # The console command: --seed-rows works on it, --level says why it cannot.
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old), encoding="utf-8")
    rows = _cli("report", str(path), "--seed-rows", "9")
    assert rows.returncode == 0, rows.stderr
    assert rows.stdout.splitlines()[3].split()[:2] == ["9", "model.rename"]
    by_level = _cli("report", str(path), "--level", "core")
    assert by_level.returncode == 2
    assert by_level.stderr.strip() == (
        f"registry-conformance: error: {path}: no support level recorded (written before "
        "features carried one); --level needs documents of a newer run (--seed-rows works on any)"
    )


def test_documents_that_disagree_on_a_level_do_not_merge(tmp_path):
    document = results.build_document([], [], results.now_iso(), complete=True)
    other = copy.deepcopy(document)
    other["features"][0]["level"] = "extended" if FEATURES[0].level == "core" else "core"
    with pytest.raises(merge.MergeError, match="support levels differ"):
        merge.merge([document, other], ["a.json", "b.json"])
