"""BibTeX (`.bib`, `format=bib`) and CSL-JSON (`.csl.json`, `format=csl`) read by real consumers:
bibtexparser (with its LaTeX decoder) and pybtex for BibTeX, citeproc-py for CSL-JSON. Hostile
titles and authors must come back as the same text, never end an entry or a field."""

from __future__ import annotations

import datetime as dt
import json
from xml.sax.saxutils import escape

import bibtexparser
import feedparser
import lxml.html
import pybtex.database
import pytest
from bibtexparser.middlewares.names import split_multiple_persons_names
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from pylatexenc import latex2text

from core.arxiv.parse import parse_listing
from core.matching import Scored
from core.render import REGISTRY, FeedDocument, render
from tests.conftest import FIXTURES, running_app
from tests.fakearxiv import Failure, cs_ai_listing

BIB = "application/x-bibtex; charset=utf-8"
CSL = "application/vnd.citationstyles.csl+json; charset=utf-8"

HOSTILE = [  # (title, authors as arXiv's one comma-joined dc:creator) -- what we send, XML-escaped below
    ("Diffusion }, title = {pwned} @misc{evil, title={x}", "Alice Smith, Bob and Carol"),
    (r"Diffusion with \input{/etc/passwd} and \write18{rm -rf ~} $O(n^2)$ 100% #1 a_b & c^2", "Jörg Müller, Zoë {Brace"),
    ("Diffusion <script>alert(1)</script> \"quoted\" 'single' ~tilde | bar", "Ludwig van Beethoven, Martin Luther King Jr., ATLAS Collaboration"),
    ("Unbalanced { diffusion \\", "Plato"),
]


def hostile_day() -> bytes:
    return cs_ai_listing([{"n": n, "title": escape(t), "abstract": f"diffusion {escape(t)}", "authors": escape(a)}
                          for n, (t, a) in enumerate(HOSTILE, 1)])


def _decoder() -> latex2text.LatexNodes2Text:
    """pylatexenc's LaTeX-to-text, taught the kernel symbols it lacks (\\textbraceleft and
    \\textbraceright: BibTeX needs them because it counts `\\{` as a brace) and the ASCII
    characters TeX prints for \\textasciicircum and \\textasciitilde (pylatexenc gives look-alikes)."""
    context = latex2text.get_default_latex_context_db().filter_context()
    context.add_context_category("braces", prepend=True, macros=[
        latex2text.MacroTextSpec("textbraceleft", "{"), latex2text.MacroTextSpec("textbraceright", "}"),
        latex2text.MacroTextSpec("textasciicircum", "^"), latex2text.MacroTextSpec("textasciitilde", "~")])
    return latex2text.LatexNodes2Text(latex_context=context)


DECODER = _decoder()


class Entry:
    """One parsed entry, its fields as a reference manager shows them (LaTeX decoded; authors
    split the way BibTeX splits them, before decoding, so a braced `{and}` stays in a name)."""

    def __init__(self, raw):
        self.key, self.entry_type, self.raw = raw.key, raw.entry_type, raw

    def __contains__(self, name: str) -> bool:
        return name in self.raw.fields_dict

    def __getitem__(self, name: str):
        value = self.raw[name]
        if name == "author":
            return [DECODER.latex_to_text(n) for n in split_multiple_persons_names(value)]
        return DECODER.latex_to_text(value)


def parse_bib(body: bytes) -> list[Entry]:
    """bibtexparser 2 (entries, fields, failed blocks) plus pylatexenc (the text)."""
    library = bibtexparser.parse_string(body.decode("utf-8"))
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    assert not library.strings and not library.preambles  # nothing injected
    return [Entry(e) for e in library.entries]


def as_tex_prints(text: str) -> str:
    """TeX's own ligatures are kept on purpose (arXiv's `--` means a dash): what a reader sees."""
    return " ".join(text.split()).replace("---", "\u2014").replace("--", "\u2013").replace("``", "\u201c").replace("''", "\u201d")


def bibliography(items: list[dict], output=formatter.html) -> list[str]:
    """citeproc-py's bibliography of CSL-JSON items (its bundled Harvard style)."""
    source = CiteProcJSON(items)
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bib = CitationStylesBibliography(style, source, output)
    for item in items:
        bib.register(Citation([CitationItem(item["id"])]))
    return [str(entry) for entry in bib.bibliography()]


def test_bibtex_and_csl_are_registered_with_their_extensions_and_media_types():
    assert (REGISTRY["bib"].extension, REGISTRY["bib"].media_type) == ("bib", BIB)
    assert (REGISTRY["csl"].extension, REGISTRY["csl"].media_type) == ("csl.json", CSL)


@pytest.mark.parametrize("path,content_type", [("/feeds/llm.bib", BIB), ("/feed?cat=cs.AI&q=agent&format=bib", BIB),
                                               ("/feeds/llm.csl.json", CSL), ("/feed?cat=cs.AI&q=agent&format=csl", CSL),
                                               ("/rss?format=bib", BIB)])
