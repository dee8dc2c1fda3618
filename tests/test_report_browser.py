"""The HTML report in a real browser (headless Chromium through Playwright): what a reader sees.

Needs Debian's Chromium at /usr/bin/chromium (``apt-get install chromium``; ``.ci/run`` installs
it). Skipped without it on a developer machine; in CI (``CI`` set) it must run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance import documented
from conformance.catalogue import FEATURES
from conformance.report import html as report_html
from conformance.results import merge
from reports import publish
from tests import report_documents
from tests.report_documents import HOSTILE, SECRETS

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason="no Chromium at /usr/bin/chromium (apt-get install chromium); required when CI is set",
)


@pytest.fixture(scope="module")
def report_url(tmp_path_factory, migrated_sqlite) -> str:
    """Embedded and SQLite runs merged, plus a hostile target, with the seed's columns."""
    document = merge.merge(
        [
            report_documents.embedded(tmp_path_factory),
            report_documents.sqlite(tmp_path_factory, migrated_sqlite),
        ]
    )
    path = tmp_path_factory.mktemp("report") / "report.html"
    report_html.write(report_documents.with_hostile_target(document), path, documented.load())
    return path.as_uri()


@pytest.fixture(scope="module")
def published_url(tmp_path_factory) -> str:
    """Nine measured columns of the published report (reports/results), plus the seed's four
    documented ones: a realistic wide matrix of 13 columns."""
    documents = [document for _, document in publish.measured()]
    # Of one catalogue, so that a half-remeasured publication (test_published_report's to
    # report) does not stop this layout check.
    catalogue = documents[0]["suite"]["catalogue"]
    document = merge.merge([d for d in documents if d["suite"]["catalogue"] == catalogue][:9])
    assert len(document["targets"]) == 9
    path = tmp_path_factory.mktemp("published") / "report.html"
    report_html.write(document, path, documented.load())
    return path.as_uri()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield browser
        browser.close()


class Visit:
    """A page opened on the report, with every request, routed request and dialog recorded."""

    def __init__(self, browser: Any, url: str, width: int = 1400) -> None:
        self.url = url
        self.requests: list[str] = []
        self.routed: list[str] = []
        self.dialogs: list[str] = []
        self.page = browser.new_page(viewport={"width": width, "height": 1000})
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", self._dialog)
        self.page.route("**", self._route)
        self.page.goto(url)

    def _route(self, route: Any) -> None:
        self.routed.append(route.request.url)
        if route.request.url == self.url:
            route.continue_()
        else:
            route.abort()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def visit(browser, report_url) -> Iterator[Visit]:
    visit = Visit(browser, report_url)
    yield visit
    visit.page.close()


def test_rows_in_catalogue_order_with_seed_numbers(visit):
    rows = visit.page.locator("table.matrix tbody tr")
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.feature)") == [f.id for f in FEATURES]
    numbers = rows.evaluate_all("rows => rows.map(r => r.cells[0].textContent.trim())")
    assert numbers == [str(f.seed_row or "") for f in FEATURES]


def test_one_column_per_target_then_documented_columns_marked_as_such(visit):
    page = visit.page
    targets = page.locator("table.matrix thead th.target")
    assert targets.evaluate_all("ths => ths.map(th => th.dataset.target)") == [
        "reference-embedded",
        page.locator("th.target").nth(1).get_attribute("data-target"),
        "hostile",
    ]
    assert page.locator("th.target").nth(1).get_attribute("data-target").startswith("sqlite-")
    columns = page.locator("table.matrix thead th[data-documented]")
    assert columns.count() == 4
    assert all("documented" in text.lower() for text in columns.all_inner_texts())
    group = page.locator("table.matrix thead th.group.documented")
    assert "not measured" in group.inner_text().lower()
    assert group.get_attribute("colspan") == "4"
    assert page.locator("table.matrix tbody tr").first.locator("td").count() == 1 + 3 + 4
    style = "el => getComputedStyle(el).backgroundImage"
    assert "gradient" in page.locator("td.doc").first.evaluate(style)
    assert "gradient" not in page.locator("td.cell").first.evaluate(style)
    source = page.locator("p.source")
    assert "2022-06-08" in source.inner_text()
    assert "learn.microsoft.com" in source.inner_text()


#: Widths, clipping and position of the matrix, its scroll container and its cells.
MATRIX_GEOMETRY = """() => {
    const box = el => el.getBoundingClientRect();
    const scroll = document.querySelector("#matrix .scroll");
    const table = scroll.querySelector("table.matrix");
    const spilled = [...table.querySelectorAll("th, td")]
        .filter(cell => cell.scrollWidth > cell.clientWidth)
        .map(cell => cell.textContent.trim());
    const widths = selector => [...table.querySelectorAll(selector)].map(el => box(el).width);
    return {
        container: [scroll.clientWidth, scroll.scrollWidth], table: box(table).width,
        page: [document.documentElement.clientWidth, document.documentElement.scrollWidth],
        spilled, measured: widths("thead th.target"),
        documented: widths("thead th.doc[data-documented]"),
    };
}"""


