"""The served feeds are valid and read correctly by validators and real feed readers.

A big realistic day (rss_cs.CV_2026-04-21.xml, 501 items) is served by the fake
arXiv and read through the real app over HTTP: the "vision" profile, an ad-hoc
query feed, an "everything announced that day" feed (500 items, the maximum),
and the "llm" profile on the default fixture day. Each is checked with
feedparser, lxml, jing (RFC 4287 RELAX NG), jsonschema (JSON Feed 1.1 with
format checking), and two real readers from Debian: newsboat and sfeed.
"""

from __future__ import annotations

import copy
import datetime as dt
import email.utils
import functools
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import feedparser
import httpx
import lxml.html
import pytest

from core.clock import ManualClock
from jsonschema import Draft7Validator
from lxml import etree

from core.render.formats import REGISTRY
from core.render.texprint import plain
from tests.conftest import App, running_app
from tests.fakearxiv import FIXTURES, FakeArxiv, real_comments

ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
FORMATS = ("rss", "atom", "json", "md")

CV_DAY = "rss_cs.CV_2026-04-21.xml"  # 501 items
CASES = {
    "vision": "/feeds/vision.{fmt}",
    "adhoc": "/feed?cat=cs.CV&q=diffusion,segmentation&limit=100",
    "whole-day": "/feed?cat=cs.CV&type=new,cross,replace,replace-cross&limit=500",
    "llm": "/feeds/llm.{fmt}",  # on the default fixture day (conftest's `app`)
}
CV_CASES = ("vision", "adhoc", "whole-day")
PUBLISHED = "2604.18208"  # its real comment: "Published Open-Access in IJCV, see https://link.springer.com/..."
PUBLISHED_METADATA = {"journal_ref": "AI and Ethics (2022)", "doi": "10.1007/s43681-022-00167-3"}  # real, of another paper
ANCHORSEG = "https://arxiv.org/abs/2604.18562"  # its abstract holds the literal token `<SEG>`
RIPDETSEG = "https://arxiv.org/abs/2604.17070"  # 35 authors in one comma-joined dc:creator upstream

needs_jing = pytest.mark.skipif(shutil.which("jing") is None, reason="jing not on PATH (apt-get install jing)")
needs_newsboat = pytest.mark.skipif(shutil.which("newsboat") is None, reason="newsboat not on PATH (apt-get install newsboat)")
needs_sfeed = pytest.mark.skipif(shutil.which("sfeed") is None, reason="sfeed not on PATH (apt-get install sfeed)")


# --- serving ---------------------------------------------------------------------


def path_for(case: str, fmt: str) -> str:
    template = CASES[case]
    if "{fmt}" in template:
        return template.format(fmt=REGISTRY[fmt].extension)
    return template if fmt == "rss" else f"{template}&format={fmt}"


class Served:
    """One feed of the running app, in every format, each fetched once."""

    def __init__(self, case: str, app: App):
        self.case = case
        self.app = app
        self._responses: dict[str, httpx.Response] = {}

    def path(self, fmt: str) -> str:
        return path_for(self.case, fmt)

    def url(self, fmt: str) -> str:
        return self.app.url + self.path(fmt)

    @property
    def home(self) -> str:
        return self.app.url + "/"

    def response(self, fmt: str) -> httpx.Response:
        if fmt not in self._responses:
            response = self.app.get(self.path(fmt))
            assert response.status_code == 200, f"{self.path(fmt)}: {response.status_code} {response.text[:300]}"
            self._responses[fmt] = response
        return self._responses[fmt]

    def body(self, fmt: str) -> bytes:
        return self.response(fmt).content

    def count(self, fmt: str) -> int:
        return int(self.response(fmt).headers["X-Items"])

    @functools.cached_property
    def json_feed(self) -> dict:
        return json.loads(self.body("json"))

    @property
    def items(self) -> list[dict]:
        """The JSON Feed items: the reference the other formats are compared with."""
        return self.json_feed["items"]


