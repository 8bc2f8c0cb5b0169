"""The human pages over HTTP: `/` (profiles, builder), `/preview`, `/api/preview`,
`/api/categories`, `/opml`, `/static/...` and feeds opened in a browser: structure, the
same validation as /feed, security headers, and escaping of everything from arXiv or an LLM."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import feedparser
import lxml.html
import pytest
from lxml import etree

from core.taxonomy import ARCHIVES, CATEGORIES
from core.web import index
from core.web.params import FeedQuery
from core.web.templating import STATIC_DIR
from tests.conftest import TEST_CONFIG, App, running_app
from tests.fakearxiv import Failure, FakeArxiv, cs_ai_listing
from tests.llm_stub import LLMStub

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
DAY = ("rss_cs.AI_2026-04-27_trimmed3.xml", "rss_cs.CL_2026-04-27_trimmed3.xml", "rss_cs.LG_2026-04-27_trimmed3.xml")

HOSTILE = [
    {"title": "&lt;script&gt;alert(1)&lt;/script&gt; Diffusion", "abstract": "diffusion &lt;img src=x onerror=alert(2)&gt;",
     "authors": "A. &lt;b&gt;Bold&lt;/b&gt; Author"},
    {"title": "Quotes &quot;&gt;&lt;svg onload=alert(3)&gt; diffusion", "abstract": "diffusion &amp;amp; &#x27;x&#x27;",
     "authors": "B. Author"},
]


@pytest.fixture(scope="module")
def app() -> Iterator[App]:
    """One running app for the tests that only read (starting one per test costs ~0.5 s)."""
    fake = FakeArxiv().start()
    fake.serve_day(*DAY)
    try:
        with running_app(fake) as running:
            yield running
    finally:
        fake.stop()


def hostile_day() -> bytes:
    return cs_ai_listing([{**item, "n": n} for n, item in enumerate(HOSTILE)])


_SIMPLE = re.compile(r'^(?P<tag>[a-z0-9]+|\*)?(?P<classes>(?:\.[\w-]+)*)(?:\[(?P<attr>[\w-]+)="(?P<value>[^"]*)"\])?$')


def _xpath(selector: str) -> str:
    """A small CSS-to-XPath for these tests (tag, .class, [attr="v"], descendant, >, comma)."""
    paths = []
    for group in selector.split(","):
        path, axis = ".", "//"
        for token in group.replace(">", " > ").split():
            if token == ">":
                axis = "/"
                continue
            match = _SIMPLE.match(token)
            assert match, f"unsupported selector {token!r}"
            tests = [f"contains(concat(' ', normalize-space(@class), ' '), ' {c} ')" for c in match["classes"].split(".")[1:]]
            if match["attr"]:
                tests.append(f"@{match['attr']}='{match['value']}'")
            path += axis + (match["tag"] or "*") + "".join(f"[{t}]" for t in tests)
            axis = "//"
        paths.append(path)
    return " | ".join(paths)


def css(element, selector: str) -> list:
    return element.xpath(_xpath(selector))


def html(response) -> lxml.html.HtmlElement:
    assert response.headers["content-type"].startswith("text/html"), response.headers["content-type"]
    return lxml.html.fromstring(response.text)


def text(element) -> str:
    return " ".join(element.text_content().split())


# --- the index ----------------------------------------------------------------------------


def test_index_lists_every_profile_with_categories_terms_count_and_subscribe_links(app):
    page = html(app.get("/"))
    llm = page.get_element_by_id("profile-llm")
    assert text(css(llm, "h3")[0]) == "LLM papers"
    categories = text(llm.xpath(".//dt[.='Categories']/following-sibling::dd")[0])
    assert "cs.AI Artificial Intelligence" in categories and "cs.CL Computation and Language" in categories
    terms = text(llm.xpath(".//dt[.='Key terms']/following-sibling::dd")[0])
    assert "large language model ×2 also LLM" in terms and "agent" in terms and "reasoning" in terms
    assert text(llm.xpath(".//dt[.='Excludes']/following-sibling::dd")[0]) == "survey"
    feed_items = app.get("/feeds/llm.json").json()["items"]
    assert text(css(llm, ".count b")[0]) == str(len(feed_items)) and feed_items
    links = {a.get("href") for a in llm.iter("a")}
    for fmt in ("rss", "atom", "json", "md"):
        url = f"{app.url}/feeds/llm.{fmt}"
        assert url in links
        assert css(llm, f'button.copy[data-copy="{url}"]'), fmt
    assert f"feed:{app.url}/feeds/llm.atom" in links
    assert "/preview/llm" in links
    assert page.get_element_by_id("profile-vision") is not None
    discovery = [(l.get("title"), l.get("href")) for l in page.xpath("//head/link[@rel='alternate']")]
    assert discovery == [("LLM papers", f"{app.url}/feeds/llm.atom"), ("Vision", f"{app.url}/feeds/vision.atom")]
    assert page.xpath("//a[@href='/opml']")


def test_index_says_not_fetched_yet_when_arxiv_is_down_and_nothing_is_stored(fake_arxiv):
    with running_app(fake_arxiv, arxiv_retries=0) as app:
        fake_arxiv.fail_next(*[Failure(503, b"down")] * 5)
        response = app.get("/")
        assert response.status_code == 200
        counts = [text(c) for c in css(html(response), ".card-count")]
        assert len(counts) == 2 and all(c.startswith("not fetched yet") for c in counts), counts
        assert "arXiv could not be reached" in counts[0]


def test_index_does_not_wait_long_for_a_slow_arxiv_and_counts_once_the_fetch_lands(fake_arxiv, monkeypatch):
    monkeypatch.setattr(index, "INDEX_WAIT_S", 0.3)
    with running_app(fake_arxiv) as app:
        fake_arxiv.delay = 1.5
        started = time.monotonic()
        first = app.get("/")
        assert time.monotonic() - started < 1.4
        assert "not fetched yet" in text(html(first).get_element_by_id("profile-llm"))
        assert "arXiv is slow" in first.text
        deadline = time.monotonic() + 10
        while "not fetched yet" in app.get("/").text:  # the fetch went on in the background
            assert time.monotonic() < deadline, "the background fetch never landed"
            time.sleep(0.2)
        assert len(fake_arxiv.listing_requests()) == 1  # one combined request for every profile


def test_index_escapes_profile_text_in_content_and_attributes(fake_arxiv):
    evil = '"><script>alert(1)</script>'
    config = {"profiles": {"x": {"title": evil, "description": evil, "categories": ["cs.AI"],
                                 "keywords": [{"term": "a<b>c", "aliases": ["<i>x"]}], "authors": ["<img src=x>"],
                                 "exclude": ["</dd>"]}}}
    with running_app(fake_arxiv, config=config) as app:
        body = app.get("/").text
        assert "<script>alert(1)" not in body and "<img src=x>" not in body and "a<b>c" not in body and "<i>x" not in body
        page = lxml.html.fromstring(body)
        card = page.get_element_by_id("profile-x")
        assert text(css(card, "h3")[0]) == evil
        assert page.xpath("//head/link[@rel='alternate']/@title") == [evil]
        assert not page.xpath("//script[not(@src)]") and not page.xpath("//img[@src='x']")


# --- the builder --------------------------------------------------------------------------


def test_every_builder_input_has_a_label(app):
    page = html(app.get("/"))
    form = page.get_element_by_id("builder")
    controls = form.xpath(".//input[not(@type='hidden')] | .//select | .//textarea")
    assert len(controls) > 150
    labels = {label.get("for") for label in page.iter("label") if label.get("for")}
    for control in controls:
        wrapped = any(parent.tag == "label" for parent in control.iterancestors())
        assert wrapped or control.get("id") in labels or control.get("aria-label"), lxml.html.tostring(control)
    output = page.get_element_by_id("feed-url")
    assert output.get("id") in labels


def test_builder_offers_every_category_and_archive_of_the_taxonomy_with_names(app):
    page = html(app.get("/"))
    boxes = page.xpath("//form[@id='builder']//input[@name='cat']")
    values = [b.get("value") for b in boxes]
    assert set(values) == set(CATEGORIES) | set(ARCHIVES) and len(values) == len(set(values))
    label = boxes[values.index("cs.RO")].getparent()
    assert text(label) == "cs.RO Robotics" and label.get("data-search") == "cs.ro robotics"
    assert text(boxes[values.index("cs")].getparent()) == "cs all of Computer Science"


def test_builder_form_submits_to_the_preview_page_with_the_feed_parameters(app):
    page = html(app.get("/"))
    form = page.get_element_by_id("builder")
    assert form.get("action") == "/preview" and form.get("method") == "get"
    names = {c.get("name") for c in form.xpath(".//*[@name]")}
    assert names == {"cat", "q", "exclude", "author", "like", "unlike", "venue", "has", "type", "min_score", "limit", "format",
                     "days", "sort"}
    assert names <= set(FeedQuery.model_fields)
    assert form.get("data-live") == "/api/preview.html"


def test_api_categories_lists_the_taxonomy_grouped_by_archive(app):
    data = app.get("/api/categories").json()
    archives = {a["code"]: a for a in data["archives"]}
    assert set(archives) == set(ARCHIVES)
    assert {"code": "cs.AI", "name": "Artificial Intelligence"} in archives["cs"]["categories"]
    assert archives["hep-th"]["categories"] == [{"code": "hep-th", "name": "High Energy Physics - Theory"}]
    assert sum(len(a["categories"]) for a in data["archives"]) == len(CATEGORIES)


# --- /api/preview ---------------------------------------------------------------------------


def test_api_preview_marks_the_terms_where_they_scored_and_keeps_the_text_whole(app):
    data = app.get("/api/preview?cat=cs.AI,cs.CL,cs.LG&q=%22language+model%22,agent&limit=10").json()
    feed = app.get("/feed?cat=cs.AI,cs.CL,cs.LG&q=%22language+model%22,agent&limit=10&format=json").json()
    assert [i["id"] for i in data["items"]] == [i["_arxiv_feeds"]["arxiv_id"] for i in feed["items"]]
    assert data["count"] == len(feed["items"]) and data["feed_url"] == f"{app.url}/feed?cat=cs.AI,cs.CL,cs.LG&q=%22language+model%22,agent&limit=10"
    assert data["preview_url"] == "/preview?cat=cs.AI,cs.CL,cs.LG&q=%22language+model%22,agent&limit=10"
    pattern = re.compile(r"^(language[\s-]*models?|agent\w*)$", re.IGNORECASE)  # by stem: agentic, agents
    marked_any = False
    for item, original in zip(data["items"], feed["items"]):
        assert "".join(s["text"] for s in item["title"]) == original["title"]
        assert "".join(s["text"] for s in item["abstract"]) == original["summary"]
        for field in ("title", "abstract"):
            marks = [s["text"] for s in item[field] if s["mark"]]
            assert all(pattern.match(m) for m in marks), marks
            scored = any(h["field"] == field for h in item["hits"])
            assert bool(marks) == scored, (item["id"], field, marks, item["hits"])
            marked_any |= bool(marks)
    assert marked_any


def test_api_preview_marks_followed_authors(app):
    item = app.get("/api/preview?cat=cs.AI&author=Samuel+Cooper").json()["items"][0]
    assert [a["text"] for a in item["authors"] if a["mark"]] == ["Samuel Cooper"]
    assert [a["text"] for a in item["authors"] if not a["mark"]] == ["Michael Cooper"]


@pytest.mark.parametrize(
    "query,needle",
    [("", "cat: give at least one arXiv category"), ("cat=cs.XX", "unknown arXiv category 'cs.XX'"),
     ("cat=cs.AI&q=%22open", "unbalanced double quote"), ("cat=cs.AI&limit=0", "limit"),
     ("cat=cs.AI&colour=red", "unknown parameter 'colour'"), ("cat=cs.AI&type=old", "unknown announce type")],
)
def test_api_preview_rejects_what_feed_rejects_with_the_same_message(app, query, needle):
    upstream = len(app.fake.listing_requests())
    response = app.get(f"/api/preview?{query}")
    assert response.status_code == 400
    assert needle in response.json()["error"]
    assert response.json()["error"] == app.get(f"/feed?{query}").json()["error"]
    assert len(app.fake.listing_requests()) == upstream  # rejected before any upstream work


# --- preview pages --------------------------------------------------------------------------


def test_profile_preview_shows_every_item_with_score_breakdown_and_highlighted_terms(app):
    page = html(app.get("/preview/llm"))
    feed = app.get("/feeds/llm.json").json()["items"]
    items = css(page, "ol.papers > li.paper")
    assert [text(css(li, ".paper-title a")[0]) for li in items] == [i["title"] for i in feed]
    for li, original in zip(items, feed):
        assert text(css(li, ".score")[0]) == f"score {original['_arxiv_feeds']['score']:g}"
        hits = [text(h) for h in css(li, ".hits li")]
        expected = [f"{h['term']} in {h['field']} +{h['points']:g}" + (f" ({h['note']})" if h["note"] else "")
                    for h in original["_arxiv_feeds"]["hits"]]
        assert hits == expected
    marks = {text(m).lower() for m in css(page, "ol.papers mark")}
    assert {"llms", "agent"} <= marks or {"llm", "agent"} <= marks, marks  # the alias LLM is marked too
    assert css(page, f'.subscribe a[href="{app.url}/feeds/llm.rss"]')
    assert text(css(page, "h1")[0]) == "LLM papers"


def test_profile_preview_narrows_like_the_profile_feed_and_links_the_narrowed_feeds(app):
    page = html(app.get("/preview/llm?q=%2Bagent&limit=2"))
    feed = app.get("/feeds/llm.json?q=%2Bagent&limit=2").json()["items"]
    assert len(css(page, "ol.papers > li.paper")) == len(feed) == 2
    assert css(page, f'.subscribe a[href="{app.url}/feeds/llm.atom?q=%2Bagent&limit=2"]')


def test_adhoc_preview_links_the_feed_in_every_format(app):
    page = html(app.get("/preview?cat=cs.AI&q=agent&type=new,cross&sort=date"))
    hrefs = [a.get("href") for a in css(page, ".subscribe .formats a")]
    assert hrefs == [f"{app.url}/feed?cat=cs.AI&q=agent&sort=date" + suffix
                     for suffix in ("", "&format=atom", "&format=json", "&format=md")]
    for href in hrefs:
        assert app.get(href).status_code == 200


@pytest.mark.parametrize(
    "path,status,needle",
    [("/preview?cat=cs.XX", 400, "unknown arXiv category 'cs.XX'"), ("/preview", 400, "give at least one arXiv category"),
     ("/preview?cat=cs.AI&limit=ten", 400, "limit"), ("/preview/llm?cat=math.AG", 400, "not in profile 'llm'"),
     ("/preview/nope", 404, "no profile 'nope'")],
)
def test_preview_pages_show_errors_as_pages_with_the_feed_messages(app, path, status, needle):
    response = app.get(path)
    assert response.status_code == status
    alert = html(response).xpath("//*[@role='alert']")[0]
    assert needle in text(alert)  # the message as people read it (the markup escapes the quotes)
    assert alert.xpath(".//a[@href='/']")


def test_preview_drops_the_empty_fields_a_form_sends(app):
    response = app.get("/preview?cat=cs.AI&q=&exclude=+&min_score=&type=new&type=cross&format=rss", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/preview?cat=cs.AI&type=new&type=cross&format=rss"
    page = html(app.get(response.headers["location"]))
    assert css(page, "ol.papers > li.paper")
    assert css(page, ".subscribe input.copy-field")[0].get("value") == f"{app.url}/feed?cat=cs.AI&format=atom"


def test_preview_shows_a_503_page_when_arxiv_is_down_and_nothing_is_stored(fake_arxiv):
    with running_app(fake_arxiv, arxiv_retries=0) as app:
        fake_arxiv.fail_next(*[Failure(503, b"down")] * 5)
        response = app.get("/preview?cat=cs.AI")
        assert response.status_code == 503 and response.headers["retry-after"] == "300"
        assert "arXiv is not answering" in response.text


def test_preview_and_api_show_hostile_arxiv_text_as_text(fake_arxiv):
    with running_app(fake_arxiv) as app:
        fake_arxiv.fail_next(Failure(200, hostile_day()))
        response = app.get("/preview?cat=cs.AI&q=diffusion")
        body = response.text
        for raw in ("<script>alert(1)", "<img src=x", "<svg onload", "<b>Bold"):
            assert raw not in body
        page = lxml.html.fromstring(body)
        titles = [text(a) for a in css(page, ".paper-title a")]
        assert '<script>alert(1)</script> Diffusion' in titles
        assert 'Quotes "><svg onload=alert(3)> diffusion' in titles
        assert not css(page, "ol.papers script, ol.papers img, ol.papers svg, ol.papers b")
        assert "A. <b>Bold</b> Author" in [text(a) for a in css(page, "ol.papers .authors")]
        data = app.get("/api/preview?cat=cs.AI&q=diffusion").json()
        assert "".join(s["text"] for s in data["items"][0]["title"]) in {t for t in titles}


def test_preview_shows_sanitised_ai_summaries_of_the_top_items(fake_arxiv):
    stub = LLMStub()
    stub.mode = "hostile"
    config = {"profiles": {**TEST_CONFIG["profiles"],
                           "llm": {**TEST_CONFIG["profiles"]["llm"], "summaries": {"enabled": True, "top_n": 2}}}}
    try:
        with running_app(fake_arxiv, config=config, llm_base_url=stub.url, llm_api_key=stub.token,
                         llm_model="stub-1", summary_budget_s=5.0) as app:
            body = app.get("/preview/llm").text
    finally:
        stub.stop()
    page = lxml.html.fromstring(body)
    summaries = css(page, "ol.papers .ai-summary")
    assert len(summaries) == 2
    assert "stub-1" in text(summaries[0])
    assert "<script>alert('x')</script>" in text(summaries[0])  # shown as text
    assert not css(page, ".ai-summary script, .ai-summary img")
    assert all(not a.get("href", "").startswith("javascript:") for a in css(page, ".ai-summary a"))


# --- security headers and no inline code ---------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/preview/llm", "/preview?cat=cs.AI&q=agent", "/preview?cat=cs.XX", "/preview/nope"])
def test_pages_send_a_strict_csp_and_carry_no_inline_script_or_style(app, path):
    response = app.get(path)
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    page = html(response)
    scripts = page.xpath("//script")
    assert scripts and all(s.get("src", "").startswith("/static/app.js?v=") and not (s.text or "").strip() for s in scripts)
    assert not page.xpath("//style") and not page.xpath("//*[@style]")
    assert not [a for el in page.iter() if isinstance(el.tag, str) for a in el.attrib if a.startswith("on")]
    stylesheets = page.xpath("//link[@rel='stylesheet']/@href")
    assert stylesheets and all(href.startswith("/static/") for href in stylesheets)  # no CDN


# --- OPML -----------------------------------------------------------------------------------


def test_opml_lists_every_profile_feed_for_readers_to_import(fake_arxiv):
    config = {"profiles": {**TEST_CONFIG["profiles"], "amp": {"title": 'R&D <"quoted">', "categories": ["cs.RO"]}}}
    with running_app(fake_arxiv, config=config) as app:
        response = app.get("/opml")
        assert response.headers["content-type"] == "text/x-opml; charset=utf-8"
        assert "attachment" in response.headers["content-disposition"]
        root = etree.fromstring(response.content)
        assert root.tag == "opml" and root.get("version") == "2.0"
        outlines = root.xpath("//body/outline/outline")
        assert [(o.get("text"), o.get("type"), o.get("xmlUrl")) for o in outlines] == [
            ("LLM papers", "rss", f"{app.url}/feeds/llm.atom"), ("Vision", "rss", f"{app.url}/feeds/vision.atom"),
            ('R&D <"quoted">', "rss", f"{app.url}/feeds/amp.atom")]
        assert outlines[0].get("htmlUrl") == f"{app.url}/preview/llm"
        rss = etree.fromstring(app.get("/opml?format=rss").content)
        assert rss.xpath("//body/outline/outline/@xmlUrl")[0] == f"{app.url}/feeds/llm.rss"
        for url in rss.xpath("//body/outline/outline/@xmlUrl"):
            assert not feedparser.parse(app.get(url).content).bozo
        assert app.get("/opml?format=pdf").status_code == 400
        assert app.get("/opml?colour=red").status_code == 400


# --- static files, and feeds opened in a browser --------------------------------------------------


def test_static_files_are_found_next_to_the_code_and_served_with_their_types(fake_arxiv, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with running_app(fake_arxiv) as app:
        for name, media_type in (("app.js", "text/javascript"), ("style.css", "text/css"), ("icon.svg", "image/svg+xml")):
            response = app.get(f"/static/{name}")
            assert response.status_code == 200, name
            assert response.headers["content-type"].split(";")[0] == media_type
            assert response.headers["x-content-type-options"] == "nosniff"
            assert app.get(f"/static/{name}", headers={"If-None-Match": response.headers["etag"]}).status_code == 304
        for bad in ("nope.js", "..%2Fapp.py", "%2E%2E%2Flayout.py", ".hidden.css", "app.py"):
            assert app.get(f"/static/{bad}").status_code == 404, bad
        assert "http" not in app.get("/static/style.css").text.replace("http://www.w3.org", "")  # no CDN, no web fonts


NAVIGATION = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}  # what only a browser's navigation sends


@pytest.mark.parametrize("path", ["/feeds/llm.rss", "/feeds/llm.atom", "/feed?cat=cs.AI&q=agent&format=atom"])
def test_rss_and_atom_carry_no_stylesheet_and_readers_parse_them(app, path):
    body = app.get(path).content
    assert body.startswith(b"<?xml version=") and b"xml-stylesheet" not in body and b"xsl" not in body.lower()
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.entries
    assert app.get("/static/feed.xsl").status_code == 404  # retired: browsers are removing XSLT


@pytest.mark.parametrize("path,media_type", [("/feeds/llm.rss", "application/rss+xml"), ("/feeds/llm.atom", "application/atom+xml"),
                                             ("/feed?cat=cs.AI&q=agent", "application/rss+xml"), ("/rss", "application/rss+xml"),
                                             ("/rss/cs.AI", "application/rss+xml")])
def test_a_browser_opening_a_feed_gets_its_page_and_every_other_client_the_feed(app, path, media_type):
    page_response = app.get(path, headers=NAVIGATION)
    assert page_response.status_code == 200
    assert page_response.headers["content-type"] == "text/html; charset=utf-8"
    for headers in ({}, {"Sec-Fetch-Dest": "document"}, {"Sec-Fetch-Mode": "navigate"},
                    {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}, {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "iframe"}):
        feed = app.get(path, headers=headers)
        assert feed.headers["content-type"] == f"{media_type}; charset=utf-8", headers
    for response in (page_response, feed):
        vary = [v.strip().lower() for v in response.headers["vary"].split(",")]
        assert {"sec-fetch-mode", "sec-fetch-dest", "accept-encoding"} <= set(vary), vary
    assert app.get("/feeds/llm.json", headers=NAVIGATION).headers["content-type"].startswith("application/feed+json")
    assert app.get("/feeds/llm.md", headers=NAVIGATION).headers["content-type"].startswith("text/markdown")


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_the_feed_page_has_the_same_items_the_url_to_copy_and_how_to_subscribe(app, fmt):
    response = app.get(f"/feeds/llm.{fmt}", headers=NAVIGATION)
    feed = app.get("/feeds/llm.json").json()
    page = html(response)
    assert text(css(page, "h1")[0]) == "LLM papers"
    assert [text(a) for a in css(page, "ol.papers .paper-title a")] == [i["title"] for i in feed["items"]]
    assert [a.get("href") for a in css(page, "ol.papers .paper-title a")] == [i["url"] for i in feed["items"]]
    first = css(page, "ol.papers > li.paper")[0]
    meta = feed["items"][0]["_arxiv_feeds"]
    assert text(css(first, "p.score")[0]) == f"score {meta['score']:g}"
    breakdown = text(css(first, "ul.hits")[0])
    assert all(h["term"] in breakdown for h in meta["hits"]), breakdown
    assert feed["items"][0]["summary"][:60] in text(first)
    assert [i.get("value") for i in css(page, "input.copy-field")] == [f"{app.url}/feeds/llm.{fmt}"]
    assert "copy its address below into your feed reader" in text(css(page, "p.how-to-subscribe")[0])
    assert f"feed:{app.url}/feeds/llm.{fmt}" in [a.get("href") for a in page.iter("a")]
    assert response.headers["content-security-policy"]  # a page like the others


def test_the_feed_page_shows_hostile_text_as_text(fake_arxiv):
    with running_app(fake_arxiv) as app:
        fake_arxiv.fail_next(Failure(200, hostile_day()))
        for fmt in ("rss", "atom"):
            response = app.get(f"/feed?cat=cs.AI&q=diffusion&format={fmt}", headers=NAVIGATION)
            for raw in ("<script>alert(1)", "<img src=x", "<svg onload"):
                assert raw not in response.text
            page = html(response)
            assert not css(page, "ol.papers script, ol.papers img, ol.papers svg")
            assert "<script>alert(1)</script> Diffusion" in [text(a) for a in css(page, ".paper-title a")]


def test_a_bad_feed_url_opened_in_a_browser_is_an_error_page(app):
    response = app.get("/feed?cat=cs.XX&format=atom", headers=NAVIGATION)
    assert response.status_code == 400


def test_static_urls_are_versioned_by_content(app):
    page = html(app.get("/"))
    script = page.xpath("//script/@src")[0]
    digest = hashlib.sha256((STATIC_DIR / "app.js").read_bytes()).hexdigest()[:10]
    assert script == f"/static/app.js?v={quote(digest)}"


# --- the builder's live preview as HTML -------------------------------------------------------


def test_live_preview_fragment_uses_the_preview_partial_and_gives_the_canonical_urls(app):
    query = "cat=cs.AI&q=agent&exclude=&type=new&type=cross&format=atom&sort=score"
    response = app.get(f"/api/preview.html?{query}")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-cache"
    fragment = lxml.html.fromstring(f"<div>{response.text}</div>")
    line = css(fragment, "p.preview-status")[0]  # what app.js reads
    assert line.get("data-feed-url") == f"{app.url}/feed?cat=cs.AI&q=agent&format=atom"  # defaults and blanks dropped
    assert line.get("data-preview-url") == "/preview?cat=cs.AI&q=agent"
    live = css(fragment, "ol.papers > li.paper")
    page = css(html(app.get("/preview?cat=cs.AI&q=agent")), "ol.papers > li.paper")
    assert [li.get("id") for li in live] == [li.get("id") for li in page] and live
    for a, b in zip(live, page):  # the same partial: title, authors, chips, links
        for selector in (".paper-title", ".authors", ".paper-meta", ".paper-links"):
            assert lxml.html.tostring(css(a, selector)[0]) == lxml.html.tostring(css(b, selector)[0])
    assert text(css(live[0], ".explanation")[0]).startswith("score ")
    bad = app.get("/api/preview.html?cat=cs.XX")
    assert bad.status_code == 400
    assert text(css(lxml.html.fromstring(f"<div>{bad.text}</div>"), "p.preview-status.error")[0]) == app.get("/feed?cat=cs.XX").json()["error"]


def test_a_feed_opened_in_a_browser_shows_its_papers_with_the_preview_partial(app):
    browser = {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate"}
    feed_page = css(html(app.get("/feeds/llm.atom", headers=browser)), "ol.papers > li.paper")
    preview = css(html(app.get("/preview/llm")), "ol.papers > li.paper")
    assert feed_page and [lxml.html.tostring(li) for li in feed_page] == [lxml.html.tostring(li) for li in preview]