def test_citation_formats_are_served_with_their_media_types_and_validators(app, path, content_type):
    response = app.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == content_type
    assert app.get(path, headers={"If-None-Match": response.headers["etag"]}).status_code == 304


def test_bibtex_entries_carry_the_arxiv_fields_and_the_same_papers_as_the_json_feed(app):
    feed = app.get("/feeds/llm.json").json()["items"]
    body = app.get("/feeds/llm.bib").content
    entries = parse_bib(body)
    assert [e.key for e in entries] == [f"arXiv:{i['_arxiv_feeds']['arxiv_id']}" for i in feed]
    for entry, item in zip(entries, feed):
        meta = item["_arxiv_feeds"]
        assert entry.entry_type == "misc"
        assert entry["title"] == as_tex_prints(item["title"])
        assert entry["author"] == [a["name"] for a in item["authors"]]
        assert (entry["eprint"], entry["archivePrefix"], entry["primaryClass"]) == (meta["arxiv_id"], "arXiv", meta["primary_category"])
        assert entry["url"] == item["url"] and entry["year"] == item["date_published"][:4]
        assert entry["abstract"] == as_tex_prints(item["summary"])
    # pybtex reads the same file strictly (duplicate keys or a broken field would raise)
    data = pybtex.database.parse_bytes(body, "bibtex")
    assert list(data.entries) == [e.key for e in entries]


def test_citation_keys_are_stable_across_feeds_and_formats(app):
    narrowed = parse_bib(app.get("/feed?cat=cs.AI,cs.CL,cs.LG&q=agent&format=bib").content)
    profile = {e.key: e["title"] for e in parse_bib(app.get("/feeds/llm.bib").content)}
    assert narrowed and all(profile.get(e.key, e["title"]) == e["title"] for e in narrowed)
    csl = app.get("/feeds/llm.csl.json").json()
    assert [i["id"] for i in csl] == list(profile)


def test_csl_json_items_are_read_by_citeproc_into_a_bibliography(app):
    feed = app.get("/feeds/llm.json").json()["items"]
    items = app.get("/feeds/llm.csl.json").json()
    assert [i["URL"] for i in items] == [i["url"] for i in feed]
    first = items[0]
    assert first["type"] == "article" and first["publisher"] == "arXiv" and first["number"].startswith("arXiv:")
    assert first["issued"]["date-parts"][0][:3] == [int(x) for x in feed[0]["date_published"][:10].split("-")]
    shown = bibliography(items)
    assert len(shown) == len(items)
    assert any(feed[0]["title"][:30] in entry for entry in shown)


def test_hostile_titles_and_authors_come_back_as_the_same_text(fake_arxiv):
    with running_app(fake_arxiv) as app:
        fake_arxiv.fail_next(Failure(200, hostile_day()))
        feed = app.get("/feed?cat=cs.AI&q=diffusion&format=json").json()["items"]
        assert len(feed) == len(HOSTILE)
        body = app.get("/feed?cat=cs.AI&q=diffusion&format=bib").content
        entries = parse_bib(body)
        assert len(entries) == len(HOSTILE)
        by_key = {e.key: e for e in entries}
        for item in feed:
            entry = by_key[f"arXiv:{item['_arxiv_feeds']['arxiv_id']}"]
            assert entry["title"] == as_tex_prints(item["title"])
            assert entry["author"] == [a["name"] for a in item["authors"]]
        data = pybtex.database.parse_bytes(body, "bibtex")
        assert len(data.entries) == len(HOSTILE)
        for item in feed:
            persons = data.entries[f"arXiv:{item['_arxiv_feeds']['arxiv_id']}"].persons.get("author", [])
            assert len(persons) == len(item["authors"])  # "Bob and Carol" is one author, "Zoë {Brace" one too
        assert b"\\input{" not in body and b"\\write18{" not in body
        items = app.get("/feed?cat=cs.AI&q=diffusion&format=csl").json()
        assert [i["title"] for i in items] == [i["title"] for i in feed]
        shown = bibliography(items, formatter.plain)  # citeproc-py's HTML output does not escape: plain text
        for title in (i["title"] for i in feed):
            assert sum(title in entry for entry in shown) == 1, title
        names = {json.dumps(a, sort_keys=True) for i in items for a in i["author"]}
        assert json.dumps({"family": "Beethoven", "given": "Ludwig", "non-dropping-particle": "van"}, sort_keys=True) in names
        assert json.dumps({"family": "King", "given": "Martin Luther", "suffix": "Jr."}, sort_keys=True) in names
        assert json.dumps({"literal": "ATLAS Collaboration"}, sort_keys=True) in names


PARTICLE_GIVEN = ["Le Song", "Di Wang", "Van Nguyen", "De Li", "Ludwig van Beethoven", "Anna Maria van der Berg",
                  "Harry Connick Jr."]


