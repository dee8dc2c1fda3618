"""The report model built from real runs: catalogue order, footnotes, documented claims, masking;
and the terminal matrix and catalogue listing that read it."""

from __future__ import annotations

import pytest

from conformance import documented
from conformance.catalogue import FEATURES
from conformance.report import model as report_model
from conformance.report import terminal as matrix_text
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


def test_rows_follow_the_catalogue_with_one_cell_per_target(two_targets):
    report = report_model.build(two_targets, documented.load())

    assert [row.feature for row in report.rows] == [feature.id for feature in FEATURES]
    assert [row.seed_row for row in report.rows] == [feature.seed_row for feature in FEATURES]
    assert all(len(row.cells) == 2 and len(row.claims) == 4 for row in report.rows)
    assert [c.title for c in report.columns] == [c.title for c in documented.load()]


def test_every_cell_not_plainly_supported_has_a_one_line_footnote(two_targets):
    report = report_model.build(two_targets)
    notes = {note.marker: note for note in report.footnotes}
    by_feature = {row.feature: row for row in report.rows}

    for row in report.rows:
        for cell in row.cells:
            assert (cell.footnote is None) == (cell.symbol.key == "supported")
    partial = by_feature["search.list"].cells[1]
    assert partial.symbol.key == "partial"
    assert "creation_timestamp" in notes[partial.footnote].text
    foreign = by_feature["register.from-foreign-run"].cells[1]
    assert "--foreign-tracking-uri" in notes[foreign.footnote].text
    for note in report.footnotes:
        assert "\n" not in note.text
        assert len(note.text) <= report_model.FOOTNOTE_LENGTH
        assert not note.documented
    # The rows that did not run (all but SQLITE_FEATURES' three) share one footnote, as the
    # seed shares its notes.
    not_run = [
        row.cells[1].footnote for row in report.rows if row.cells[1].note == "no scenario ran"
    ]
    assert len(not_run) == len(FEATURES) - 3
    assert len(set(not_run)) == 1


def test_documented_claims_are_lettered_and_kept_apart_from_measurements(two_targets):
    report = report_model.build(two_targets, documented.load())
    by_feature = {row.feature: row for row in report.rows}

    rename = by_feature["model.rename"]
    assert [claim.symbol.key for claim in rename.claims] == [
        "supported",
        "unsupported",
        "unsupported",
        "unsupported",
    ]
    marker = rename.claims[1].footnotes[0]
    assert marker.isalpha()
    (note,) = [note for note in report.footnotes if note.marker == marker]
    assert note.documented
    assert note.text == "Registered models are immutable objects in Azure ML."
    assert by_feature["model.delete"].claims[1].footnotes == (marker,)
    (source,) = report.sources
    assert source.published == "2022-06-08"
    assert source.link.startswith("https://learn.microsoft.com/")


def test_targets_carry_counts_versions_and_their_own_run(two_targets):
    report = report_model.build(two_targets)
    embedded, sqlite = report.targets

    wire = sum(feature.http_only for feature in FEATURES)  # not an HTTP target
    assert dict((s.key, n) for s, n in embedded.counts) == {
        "supported": len(FEATURES) - wire,
        "partial": 0,
        "unsupported": 0,
        "non-conformant": 0,
        "inconclusive": 0,
        "not-tested": wire,
    }
    assert sum(n for _, n in sqlite.counts) == len(FEATURES)
    assert dict(embedded.client)["mlflow"]
    assert embedded.complete
    assert sqlite.complete
    assert embedded.started == two_targets["targets"][0]["run"]["started"]
    assert sqlite.duration.endswith(" s")


def test_evidence_is_grouped_per_target_then_feature(two_targets):
    report = report_model.build(two_targets)

    assert [len(cells) for cells in report.evidence] == [len(FEATURES), len(FEATURES)]
    embedded = report.evidence[0]
    assert [item.row.feature for item in embedded] == [feature.id for feature in FEATURES]
    assert all(item.scenarios for item in embedded)
    anchors = [item.cell.anchor for cells in report.evidence for item in cells]
    assert len(set(anchors)) == len(anchors)


def test_every_string_is_masked_again(two_targets):
    hostile = report_documents.with_hostile_target(two_targets)
    report = report_model.build(hostile)

    text = repr(report)
    for secret in SECRETS:
        assert secret not in text
    assert HOSTILE in report.targets[-1].label  # masked, not escaped: escaping is the renderer's


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("short", "short"),
        ("two\nlines  and   spaces", "two lines and spaces"),
        ("word " * 50, ("word " * 31).strip() + "…"),
    ],
)
def test_shorten_keeps_one_line_cut_at_a_word(text, expected):
    assert report_model.shorten(text) == expected


def test_terminal_matrix_shows_symbols_markers_and_documented_columns(two_targets):
    lines = matrix_text.render(two_targets, documented.load())

    assert lines[0].split()[:4] == ["#", "feature", "level", "reference-embedded"]
    assert "doc: Azure ML with MLflow" in lines[0]
    rows = lines[2 : 2 + len(FEATURES)]
    # Rows of features outside the seed have no number: the id starts at a fixed column.
    assert [row[4:].split()[0] for row in rows] == [feature.id for feature in FEATURES]
    assert "◐ partial [" in rows[4]
    assert "notes:" in lines
    assert any("not measured" in line for line in lines)


def test_terminal_matrix_without_documented_columns_has_no_claims(two_targets):
    lines = matrix_text.render(two_targets)
    assert not any("doc:" in line for line in lines)


def test_feature_listing_is_the_catalogue():
    listing = matrix_text.feature_listing()
    assert [line[4:].split()[0] for line in listing] == [feature.id for feature in FEATURES]
    assert all(
        f"-m {feature.marker}" in line for feature, line in zip(FEATURES, listing, strict=True)
    )
