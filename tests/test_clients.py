"""Columns per MLflow client: the ``--client`` requirement, documents of one target measured through
several clients merged into one column per client, and the pivot of one target's clients.

The documents are real runs; the second client is a copy whose recorded client version differs
(as a run through another client records it). ``test_client_runs.py`` runs real clients."""

from __future__ import annotations

import json

import pytest

from conformance import cli, results
from conformance.catalogue import FEATURES
from conformance.cli import client_envs, client_runs
from conformance.report import html as report_html
from conformance.report import markdown as report_markdown
from conformance.report import terminal as report_terminal
from conformance.results import clients, merge
from tests import report_documents


@pytest.fixture
def through_two_clients(tmp_path_factory, migrated_sqlite):
    """One target's documents as a run through MLflow 3.1.4 and one through this MLflow."""
    newer = report_documents.sqlite(tmp_path_factory, migrated_sqlite)
    older = report_documents.sqlite(tmp_path_factory, migrated_sqlite)
    for target in older["targets"]:
        target["client"]["mlflow"] = "3.1.4"
    return older, newer


@pytest.mark.parametrize(
    ("given", "requirement"),
    [
        ("3.1.4", "mlflow==3.1.4"),
        ("mlflow==2.22.1", "mlflow==2.22.1"),
        ("MLflow>=2.9,<3", "MLflow<3,>=2.9"),
        ("mlflow[extras]==3.1.4", "mlflow[extras]==3.1.4"),
    ],
)
def test_a_client_is_a_requirement_on_mlflow_or_a_bare_version(given, requirement):
    assert client_envs.client_requirement(given) == requirement


@pytest.mark.parametrize(
    ("given", "message"),
    [("requests==2.31", "runs through MLflow's client"), ("mlflow===", "not a requirement")],
)
def test_anything_else_is_refused_in_one_line(given, message):
    with pytest.raises(client_envs.ClientEnvError, match=message):
        client_envs.client_requirement(given)


def test_the_cache_folder_is_the_variables_else_the_users_cache(monkeypatch, tmp_path):
    monkeypatch.setenv(client_envs.CACHE_VARIABLE, str(tmp_path))
    assert client_envs.cache_root() == tmp_path / "clients"
    monkeypatch.delenv(client_envs.CACHE_VARIABLE)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert client_envs.cache_root() == tmp_path / "xdg" / "registry-conformance" / "clients"


def test_a_checkout_is_installed_from_its_tree_keyed_by_its_files():
    source = client_envs.suite_source()
    assert source.requirement == str(report_documents.REPO_ROOT)
    assert len(source.key) == 64


def test_one_target_through_two_clients_is_a_column_per_client(through_two_clients):
    older, newer = through_two_clients
    base = newer["targets"][0]
    merged = merge.merge([older, newer], ["old.json", "new.json"])

    results.validate(merged)
    version = newer["targets"][0]["client"]["mlflow"]
    slug = version.replace(".", "-")
    assert [(t["id"], t["label"]) for t in merged["targets"]] == [
        (f"{base['id']}-client-3-1-4", f"{base['label']} · client 3.1.4"),
        (f"{base['id']}-client-{slug}", f"{base['label']} · client {version}"),
    ]
    assert [t["client"]["mlflow"] for t in merged["targets"]] == ["3.1.4", version]
    for target in merged["targets"]:
        assert target["base"] == {"id": base["id"], "label": base["label"]}
        assert sum(v["target"] == target["id"] for v in merged["verdicts"]) == len(FEATURES)
        assert sum(s["target"] == target["id"] for s in merged["scenarios"]) == len(
            newer["scenarios"]
        )


def test_naming_by_client_is_done_once(through_two_clients):
    older, _ = through_two_clients
    named = clients.name_by_client(older)
    assert clients.name_by_client(named) == named
    assert merge.merge([named, named])["targets"][1]["id"] == named["targets"][0]["id"] + "-2"