@pytest.fixture(scope="module")
def cv_app() -> Iterator[App]:
    """The cs.CV day, enriched with its real comments (venues, code links) and a real journal
    reference and DOI, so every format is validated with what enrichment adds."""
    fake = FakeArxiv().start()
    fake.serve_day(CV_DAY)
    metadata = real_comments()
    metadata[PUBLISHED] = {**metadata[PUBLISHED], **PUBLISHED_METADATA}
    fake.serve_api_from(CV_DAY, metadata=metadata)
    try:
        with running_app(fake, enrich_max_requests=10, arxiv_backfill_max_requests=0) as app:
            assert app.get("/feeds/vision.json").status_code == 200
            task = app.services.listings.enricher._running
            deadline = time.monotonic() + 20
            while task is not None and not task.done() and time.monotonic() < deadline:
                time.sleep(0.02)  # waits for the background enrichment, not for time
            assert task is not None and task.done() and task.exception() is None
            yield app
    finally:
        fake.stop()


@pytest.fixture(scope="module")
def cv_served(cv_app: App) -> dict[str, Served]:
    return {case: Served(case, cv_app) for case in CV_CASES}


@pytest.fixture(params=list(CASES))
def served(request: pytest.FixtureRequest, cv_served: dict[str, Served]) -> Served:
    if request.param in cv_served:
        return cv_served[request.param]
    return Served(request.param, request.getfixturevalue("app"))


# --- helpers -----------------------------------------------------------------------


def xml(body: bytes) -> etree._Element:
    return etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))


def timestamp(iso: str) -> int:
    return int(dt.datetime.fromisoformat(iso).timestamp())


def author_names(item: dict) -> list[str]:
    return [a["name"] for a in item["authors"]]


@functools.cache
def fixture_authors() -> dict[str, list[str]]:
    """abs URL -> author names, read straight from the recorded arXiv files.

    arXiv gives one comma-joined dc:creator ("A, B, and C"); the recorded files have
    no affiliations in parentheses and no TeX in names, so a plain split is exact.
    """
    index: dict[str, list[str]] = {}
    for path in sorted(FIXTURES.glob("rss_*.xml")):
        for item in etree.parse(str(path)).iter("item"):
            creator = item.findtext(f"{DC}creator") or ""
            assert "(" not in creator and "\\" not in creator, f"{path.name}: split by hand no longer exact"
            names = [" ".join(n.split()) for n in creator.split(",")]
            index.setdefault(item.findtext("link"), [n[4:] if n.startswith("and ") else n for n in names if n])
    return index


@functools.cache
def jsonfeed_validator() -> Draft7Validator:
    schema = json.loads((FIXTURES / "jsonfeed-1.1.schema.json").read_text())
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


_MD_HEADING = re.compile(r"^## (\d+)\. \[(.*)\]\((\S+)\)$", re.M)
_MD_SPECIAL = set("\\`*_[]<>#|$~^")


def md_unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def md_unescaped_specials(text: str) -> str:
    """Markdown-special characters left without a backslash in `text`."""
    return "".join(ch for ch in re.sub(r"\\.", "", text) if ch in _MD_SPECIAL)


def body_paragraphs(html_text: str) -> lxml.html.HtmlElement:
    return lxml.html.fragment_fromstring(html_text, create_parent="div")


# --- 1. every format parses, and the formats agree ---------------------------------


def test_every_format_parses_cleanly_and_all_agree_on_titles_links_and_count(served: Served):
    counts = {fmt: served.count(fmt) for fmt in FORMATS}
    assert len(set(counts.values())) == 1, f"X-Items differs between formats: {counts}"
    count = counts["rss"]
    assert count > 0
    if served.case == "vision":
        assert count == 40  # the profile's max_items: the big day has far more matches
    if served.case == "whole-day":
        assert count == 500  # 501 papers announced, capped at the maximum limit

    expected = [(item["title"], item["url"]) for item in served.items]
    assert len(expected) == count

    for fmt, version in (("rss", "rss20"), ("atom", "atom10")):
        # feedparser also judges the Content-Type it is given (text/plain would be bozo)
        parsed = feedparser.parse(served.body(fmt), response_headers=dict(served.response(fmt).headers))
        assert parsed.bozo == 0, f"{fmt}: {parsed.get('bozo_exception')!r}"
        assert parsed.version == version
        assert [(e.title, e.link) for e in parsed.entries] == expected, fmt

    markdown = served.body("md").decode("utf-8")
    headings = _MD_HEADING.findall(markdown)
    assert [int(rank) for rank, _, _ in headings] == list(range(1, count + 1))
    assert [(md_unescape(title), link) for _, title, link in headings] == [(plain(t), u) for t, u in expected]  # TeX printed


