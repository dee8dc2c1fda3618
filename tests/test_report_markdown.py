"""The Markdown matrix of real runs: a GitHub table with documented columns and footnotes."""

from __future__ import annotations

import re

import pytest

from conformance import documented
from conformance.catalogue import FEATURES
from conformance.report import markdown as report_markdown
from conformance.report import model as report_model
from conformance.results import merge
from tests import report_documents
from tests.report_documents import HOSTILE, SECRETS


@pytest.fixture(scope="module")
def two_targets(tmp_path_factory, migrated_sqlite):
    return merge.merge(
        [
            report_documents.embedded(tmp_path_factory),
            report_documents.sqlite(tmp_path_factory, migrated_sqlite),
        ]
    )


def _table(text: str) -> list[list[str]]:
    """The table's rows split on unescaped pipes."""
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    # cells as a reader sees them: split on unescaped pipes, then Markdown's escapes undone
    return [
        [re.sub(r"\\(.)", r"\1", cell.strip()) for cell in re.split(r"(?<!\\)\|", row)[1:-1]]
        for row in rows
    ]


def test_table_has_targets_then_documented_columns_and_catalogue_rows(two_targets):
    text = report_markdown.render(two_targets, documented.load())
    header, align, *rows = _table(text)

    assert header[:5] == ["#", "Feature", "Level", "reference backend (embedded)", header[4]]
    assert header[4].startswith("sqlite:")
    assert header[5:] == [f"*{c.title}* (documented)" for c in documented.load()]
    assert align[:3] == ["-:", ":-", ":-"]
    assert [row[1] for row in rows] == [feature.title for feature in FEATURES]
    assert [row[2] for row in rows] == [feature.level.capitalize() for feature in FEATURES]
    assert all(len(row) == len(header) for row in rows)
    assert rows[8][3:5] == ["✓ supported", "✓ supported"]  # seed row 9 ran on both


def test_footnotes_are_numbered_for_measurements_and_lettered_for_claims(two_targets):
    text = report_markdown.render(two_targets, documented.load())
    rows = {row[1]: row for row in _table(text)[2:]}

    partial = rows["Search/list registered models"][4]
    (number,) = re.fullmatch(r"◐ partial<sup>(\d+)</sup>", partial).groups()
    assert re.search(rf"^- <sup>{number}</sup> 2/7 scenarios unsupported", text, re.M)
    assert rows["Renaming registered models"][6] == "✗<sup>d</sup>"
    assert "- <sup>d</sup> Registered models are immutable objects in Azure ML." in text
    assert "- <sup>a</sup> Use URIs with format `runs:/<ruin-id>/<path>`." in text
    assert "[Manage models registries in Azure Machine Learning with MLflow](https://" in text
    assert "published 2022-06-08" in text


def test_without_documented_columns(two_targets):
    text = report_markdown.render(two_targets)
    assert "(documented)" not in text
    assert "Notes of the documentation" not in text


def test_hostile_strings_are_literal_and_secrets_never_show(two_targets):
    hostile = report_documents.with_hostile_target(two_targets)
    hostile["targets"][-1]["label"] += " | extra column?"
    text = report_markdown.render(hostile)

    assert not re.search(r"(?<!\\)<(script|img|/script)", text)
    assert r"\<script\>alert(1)\</script\>\<img src=x onerror=alert(2)\>" in text
    header, _, *rows = _table(text)
    assert len(header) == 3 + 3  # number, feature, level, three targets
    assert all(len(row) == len(header) for row in rows)
    for secret in SECRETS:
        assert secret not in text
    assert HOSTILE not in text


def test_the_legend_reads_each_symbol_once_then_its_word(two_targets):
    text = report_markdown.render(two_targets, documented.load())
    (measured,) = re.findall(r"^Measured: (.*?)\. A cell", text, re.M)
    assert re.split(r"[,;] ", measured) == [
        f"{symbol.glyph} {symbol.label}" for symbol in report_model.VERDICT_SYMBOLS.values()
    ]
    (claims,) = re.findall(r"^Documented \((.*?)\):", text, re.M)
    assert re.split(r"[,;] ", claims) == ["✓ claimed", "✗ not claimed"]
    assert "· ·" not in text


def test_a_run_cut_short_says_so_on_the_first_line(two_targets, tmp_path_factory, migrated_sqlite):
    complete = report_markdown.render(two_targets)
    assert complete.startswith("### Registry conformance\n")
    assert "Incomplete" not in complete

    single = report_documents.embedded(tmp_path_factory)
    single.update(complete=False, cut_short="interrupted")  # as the plugin writes a Ctrl-C
    first = report_markdown.render(single).splitlines()[0]
    assert first == (
        "> **⚠ Incomplete (interrupted): the run of reference backend (embedded) was cut short; "
        "the cells show only the scenarios that ran before it stopped, not a full measurement.**"
    )

    sqlite = report_documents.sqlite(tmp_path_factory, migrated_sqlite)
    sqlite["complete"] = False
    merged = merge.merge([report_documents.embedded(tmp_path_factory), sqlite])
    first, blank, heading = report_markdown.render(merged).splitlines()[:3]
    assert first.startswith(f"> **⚠ Incomplete: the run of {sqlite['targets'][0]['label']} was")
    assert "embedded" not in first
    assert (blank, heading) == ("", "### Registry conformance")