def test_the_pivot_is_one_targets_clients_labelled_by_version(through_two_clients):
    older, newer = through_two_clients
    base = newer["targets"][0]
    version = base["client"]["mlflow"]
    merged = merge.merge([older, newer])

    pivot = clients.pivot(merged, base["id"])
    results.validate(pivot)
    assert [t["label"] for t in pivot["targets"]] == ["client 3.1.4", f"client {version}"]
    assert pivot["pivot"] == {"target": base["id"], "label": base["label"]}
    text = report_markdown.render(pivot)
    assert f"| client 3.1.4 | client {version} |" in text
    assert "Columns: the MLflow clients" in text
    header = next(line for line in report_terminal.render(pivot) if line.startswith("#"))
    assert header.split()[-4:] == ["client", "3.1.4", "client", version]
    page = report_html.render(pivot)
    assert "Columns: the MLflow clients <code>" in page
    assert f">client {version}<code>{merged['targets'][1]['id']}</code></th>" in page


def test_a_document_of_one_client_pivots_too(through_two_clients):
    _, newer = through_two_clients
    pivot = clients.pivot(newer, newer["targets"][0]["id"])
    assert [t["label"] for t in pivot["targets"]] == [
        f"client {newer['targets'][0]['client']['mlflow']}"
    ]


def test_report_pivot_of_an_unknown_target_is_one_line(through_two_clients, tmp_path, capsys):
    older, newer = through_two_clients
    paths = []
    for name, document in (("old", older), ("new", newer)):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(document), encoding="utf-8")
    assert cli.main(["report", "--pivot", "nope", *map(str, paths)]) == 2
    error = capsys.readouterr().err
    assert (
        f"--pivot 'nope': no such target in the document (its targets: {newer['targets'][0]['id']})"
        in error
    )

    md = tmp_path / "pivot.md"
    base = newer["targets"][0]["id"]
    assert cli.main(["report", "--pivot", base, *map(str, paths), "--md", str(md)]) == 0
    assert "| client 3.1.4 |" in md.read_text(encoding="utf-8")


def test_an_output_that_cannot_be_written_stops_run_client_before_any_build(tmp_path, capsys):
    code = cli.main(["run", "--client", "3.1.4", "--report-html", str(tmp_path)])
    assert code == 2
    assert f"--report-html {tmp_path}: it is a folder" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("mlflow", "pins"),
    [
        ("2.9.2", ["setuptools<81", "sqlalchemy<2.1"]),
        ("2.22.1", ["sqlalchemy<2.1"]),
        ("3.8.1", ["sqlalchemy<2.1"]),
        ("3.9.0", []),
        ("3.17.2", []),
    ],
)
def test_older_clients_get_the_pins_their_mlflow_does_not_declare(mlflow, pins):
    assert client_envs.old_client_pins(mlflow) == pins


def test_each_client_run_gets_its_own_namespace_under_the_one_given():
    assert client_runs._namespaces(None, 3) == [None, None, None]
    assert client_runs._namespaces("ci", 1) == ["ci"]
    assert client_runs._namespaces("ci", 2) == ["ci-c1", "ci-c2"]  # sweep --namespace ci: both
    with pytest.raises(client_envs.ClientEnvError, match="not a namespace"):
        client_runs._namespaces("n" * 41, 2)


def test_a_client_run_writes_its_temporary_outputs_without_a_word(pytester: pytest.Pytester):
    # run --client gives each run --unannounced-outputs, then announces the merged files itself.
    document, junit = pytester.path / "client-0.json", pytester.path / "client-0.xml"
    outcome = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--pyargs",
        "conformance.scenarios",
        "-m",
        "feature_model_rename",
        "--unannounced-outputs",
        "--results-json",
        str(document),
        "--junitxml",
        str(junit),
    )
    assert outcome.ret == 0
    assert json.loads(document.read_text(encoding="utf-8"))["targets"]
    assert junit.is_file()
    output = outcome.stdout.str()
    assert "client-0.json" not in output, output
    assert "client-0.xml" not in output, output
