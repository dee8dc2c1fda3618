"""The HTML report of real runs: one self-contained, deterministic file, escaped and masked."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from conformance import documented
from conformance.catalogue import FEATURES
from conformance.report import html as report_html
from conformance.results import merge
from tests import report_documents
from tests.report_documents import HOSTILE, SECRETS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def two_targets(tmp_path_factory, migrated_sqlite):
    return merge.merge(
        [
            report_documents.embedded(tmp_path_factory),
            report_documents.sqlite(tmp_path_factory, migrated_sqlite),
        ],
        ["embedded.json", "sqlite.json"],
    )


@pytest.fixture(scope="module")
def page(two_targets):
    return report_html.render(two_targets, documented.load())


def test_rows_in_catalogue_order_and_a_column_per_target(page, two_targets):
    rows = re.findall(r'<tr data-feature="([^"]+)" data-level="([^"]+)">', page)
    assert rows == [(feature.id, feature.level) for feature in FEATURES]
    for target in two_targets["targets"]:
        assert f'data-target="{target["id"]}"' in page
    assert page.count('class="cell ') == 2 * len(FEATURES)
    assert 'data-verdict="partial"' in page


def test_documented_columns_are_marked_as_claims(page):
    assert "Documented: published claims, not measured" in page
    for column in documented.load():
        assert f'data-documented="{column.id}"' in page
    assert page.count('<span class="doc-tag">documented</span>') == 4
    assert "Manage models registries in Azure Machine Learning with MLflow" in page
    assert "2022-06-08" in page
    assert html.escape("Use URIs with format ") + "<code>" in page


def test_without_documented_columns_there_is_no_documented_group(two_targets):
    page = report_html.render(two_targets, [])
    assert "data-documented" not in page
    assert "published claims" not in page


def test_evidence_for_every_cell_is_collapsed(page):
    details = re.findall(r"<details[^>]*>", page)
    assert len(details) == 2 * len(FEATURES)
    assert not any(" open" in tag for tag in details)
    assert "test_order_by_key_and_direction" in page
    assert "INVALID_PARAMETER_VALUE" in page


def test_self_contained_and_print_friendly(page):
    assert "<script" not in page
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page)
    assert "@import" not in page
    assert "url(" not in page
    assert not re.search(r'\ssrc="', page)
    assert "@media print" in page
    assert "::details-content" in page
    links = re.findall(r'href="([^"]+)"', page)
    assert all(link.startswith("#") or link.startswith("https://learn.") for link in links)


def test_the_same_document_renders_the_same_bytes(two_targets, page):
    reread = json.loads(json.dumps(two_targets))
    assert report_html.render(reread, documented.load()) == page


def test_hostile_strings_stay_text_and_secrets_never_show(two_targets):
    page = report_html.render(report_documents.with_hostile_target(two_targets))

    assert HOSTILE not in page
    assert "<img" not in page
    assert "<script" not in page
    assert html.escape(HOSTILE) in page
    for secret in SECRETS:
        assert secret not in page
    assert "https://user:***@evil.example" in page
    assert "Bearer ***" in page


def test_plugin_writes_both_reports(pytester: pytest.Pytester):
    html_path, md_path = pytester.path / "out" / "report.html", pytester.path / "report.md"
    outcome = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        "--pyargs",
        "conformance.scenarios",
        "-m",
        "feature_model_rename",
        "--report-html",
        str(html_path),
        "--report-md",
        str(md_path),
        "--documented",
    )

    assert outcome.ret == 0
    page = html_path.read_text(encoding="utf-8")
    assert "Azure ML with MLflow" in page  # the seed's documented columns, asked for
    assert 'data-verdict="supported"' in page
    assert "| 9 | Renaming registered models | Core | ✓ supported |" in md_path.read_text()


def test_a_run_cut_short_leads_with_a_banner(two_targets, page, tmp_path_factory):
    assert 'class="incomplete"' not in page
    cut = report_documents.embedded(tmp_path_factory)
    cut["complete"] = False  # as the plugin writes a run stopped by Ctrl-C or -x
    merged = merge.merge([cut, report_documents.embedded(tmp_path_factory)])
    cut_page = report_html.render(merged)

    assert cut_page.index('<p class="incomplete"') < cut_page.index('id="matrix"')
    (banner,) = re.findall(r'<p class="incomplete"[^>]*>(.*?)</p>', cut_page)
    assert "<strong>Incomplete: the run of reference backend (embedded) was cut short;" in banner
    assert banner.endswith("not a full measurement.</strong>")
    assert "<title>Incomplete: " in cut_page


def test_http_evidence_is_preformatted_with_indented_json():
    """A published run over HTTP (bodies recorded on one line, as before they were indented)."""
    document = json.loads(
        (ROOT / "reports" / "results" / "mlflow-server-sqlite.json").read_text("utf-8")
    )
    page = report_html.render(document)
    exchanges = [
        html.unescape(block)
        for block in re.findall(r"<dt>http</dt><dd><pre>(.*?)</pre>", page, re.S)
    ]
    assert exchanges
    refused = next(text for text in exchanges if "INVALID_PARAMETER_VALUE" in text)
    assert re.search(r"^POST http://127\.0\.0\.1:<port>/api/2\.0/mlflow/\S+\n\{\n  \"", refused)
    assert '\n→ 400 application/json\n{\n  "error_code": ' in refused
    assert '\\"' not in refused