def test_thirteen_columns_fit_at_1600_pixels_without_sideways_scrolling(browser, published_url):
    visit = Visit(browser, published_url, width=1600)
    geometry = visit.page.evaluate(MATRIX_GEOMETRY)
    visit.page.close()

    client_width, scroll_width = geometry["container"]
    assert scroll_width <= client_width, geometry
    assert geometry["table"] <= client_width
    assert geometry["page"][1] <= geometry["page"][0]
    assert geometry["spilled"] == []  # no cell's content runs past its edges
    assert len(geometry["measured"]) == 9
    assert len(geometry["documented"]) == 4
    # Documented columns are narrow: a claim is one glyph, its title reads upwards.
    assert max(geometry["documented"]) * 2.5 < min(geometry["measured"])


def test_feature_names_stay_in_view_when_the_matrix_scrolls_sideways(browser, published_url):
    visit = Visit(browser, published_url, width=800)
    page = visit.page
    scroll = page.locator("#matrix .scroll")
    client_width, scroll_width = page.evaluate(MATRIX_GEOMETRY)["container"]
    assert scroll_width > client_width + 400  # too narrow for 13 columns: the matrix scrolls
    assert page.evaluate(MATRIX_GEOMETRY)["page"][1] <= 800  # the matrix, not the page
    scroll.evaluate("el => { el.scrollLeft = el.scrollWidth; }")

    scrolled = scroll.evaluate("el => el.scrollLeft")
    assert scrolled > 400
    rows = page.evaluate(
        """() => {
            const frame = document.querySelector("#matrix .scroll").getBoundingClientRect();
            return [...document.querySelectorAll("table.matrix tbody tr")].map(row => {
                const feature = row.querySelector("th.feature");
                feature.scrollIntoView({block: "center", inline: "nearest"});
                const box = feature.getBoundingClientRect();
                const middle = [box.x + box.width / 2, box.y + box.height / 2];
                const hit = document.elementFromPoint(...middle);
                return {
                    feature: row.dataset.feature,
                    inside: frame.left <= box.left && box.right <= frame.right,
                    // On top of the cells scrolled beneath it, not merely within the frame.
                    on_top: hit.closest("th, td") === feature,
                    beneath: row.querySelector("td.cell").getBoundingClientRect().left < box.right,
                };
            });
        }"""
    )
    assert len(rows) >= 15
    assert [row for row in rows if not (row["inside"] and row["on_top"] and row["beneath"])] == []
    assert scroll.evaluate("el => el.scrollLeft") == scrolled
    assert page.locator("table.matrix td.num").first.is_visible()
    page.close()


def test_every_cell_that_is_not_supported_has_a_footnote(visit):
    cells = visit.page.locator("table.matrix td.cell").evaluate_all(
        """cells => cells.map(td => {
            const link = td.querySelector("sup.fn a");
            const note = link && document.querySelector(link.getAttribute("href"));
            return [td.dataset.verdict, note ? note.textContent.trim() : null];
        })"""
    )
    assert {verdict for verdict, _ in cells} >= {
        "supported",
        "partial",
        "unsupported",
        "non-conformant",
        "inconclusive",
        "not-tested",
    }
    for verdict, note in cells:
        assert (note is None) == (verdict == "supported")
        assert note is None or len(note) > 3


def test_evidence_is_collapsed_and_opens_on_click(visit):
    page = visit.page
    details = page.locator("details.ev")
    assert details.count() == 3 * len(FEATURES)
    assert details.evaluate_all("ds => ds.filter(d => d.open).length") == 0

    partial = page.locator("details.ev.v-partial").first
    body = partial.locator(".ev-body")
    assert not body.is_visible()
    partial.locator("summary").click()
    assert partial.evaluate("d => d.open")
    assert body.is_visible()
    text = body.inner_text()
    assert "test_order_by_key_and_direction" in text
    assert "unsupported" in text
    assert "INVALID_PARAMETER_VALUE" in text


def test_a_matrix_cell_links_to_its_evidence(visit):
    page = visit.page
    cell = page.locator("table.matrix td.cell[data-verdict=partial] a.verdict").first
    target = page.locator(cell.get_attribute("href"))
    assert target.evaluate("el => el.tagName") == "DETAILS"


def test_printing_shows_every_piece_of_evidence(visit):
    page = visit.page
    page.emulate_media(media="print")
    closed = page.locator("details.ev:not([open]) .ev-body").first
    assert closed.is_visible()


def test_no_network_request_is_made(visit):
    visit.page.wait_for_load_state("networkidle")
    for details in visit.page.locator("details.ev").all()[:20]:
        details.locator("summary").click()
    assert visit.requests == [visit.url]
    assert [url for url in visit.routed if url != visit.url] == []


def test_injected_markup_stays_text(visit):
    page = visit.page
    assert page.evaluate("document.querySelectorAll('script, img, iframe, object').length") == 0
    hostile = page.locator("th.target[data-target=hostile]")
    assert HOSTILE in hostile.inner_text()
    evidence = page.locator("details.ev").filter(has_text="test_evil.py").first
    evidence.locator("summary").click()
    assert HOSTILE in evidence.locator("pre").first.inner_text()
    assert visit.dialogs == []
    content = page.content()
    for secret in SECRETS:
        assert secret not in content


def test_screenshot(visit, tmp_path):
    path = tmp_path / "report.png"
    visit.page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    target = os.environ.get("REPORT_SCREENSHOT")
    if target:  # for a human to look at: REPORT_SCREENSHOT=/tmp/report-screenshot.png
        visit.page.screenshot(path=target, full_page=False)
