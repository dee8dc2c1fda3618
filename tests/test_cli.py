"""The console command: subcommands, their help, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import cli
from conformance.catalogue import CATALOGUE_VERSION, FEATURES
from conformance.report import terminal as matrix_text
from tests import report_documents


@pytest.fixture(scope="module")
def files(tmp_path_factory, migrated_sqlite):
    """Real results documents on disk: embedded (all supported), SQLite (three rows run)."""
    folder = tmp_path_factory.mktemp("documents")
    paths = {}
    for name, document in (
        ("embedded", report_documents.embedded(tmp_path_factory)),
        ("sqlite", report_documents.sqlite(tmp_path_factory, migrated_sqlite)),
    ):
        paths[name] = folder / f"{name}.json"
        paths[name].write_text(json.dumps(document), encoding="utf-8")
    return paths


def _command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    "command",
    [[], ["run"], ["report"], ["compare"], ["features"], ["expectations"]],
)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main([*command, "--help"])
    assert exited.value.code == 0
    assert "usage: registry-conformance" in capsys.readouterr().out


def test_report_merges_prints_and_writes(files, tmp_path, capsys):
    html, md = tmp_path / "r" / "report.html", tmp_path / "report.md"
    code = cli.main(
        [
            "report",
            str(files["embedded"]),
            str(files["sqlite"]),
            "--documented",
            "--html",
            str(html),
            "--md",
            str(md),
        ]
    )

    out = capsys.readouterr().out
    assert code == 0
    assert "reference-embedded" in out
    assert "doc: Azure ML Studio" in out
    assert f"wrote the HTML report: {html}" in out
    assert f"wrote the Markdown matrix: {md}" in out
    assert html.read_text().count("<details") == 2 * len(FEATURES)
    assert "(documented)" in md.read_text()


@pytest.mark.parametrize("option", [[], ["--no-documented"]])
def test_documented_columns_are_opt_in(files, option, capsys):
    assert cli.main(["report", str(files["embedded"]), *option]) == 0
    assert "doc:" not in capsys.readouterr().out


def test_report_refuses_other_catalogue_versions(files, tmp_path, capsys):
    other = tmp_path / "other.json"
    document = json.loads(files["sqlite"].read_text())
    document["suite"]["catalogue"] = "999"
    other.write_text(json.dumps(document))

    assert cli.main(["report", str(files["embedded"]), str(other)]) == 2
    err = capsys.readouterr().err
    assert f"{files['embedded']} (catalogue {CATALOGUE_VERSION})" in err
    assert f"{other} (catalogue 999)" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "invalid JSON at line 1, column 2"),
        ('{"schema": "registry-conformance/results/v1"}', "is not a results document (top level"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_unreadable_documents_are_one_line_and_exit_2(tmp_path, content, message, capsys):
    path = tmp_path / "bad.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())

    for args in (["report", str(path)], ["compare", str(path), str(path)]):
        assert cli.main(args) == 2
        captured = capsys.readouterr()
        assert captured.err.startswith(f"registry-conformance: error: {path}")
        assert message in captured.err
        assert len(captured.err.strip().splitlines()) == 1
        assert not captured.out


def test_a_missing_file_is_one_line_and_exit_2(tmp_path, files):
    done = _command("compare", str(files["embedded"]), str(tmp_path / "missing.json"))
    assert done.returncode == 2
    assert not done.stdout
    assert done.stderr.strip() == (
        f"registry-conformance: error: cannot read {tmp_path / 'missing.json'}: "
        "No such file or directory"
    )


def test_compare_exits_1_on_regressions_only(files, tmp_path, capsys):
    head = tmp_path / "head.json"
    document = json.loads(files["embedded"].read_text())
    for verdict in document["verdicts"]:
        if verdict["feature"] == "search.list":
            verdict.update(verdict="partial", note="2/7 scenarios unsupported: order_by refused")
    head.write_text(json.dumps(document))

    assert cli.main(["compare", str(files["embedded"]), str(head)]) == 1
    out = capsys.readouterr().out
    assert "regressions: 1" in out
    assert (
        "reference-embedded [reference backend (embedded)] / #5 search.list: supported -> " in out
    )
    assert cli.main(["compare", str(head), str(files["embedded"])]) == 0
    assert "fixes: 1" in capsys.readouterr().out


def test_features_is_the_plugins_listing(capsys):
    assert cli.main(["features"]) == 0
    assert capsys.readouterr().out.splitlines() == matrix_text.feature_listing()
    done = _command("run", "--list-features")
    assert done.returncode == 0
    assert done.stdout.splitlines() == matrix_text.feature_listing()


def test_run_passes_every_argument_to_pytest(tmp_path):
    results, md = tmp_path / "results.json", tmp_path / "matrix.md"
    done = _command(
        "run",
        "-q",
        "-p",
        "no:warnings",
        "-m",
        "feature_model_rename",
        "--results-json",
        str(results),
        "--report-md",
        str(md),
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert "3 passed" in done.stdout
    assert json.loads(results.read_text())["targets"][0]["id"] == "reference-embedded"
    assert md.exists()
    # one line each says what was written where
    assert f"wrote the results document: {results}" in done.stdout.splitlines()
    assert f"wrote the Markdown matrix: {md}" in done.stdout.splitlines()


@pytest.mark.parametrize(
    ("option", "shown"), [([], False), (["--no-documented"], False), (["--documented"], True)]
)
def test_run_shows_documented_columns_only_when_asked(tmp_path, option, shown):
    md = tmp_path / "matrix.md"
    done = _command(
        "run",
        "-q",
        "-p",
        "no:warnings",
        "-m",
        "feature_model_rename",
        "--report-md",
        str(md),
        *option,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert ("doc: Azure ML Studio" in done.stdout) is shown
    assert ("(documented)" in md.read_text()) is shown


def test_run_imports_nothing_before_pytest_loads_its_plugins(tmp_path):
    """Modules imported ahead of pytest cannot be assertion-rewritten: pytest warns on every run
    (it did, for anyio, which MLflow imported through the command's report modules)."""
    command = Path(sys.executable).parent / "registry-conformance"
    done = subprocess.run(
        [str(command), "run", "-q", "-m", "feature_model_rename"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert "PytestAssertRewriteWarning" not in done.stdout + done.stderr


def test_help_names_the_default_target():
    """Without --registry-uri the target comes from MLflow's variables: both helps say so."""
    default = "MLFLOW_REGISTRY_URI, then MLFLOW_TRACKING_URI"
    run_help = _command("run", "--help").stdout
    plugin_help = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert default in " ".join(run_help.split())
    assert default in " ".join(plugin_help.split())


def test_strict_on_the_command_is_the_gates_strict_mode(tmp_path):
    """azureml claims no rename; the embedded reference renames: an unexpected pass, which
    fails the run only in strict mode."""
    results = tmp_path / "results.json"
    selection = ["run", "-q", "-m", "feature_model_rename", "--expect", "azureml"]
    assert _command(*selection).returncode == 0
    strict = _command(*selection, "--strict", "--results-json", str(results))
    assert strict.returncode == 1, strict.stdout[-2000:]
    gate = json.loads(results.read_text())["gate"]
    assert gate["strict"] is True
    assert gate["passed"] is False


def test_a_reader_that_stops_early_is_no_error():
    """`registry-conformance features | head -1`: no BrokenPipe traceback."""
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "features"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.close()  # before the command writes: its first print hits a closed pipe
    _, stderr = process.communicate()
    assert process.returncode == 0
    assert b"Traceback" not in stderr


def test_options_without_a_command_mean_run():
    done = _command("--list-features")
    assert done.returncode == 0
    assert done.stdout.splitlines() == matrix_text.feature_listing()


def test_an_unknown_command_is_a_usage_error():
    done = _command("repot", "x.json")
    assert done.returncode == 2
    assert "invalid choice: 'repot'" in done.stderr
