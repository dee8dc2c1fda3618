"""The published report (reports/) is current: its documents (the columns', and the client-skew
table's, one per server with a column per client) keep the results contract and match the
catalogue of this checkout, and its HTML, Markdown and README are what the renderer makes of them
now. Fast: it reads the committed documents and starts no server."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from conformance import results
from conformance.catalogue import CATALOGUE_VERSION, FEATURES
from reports import publish
from reports.client_skew import CLIENTS, SERVERS
from reports.columns import COLUMNS, Column
from reports.regenerate import missing_requirements
from tests.servers import free_port

REMEASURE = f"reports/ is stale: run `{publish.REGENERATE}` (see reports/README.md)"
REMEASURE_SKEW = f"reports/ is stale: run `{publish.REGENERATE} --client-skew`"
RERENDER = f"reports/ is stale: run `{publish.REGENERATE} --render-only`"
#: What reports/stabilise.py masks; finding one means a document escaped it.
VOLATILE = {
    "temporary path": re.compile(r"(?<!<tmp>)/tmp/"),
    "home or checkout path": re.compile(r"/(root|home|work)/"),
    "served target's port": re.compile(r"http://127\.0\.0\.1:\d|port=\d"),
    "random id": re.compile(r"(?:\b|(?<=%2F))[0-9a-f]{32}\b"),
    "epoch-millisecond time": re.compile(r"\b1[5-9]\d{11}\b"),
    "object address": re.compile(r"\bat 0x[0-9a-f]+\b"),
    "minted namespace": re.compile(r"rc\d{12}"),
}


@pytest.fixture(scope="module")
def published() -> list[tuple[Column, dict[str, Any]]]:
    return publish.measured()


@pytest.fixture(scope="module")
def skew() -> list[tuple[Column, dict[str, Any]]]:
    """The client-skew table's servers and their documents."""
    return publish.measured(SERVERS)


@pytest.fixture(scope="module")
def every_document(published, skew) -> list[tuple[Column, dict[str, Any]]]:
    return [*published, *skew]


