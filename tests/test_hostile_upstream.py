"""Hostile or broken upstream data, served by the fake arXiv over HTTP: feeds stay valid
XML and JSON, everything is escaped, and a bad batch never replaces the last good one."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import feedparser
import pytest

from tests.conftest import running_app
from tests.fakearxiv import Failure
from tests.test_ingest import use_clock

CHANNEL = """<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0"><channel>
<title>{cat} updates on arXiv.org</title><link>http://rss.arxiv.org/rss/{cat}</link><description>x</description>
<pubDate>Mon, 27 Apr 2026 00:00:00 -0400</pubDate>{items}</channel></rss>"""
ITEM = """<item><title>{title}</title><link>{link}</link>
<description>arXiv:{id}v1 Announce Type: new
Abstract: {abstract}</description><guid isPermaLink="false">oai:arXiv.org:{id}v1</guid>
{cats}<pubDate>Mon, 27 Apr 2026 00:00:00 -0400</pubDate><arxiv:announce_type>new</arxiv:announce_type>
<dc:creator>{authors}</dc:creator></item>"""


def day(cat: str, items: list[dict]) -> bytes:
    rendered = []
    for n, item in enumerate(items):
        values = {"id": f"2604.{n:05d}", "link": f"https://arxiv.org/abs/2604.{n:05d}", "authors": "A. Author",
                  "abstract": "An abstract.", "title": "A title", "categories": [cat], **item}
        values["cats"] = "".join(f"<category>{c}</category>" for c in values.pop("categories"))
        rendered.append(ITEM.format(**values))
    return CHANNEL.format(cat=cat, items="".join(rendered)).encode("utf-8")


HOSTILE = [
    {"title": "&lt;script&gt;alert(1)&lt;/script&gt; Diffusion", "abstract": "diffusion &lt;img src=x onerror=alert(2)&gt;"},
    {"title": "Diffusion link", "link": "javascript:alert(3)", "abstract": "diffusion"},
    {"title": "Control\x01 chars\x1f in diffusion", "abstract": "diffusion\x0b\x0c text \x7f"},
    {"title": "LaTeX $\\mathcal{O}(n^2)$ diffusion with \\textbf{bold}", "abstract": "$x &lt; y$ diffusion \\cite{x}"},
    {"title": "نموذج الانتشار diffusion עברית", "abstract": "\u202eRTL override\u202c diffusion"},
    {"title": "Ampersand &amp; diffusion &amp;amp; entities", "abstract": "diffusion &#x27;quoted&#x27;",
     "authors": "X. Y (Univ. A, B &amp; C), Z. W"},
]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.hrefs += [v or "" for k, v in attrs if k == "href"]
        assert not any(k.startswith("on") for k, _ in attrs), attrs


def check_html(body: str) -> None:
    parser = _Tags()
    parser.feed(body)
    assert parser.tags <= {"p", "b", "a"}, parser.tags
    assert all(h.startswith("https://arxiv.org/") for h in parser.hrefs), parser.hrefs


def test_hostile_titles_abstracts_and_links_are_escaped_in_every_format(fake_arxiv):
    raw = day("cs.AI", HOSTILE)  # control characters make it invalid XML, as hostile data may be
    with running_app(fake_arxiv) as app:
        fake_arxiv.fail_next(Failure(200, raw))
        query = "/feed?cat=cs.AI&q=diffusion&limit=50"
        rss = app.get(query)
        atom = app.get(query + "&format=atom")
        feed = app.get(query + "&format=json").json()
        md = app.get(query + "&format=md").text
    assert len(feed["items"]) == len(HOSTILE)
    for body in (rss.content, atom.content):
        parsed = feedparser.parse(body)
        assert not parsed.bozo, parsed.get("bozo_exception")
        ET.fromstring(body)  # well-formed XML despite control characters
    for entry in feedparser.parse(rss.content).entries:
        check_html(entry.description)
        assert entry.link.startswith("https://arxiv.org/abs/")
    for entry in feedparser.parse(atom.content).entries:
        check_html(entry.content[0].value)
    for item in feed["items"]:
        check_html(item["content_html"])
        assert item["url"].startswith("https://arxiv.org/abs/")
    titles = {i["title"] for i in feed["items"]}
    assert "<script>alert(1)</script> Diffusion" in titles  # kept as text, shown as text
    assert any("نموذج" in t for t in titles)
    assert "<script>" not in md and "\\<script\\>" in md
    assert "javascript:" not in rss.text + atom.text + json.dumps(feed) + md


def test_invalid_utf8_does_not_break_feeds(fake_arxiv):
    body = day("cs.AI", [{"title": "Diffusion ok"}, {"title": "Broken DIFFUSIONBYTES"}])
    fake_arxiv.serve_xml(day("cs.AI", [{"title": "placeholder"}]))
    with running_app(fake_arxiv) as app:
        fake_arxiv.fail_next(Failure(200, body.replace(b"DIFFUSIONBYTES", b"\xff\xfe diffusion")))
        response = app.get("/feed?cat=cs.AI&q=diffusion&format=json")
        assert response.status_code == 200
        titles = [i["title"] for i in response.json()["items"]]
        assert "Diffusion ok" in titles and len(titles) == 2  # the bad bytes are decoded, not fatal
        assert not feedparser.parse(app.get("/feed?cat=cs.AI&q=diffusion").content).bozo


@pytest.mark.parametrize(
    "failure",
    [
        Failure(200, b"<rss><channel>" + b"<item><title>x</title></item>" * 10),  # truncated
        Failure(200, b"<!doctype html><html><body><h1>Service Unavailable</h1></body></html>",
                {"Content-Type": "text/html"}),
        Failure(200, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, {"Content-Type": "image/png"}),
        Failure(200, b"<rss>" + b"x" * (50 * 1024 * 1024)),  # 50 MB
        Failure(200, b"Rate exceeded."),
    ],
    ids=["truncated", "html-page", "binary", "50MB", "rate-exceeded"],
)
def test_a_bad_batch_never_replaces_the_last_good_one(app, failure):
    clock = use_clock(app, "2026-04-27T12:00:00")
    before = app.get("/feeds/llm.json").json()["items"]
    assert before
    clock.advance(days=1)
    app.fake.fail_next(*[failure] * 5)
    response = app.get("/feeds/llm.json")
    assert response.status_code == 200
    assert response.json()["items"] == before
    assert app.get("/health").json()["categories"]["cs.AI"]["last_error"]


def test_huge_body_is_refused_without_reading_it_all(fake_arxiv):
    with running_app(fake_arxiv, arxiv_max_bytes=100_000, arxiv_retries=0) as app:
        fake_arxiv.fail_next(Failure(200, b"<rss>" + b"x" * 5_000_000))
        response = app.get("/feeds/llm.rss")
        assert response.status_code == 503
        assert "larger than 100000 bytes" in app.get("/health").json()["categories"]["cs.AI"]["last_error"]


def test_valid_listing_with_a_wrong_content_type_is_still_a_listing(fake_arxiv):
    with running_app(fake_arxiv) as app:
        body = fake_arxiv.listing(["cs.AI", "cs.CL", "cs.LG"])
        fake_arxiv.fail_next(Failure(200, body, {"Content-Type": "text/plain"}))
        assert app.get("/feeds/llm.json").json()["items"]


def test_a_union_over_arxivs_2000_item_cap_is_fetched_in_halves(fake_arxiv):
    ai = day("cs.AI", [{"id": f"2604.1{n:04d}", "title": f"AI {n}"} for n in range(1500)])
    lg = day("cs.LG", [{"id": f"2604.2{n:04d}", "title": f"LG {n}"} for n in range(1500)])
    fake_arxiv.serve_xml(ai, lg)
    with running_app(fake_arxiv) as app:
        response = app.get("/feed?cat=cs.AI,cs.LG&limit=500")
        assert response.status_code == 200 and response.headers["x-items"] == "500"
        assert [r.path for r in fake_arxiv.listing_requests()] == ["/rss/cs.AI+cs.LG", "/rss/cs.AI", "/rss/cs.LG"]
        health = app.get("/health").json()["categories"]
        assert health["cs.AI"]["latest_day"] == health["cs.LG"]["latest_day"] == "2026-04-27"
        stored = app.services.listings
        import asyncio
        metas = [asyncio.run(stored.meta(c)) for c in ("cs.AI", "cs.LG")]
        assert metas[0].day_hashes and metas[1].day_hashes
