"""The fast lxml reader against feedparser, the reference: identical results on every
recorded fixture and on hostile variants of them (or both refuse the body)."""

from __future__ import annotations

import dataclasses

import pytest

from core.arxiv.parse import Listing, parse_listing
from core.errors import ParseError
from tests.conftest import FIXTURES

RECORDED = sorted(p.name for p in FIXTURES.glob("*.xml"))
RSS = (FIXTURES / "rss_cs.AI_2026-04-27_trimmed3.xml").read_bytes()
ATOM = (FIXTURES / "atom_cs.AI_2025-08-20_repaired.xml").read_bytes()
BIG = (FIXTURES / "rss_cs.CV_2026-04-21.xml").read_bytes()
BIG_ATOM = (FIXTURES / "atom_cs.CV_2026-04-21.xml").read_bytes()


def outcome(body: bytes, fast: bool) -> tuple:
    try:
        listing = parse_listing(body, fast=fast)
    except ParseError:
        return ("ParseError",)
    fields = {k: v for k, v in dataclasses.asdict(listing).items() if k != "parser"}
    return ("ok", fields)


def assert_same(body: bytes) -> Listing | None:
    reference = outcome(body, fast=False)
    assert outcome(body, fast=True) == reference
    return parse_listing(body) if reference[0] == "ok" else None


@pytest.mark.parametrize("name", RECORDED)
def test_every_recorded_fixture_gives_identical_papers(name):
    assert_same((FIXTURES / name).read_bytes())


@pytest.mark.parametrize("name", [n for n in RECORDED if n.startswith(("rss_", "atom_"))])
def test_arxivs_listing_shapes_take_the_fast_path(name):
    listing = parse_listing((FIXTURES / name).read_bytes())
    assert listing.parser == "fast"
    assert listing.malformed is None


def test_query_api_answers_take_the_fast_path_and_its_errors_feedparser():
    for name in ("api_query_all-AI_max15_2026-03-21.xml", "api_query_cat-csLG-OR-csAI_max20_2026-04-30.xml",
                 "api_query_idlist-0000.0000_empty_2026-04-12.xml"):
        assert parse_listing((FIXTURES / name).read_bytes()).parser == "fast"
    with pytest.raises(ParseError, match="incorrect id format"):
        parse_listing((FIXTURES / "api_error_400_incorrect-id_2026-04-12.xml").read_bytes())


def _item_title(body: bytes, new: str) -> bytes:
    return body.replace(b"Math Takes Two: A test", new.encode("utf-8"), 1)


def _abstract(body: bytes, new: str) -> bytes:
    return body.replace(b"Although language models", new.encode("utf-8"), 1)