@pytest.fixture(scope="module")
def rendered(
    published: list[tuple[Column, dict[str, Any]]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, str]:
    """Markdown and HTML rendered now from the committed documents."""
    folder = tmp_path_factory.mktemp("report")
    md, html = folder / "matrix.md", folder / "index.html"
    publish.render([publish.result_path(column) for column, _ in published], md, html)
    return md.read_text("utf-8"), html.read_text("utf-8")


def test_every_column_that_can_be_measured_has_a_document() -> None:
    expected = {publish.result_path(c) for c in COLUMNS if c.unavailable() is None}
    known = {publish.result_path(c) for c in COLUMNS}
    found = set(publish.RESULTS.glob("*.json"))
    assert found >= expected, f"{REMEASURE}: no document for {sorted(expected - found)}"
    assert found <= known, f"documents of no column in reports/columns.py: {sorted(found - known)}"


def test_every_client_skew_server_has_a_document() -> None:
    expected = {publish.result_path(server) for server in SERVERS}
    found = set((publish.RESULTS / "client-skew").glob("*.json"))
    assert found >= expected, f"{REMEASURE_SKEW}: no document for {sorted(expected - found)}"
    assert found <= expected, (
        f"documents of no server in reports/client_skew.py: {found - expected}"
    )


def test_client_skew_documents_have_a_column_per_client(skew) -> None:
    for server, document in skew:
        results.validate(document)
        assert document["complete"], f"{server.id}: an interrupted run was published"
        base = {"id": server.id, "label": server.label}
        assert all(t["base"] == base for t in document["targets"]), REMEASURE_SKEW
        requested = [t["client"]["requested"] for t in document["targets"]]
        assert requested == list(CLIENTS), f"{server.id}: {REMEASURE_SKEW}"
        for target in document["targets"]:
            assert target["client"]["requested"] == f"mlflow=={target['client']['mlflow']}"


def test_documents_keep_the_results_contract(published) -> None:
    for column, document in published:
        results.validate(document)
        [target] = document["targets"]
        assert (target["id"], target["label"]) == (column.id, column.label), REMEASURE
        assert document["complete"], f"{column.id}: an interrupted run was published"


def test_documents_are_of_this_catalogue(every_document) -> None:
    features = [
        {"id": f.id, "title": f.title, "group": f.group, "seed_row": f.seed_row, "level": f.level}
        for f in FEATURES
    ]
    for column, document in every_document:
        assert document["suite"]["catalogue"] == CATALOGUE_VERSION, f"{column.id}: {REMEASURE}"
        # Documents written before features carried a level have none; a level must be this one.
        levels_recorded = all("level" in feature for feature in document["features"])
        expected = (
            features
            if levels_recorded
            else [{key: value for key, value in f.items() if key != "level"} for f in features]
        )
        assert document["features"] == expected, f"{column.id}: {REMEASURE}"


def test_every_feature_has_one_verdict_for_every_target(every_document) -> None:
    for _, document in every_document:
        cells = [(v["target"], v["feature"]) for v in document["verdicts"]]
        targets = [target["id"] for target in document["targets"]]
        assert sorted(cells) == sorted((t, f.id) for t in targets for f in FEATURES), REMEASURE


def test_documents_hold_no_volatile_values() -> None:
    for path in sorted(publish.RESULTS.rglob("*.json")):
        text = path.read_text("utf-8")
        for what, pattern in VOLATILE.items():
            found = pattern.search(text)
            assert found is None, f"{path.name}: a {what} escaped masking: {found.group(0)!r}"


def test_matrix_md_and_index_html_are_what_the_renderer_makes_now(rendered) -> None:
    md, html = rendered
    assert publish.MATRIX_MD.read_text("utf-8") == md, RERENDER
    assert publish.INDEX_HTML.read_text("utf-8") == html, RERENDER


def test_client_skew_md_and_html_are_what_the_renderer_makes_now(skew, tmp_path) -> None:
    publish.render_client_skew(tmp_path / "client-skew.md", tmp_path)
    assert publish.CLIENT_SKEW_MD.read_text("utf-8") == (tmp_path / "client-skew.md").read_text(
        "utf-8"
    ), RERENDER
    for server, _ in skew:
        made = publish.skew_html(server, tmp_path).read_text("utf-8")
        assert publish.skew_html(server).read_text("utf-8") == made, RERENDER


def test_readme_embeds_the_current_matrix_columns_and_client_skew(published, skew, rendered):
    readme = publish.README.read_text("utf-8")
    assert publish.region(readme, "matrix") == rendered[0].strip("\n"), RERENDER
    assert publish.region(readme, "columns") == publish.columns_table(published), RERENDER
    assert publish.region(readme, "client-skew") == publish.skew_table(skew), RERENDER


def test_the_client_skew_summary_keeps_only_features_whose_verdicts_differ(skew) -> None:
    header, _, *lines = publish.skew_table(skew).splitlines()
    assert len(lines) == len(SERVERS) * len(CLIENTS)
    for column in header.split(" | ")[2:]:
        index = header.split(" | ").index(column)
        assert len({line.split(" | ")[index] for line in lines}) > 1, column


def test_splice_replaces_only_its_region() -> None:
    text = "a\n<!-- m:start -->\nold\n<!-- m:end -->\nb\n"
    spliced = publish.splice(text, "m", "new\n")
    assert spliced == "a\n<!-- m:start -->\nnew\n<!-- m:end -->\nb\n"
    assert publish.region(spliced, "m") == "new"
    with pytest.raises(ValueError, match="markers"):
        publish.splice(text, "other", "x")


def test_a_missing_driver_or_database_server_is_named_before_anything_runs() -> None:
    nobody_listens = f"postgresql://postgres@127.0.0.1:{free_port()}"
    no_driver = "mysql+mysqldb://root@127.0.0.1:3306"  # mysqlclient: not in the 'reports' extra
    column = dataclasses.replace(COLUMNS[0], databases=(nobody_listens, no_driver, no_driver))
    problems = missing_requirements([column])
    assert len(problems) == 2, problems
    assert nobody_listens in problems[0]  # unreachable, or its driver missing where CI has none
    assert "'MySQLdb' is missing" in problems[1]
    assert "pip install -e '.[reports]'" in problems[1]