# --- 2. Atom -------------------------------------------------------------------------


@needs_jing
def test_atom_feeds_validate_against_the_rfc4287_relax_ng_grammar(cv_served: dict[str, Served], app: App, tmp_path: Path):
    feeds = [*cv_served.values(), Served("llm", app)]
    files = []
    for feed in feeds:
        path = tmp_path / f"{feed.case}.atom"
        path.write_bytes(feed.body("atom"))
        files.append(path)
    # A control the grammar must reject (an entry without its required atom:id), so a
    # jing that validates nothing cannot pass this test.
    control = tmp_path / "control-entry-without-id.atom"
    broken = xml(cv_served["vision"].body("atom"))
    entry = broken.find(f"{ATOM}entry")
    entry.remove(entry.find(f"{ATOM}id"))
    control.write_bytes(etree.tostring(broken, xml_declaration=True, encoding="utf-8"))

    proc = subprocess.run(
        ["jing", "-c", str(FIXTURES / "atom.rnc"), *map(str, files), str(control)],
        capture_output=True, text=True, timeout=60,
    )
    # Debian's jing wrapper warns on stderr about optional jars it cannot find; those are not
    # findings about the documents (jing reports those on stdout as "file:line:col: error: ...").
    report = [line for line in (proc.stdout + proc.stderr).splitlines()
              if line and not line.startswith(("Picked up ", "[warning] "))]
    about_feeds = [line for line in report if not line.startswith(str(control))]
    assert about_feeds == [], "\n".join(about_feeds)
    assert proc.returncode != 0, "jing accepted an Atom entry without an id"
    assert any(line.startswith(str(control)) and "error" in line for line in report), report


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def test_atom_entries_have_one_alternate_a_related_pdf_and_unique_ids_and_self_is_the_served_url(served: Served):
    response = served.response("atom")
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = xml(response.content)
    assert root.tag == f"{ATOM}feed"

    feed_links = root.findall(f"{ATOM}link")
    assert [l.get("href") for l in feed_links if l.get("rel") == "self"] == [served.url("atom")]
    assert [l.get("href") for l in feed_links if l.get("rel", "alternate") == "alternate"] == [served.home]
    related = [(l.get("type"), l.get("href")) for l in feed_links if l.get("rel") == "related"]
    assert related == [("application/x-bibtex", served.url("bib")), ("application/vnd.citationstyles.csl+json", served.url("csl"))]
    assert _RFC3339.match(root.findtext(f"{ATOM}updated"))

    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == served.count("atom") == len(served.items)
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == len(ids), "duplicate entry ids"

    for entry, item in zip(entries, served.items, strict=True):
        links = entry.findall(f"{ATOM}link")
        # RFC 4287 4.2.7.2: a link without rel is an "alternate" link
        alternates = [l.get("href") for l in links if l.get("rel", "alternate") == "alternate"]
        assert alternates == [item["url"]] == [entry.findtext(f"{ATOM}id")]
        pdfs = [l for l in links if l.get("type") == "application/pdf" or "/pdf/" in l.get("href", "")]
        assert [(l.get("rel"), l.get("type"), l.get("href")) for l in pdfs] == [
            ("related", "application/pdf", item["_arxiv_feeds"]["pdf_url"])
        ]
        assert item["_arxiv_feeds"]["pdf_url"].startswith("https://arxiv.org/pdf/")
        assert [a.findtext(f"{ATOM}name") for a in entry.findall(f"{ATOM}author")] == author_names(item)
        for tag in ("published", "updated"):
            value = entry.findtext(f"{ATOM}{tag}")
            assert _RFC3339.match(value), f"{tag} {value!r} is not RFC 3339 with a zone"
            assert timestamp(value) == timestamp(item["date_published"])


# RFC 2141's URN syntax, which the W3C feed validator checks `urn:` ids against (it says
# InvalidURN otherwise): a NID of 2-32 letters, digits and hyphens, then letters, digits,
# "()+,-.:=@;$_!*'" or %-escapes, and none of the reserved "/", "?", "#".
_URN = re.compile(r"^urn:[A-Za-z0-9][A-Za-z0-9-]{1,31}:(?:[A-Za-z0-9()+,\-.:=@;$_!*']|%[0-9A-Fa-f]{2})+$", re.I)


