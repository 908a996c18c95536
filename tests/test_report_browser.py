"""The rendered report in a real headless Chromium: offline, error-free, charts shown, no script runs.

Needs Debian's Chromium at /usr/bin/chromium (or $CHROMIUM), driven by Playwright from PyPI. A missing
browser fails the test with instructions; set CSSIM_SKIP_BROWSER=1 to skip these tests on purpose.
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
from pathlib import Path

import pypdf
import pytest

import cssim
from cssim.words.formatting import money
from cssim.words.i18n import Translator
from tests.test_report import GVC, PATHS, SEED, XSS_NAME, ja, rendered  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = ROOT / "docs" / "report.png"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser():
    if os.environ.get("CSSIM_SKIP_BROWSER") == "1":
        pytest.skip("CSSIM_SKIP_BROWSER=1")
    how = (
        "install it (as root: apt-get update && apt-get install -y chromium), point $CHROMIUM at "
        "it, or set CSSIM_SKIP_BROWSER=1 to skip the browser tests"
    )
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"no Chromium at {CHROMIUM}: {how}", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -e '.[dev]'", pytrace=False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Visit:
    """A page opened from file://, with every request, console error and dialog recorded."""

    def __init__(self, browser, path: Path):
        self.context = browser.new_context(
            viewport={"width": 1100, "height": 900}, service_workers="block"
        )
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.context.route("**/*", self._route)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.goto(path.as_uri(), wait_until="load")
        self.page.wait_for_timeout(300)  # let anything that would fire late (onerror, timers) fire

    def _route(self, route):
        url = route.request.url
        self.requests.append(url)
        if url.startswith(("file://", "data:")):
            route.continue_()
        else:
            route.abort()  # nothing may leave the machine, even if the test is about to fail

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def external(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file://", "data:"))]

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def gvc_page(browser, tmp_path_factory):
    visit = Visit(browser, rendered("gvc", tmp_path_factory).path)
    yield visit
    visit.close()


@pytest.fixture(scope="module")
def xss_page(browser, tmp_path_factory):
    visit = Visit(browser, rendered("xss", tmp_path_factory).path)
    yield visit
    visit.close()


def test_report_is_offline_and_error_free(gvc_page):
    assert gvc_page.external() == []
    assert gvc_page.requests and gvc_page.requests[0].startswith("file://")
    assert gvc_page.errors == []
    assert gvc_page.dialogs == []


def test_headline_and_charts_are_visible(gvc_page):
    page = gvc_page.page
    assert page.title() == "Growth against churn"
    assert page.locator("h1").inner_text() == "Growth against churn"
    h = cssim.simulate(cssim.load_scenario(GVC), paths=PATHS, seed=SEED).headline()
    card = page.locator(".card-value").first
    assert card.is_visible() and card.inner_text() == money(h["arr_median"])
    summary = page.locator("section.summary").inner_text()
    assert "80% range of ARR at month 36" in summary and "What to do" in summary
    assert "does not stop it" in summary and "Churn that holds the base flat" in summary
    appendix = page.locator("section.appendix").first.inner_text()
    assert "3% a month of churn outruns 20% a year of new customers" in appendix
    imgs = page.locator("img")
    assert imgs.count() >= 5
    for i in range(imgs.count()):
        img = imgs.nth(i)
        img.scroll_into_view_if_needed()
        assert img.is_visible()
        box = img.bounding_box()
        assert box["width"] > 600 and box["height"] > 150
        assert img.evaluate("i => i.complete && i.naturalWidth > 1000")  # decoded, not broken
    # nothing sticks out sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _squash(text: str) -> str:
    """Text compared between the page and its PDF: NFKC (ligatures, full-width forms), no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


#: Each heading of the page, and the text of what follows it: a figure's caption, a table's caption
#: (or first row), a list's first definition, a paragraph's first words; after a short note, the
#: block the note introduces too.
_HEADINGS_AND_NEXT = """() => [...document.querySelectorAll('main h2, main h3')].map(h => {
  const next = [];
  for (let n = h.nextElementSibling; n && next.length < 2; n = n.nextElementSibling) {
    const part = n.matches('figure') ? n.querySelector('figcaption')
      : n.matches('dl') ? n.querySelector('dd')  // floated terms print apart from their text
      : (n.querySelector('caption') || n.querySelector('tr') || n);
    next.push(part.innerText);
    if (!n.matches('p.note')) break;
  }
  return [h.innerText, next];
})"""


def printed(page) -> list[str]:
    """The page printed on A4 by Chromium: each PDF page's text (:func:`_squash`)."""
    pdf = page.pdf(format="A4", print_background=True)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == len(reader.pages)
    return [_squash(p.extract_text()) for p in reader.pages]


def headings_left_alone(page, texts: list[str]) -> list[str]:
    """Headings printed on another page than the start of what follows them (so a heading ends a
    page on its own), found by walking the headings in order through the pages' texts.

    A heading's words may also occur in the text before it (a description that says "ARR and
    customers"), so a heading may be on any page from the last one found that holds its words.
    """
    alone, at = [], 0
    for heading, following in page.evaluate(_HEADINGS_AND_NEXT):
        h = _squash(heading)
        pages = [i for i in range(at, len(texts)) if h in texts[i]]
        assert pages, f"heading {heading!r} is not printed after page {at + 1}"
        for text in following:
            start = _squash(text)[:30]
            where = next((i for i in range(pages[0], len(texts)) if start in texts[i]), None)
            if where not in pages:
                page_no = "none" if where is None else where + 1
                alone.append(f"{heading!r} on page {pages[0] + 1}, {text[:30]!r} on page {page_no}")
            else:
                at = where
    return alone


@pytest.mark.parametrize("which", ["gvc_page", "ja_page"])
def test_report_prints_on_four_a4_pages_with_headings_kept_with_their_content(which, request):
    """The default report, English and Japanese, on at most 4 A4 pages; no heading ends a page."""
    visit = request.getfixturevalue(which)
    texts = printed(visit.page)
    assert len(texts) <= 4, len(texts)
    assert headings_left_alone(visit.page, texts) == []
    # nothing the first screen and the appendix promise was dropped to get there
    everything = "".join(texts)
    for section in visit.page.locator("main h2").all_inner_texts():
        assert _squash(section) in everything, section
    footnote = visit.page.locator("footer.cssim-footnote").inner_text()
    assert _squash(footnote)[:60] in everything


def test_the_page_break_check_would_catch_a_lonely_heading(browser, tmp_path):
    """A heading pushed to the foot of page 1, its paragraph on page 2: the check above names it."""
    bad = tmp_path / "lonely.html"
    bad.write_text(
        "<html><body><main><div style='height:262mm'></div>"
        "<h2 style='break-after:auto;margin:0'>Lonely heading</h2>"
        "<p style='break-inside:avoid;height:40mm'>What the heading introduces.</p>"
        "<h2>Kept heading</h2><p>Right under it.</p></main></body></html>",
        encoding="utf-8",
    )
    visit = Visit(browser, bad)
    try:
        texts = printed(visit.page)
        assert len(texts) == 2
        assert headings_left_alone(visit.page, texts) == [
            "'Lonely heading' on page 1, 'What the heading introduces.' on page 2"
        ]
    finally:
        visit.close()


def test_full_page_screenshot(gvc_page, tmp_path):
    """A full-page screenshot; with CSSIM_UPDATE_DOCS=1 it also replaces docs/report.png (the README's).

    The suite never writes into the work tree by default, so ``make test`` leaves ``git status`` clean.
    """
    shot = tmp_path / "report.png"
    gvc_page.page.screenshot(path=str(shot), full_page=True, type="png")
    assert shot.stat().st_size > 50_000
    if os.environ.get("CSSIM_UPDATE_DOCS") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        tmp = SCREENSHOT.with_name(".report.png.tmp")
        tmp.write_bytes(shot.read_bytes())
        os.replace(tmp, SCREENSHOT)


def test_hostile_text_never_runs(xss_page):
    page = xss_page.page
    assert xss_page.dialogs == []  # no alert() fired
    assert xss_page.errors == []
    assert xss_page.external() == []
    assert page.locator("h1").inner_text() == XSS_NAME  # shown as text
    assert page.title() == XSS_NAME
    assert page.evaluate("document.scripts.length") == 0
    handlers = page.evaluate(
        "[...document.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name))"
        ".filter(n => n.startsWith('on'))"
    )
    assert handlers == []
    assert page.locator("img[src='x']").count() == 0


def test_the_recorder_would_catch_a_leak(browser, tmp_path):
    """A page that breaks every rule, to show the checks above can fail."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<html><head><title>bad</title></head><body>"
        "<img src='https://example.invalid/x.png'><script>alert(1)</script>"
        "<script>nosuchfunction()</script></body></html>",
        encoding="utf-8",
    )
    visit = Visit(browser, bad)
    try:
        assert visit.external() == ["https://example.invalid/x.png"]
        assert visit.dialogs == ["alert: 1"]
        assert any("nosuchfunction" in e for e in visit.errors)
    finally:
        visit.close()


@pytest.fixture(scope="module")
def ja_page(browser, ja):  # noqa: F811
    visit = Visit(browser, ja.path)
    yield visit
    visit.close()


def test_japanese_report_in_the_browser(ja_page, tmp_path):
    page = ja_page.page
    assert ja_page.errors == [] and ja_page.external() == []
    assert page.evaluate("document.documentElement.lang") == "ja"
    assert page.locator("h2").first.inner_text() == "見通しと打ち手"
    assert page.locator(".card-value").first.inner_text().endswith("億円")
    imgs = page.locator("img")
    assert imgs.count() >= 5
    for i in range(imgs.count()):
        assert imgs.nth(i).evaluate("i => i.complete && i.naturalWidth > 1000")
    shot = tmp_path / "report-ja.png"
    page.screenshot(path=str(shot), full_page=True, type="png")
    if os.environ.get("CSSIM_UPDATE_DOCS") == "1":
        target = ROOT / "docs" / "report-ja.png"
        tmp = target.with_name(".report-ja.png.tmp")
        tmp.write_bytes(shot.read_bytes())
        os.replace(tmp, target)


def test_reports_read_on_a_phone(browser, gvc_page, ja_page):
    for visit in (gvc_page, ja_page):
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(visit.page.url)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        phone.close()


def _fonts_for(page, selector: str) -> list[dict]:
    """The fonts Chromium drew ``selector``'s text with (DevTools ``CSS.getPlatformFontsForNode``)."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
        return cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()


@pytest.fixture(scope="module")
def ja_levers_page(browser, tmp_path_factory):
    """The levers page of the shipped Japanese default, in Japanese (a page built from templates)."""
    from cssim.reporting.outputs import write_levers_outputs

    out = tmp_path_factory.mktemp("levers-ja")
    sc = cssim.load_scenario(ROOT / "scenarios" / "ja" / "growth-vs-churn.yaml")
    files = write_levers_outputs(sc, out, paths=100, seed=1, lang="ja")
    html = next(p for p in files["files"] if str(p).endswith(".html"))
    visit = Visit(browser, html)
    yield visit
    visit.close()


def test_japanese_page_draws_its_text_with_the_embedded_font(ja_levers_page):
    """No box glyphs without a Japanese system font: the page's own subset draws its Japanese."""
    page = ja_levers_page.page
    assert ja_levers_page.errors == [] and ja_levers_page.external() == []
    assert page.evaluate("document.documentElement.lang") == "ja"
    title = Translator("ja")("Levers: {name}", name="成長と解約")
    assert page.locator("h1").inner_text() == title and re.search(r"[\u3040-\u30ff]", title)
    assert Translator("ja")("Break-even") in page.locator("h2").all_inner_texts()
    faces = page.evaluate(
        "async () => { await document.fonts.ready; return [...document.fonts].map("
        "f => [f.family.replace(/[\"']/g, ''), f.status]); }"
    )
    assert ["cssim-ja", "loaded"] in faces
    fonts = _fonts_for(page, "h1")
    cjk = len(re.findall(r"[\u3000-\u9fff\uff00-\uffef]", title))
    drawn = sum(f["glyphCount"] for f in fonts if f["isCustomFont"])
    assert drawn >= cjk > 0, fonts  # every Japanese glyph of the title from the webfont