HOSTILE_RSS = {
    "entities": _abstract(RSS, "&amp;lt;think&amp;gt; &#233;t&#xE9; &#x2014; p &lt; 0.05 &amp; q &gt; 1"),
    "html-escaped": _abstract(RSS, "&lt;b&gt;bold&lt;/b&gt; &lt;a href='x'&gt;link&lt;/a&gt; &lt;script&gt;alert(1)&lt;/script&gt;"),
    "html-cdata": RSS.replace(b"<description>arXiv:2604.21935v1 Announce Type: new \nAbstract: ",
                              b"<description><![CDATA[arXiv:2604.21935v1 Announce Type: new \nAbstract: <i>CDATA</i> & more ]]>", 1),
    "html-elements": _abstract(RSS, "<b>bold</b> inside"),
    "tex": _item_title(RSS, r"$\alpha$-nets and J\"org's \v{z} {\o} \'{e} $O(n^2)$ \emph{x}"),
    "tex-authors": RSS.replace(b"<dc:creator>", "<dc:creator>J\\\"org M\\\"uller (MIT, Cambridge), A. Pi\\v{z}urica, and ".encode(), 1),
    "undefined-entity": _abstract(RSS, "&nbsp;broken &eacute;"),
    "doctype-entity": RSS.replace(b"<rss ", b'<!DOCTYPE rss [<!ENTITY x "EXPANDED">]><rss ', 1).replace(b"Although", b"&x; Although", 1),
    "mojibake": _item_title(RSS, "CafÃ© reasoning"),
    "cp1252-controls": _item_title(RSS, "&#133; dots &#150; dash &#128;"),
    "latin1-declared": b"<?xml version='1.0' encoding='ISO-8859-1'?>\n" + _item_title(RSS, "Caf\xe9").replace("Caf\xe9".encode(), b"Caf\xe9"),
    "utf8-declared": b"<?xml version='1.0' encoding='utf-8'?>\n" + _item_title(RSS, "Schrödinger"),
    "bom": b"\xef\xbb\xbf" + RSS,
    "email-author": RSS.replace(b"<dc:creator>", b"<dc:creator>Jane Doe (jane@example.org), ", 1),
    "duplicate-title": RSS.replace(b"<title>Math", b"<title>Second title</title><title>Math", 1),
    "other-prefix": RSS.replace(b"xmlns:arxiv=", b"xmlns:ax=", 1).replace(b"arxiv:announce_type>", b"ax:announce_type>"),
    "unknown-element": RSS.replace(b"<guid", b"<dc:subject>cs.XX</dc:subject><guid", 1),
    "category-domain": RSS.replace(b"<category>cs.AI</category>", b'<category domain="arxiv">cs.AI</category>', 1),
    "category-space": RSS.replace(b"<category>cs.AI</category>", b"<category>  cs.AI \n </category>", 1),
    "no-announce-element": RSS.replace(b"<arxiv:announce_type>new</arxiv:announce_type>", b"", 1),
    "announce-mismatch": RSS.replace(b"<arxiv:announce_type>new</arxiv:announce_type>", b"<arxiv:announce_type>replace</arxiv:announce_type>", 1),
    "odd-announce": RSS.replace(b"<arxiv:announce_type>new</arxiv:announce_type>", b"<arxiv:announce_type>bogus</arxiv:announce_type>", 1),
    "no-description-prefix": RSS.replace(b"arXiv:2604.21935v1 Announce Type: new \nAbstract: ", b"", 1),
    "date-far-east": RSS.replace(b"<pubDate>Mon, 27 Apr 2026 00:00:00 -0400</pubDate>\n      <arxiv", b"<pubDate>Mon, 27 Apr 2026 01:00:00 +1400</pubDate>\n      <arxiv", 1),
    "date-gmt": RSS.replace(b"-0400</pubDate>\n      <arxiv", b"GMT</pubDate>\n      <arxiv", 1).replace(b"00:00:00 GMT", b"23:59:59 GMT", 1),
    "date-garbage": RSS.replace(b"Mon, 27 Apr 2026 00:00:00 -0400</pubDate>\n      <arxiv", b"yesterday</pubDate>\n      <arxiv", 1),
    "no-dates": RSS.replace(b"<pubDate>Mon, 27 Apr 2026 00:00:00 -0400</pubDate>", b""),
    "empty-title": _item_title(RSS, "").replace(b"<title>: A test", b"<title>   ", 1),
    "comment-inside": _abstract(RSS, "before <!-- a comment --> after"),
    "bad-id": RSS.replace(b"oai:arXiv.org:2604.21935v1", b"not an id", 1).replace(b"arXiv:2604.21935v1 Announce", b"arXiv:nothing Announce", 1),
    "old-style-id": RSS.replace(b"2604.21935", b"hep-th/9901001"),
    "control-whitespace": _abstract(RSS, "tabs\tand\r\nnewlines   and\u00a0nbsp\u2003em-space"),
    "empty-channel": b'<rss version="2.0"><channel><title>x</title></channel></rss>',
    "empty-no-channel": b'<rss version="2.0"></rss>',
    "rss-091": RSS.replace(b'version="2.0"', b'version="0.91"', 1),
    "rdf": b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><channel rdf:about="x"><title>t</title></channel></rdf:RDF>',
    "garbage": b"\x00\xff\xfe garbage <<<>>>",
    "html-page": b"<html><body><h1>502 Bad Gateway</h1></body></html>",
    "rate-exceeded": b"Rate exceeded.",
    "empty-body": b"",
    "whitespace-body": b"   \n ",
    "trailing-garbage": RSS + b"<extra/>",
}
HOSTILE_ATOM = {
    "atom-html-summary": ATOM.replace(b"<summary>", b'<summary type="html">', 1),
    "atom-xhtml-title": ATOM.replace(b"<title>Chain-of-Agents", b'<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Chain-of-Agents</div>', 1).replace(b"Agentic RL</title>", b"Agentic RL</title>", 1),
    "atom-author-element": ATOM.replace(b"<dc:creator>", b"<author><name>Someone Else</name></author><dc:creator>", 1),
    "atom-category-text": ATOM.replace(b'<category term="cs.AI"/>', b'<category term="cs.AI">cs.XX</category>', 1),
    "atom-fractional-dates": ATOM.replace(b"<published>2025-08-20T00:00:00-04:00</published>", b"<published>2025-08-20T23:30:00.5-04:00</published>", 1),
    "atom-z-dates": ATOM.replace(b"<published>2025-08-20T00:00:00-04:00</published>", b"<published>2025-08-19T23:30:00Z</published>", 1),
    "atom-no-published": ATOM.replace(b"<published>2025-08-20T00:00:00-04:00</published>", b""),
    "atom-empty": b'<feed xmlns="http://www.w3.org/2005/Atom"><id>x</id><title>t</title><updated>2026-01-01T00:00:00Z</updated></feed>',
    "atom-unknown-feed-child": ATOM.replace(b"<subtitle>", b"<rights>r</rights><subtitle>", 1),
}