def test_atom_feed_ids_of_a_local_install_are_valid_urns_by_rfc_2141(served: Served):
    """Without PUBLIC_BASE_URL the feed id is a URN; W3C's validator rejected `feeds/vision`."""
    root = xml(served.response("atom").content)
    feed_id = root.findtext(f"{ATOM}id")
    assert feed_id.startswith("urn:arxiv-feeds:feed"), feed_id
    assert _URN.match(feed_id), f"{feed_id!r} is not a URN by RFC 2141"
    if served.case in ("vision", "llm"):
        assert feed_id == f"urn:arxiv-feeds:feeds:{served.case}"
    entry_ids = [e.findtext(f"{ATOM}id") for e in root.findall(f"{ATOM}entry")]
    assert all(i.startswith("https://arxiv.org/abs/") for i in entry_ids)


# --- 3. RSS --------------------------------------------------------------------------


def test_rss_items_have_no_author_element_and_one_dc_creator_with_every_author(served: Served):
    # Readers keep one dc:creator (newsboat the last, gofeed/ROME/rss-parser the first), so
    # every name goes into one, comma-joined, as arXiv writes it.
    root = xml(served.body("rss"))
    items = root.findall("channel/item")
    assert len(items) == served.count("rss") > 0
    known = fixture_authors()
    most = 0
    for item in items:
        link = item.findtext("link")
        assert item.findall("author") + item.findall("{*}author") == [], f"{link}: <author> in an RSS item"
        creators = [c.text for c in item.findall(f"{DC}creator")]
        assert creators == [", ".join(known[link])], link
        most = max(most, len(known[link]))
        if link == RIPDETSEG:
            assert len(known[link]) == 35
            assert creators[0].startswith("Andrei Dumitriu, ") and creators[0].endswith(", Subrahmanyam Murala")
    assert most >= 2, "no multi-author paper in this feed: the check proves nothing"
    if served.case == "whole-day":  # (in "vision" it ranks below the 40 kept: segmentation is common in cs.CV)
        assert RIPDETSEG in [item.findtext("link") for item in items]
    # what a reader shows: feedparser's entry.author is every author, not the last one
    parsed = feedparser.parse(served.body("rss"))
    assert [e.author for e in parsed.entries] == [", ".join(known[e.link]) for e in parsed.entries]


def test_items_of_one_announcement_have_distinct_times_in_rank_order(served: Served):
    """Readers sort by date: each item is its announcement (midnight US Eastern) plus
    500 seconds minus its rank in that announcement, so it keeps its day."""
    items = served.items
    times = [dt.datetime.fromisoformat(item["date_published"]) for item in items]
    by_day: dict[dt.date, list[dt.datetime]] = {}
    for when in times:
        by_day.setdefault(when.date(), []).append(when)
    for day, stamps in by_day.items():
        top = dt.datetime.combine(day, dt.time(0), stamps[0].tzinfo) + dt.timedelta(seconds=500)
        assert stamps == [top - dt.timedelta(seconds=n) for n in range(len(stamps))], day
    assert len(set(times)) == len(times), "two items share a timestamp"
    if served.case in CV_CASES:  # one announcement day
        assert list(by_day) == [dt.date(2026, 4, 21)] and len(times) > 1
    # feedparser, sorting by date as readers do, keeps the ranking in RSS and Atom
    for fmt in ("rss", "atom"):
        entries = feedparser.parse(served.body(fmt)).entries
        newest_first = sorted(entries, key=lambda e: e.published_parsed, reverse=True)
        assert [e.link for e in newest_first] == [item["url"] for item in items], fmt


def test_rss_has_its_media_type_self_link_home_link_and_rfc822_dates(served: Served):
    response = served.response("rss")
    assert response.headers["content-type"] == "application/rss+xml; charset=utf-8"
    channel = xml(response.content).find("channel")
    assert [(l.get("rel"), l.get("href")) for l in channel.findall(f"{ATOM}link")] == [("self", served.url("rss"))]
    # RSS 2.0: <link> is the website of the channel, as in Atom's alternate and JSON's home_page_url
    assert channel.findtext("link") == served.home == served.json_feed["home_page_url"]
    for tag in ("pubDate", "lastBuildDate"):
        assert email.utils.parsedate_to_datetime(channel.findtext(tag)).tzinfo is not None, tag
    items = channel.findall("item")
    assert len(items) == len(served.items)
    for item, expected in zip(items, served.items, strict=True):
        published = email.utils.parsedate_to_datetime(item.findtext("pubDate"))
        assert published.tzinfo is not None
        assert published == dt.datetime.fromisoformat(expected["date_published"])


