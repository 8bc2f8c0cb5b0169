"""The pages in a real browser: Debian's headless Chromium driven by Playwright (never a
downloaded browser: `playwright install` is not used), against the real app on 127.0.0.1.

Screenshots go to tests/artifacts/ (git-ignored) for people to look at. Skipped, saying why,
where Chromium or the Playwright package is missing (`.ci/run` installs both).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import running_app
from tests.fakearxiv import Failure

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None  # type: ignore[assignment]

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]

pytestmark = [
    pytest.mark.skipif(sync_playwright is None, reason="the playwright package is not installed (pip install -r requirements-dev.txt)"),
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not on PATH (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        yield launched
        launched.close()


class Watched:
    """A page plus the console errors, page errors and requests seen while it was used."""

    def __init__(self, page: Page):
        self.page = page
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on("request", lambda r: self.requests.append(r.url))

    def csp_violations(self) -> list[str]:
        return [e for e in self.errors if "Content Security Policy" in e or "page error" in e]


def open_page(browser: Browser, **context_options) -> Watched:
    options = {"viewport": {"width": 1280, "height": 900}, "color_scheme": "light", **context_options}
    context = browser.new_context(**options)
    context.set_default_timeout(10_000)
    return Watched(context.new_page())


def shot(watched: Watched, name: str, full_page: bool = True) -> Path:
    path = ARTIFACTS / name
    watched.page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > 10_000  # a real picture, not an empty page
    return path


def test_builder_preview_follows_the_inputs_and_its_link_opens_the_feed_as_a_readable_page(browser, fake_arxiv):
    with running_app(fake_arxiv) as app:
        watched = open_page(browser)
        page = watched.page
        page.goto(app.url + "/")
        expect(page.locator("#profile-llm h3")).to_have_text("LLM papers")
        expect(page.locator("#profile-vision h3")).to_have_text("Vision")
        expect(page.locator("#profile-llm .count b")).to_have_text(re.compile(r"^[1-9]\d*$"))
        expect(page.locator("#profile-llm button.copy").first).to_be_visible()  # shown by app.js

        # Pick cs.AI in the searchable category list, from the keyboard.
        page.locator("#cat-filter").press_sequentially("cs.AI")
        expect(page.locator("#cat-list label.cat:visible")).to_have_count(1)
        page.locator("#cat-filter").press("Enter")
        expect(page.locator("#cat-selected button.chip")).to_have_text(re.compile(r"cs\.AI\s+Artificial Intelligence"))
        expect(page.locator("#preview-list li.paper").first).to_be_visible()  # every cs.AI paper, no terms yet
        everything = page.locator("#preview-list li.paper").count()

        # Type a term: the preview narrows once typing pauses, with the term highlighted.
        page.locator("#q").press_sequentially("agent", delay=40)
        expect(page.locator("#feed-url")).to_have_value(f"{app.url}/feed?cat=cs.AI&q=agent")
        expect(page.locator("#preview-status")).to_contain_text("papers match")
        expect(page.locator("#preview-list li.paper mark").first).to_have_text(re.compile(r"^agents?$", re.IGNORECASE))
        expected = app.get("/api/preview?cat=cs.AI&q=agent").json()
        titles = ["".join(span["text"] for span in item["title"]) for item in expected["items"]]
        expect(page.locator("#preview-list .paper-title a")).to_have_text(titles)
        assert 0 < len(titles) < everything
        partial = [u for u in watched.requests if "/api/preview" in u and re.search(r"q=(a|ag|age|agen)(&|$)", u)]
        assert partial == [], f"the preview was not debounced: {partial}"

        # The format follows the picker, and the link opens the feed.
        page.select_option("#format", "atom")
        expect(page.locator("#feed-url")).to_have_value(f"{app.url}/feed?cat=cs.AI&q=agent&format=atom")
        page.select_option("#format", "rss")
        expect(page.locator("#open-feed")).to_have_attribute("href", f"{app.url}/feed?cat=cs.AI&q=agent")
        shot(watched, "index-builder.png")

        page.click("#open-feed")
        page.wait_for_url(f"{app.url}/feed?cat=cs.AI&q=agent")
        # The browser's navigation gets the feed's HTML page (no XSLT): titles in order, the URL to copy.
        assert page.evaluate("document.contentType") == "text/html"
        expect(page.locator("h1")).to_have_text("arXiv cs.AI: agent")
        expect(page.locator("ol.papers .paper-title a")).to_have_text(titles)
        expect(page.locator("ol.papers p.score").first).to_contain_text("score")
        expect(page.locator("input.copy-field")).to_have_value(f"{app.url}/feed?cat=cs.AI&q=agent")
        shot(watched, "feed-rss-in-browser.png")
        assert watched.csp_violations() == []
        assert not [u for u in watched.requests if "xsl" in u.lower()]


def test_an_atom_feed_opened_in_chromium_is_its_html_page_without_xslt(browser, fake_arxiv):
    fake_arxiv.serve_day("rss_cs.CV_2026-04-21.xml")
    with running_app(fake_arxiv) as app:
        expected = [item["title"] for item in app.get("/feeds/vision.json").json()["items"]]
        watched = open_page(browser)
        page = watched.page
        response = page.goto(app.url + "/feeds/vision.atom")
        assert response is not None and response.status == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert "sec-fetch-mode" in response.headers["vary"].lower()
        assert page.evaluate("document.contentType") == "text/html"
        expect(page.locator("h1")).to_have_text("Vision")
        expect(page.locator("ol.papers .paper-title a")).to_have_text(expected)
        expect(page.locator("input.copy-field")).to_have_value(f"{app.url}/feeds/vision.atom")
        expect(page.locator("p.how-to-subscribe")).to_contain_text("feed reader")
        shot(watched, "feed-atom-in-browser.png")
        assert watched.csp_violations() == [] and not [e for e in watched.errors if "XSLT" in e]
        assert not [u for u in watched.requests if "xsl" in u.lower()]
        # a reader (or fetch() from a page) asking the same URL still gets the Atom feed
        fetched = page.evaluate("fetch(location.href).then(r => r.headers.get('content-type'))")
        assert fetched == "application/atom+xml; charset=utf-8"


def test_copy_button_puts_the_feed_url_on_the_clipboard(browser, fake_arxiv):
    with running_app(fake_arxiv) as app:
        watched = open_page(browser)
        page = watched.page
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app.url)
        page.goto(app.url + "/")
        page.check('#cat-list input[value="cs.CL"]')
        page.fill("#q", '"language model"^2')
        expect(page.locator("#feed-url")).to_have_value(f"{app.url}/feed?cat=cs.CL&q=%22language+model%22%5E2")
        page.click("#copy-url")
        expect(page.locator("#copy-status")).to_have_text("Copied the feed URL to the clipboard.")
        assert page.evaluate("navigator.clipboard.readText()") == f"{app.url}/feed?cat=cs.CL&q=%22language+model%22%5E2"
        # What was copied is a working feed.
        assert app.get(page.locator("#feed-url").input_value()).status_code == 200
        assert watched.csp_violations() == []


def test_category_list_is_usable_from_the_keyboard_with_a_visible_focus(browser, fake_arxiv):
    with running_app(fake_arxiv) as app:
        watched = open_page(browser)
        page = watched.page
        page.goto(app.url + "/")
        page.focus("#cat-filter")
        page.keyboard.type("robot")
        page.keyboard.press("ArrowDown")
        focused = page.evaluate("document.activeElement.value")
        assert focused == "cs.RO"
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"
        page.keyboard.press("Space")
        expect(page.locator("#cat-selected button.chip")).to_have_count(1)
        expect(page.locator("#feed-url")).to_have_value(f"{app.url}/feed?cat=cs.RO")
        # Removing the chip unselects the category and empties the preview.
        page.locator("#cat-selected button.chip").press("Enter")
        expect(page.locator("#cat-selected button.chip")).to_have_count(0)
        expect(page.locator('#cat-list input[value="cs.RO"]')).not_to_be_checked()
        expect(page.locator("#preview-status")).to_contain_text("Pick at least one category")


def test_live_preview_shows_hostile_titles_as_text(browser, fake_arxiv):
    listing = fake_arxiv.listing(["cs.AI"])
    first_item = listing.index(b"<item>")
    hostile = listing[:first_item] + listing[first_item:].replace(
        b"<title>", b"<title>&lt;img src=x onerror=&quot;window.pwned=1&quot;&gt; &lt;script&gt;window.pwned=2&lt;/script&gt; ", 1
    )
    with running_app(fake_arxiv) as app:
        fake_arxiv.fail_next(Failure(200, hostile))
        watched = open_page(browser)
        page = watched.page
        page.goto(app.url + "/")
        page.check('#cat-list input[value="cs.AI"]')
        expect(page.locator("#preview-list li.paper").first).to_be_visible()
        expect(page.locator("#preview-list")).to_contain_text('<img src=x onerror="window.pwned=1"> <script>window.pwned=2</script>')
        assert page.locator("#preview-list img, #preview-list script").count() == 0
        page.goto(app.url + "/preview?cat=cs.AI")
        expect(page.locator("ol.papers")).to_contain_text("<script>window.pwned=2</script>")
        assert page.locator("ol.papers img, ol.papers script").count() == 0
        assert page.evaluate("window.pwned") is None


def test_builder_works_without_javascript_through_the_preview_page(browser, fake_arxiv):
    with running_app(fake_arxiv) as app:
        watched = open_page(browser, java_script_enabled=False)
        page = watched.page
        page.goto(app.url + "/")
        expect(page.locator("#profile-llm h3")).to_have_text("LLM papers")
        expect(page.locator("#builder-output")).to_be_hidden()
        page.check('#cat-list input[value="cs.AI"]')
        page.fill("#q", "agent")
        page.click("#builder-submit")
        page.wait_for_url(re.compile(r"/preview\?cat=cs\.AI&q=agent"))
        expect(page.locator("h1")).to_have_text("arXiv cs.AI: agent")
        expect(page.locator("ol.papers li.paper").first).to_be_visible()
        expect(page.locator("ol.papers .paper-title mark").first).to_have_text(re.compile(r"^agents?$", re.IGNORECASE))
        expect(page.locator(".subscribe input.copy-field")).to_have_value(f"{app.url}/feed?cat=cs.AI&q=agent&format=atom")
        shot(watched, "preview-without-javascript.png")


def test_profile_preview_and_index_on_a_phone_in_dark_mode(browser, fake_arxiv):
    with running_app(fake_arxiv) as app:
        watched = open_page(browser, viewport={"width": 390, "height": 844}, color_scheme="dark", is_mobile=True)
        page = watched.page
        page.goto(app.url + "/preview/llm")
        expect(page.locator("ol.papers li.paper").first).to_be_visible()
        expect(page.locator("ol.papers .hits li").first).to_have_text(re.compile(r" in (title|abstract|authors) \+\d"))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
        shot(watched, "preview-profile-phone-dark.png", full_page=False)
        page.goto(app.url + "/")
        expect(page.locator("#profile-llm")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shot(watched, "index-phone-dark.png", full_page=False)
        assert watched.csp_violations() == []


CONTRAST_JS = """
(selectors) => {
  const parse = (c) => {
    const p = c.match(/[\\d.]+/g).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const luminance = (c) => 0.2126 * channel(c.r) + 0.7152 * channel(c.g) + 0.0722 * channel(c.b);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.a > 0.5) return c;
    }
    return parse(getComputedStyle(document.body).backgroundColor);
  };
  const worst = [];
  for (const selector of selectors) {
    const found = Array.from(document.querySelectorAll(selector)).filter((e) => e.getClientRects().length).slice(0, 5);
    if (!found.length) { worst.push([selector, 0, "not found"]); continue; }
    for (const el of found) {
      const a = luminance(parse(getComputedStyle(el).color)), b = luminance(background(el));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      worst.push([selector, Math.round(ratio * 100) / 100, el.textContent.trim().slice(0, 30)]);
    }
  }
  return worst;
}
"""
TEXT_SELECTORS = ["body", "h1", ".muted", ".hint", "main a", ".button", ".button.primary", "mark", ".chip", ".score",
                  ".facts dt", "label", "input[type=text]", ".preview-status", ".explanation", ".authors", ".site-footer"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_meets_wcag_aa_contrast_in_light_and_dark_mode(browser, fake_arxiv, scheme):
    with running_app(fake_arxiv) as app:
        watched = open_page(browser, color_scheme=scheme)
        page = watched.page
        page.goto(app.url + "/")
        page.check('#cat-list input[value="cs.AI"]')
        page.fill("#q", "agent")
        expect(page.locator("#preview-list mark").first).to_be_visible()
        measured = page.evaluate(CONTRAST_JS, TEXT_SELECTORS)
        low = [m for m in measured if m[1] < 4.5]
        assert low == [], f"below 4.5:1 in {scheme} mode: {low}"


def test_profile_cards_promise_ai_summaries_only_where_the_server_can_make_them(browser, fake_arxiv):
    """A profile asking for summaries (the llm one, top 2): with an LLM key its card says so;
    without one it says the reader gets none, and why."""
    from tests.test_summaries import CONFIG

    for key, expected in (({}, "no AI summaries: this server has no LLM key"),
                          ({"llm_api_key": "test-key", "llm_base_url": "http://127.0.0.1:9/v1"}, "AI summaries of the top 2")):
        with running_app(fake_arxiv, config=CONFIG, **key) as app:
            watched = open_page(browser)
            watched.page.goto(app.url + "/")
            llm = watched.page.locator("#profile-llm dd", has_text="last 7 days")
            expect(llm).to_have_count(1)
            settings = llm.inner_text()
            assert expected in settings, (key, settings)
            assert ("top 2" in settings) is bool(key), settings
            vision = watched.page.locator("#profile-vision dd", has_text="last 7 days").inner_text()
            assert "summar" not in vision.lower()  # a profile that asks for none is silent about them
            assert watched.csp_violations() == []
            watched.page.context.close()


def test_the_api_page_renders_offline_from_the_services_own_files_under_the_pages_csp(browser, fake_arxiv):
    """/docs in Chromium with every other origin unreachable: Swagger UI draws the routes from
    /openapi.json, every request stays on this origin, and the strict page CSP holds."""
    with running_app(fake_arxiv) as app:
        watched = open_page(browser)
        page = watched.page
        elsewhere: list[str] = []

        def offline(route):
            if route.request.url.startswith(app.url + "/"):
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort("internetdisconnected")

        page.context.route("**/*", offline)
        response = page.goto(app.url + "/docs")
        assert response is not None and response.status == 200
        assert "script-src 'self';" in response.headers["content-security-policy"]
        assert "unsafe-inline" not in response.headers["content-security-policy"]
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("arxiv-feeds")
        expect(page.locator(".opblock-summary-path", has_text="/feed").first).to_be_visible()
        page.locator(".opblock-summary", has_text="/feeds/{filename}").first.click()
        expect(page.locator(".opblock-body .parameters").first).to_be_visible()
        shot(watched, "docs-offline.png")
        assert elsewhere == [] and all(u.startswith(app.url + "/") for u in watched.requests), elsewhere
        assert watched.csp_violations() == [], watched.csp_violations()
        assert watched.errors == [], watched.errors
        page.context.close()


def test_the_builder_offers_biorxiv_and_medrxiv_collections(browser, fake_arxiv):
    """The collections are in the picker, found by name, and a picked one makes the feed URL and
    a live preview of that server's papers (the fake api.biorxiv.org serves today's listing day)."""
    import datetime as dt

    from core.sources.biorxiv import schedule
    from tests.fakebiorxiv import FakeBiorxiv, derived_day

    fake = FakeBiorxiv().start()
    fake.serve("biorxiv", derived_day("biorxiv", schedule.listing_day(dt.datetime.now(dt.UTC)), 60))
    try:
        with running_app(fake_arxiv, biorxiv_api_url=fake.url) as app:
            watched = open_page(browser)
            page = watched.page
            page.goto(app.url + "/")
            expect(page.locator("fieldset.cat-group[data-archive='medrxiv'] legend")).to_have_text("medRxiv")
            page.locator("#cat-filter").press_sequentially("neuroscience")
            expect(page.locator("#cat-list label.cat:visible")).to_have_count(1)
            page.locator("#cat-filter").press("Enter")
            expect(page.locator("#cat-selected button.chip")).to_have_text(re.compile(r"biorxiv:neuroscience\s+Neuroscience"))
            expect(page.locator("#feed-url")).to_have_value(f"{app.url}/feed?cat=biorxiv:neuroscience")
            expect(page.locator("#preview-list li.paper").first).to_be_visible()
            expect(page.locator("#preview-list .paper-title a").first).to_have_attribute(
                "href", re.compile(r"^https://www\.biorxiv\.org/content/10\.1101/"))
            shot(watched, "index-builder-biorxiv.png")
            assert watched.csp_violations() == []
            assert [r.path for r in fake.requests][0].startswith("/details/biorxiv/")
    finally:
        fake.stop()
