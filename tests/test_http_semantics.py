"""HTTP as readers, link checkers and CDNs use it, through the real app over HTTP: HEAD on
every GET route, gzip with honest validators, and self links and feed ids that a forged
Host header cannot change."""

from __future__ import annotations

import gzip
import re
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from lxml import etree

from tests.conftest import App, running_app
from tests.fakearxiv import FakeArxiv

ATOM = "{http://www.w3.org/2005/Atom}"
IDENTITY = {"Accept-Encoding": "identity"}
GZIP = {"Accept-Encoding": "gzip"}
GET_ROUTES = ["/", "/feed?cat=cs.AI&q=agent", "/feeds/llm.atom", "/feeds/llm.rss", "/feeds/llm.json", "/feeds/llm.md",
              "/rss", "/rss/cs.AI", "/preview/llm", "/preview?cat=cs.AI&q=agent", "/opml", "/health", "/config",
              "/api/categories", "/api/preview?cat=cs.AI&q=agent", "/static/style.css", "/openapi.json"]
SAME_HEADERS = ("content-type", "content-length", "etag", "last-modified", "cache-control", "vary", "x-items",
                "content-encoding", "content-security-policy")


def raw_head(base: str, path: str, headers: dict[str, str]) -> bytes:
    """A HEAD over a socket, read until the server closes: every byte it sent after the headers."""
    parts = urlsplit(base)
    lines = [f"HEAD {path} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def _same_moment(value: str | None) -> str | None:
    """s-maxage counts the seconds to arXiv's next rebuild on the real clock, so a GET and a HEAD
    a second apart differ there by one; everything else must be equal."""
    return None if value is None else re.sub(r"s-maxage=\d+", "s-maxage=N", value)


# --- item 7: HEAD ------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", [IDENTITY, GZIP], ids=["identity", "gzip"])
def test_head_answers_like_get_without_a_body_on_every_get_route(app: App, encoding):
    for path in GET_ROUTES:
        got = app.get(path, headers=encoding)
        head = app.http.head(path, headers=encoding)
        assert got.status_code == 200, (path, got.status_code, got.text[:200])
        assert head.status_code == 200, (path, head.status_code, head.text[:200])
        assert head.content == b""
        for name in SAME_HEADERS:
            if name != "content-length" or ("content-length" in got.headers and path != "/health"):  # /health tells the time
                assert _same_moment(head.headers.get(name)) == _same_moment(got.headers.get(name)), (path, name)
        assert not raw_head(app.url, path, encoding).split(b"\r\n\r\n", 1)[1], f"{path}: HEAD sent a body"


def test_head_honours_validators(app: App):
    first = app.get("/feeds/llm.atom", headers=IDENTITY)
    not_modified = app.http.head("/feeds/llm.atom", headers={**IDENTITY, "If-None-Match": first.headers["etag"]})
    assert not_modified.status_code == 304 and not_modified.headers["etag"] == first.headers["etag"]
    since = app.http.head("/feeds/llm.atom", headers={**IDENTITY, "If-Modified-Since": first.headers["last-modified"]})
    assert since.status_code == 304
    assert app.http.head("/feeds/nope.atom").status_code == 404
    assert app.http.head("/feed?cat=cs.XX").status_code == 400


# --- item 8: gzip --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_app() -> Iterator[App]:
    fake = FakeArxiv().start()
    fake.serve_day("rss_cs.CV_2026-04-21.xml")  # 501 papers
    try:
        with running_app(fake) as app:
            yield app
    finally:
        fake.stop()


BIG = "/feed?cat=cs.CV&type=new,cross,replace,replace-cross&limit=500&format=atom"


def test_feeds_and_pages_are_gzipped_when_asked_with_vary(big_app: App):
    plain = big_app.get(BIG, headers=IDENTITY)
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert plain.headers["x-items"] == "500"
    with httpx.Client(base_url=big_app.url, timeout=30) as client:
        raw = client.send(client.build_request("GET", BIG, headers=GZIP), stream=True)
        compressed = b"".join(raw.iter_raw())
        raw.close()
    assert raw.headers["content-encoding"] == "gzip"
    assert gzip.decompress(compressed) == plain.content
    assert int(raw.headers["content-length"]) == len(compressed) < len(plain.content) / 5
    for response in (plain, raw):
        assert "accept-encoding" in [v.strip().lower() for v in response.headers["vary"].split(",")]
    print(f"500-item Atom feed: {len(plain.content)} bytes, gzipped {len(compressed)} ({len(plain.content) / len(compressed):.1f}x)")
    for path in ("/", "/preview?cat=cs.CV&q=diffusion", "/feed?cat=cs.CV&q=diffusion&format=json", "/static/app.js"):
        response = big_app.get(path, headers=GZIP)
        assert response.headers.get("content-encoding") == "gzip", path
        assert "Accept-Encoding" in response.headers["vary"], path


def test_compressed_variant_has_a_weak_etag_and_304s_still_work(big_app: App):
    plain = big_app.get(BIG, headers=IDENTITY)
    zipped = big_app.get(BIG, headers=GZIP)
    strong = plain.headers["etag"]
    assert strong.startswith('"') and zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["etag"] == "W/" + strong  # another representation: not the strong tag
    for encoding, expected in ((GZIP, "W/" + strong), (IDENTITY, strong)):
        for tag in (strong, "W/" + strong):
            again = big_app.get(BIG, headers={**encoding, "If-None-Match": tag})
            assert again.status_code == 304, (encoding, tag)
            assert again.content == b"" and again.headers["etag"] == expected, (encoding, tag)
            assert "Accept-Encoding" in again.headers["vary"]
    static = big_app.get("/static/style.css", headers=GZIP)
    assert big_app.get("/static/style.css", headers={**GZIP, "If-None-Match": static.headers["etag"]}).status_code == 304


# --- item 9: self links and feed ids ----------------------------------------------------------------


def atom_links(app: App, host: str | None) -> tuple[str, str, str]:
    headers = {"Host": host} if host else {}
    root = etree.fromstring(app.get("/feeds/llm.atom", headers=headers).content)
    self_link = next(link.get("href") for link in root.findall(f"{ATOM}link") if link.get("rel") == "self")
    query = etree.fromstring(app.get("/feed?cat=cs.AI&q=agent&format=atom", headers=headers).content)
    return root.findtext(f"{ATOM}id"), self_link, query.findtext(f"{ATOM}id")


def test_atom_feed_id_does_not_follow_the_host_header(app: App):
    honest = atom_links(app, None)
    forged = atom_links(app, "evil.example")
    assert forged[1].startswith("http://evil.example/")  # without a configured base, links follow the request
    assert forged[0] == honest[0] and forged[2] == honest[2], "the feed id changed with the Host header"
    assert "evil.example" not in forged[0] + forged[2]
    assert honest[0] == "urn:arxiv-feeds:feeds:llm"


@pytest.mark.parametrize("settings,base", [
    ({"vercel_production_url": "arxiv-feeds.vercel.app"}, "https://arxiv-feeds.vercel.app"),
    ({"public_base_url": "https://feeds.example.org/arxiv/"}, "https://feeds.example.org/arxiv"),
    ({"public_base_url": "https://feeds.example.org", "vercel_production_url": "x.vercel.app"}, "https://feeds.example.org"),
])
def test_a_configured_base_url_fixes_self_links_and_ids_whatever_the_host(fake_arxiv: FakeArxiv, settings, base):
    with running_app(fake_arxiv, **settings) as app:
        for host in (None, "evil.example"):
            feed_id, self_link, query_id = atom_links(app, host)
            assert feed_id == f"{base}/feeds/llm"
            assert self_link == f"{base}/feeds/llm.atom"
            assert query_id.startswith(f"{base}/feed#")
        page = app.get("/", headers={"Host": "evil.example"}).text
        assert "evil.example" not in page and f"{base}/feeds/llm.atom" in page


# --- issue 19 item 8: FreshRSS's HTML-escaped query strings -------------------------------------------


def escaped(url: str) -> str:
    """A feed URL as FreshRSS keeps it and asks it (its feeds' URLs are stored HTML-escaped)."""
    return url.replace("&", "&amp;")


@pytest.mark.parametrize("path", ["/feed?cat=cs.AI&q=agent&limit=3&format=atom", "/feeds/llm.atom?limit=2&sort=date",
                                  "/rss?cat=cs.AI&cat=cs.CL&q=agent", "/preview?cat=cs.AI&q=agent"])
def test_an_html_escaped_query_is_read_as_the_query_it_escapes(app: App, path: str):
    plain = app.get(path, headers=IDENTITY)
    assert plain.status_code == 200, plain.text
    for sent in (escaped(path), escaped(path).replace("amp;", "amp%3B")):
        answer = app.get(sent, headers=IDENTITY)
        assert answer.status_code == 200, (sent, answer.text)
        assert answer.headers.get("x-items") == plain.headers.get("x-items")
        if path.startswith("/feed"):
            assert answer.content == plain.content  # self links included: the query as meant
            root = etree.fromstring(answer.content)
            self_link = next(link.get("href") for link in root.findall(f"{ATOM}link") if link.get("rel") == "self")
            assert "amp;" not in self_link and self_link.endswith(path)


def test_an_escaped_parameter_never_overrides_or_hides_a_plain_one(app: App):
    both = app.get("/feed?cat=cs.AI&q=agent&amp;q=survey")
    assert both.status_code == 400 and "HTML-escaped" in both.json()["error"] and "'q'" in both.json()["error"]
    unknown = app.get("/feed?cat=cs.AI&amp;bogus=1")
    assert unknown.status_code == 400 and "unknown parameter 'amp;bogus'" in unknown.json()["error"]
    lists = app.get("/feed?cat=cs.AI&amp;cat=cs.CL&q=agent&format=json")  # list parameters may repeat
    assert lists.status_code == 200
    assert lists.json()["items"] == app.get("/feed?cat=cs.AI,cs.CL&q=agent&format=json").json()["items"]