def _guids(response: httpx.Response) -> list[tuple[str, str, str]]:
    assert response.status_code == 200, response.text[:300]
    return [
        (item.findtext("guid"), item.find("guid").get("isPermaLink"), item.findtext("link"))
        for item in xml(response.content).findall("channel/item")
    ]


def test_rss_guids_are_unique_and_stable_across_fetches_new_versions_and_a_refresh(fake_arxiv: FakeArxiv):
    # Day one: 2026-04-17, where SegWithU (2604.15271) is announced as v1. Day two:
    # 2026-04-21, where it is replaced by v2. Its GUID must not change.
    segwithu = "https://arxiv.org/abs/2604.15271"
    path = "/feed?cat=cs.CV&q=segmentation&type=new,cross,replace,replace-cross&limit=500"
    fake_arxiv.serve_day("rss_cs.CV_2026-04-17.xml")
    with running_app(fake_arxiv) as app:
        first = _guids(app.get(path))
        again = _guids(app.get(path))
        rerendered = _guids(app.get(path + "&utm_source=test"))  # other self URL: rendered anew
        assert first == again == rerendered
        assert len({g for g, _, _ in first}) == len(first) > 0
        for guid, permalink, link in first:
            assert re.fullmatch(r"https://arxiv\.org/abs/\d{4}\.\d{4,5}", guid), f"versioned or odd GUID {guid!r}"
            assert (permalink, link) == ("true", guid)
        assert segwithu in {g for g, _, _ in first}
        assert "arXiv:2604.15271v1" in app.get(path).text

        requests_before = len(fake_arxiv.listing_requests())
        fake_arxiv.serve_day(CV_DAY)
        later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)  # past arXiv's next rebuild
        app.services.listings.clock = ManualClock(later)
        refreshed_response = app.get(path)
        refreshed = _guids(refreshed_response)
        assert len(fake_arxiv.listing_requests()) > requests_before, "no refresh reached the fake arXiv"

    guids = [g for g, _, _ in refreshed]
    assert len(set(guids)) == len(guids), "duplicate GUIDs after the refresh"
    assert set(first) <= set(refreshed), "an item changed its GUID across the refresh"
    assert len(refreshed) > len(first), "the new day's papers did not arrive"
    assert guids.count(segwithu) == 1
    assert "arXiv:2604.15271v2" in refreshed_response.text  # the new version, under the old GUID


def test_rss_and_atom_bodies_are_escaped_html_that_keeps_the_abstract_as_text(cv_served: dict[str, Served]):
    with_lt = set()
    for case in ("vision", "whole-day"):
        feed = cv_served[case]
        descriptions = [i.findtext("description") for i in xml(feed.body("rss")).findall("channel/item")]
        contents = [e.findtext(f"{ATOM}content") for e in xml(feed.body("atom")).findall(f"{ATOM}entry")]
        for fmt, bodies in (("rss", descriptions), ("atom", contents)):
            assert len(bodies) == len(feed.items)
            for html_text, item in zip(bodies, feed.items, strict=True):
                where = f"{case}.{fmt} {item['id']}"
                if "<" in item["summary"]:
                    with_lt.add(item["id"])
                    # the abstract's `<` is HTML-escaped inside the XML text, never a raw tag
                    assert "&lt;" in html_text, where
                html = body_paragraphs(html_text)
                assert {el.tag for el in html.iterdescendants()} <= {"p", "b", "a"}, where
                paragraphs = html.findall("p")
                assert paragraphs[0].text_content() == "Authors: " + ", ".join(author_names(item)), where
                assert paragraphs[3].text_content() == item["summary"], where
                extra = item["_arxiv_feeds"]
                doi = [f"https://doi.org/{extra['doi']}"] if extra["doi"] else []
                assert [a.get("href") for a in html.iter("a")] == [item["url"], extra["pdf_url"], *extra["code"], *doi], where
    assert ANCHORSEG in with_lt, "the fixture paper with `<SEG>` in its abstract was not checked"