API = (FIXTURES / "api_query_cat-csLG-OR-csAI_max20_2026-04-30.xml").read_bytes()
API_REFS = (FIXTURES / "api_query_all-AI_max15_2026-03-21.xml").read_bytes()  # DOIs, journal references


def _fake_api_answer() -> bytes:
    """What tests/fakearxiv.py answers (Atom under an `atom:` prefix, ElementTree's way)."""
    import datetime as dt

    from tests.fakearxiv import FakeArxiv, history

    fake = FakeArxiv()
    try:
        fake.serve_api(history(dt.date(2026, 4, 21), ["cs.CV", "cs.AI"], per_day=2, days=5))
        return fake.api_answer({"search_query": ["cat:cs.CV OR cat:cs.AI"], "max_results": ["50"]})
    finally:
        fake._server.server_close()


HOSTILE_API = {
    "api-refs": API_REFS,
    "api-fake": _fake_api_answer(),
    "api-affiliation": API.replace(b"<name>Gongbo Zhang</name>", b"<name>Gongbo Zhang</name><arxiv:affiliation>PKU</arxiv:affiliation>", 1),
    "api-author-email": API.replace(b"<name>Gongbo Zhang</name>", b"<name>Gongbo Zhang</name><email>g@example.org</email>", 1),
    "api-email-name": API.replace(b"<name>Gongbo Zhang</name>", b"<name>g@example.org</name>", 1),
    "api-blank-name": API.replace(b"<name>Gongbo Zhang</name>", b"<name>  </name>", 1),
    "api-no-primary": API.replace(b'<arxiv:primary_category term="cs.CL"/>', b"", 1),
    "api-primary-not-first": API.replace(b'<arxiv:primary_category term="cs.CL"/>', b'<arxiv:primary_category term="cs.LG"/>', 1),
    "api-primary-label": API.replace(b'<arxiv:primary_category term="cs.CL"/>', b'<arxiv:primary_category term="cs.CL" label="x"/>', 1),
    "api-primary-scheme": API.replace(b'<arxiv:primary_category term="cs.CL"/>', b'<arxiv:primary_category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>', 1),
    "api-two-comments": API.replace(b"<arxiv:comment>", b"<arxiv:comment>first</arxiv:comment><arxiv:comment>", 1),
    "api-unknown-child": API.replace(b"<published>", b"<arxiv:foo>x</arxiv:foo><published>", 1),
    "api-entities": API.replace(b"Diffusion large language models (dLLMs)", b"&lt;b&gt; &#233;t&#xE9; &#x2014; p &lt; 0.05 &amp; q", 1),
    "api-mojibake": API.replace(b"Turning the TIDE", "CafÃ© TIDE".encode(), 1),
    "api-comment-inside": API.replace(b"Diffusion large language models", b"Diffusion <!-- c --> models", 1),
    "api-html-summary": API.replace(b"<summary>", b'<summary type="html">', 1),
    "api-whitespace": API.replace(b"Turning the TIDE: ", "Turning\n   the\tTIDE:\u00a0 ".encode(), 1),
    "api-tex": API.replace(b"Turning the TIDE", rb"J\"org's $\alpha$-TIDE \emph{x}", 1),
    "api-no-updated": API.replace(b"<updated>2026-04-29T17:59:01Z</updated>", b"", 1),
    "api-no-dates": API.replace(b"<updated>2026-04-29T17:59:01Z</updated>", b"", 1).replace(b"<published>2026-04-29T17:59:01Z</published>", b"", 1),
    "api-offset-dates": API.replace(b"<updated>2026-04-29T17:59:01Z</updated>", b"<updated>2026-04-29T23:59:01-04:00</updated>", 1),
    "api-old-style-id": API.replace(b"2604.26951", b"hep-th/9901001"),
    "api-duplicate-id": API.replace(b"<id>http://arxiv.org/abs/2604.26951v1</id>", b"<id>http://arxiv.org/abs/2604.26951v1</id><id>http://arxiv.org/abs/2604.00001v1</id>", 1),
    "api-no-total": API.replace(b"<opensearch:totalResults>364218</opensearch:totalResults>", b"", 1),
    "api-other-prefix": API.replace(b"xmlns:arxiv=", b"xmlns:ax=", 1).replace(b"<arxiv:", b"<ax:").replace(b"</arxiv:", b"</ax:"),
    "api-duplicate-categories": API.replace(b'<category term="cs.AI" scheme="http://arxiv.org/schemas/atom"/>', b'<category term="cs.AI"/><category term="cs.AI"/>', 1),
    "api-error": (FIXTURES / "api_error_400_incorrect-id_2026-04-12.xml").read_bytes(),
    "api-truncated": API[: len(API) // 2],
}


@pytest.mark.parametrize("name", sorted(HOSTILE_RSS) + sorted(HOSTILE_ATOM) + sorted(HOSTILE_API))
def test_hostile_variants_give_identical_results(name):
    assert_same({**HOSTILE_RSS, **HOSTILE_ATOM, **HOSTILE_API}[name])


def test_the_api_variants_exercise_both_paths():
    parsers = {}
    for name, body in HOSTILE_API.items():
        try:
            parsers[name] = parse_listing(body).parser
        except ParseError:
            parsers[name] = "refused"
    assert parsers["api-fake"] == parsers["api-refs"] == parsers["api-entities"] == "fast"
    assert parsers["api-affiliation"] == parsers["api-unknown-child"] == "feedparser"


@pytest.mark.parametrize("cut", [0.001, 0.1, 0.5, 0.9, 0.999])
@pytest.mark.parametrize("body", [BIG, BIG_ATOM], ids=["rss", "atom"])
def test_truncated_bodies_are_refused_by_both(body, cut):
    truncated = body[: int(len(body) * cut)]
    assert outcome(truncated, fast=True) == outcome(truncated, fast=False) == ("ParseError",)


def test_the_hostile_set_exercises_both_paths():
    """Guard against a fast path that silently always falls back (or never does)."""
    parsers = set()
    for body in {**HOSTILE_RSS, **HOSTILE_ATOM}.values():
        try:
            parsers.add(parse_listing(body).parser)
        except ParseError:
            pass
    assert parsers == {"fast", "feedparser"}


def test_a_recovered_flaw_is_flagged_malformed():
    listing = parse_listing(HOSTILE_RSS["undefined-entity"])
    assert listing.parser == "feedparser"
    assert listing.malformed and "entity" in listing.malformed.lower()