def test_author_names_keep_every_part_in_citations_even_a_given_name_that_is_a_particle(fake_arxiv):
    papers = [{"n": n, "title": f"Diffusion {n}", "abstract": "diffusion", "authors": name}
              for n, name in enumerate(PARTICLE_GIVEN, 1)]  # one author each: no "et al." in the bibliography
    with running_app(fake_arxiv) as app:
        fake_arxiv.fail_next(Failure(200, cs_ai_listing(papers)))
        items = app.get("/feed?cat=cs.AI&q=diffusion&format=csl").json()
    names = {i["title"]: i["author"][0] for i in items}
    # every word of every name is still there, in order, and each has a given name to abbreviate
    parts = [" ".join(n[k] for k in ("given", "non-dropping-particle", "family", "suffix") if n.get(k))
             for n in (names[f"Diffusion {i}"] for i in range(1, len(PARTICLE_GIVEN) + 1))]
    assert parts == PARTICLE_GIVEN
    assert all(n.get("given") for n in names.values()), names
    shown = " | ".join(bibliography(items, formatter.plain))
    for cited in ("Song, L.", "Wang, D.", "Nguyen, V.", "Li, D.", "van Beethoven, L.", "van der Berg, A.M.", "Connick, H."):
        assert cited in shown, shown


def test_doi_and_journal_reference_are_exported_where_arxiv_knows_them():
    papers = [p for p in parse_listing((FIXTURES / "api_query_all-AI_max15_2026-03-21.xml").read_bytes()).papers]
    with_doi = [p for p in papers if p.doi]
    assert with_doi
    doc = FeedDocument(title="t", description="d", self_url="http://x/feed", home_url="http://x/", feed_id="x",
                       updated=dt.datetime(2026, 3, 21, tzinfo=dt.UTC), items=[Scored(paper=p, score=1, hits=[]) for p in papers])
    entries = {e.key: e for e in parse_bib(render(doc, "bib"))}
    for paper in papers:
        entry = entries[f"arXiv:{paper.id}"]
        assert ("doi" in entry) == bool(paper.doi)
        if paper.doi:
            assert entry["doi"] == paper.doi
        assert ("note" in entry) == bool(paper.journal_ref)
        if paper.journal_ref:
            assert entry["note"] == " ".join(paper.journal_ref.split())
    csl = {i["id"]: i for i in json.loads(render(doc, "csl"))}
    assert all(csl[f"arXiv:{p.id}"].get("DOI") == p.doi for p in papers)
    assert any(p.journal_ref for p in papers)  # reference managers import the abstract, and the journal as a note
    assert all(csl[f"arXiv:{p.id}"].get("note") == p.journal_ref for p in papers)
    assert all(csl[f"arXiv:{p.id}"]["abstract"] == p.abstract for p in papers)


def test_a_comma_or_and_inside_an_author_name_stays_inside_that_name():
    # arXiv's query API gives each author on its own, so a name may hold a comma or an "and"
    names = ["Sammy Davis, Jr.", "Procter and Gamble Team", "Ada Lovelace"]
    paper = parse_listing((FIXTURES / "api_query_all-AI_max15_2026-03-21.xml").read_bytes()).papers[0]
    doc = FeedDocument(title="t", description="d", self_url="http://x/feed", home_url="http://x/", feed_id="x",
                       updated=dt.datetime(2026, 3, 21, tzinfo=dt.UTC),
                       items=[Scored(paper=paper.model_copy(update={"authors": names}), score=1, hits=[])])
    body = render(doc, "bib")
    [entry] = parse_bib(body)
    assert entry["author"] == names
    persons = pybtex.database.parse_bytes(body, "bibtex").entries[entry.key].persons["author"]
    assert len(persons) == 3 and persons[0].first_names[0] == "Sammy"  # not read as "Last, First"


def test_atom_feeds_and_pages_link_the_citation_formats(app):
    parsed = feedparser.parse(app.get("/feeds/llm.atom?limit=3").content)
    links = {(l["type"], l["href"]) for l in parsed.feed.links if l["rel"] == "related"}
    assert ("application/x-bibtex", f"{app.url}/feeds/llm.bib?limit=3") in links
    assert ("application/vnd.citationstyles.csl+json", f"{app.url}/feeds/llm.csl.json?limit=3") in links
    parsed = feedparser.parse(app.get("/feed?cat=cs.AI&format=atom&q=agent").content)
    assert f"{app.url}/feed?cat=cs.AI&q=agent&format=bib" in {l["href"] for l in parsed.feed.links}
    for page, bib in (("/preview/llm", f"{app.url}/feeds/llm.bib"), ("/", f"{app.url}/feeds/llm.bib"),
                      ("/preview?cat=cs.AI&q=agent", f"{app.url}/feed?cat=cs.AI&q=agent&format=bib")):
        assert bib in lxml.html.fromstring(app.get(page).text).xpath("//a/@href"), page
    assert app.get("/feeds/llm.csl").status_code == 404
    assert ".bib or .csl.json" in app.get("/feeds/llm.pdf").json()["error"]


def test_the_cli_offers_every_registered_format():
    from core import cli
    from core.render.formats import FORMATS

    feed = cli._parser()._subparsers._group_actions[0].choices["feed"]  # type: ignore[union-attr]
    assert next(a for a in feed._actions if a.dest == "format").choices == FORMATS
