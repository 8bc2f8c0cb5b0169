"""BibTeX (`.bib`, `format=bib`) and CSL-JSON (`.csl.json`, `format=csl`) read by real consumers:
bibtexparser (with its LaTeX decoder) and pybtex for BibTeX, citeproc-py for CSL-JSON. Hostile
titles and authors must come back as the same text, never end an entry or a field."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import unicodedata
from xml.sax.saxutils import escape

import bibtexparser
import feedparser
import lxml.etree
import lxml.html
import pybtex.database
import pytest
from bibtexparser.middlewares.names import split_multiple_persons_names
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON
from pylatexenc import latex2text

from core.sources.arxiv.parse import parse_listing
from core.extract import info
from core.ranking.types import Scored
from core.papers import Paper
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
        venue = info(paper).venue  # a venue the comment says it was accepted at is a note too (core/extract)
        assert ("note" in entry) == bool(paper.journal_ref or venue)
        if paper.journal_ref:
            assert entry["note"].startswith(" ".join(paper.journal_ref.split()))
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
    # not read as "Last, First": the comma's name is one braced name (biber skips an entry at two commas)
    assert len(persons) == 3 and str(persons[0]) == "{Sammy Davis, Jr.}" and persons[0].first_names == []


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


# --- authors with affiliations (arXiv's dc:creator carries them in brackets) ---------------

AFFILIATED = [  # (dc:creator, names, affiliations): shapes arXiv's author strings take
    ("A. Smith (Dept. of Physics, MIT, Cambridge, MA), B. Jones, and C. Wu",
     ["A. Smith", "B. Jones", "C. Wu"], ["Dept. of Physics, MIT, Cambridge, MA", None, None]),
    ("Jos\\'e Garc\\'ia (Inst. de F\\'isica Te\\'orica (IFT), Madrid, Spain), Li Wei [1,2]",
     ["José García", "Li Wei"], ["Inst. de Física Teórica (IFT), Madrid, Spain", "1,2"]),
    ("Jose (Pepe) Garcia, D. Lee (MIT) (Harvard), et al.",
     ["Jose (Pepe) Garcia", "D. Lee", "et al."], [None, "MIT; Harvard", None]),
]


def affiliated_day() -> bytes:
    return cs_ai_listing([{"n": n, "title": f"Diffusion paper {n}", "abstract": "diffusion", "authors": escape(creator)}
                          for n, (creator, _, _) in enumerate(AFFILIATED, 1)])


def _by_id(items: list[dict], key) -> dict:
    return {key(i): i for i in items}


def test_affiliations_leave_the_names_and_stay_where_a_format_has_a_place(fake_arxiv):
    with running_app(fake_arxiv) as app:
        fake_arxiv.fail_next(Failure(200, affiliated_day()))
        query = "/feed?cat=cs.AI&q=diffusion"
        feed = app.get(query + "&format=json").json()["items"]
        csl = app.get(query + "&format=csl").json()
        atom = app.get(query + "&format=atom").content
        bib = app.get(query + "&format=bib").content
        rss = app.get(query).text
    assert len(feed) == len(AFFILIATED)
    by_title = {i["title"]: i for i in feed}
    csl_by_id = {i["id"]: i for i in csl}
    atom_entries = {e.findtext("{http://www.w3.org/2005/Atom}title"): e
                    for e in lxml.etree.fromstring(atom).iter("{http://www.w3.org/2005/Atom}entry")}
    persons = pybtex.database.parse_bytes(bib, "bibtex").entries
    for n, (creator, names, affiliations) in enumerate(AFFILIATED, 1):
        item = by_title[f"Diffusion paper {n}"]
        # JSON Feed: the name, the affiliation in the item's author extension
        assert [a["name"] for a in item["authors"]] == names
        assert [a.get("_arxiv_feeds", {}).get("affiliation") for a in item["authors"]] == affiliations
        # Atom: <name> and arXiv's own <arxiv:affiliation>, as its API writes it
        authors = atom_entries[f"Diffusion paper {n}"].findall("{http://www.w3.org/2005/Atom}author")
        assert [a.findtext("{http://www.w3.org/2005/Atom}name") for a in authors] == names
        assert [a.findtext("{http://arxiv.org/schemas/atom}affiliation") for a in authors] == affiliations
        # CSL-JSON: no place for an affiliation; family names are names, not "MA)"
        key = f"arXiv:{item['_arxiv_feeds']['arxiv_id']}"
        people = [n for n in names if n != "et al."]
        assert [" ".join(filter(None, (a.get("given"), a.get("literal"), a.get("family")))) for a in csl_by_id[key]["author"]] == people
        # BibTeX: the names, "et al." as BibTeX's `others`
        bib_people = [str(p) for p in persons[key].persons["author"]]
        assert len(bib_people) == len(names)
        assert (bib_people[-1] == "others") == ("et al." in names)  # BibTeX's own keyword, nothing around it
    assert "Dept. of Physics, MIT, Cambridge, MA" in rss  # RSS and the pages show arXiv's own string
    assert "Dept. of Physics" not in bib.decode()


def test_feeds_with_affiliations_stay_valid_atom_and_json_feed(fake_arxiv, tmp_path):
    from tests.test_feed_validity import jsonfeed_validator

    with running_app(fake_arxiv) as app:
        fake_arxiv.fail_next(Failure(200, affiliated_day()))
        atom = app.get("/feed?cat=cs.AI&q=diffusion&format=atom").content
        jsonfeed = app.get("/feed?cat=cs.AI&q=diffusion&format=json").json()
    assert b"<arxiv:affiliation>" in atom
    assert not list(jsonfeed_validator().iter_errors(jsonfeed))
    if shutil.which("jing") is None:
        pytest.skip("jing not on PATH (apt-get install jing): the JSON Feed half ran")
    (tmp_path / "feed.atom").write_bytes(atom)
    proc = subprocess.run(["jing", "-c", str(FIXTURES / "atom.rnc"), str(tmp_path / "feed.atom")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout


@pytest.mark.skipif(shutil.which("biber") is None, reason="biber is not installed (Debian package biber)")
def test_biber_keeps_every_entry_whose_authors_carry_affiliations(fake_arxiv, tmp_path):
    with running_app(fake_arxiv) as app:
        fake_arxiv.fail_next(Failure(200, affiliated_day()))
        bib = app.get("/feed?cat=cs.AI&q=diffusion&format=bib").content
    (tmp_path / "feed.bib").write_bytes(bib)
    run = subprocess.run(["biber", "--tool", "--output-file", "out.bib", "feed.bib"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    log = run.stdout + run.stderr
    assert run.returncode == 0, log
    assert "skipping entry" not in log and "ERROR" not in log, log
    out = (tmp_path / "out.bib").read_text()
    assert out.count("@MISC{") == len(AFFILIATED), out
    assert "AUTHOR = {Smith, A. and Jones, B. and Wu, C.}" in out, out


def test_a_blank_author_is_dropped_from_the_citations():
    paper = Paper(id="2604.00001", title="Diffusion", abstract="diffusion", authors=["A. Smith", " ", "\x01", "B. Jones"],
                  announced=dt.date(2026, 4, 27), categories=["cs.AI"])
    doc = FeedDocument(title="t", description="d", self_url="http://x/feed", home_url="http://x/", feed_id="x",
                       updated=dt.datetime(2026, 4, 27, tzinfo=dt.UTC), items=[Scored(paper=paper, score=1, hits=[])])
    [item] = json.loads(render(doc, "csl"))
    assert item["author"] == [{"family": "Smith", "given": "A."}, {"family": "Jones", "given": "B."}]
    [shown] = bibliography([item], formatter.plain)
    assert shown.startswith("Smith, A. and Jones, B.")
    [entry] = parse_bib(render(doc, "bib"))
    assert entry["author"] == ["A. Smith", "B. Jones"]


# --- title case through a real LaTeX run ------------------------------------------------------

CASED_TITLES = [  # what bibtex's plain style printed as "Sam2 for video ...", "Ntire 2026 ... (ripdetseg)"
    "SAM2 for Video Object Segmentation",
    "NTIRE 2026 Challenge on Rip Current Detection (RipDetSeg): Methods and Results",
    "Learnable Gabor filters for Schrödinger bridges",
    "iPhone photos: a dataset for 3D reconstruction",
]
LATEX_TOOLS = ("pdflatex", "bibtex", "pdftotext")
needs_latex = pytest.mark.skipif(
    any(shutil.which(t) is None for t in LATEX_TOOLS),
    reason="pdflatex, bibtex and pdftotext are not installed (Debian: texlive-latex-base poppler-utils)")


def printed_bibliography(bib: bytes, workdir, style: str = "plain") -> str:
    """What a reader of the PDF sees: pdflatex, bibtex with `style`, pdflatex, pdftotext; with
    hyphenation off so a title is never cut across lines."""
    (workdir / "refs.bib").write_bytes(bib)
    (workdir / "doc.tex").write_text(
        "\\documentclass{article}\\usepackage[utf8]{inputenc}\\hyphenpenalty=10000\\exhyphenpenalty=10000\n"
        f"\\begin{{document}}\\raggedright\\nocite{{*}}\\bibliographystyle{{{style}}}\\bibliography{{refs}}\\end{{document}}\n")
    latex = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"]
    for command in (latex, ["bibtex", "doc"], latex):
        run = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout[-3000:]
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "doc.pdf", "-"], cwd=workdir, capture_output=True,
                          text=True, check=True, timeout=60).stdout
    return unicodedata.normalize("NFC", " ".join(text.split()))  # pdftotext gives ö as o + U+0308


@needs_latex
def test_bibtex_plain_style_prints_titles_with_their_capitals(fake_arxiv, tmp_path):
    day = cs_ai_listing([{"n": n, "title": escape(t), "abstract": "diffusion", "authors": "A. Smith"}
                         for n, t in enumerate(CASED_TITLES, 1)])
    with running_app(fake_arxiv) as app:
        fake_arxiv.fail_next(Failure(200, day))
        bib = app.get("/feed?cat=cs.AI&q=diffusion&format=bib").content
    printed = printed_bibliography(bib, tmp_path)
    for title in CASED_TITLES:
        assert title in printed, printed
    # still plain BibTeX to the other readers: the braces are not text
    assert sorted(e["title"] for e in parse_bib(bib)) == sorted(CASED_TITLES)


def _enriched_papers():
    """Real papers of the recorded query-API answer, given real comments of the recorded cs.CV days."""
    papers = parse_listing((FIXTURES / "api_query_all-AI_max15_2026-03-21.xml").read_bytes()).papers[:3]
    comments = ["Accepted to CVPR 2026 Findings. Code: https://github.com/KD-TAO/OmniZip",
                "Accepted by IEEE Transactions on Pattern Analysis and Machine Intelligence", "17 pages, 15 figures"]
    return [p.model_copy(update={"comment": c, "journal_ref": None}) for p, c in zip(papers, comments)]


def test_accepted_and_published_papers_carry_their_venue_in_bibtex_and_csl_json():
    papers = _enriched_papers()
    doc = FeedDocument(title="t", description="d", self_url="http://x/feed", home_url="http://x/", feed_id="x",
                       updated=dt.datetime(2026, 3, 21, tzinfo=dt.UTC), items=[Scored(paper=p, score=1, hits=[]) for p in papers])
    entries = {e.key: e for e in parse_bib(render(doc, "bib"))}
    findings, journal, plain = (entries[f"arXiv:{p.id}"] for p in papers)
    assert findings["note"] == "Accepted at CVPR 2026 Findings" and "journal" not in findings
    assert journal["journal"] == "IEEE Transactions on Pattern Analysis and Machine Intelligence"
    assert journal["note"] == "Accepted at TPAMI"
    assert "note" not in plain and "journal" not in plain
    pybtex.database.parse_string(render(doc, "bib").decode(), "bibtex")  # the other reader agrees it is BibTeX
    csl = {i["id"]: i for i in json.loads(render(doc, "csl"))}
    assert csl[f"arXiv:{papers[0].id}"]["container-title"] == "IEEE/CVF Conference on Computer Vision and Pattern Recognition"
    assert csl[f"arXiv:{papers[1].id}"]["container-title-short"] == "TPAMI"
    assert "container-title" not in csl[f"arXiv:{papers[2].id}"]
    shown = bibliography(list(csl.values()), formatter.plain)
    assert sum("Pattern Analysis and Machine Intelligence" in entry for entry in shown) == 1


def test_bibtex_titles_brace_the_words_whose_capitals_must_survive_and_no_other():
    """What a style that changes case (BibTeX's plain, biblatex's sentence case, Zotero's
    import) may not touch is braced: a word with a capital anywhere. A capitalised first word
    and lower-case words stay free, so title-casing styles can still case them."""
    titles = {
        "Learnable Gabor filters for Schrödinger bridges": "Learnable {Gabor} filters for {Schrödinger} bridges",
        "SAM2 for Video Object Segmentation": "{SAM2} for {Video} {Object} {Segmentation}",
        "iPhone photos: a dataset for 3D reconstruction": "{iPhone} photos: a dataset for {3D} reconstruction",
        "a study of LLMs": "a study of {LLMs}",
    }
    papers = [Paper(id=f"2604.{n:05d}", version=1, title=t, abstract="a", categories=["cs.AI"], authors=["A. Smith"],
                    announced=dt.date(2026, 4, 27)) for n, t in enumerate(titles, 1)]
    doc = FeedDocument(title="t", description="d", self_url="http://x/feed", home_url="http://x/", feed_id="x",
                       updated=dt.datetime(2026, 4, 27, tzinfo=dt.UTC), items=[Scored(paper=p, score=1, hits=[]) for p in papers])
    written = {e.fields["eprint"]: e.fields["title"] for e in pybtex.database.parse_bytes(render(doc, "bib"), "bibtex").entries.values()}
    assert written == {p.id: titles[p.title] for p in papers}