# --- 4. JSON Feed ----------------------------------------------------------------------


def test_json_feed_validates_against_the_json_feed_1_1_schema_with_formats_checked(served: Served):
    response = served.response("json")
    media_type, *params = [p.strip() for p in response.headers["content-type"].split(";")]
    assert media_type == "application/feed+json"
    assert all(p.lower() == "charset=utf-8" for p in params), params
    doc = json.loads(response.content)
    validator = jsonfeed_validator()
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
    assert errors == []
    assert doc["feed_url"] == served.url("json")
    assert len(doc["items"]) == served.count("json") > 0
    ids = [item["id"] for item in doc["items"]]
    assert len(set(ids)) == len(ids)

    # Control: formats really are checked here (without jsonschema's format extras
    # a bad URI or date passes silently).
    broken = copy.deepcopy(doc)
    broken["feed_url"] = "not a url"
    broken["items"][0]["date_published"] = "Tue, 21 Apr 2026 00:00:00 -0400"
    failed = {(e.validator, e.instance) for e in validator.iter_errors(broken)}
    assert failed == {("format", "not a url"), ("format", "Tue, 21 Apr 2026 00:00:00 -0400")}


# --- 5. real readers ---------------------------------------------------------------------


@needs_newsboat
@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_newsboat_reads_titles_links_every_author_dates_and_every_item_in_rank_order(served: Served, fmt: str, tmp_path: Path):
    url = served.url(fmt)
    (tmp_path / "urls").write_text(url + "\n")
    (tmp_path / "config").write_text("")
    cache = tmp_path / "cache.db"
    env = {"HOME": str(tmp_path), "TERM": "dumb", "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
    proc = subprocess.run(
        ["newsboat", "-x", "reload", "-u", str(tmp_path / "urls"), "-c", str(cache), "-C", str(tmp_path / "config")],
        env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with sqlite3.connect(cache) as db:
        feeds = db.execute("SELECT rssurl, url, title FROM rss_feed").fetchall()
        rows = db.execute("SELECT guid, title, url, author, pubDate, content FROM rss_item WHERE feedurl = ?", (url,)).fetchall()
    assert feeds == [(url, served.home, served.json_feed["title"])]
    assert len(rows) == served.count(fmt) == len(served.items)
    by_guid = {row[0]: row[1:] for row in rows}
    for item in served.items:
        title, link, author, published, content = by_guid[item["id"]]
        names = author_names(item)
        assert (title, link, published) == (item["title"], item["url"], timestamp(item["date_published"]))
        # newsboat joins every Atom <author>, and keeps one RSS dc:creator (which holds all)
        assert author == ", ".join(names)
        assert body_paragraphs(content).find("p").text_content() == "Authors: " + ", ".join(names)
    # newsboat lists by date, newest first: the feed's ranking, not an arbitrary order of ties
    assert [row[0] for row in sorted(rows, key=lambda row: row[4], reverse=True)] == [i["id"] for i in served.items]


@needs_sfeed
@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_sfeed_reads_titles_links_ids_authors_dates_and_every_item_in_rank_order(served: Served, fmt: str):
    proc = subprocess.run(["sfeed"], input=served.body(fmt), capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode("utf-8").split("\n")
    assert lines[-1] == ""
    rows = [line.split("\t") for line in lines[:-1]]
    assert len(rows) == served.count(fmt) == len(served.items)
    for row, item in zip(rows, served.items, strict=True):
        ts, title, link, _content, content_type, guid, author, _enclosure, categories = row[:9]
        assert (title, link, guid) == (item["title"], item["url"], item["id"])
        assert ts == str(timestamp(item["date_published"])), f"{item['id']}: date not understood"
        assert content_type == "html"
        # sfeed keeps the first Atom author only; the one RSS dc:creator holds them all
        assert author == (author_names(item)[0] if fmt == "atom" else ", ".join(author_names(item)))
        assert categories.split("|") == item["tags"]
    # sorted by date as sfeed_plain shows it (ties alphabetically): the feed's ranking
    by_date = sorted(rows, key=lambda row: (-int(row[0]), row[1]))
    assert [row[2] for row in by_date] == [item["url"] for item in served.items]


# --- 6. Markdown digest --------------------------------------------------------------------


def test_markdown_digest_lists_every_item_with_escaped_title_abs_link_and_the_count(served: Served):
    response = served.response("md")
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    text = response.content.decode("utf-8")
    count = served.count("md")
    assert f" · {count} papers · [feed]({served.url('md')})" in text.splitlines()[4]
    headings = _MD_HEADING.findall(text)
    assert len(headings) == count == len(served.items)
    for (rank, title, link), item in zip(headings, served.items, strict=True):
        assert md_unescaped_specials(title) == "", f"unescaped Markdown in {title!r}"
        assert md_unescape(title) == plain(item["title"])  # its simple TeX printed as Unicode
        assert link == item["url"] and re.fullmatch(r"https://arxiv\.org/abs/\d{4}\.\d{4,5}", link)
    assert text.count("\n**Authors:** ") == count
    assert re.search(r"(?<!\\)[<>]", text.replace("\n> ", "\n")) is None, "raw HTML in the digest"


# --- 5. enrichment: venue and code as categories, comments and links in the body ---------------


def test_rss_atom_and_json_feed_carry_the_venue_and_code_as_categories_readers_can_match(cv_served: dict[str, Served]):
    feed = cv_served["whole-day"]
    by_url = {i["url"]: i for i in feed.items}
    assert sum(1 for i in feed.items if i["_arxiv_feeds"]["venue"]) >= 100
    assert sum(1 for i in feed.items if i["_arxiv_feeds"]["code"]) >= 150
    cvpr = by_url["https://arxiv.org/abs/2604.17082"]  # "Accepted to CVPR 2026. Project page: https://..."
    assert {"CVPR 2026", "code"} <= set(cvpr["tags"])
    for item in xml(feed.body("rss")).findall("channel/item"):
        extra = by_url[item.findtext("link")]["_arxiv_feeds"]
        categories = {(c.get("domain"), c.text) for c in item.findall("category")}
        assert (("urn:arxiv-feeds:venue", extra["venue"]["label"] if extra["venue"] else None) in categories) == bool(extra["venue"])
        assert (("urn:arxiv-feeds:has", "code") in categories) == bool(extra["code"])
        if extra["comment"]:
            assert f"Comments: {extra['comment']}" in body_paragraphs(item.findtext("description")).text_content()
    for entry in xml(feed.body("atom")).findall(f"{ATOM}entry"):
        extra = by_url[entry.find(f"{ATOM}link").get("href")]["_arxiv_feeds"]
        terms = {(c.get("scheme"), c.get("term")) for c in entry.findall(f"{ATOM}category")}
        assert (("urn:arxiv-feeds:venue", extra["venue"]["label"] if extra["venue"] else None) in terms) == bool(extra["venue"])
        assert (("urn:arxiv-feeds:has", "code") in terms) == bool(extra["code"])
    # what a reader's filter rule sees (feedparser's tags, as FreshRSS/Inoreader-like readers read them)
    parsed = feedparser.parse(feed.body("rss"))
    tagged = next(e for e in parsed.entries if e.link == cvpr["url"])
    assert {"CVPR 2026", "code"} <= {t.term for t in tagged.tags}


def test_json_feed_items_carry_comment_journal_doi_venue_code_pages(cv_served: dict[str, Served]):
    by_url = {i["url"]: i["_arxiv_feeds"] for i in cv_served["whole-day"].items}
    cvpr = by_url["https://arxiv.org/abs/2604.17082"]
    assert cvpr["venue"] == {"label": "CVPR 2026", "name": "CVPR", "year": 2026, "track": None, "journal": False,
                             "full_name": "IEEE/CVF Conference on Computer Vision and Pattern Recognition"}
    assert cvpr["code"] == ["https://zju3dv.github.io/d-prism"]
    published = by_url[f"https://arxiv.org/abs/{PUBLISHED}"]
    assert (published["journal_ref"], published["doi"]) == (PUBLISHED_METADATA["journal_ref"], PUBLISHED_METADATA["doi"])
    assert published["venue"]["name"] == "IJCV" and published["pages"] == 28 and published["figures"] == 6
