"""TeX accents in arXiv's author lists and titles become letters in every format, and never
swallow the space after them (`Jos\\'e Garc\\'ia` was once served as `JoséGarcía`); simple TeX
(`mAP$_{50}$`, `91.0\\%`) prints as text on the pages and in the Markdown digest, while the
feeds keep arXiv's source."""

from __future__ import annotations

import re
import shutil
import subprocess
from xml.sax.saxutils import escape

import feedparser
import lxml.html
import pytest
from lxml import etree

from core.papers import detex
from core.render import texprint
from tests.conftest import FIXTURES, running_app
from tests.fakearxiv import Failure
from tests.test_hostile_upstream import day

# Every accent form arXiv's listings carry: control symbols with and without braces, the
# accent inside a group, letter accents (which need a space or a brace), dotless i, letters.
FORMS = [
    (r"caf\'e au lait", "café au lait"),
    (r"Jos\'e Garc\'ia", "José García"),
    (r"Jos\'{e} Garc\'{\i}a", "José García"),
    (r"{\'e}t\'e {\'{E}}cole", "été École"),
    (r"Mart\'\i n Ib\'a\~nez", "Martín Ibáñez"),
    (r"J\"org M\"{u}ller {\"O}zg\"ur", "Jörg Müller Özgür"),
    (r"Pe\~na Nu\~{n}ez", "Peña Nuñez"),
    (r"Fran\c{c}ois Fran\c cois", "François François"),
    (r"Pi\v{z}urica \v{S}koda \v Cech", "Pižurica Škoda Čech"),
    (r"Erd\H{o}s Jakub\r{u}v \k{e} \u{a}", "Erdős Jakubův ę ă"),
    (r"\`a \^o \=a \.z", "à ô ā ż"),
    (r"G\o{}rski Bj\o rn {\O}stergaard", "Gørski Bjørn Østergaard"),
    (r"Stra\ss e {\ss} \AA ngstr\"om {\l}\'od\'z", "Straße ß Ångström łódź"),
    (r"$\mathcal{O}(n^2)$ \textbf{bold} \cite{x}", r"$\mathcal{O}(n^2)$ \textbf{bold} \cite{x}"),
]


@pytest.mark.parametrize("tex,text", FORMS, ids=[t for t, _ in FORMS])
def test_detex_turns_every_accent_form_into_letters_and_keeps_spaces(tex, text):
    assert detex(tex) == text


AUTHORS = [(r"Jos\'e Garc\'ia", "José García"), (r"Fran\c{c}ois Caf\'e", "François Café"),
           (r"{\"O}zg\"ur Pi\v{z}urica", "Özgür Pižurica"), (r"Mart\'\i n Ib\'a\~nez", "Martín Ibáñez")]
TITLE_TEX = r"Caf\'e au lait: diffusion for Jos\'e and Fran\c{c}ois"
TITLE = "Café au lait: diffusion for José and François"


def test_names_and_titles_with_tex_reach_every_format_with_their_spaces(fake_arxiv):
    items = [{"title": TITLE_TEX, "abstract": "diffusion", "authors": ", ".join(t for t, _ in AUTHORS)}]
    names = [n for _, n in AUTHORS]
    with running_app(fake_arxiv) as app:
        fake_arxiv.fail_next(Failure(200, day("cs.AI", items)))
        query = "/feed?cat=cs.AI&q=diffusion"
        rss, atom = app.get(query), app.get(query + "&format=atom")
        feed = app.get(query + "&format=json").json()
        md = app.get(query + "&format=md").text
    [item] = feed["items"]
    assert item["title"] == TITLE
    assert [a["name"] for a in item["authors"]] == names
    [entry] = feedparser.parse(atom.content).entries
    assert entry.title == TITLE and [a.name for a in entry.authors] == names
    [rss_item] = etree.fromstring(rss.content).findall("channel/item")
    assert rss_item.findtext("title") == TITLE
    assert ", ".join(names) in rss_item.findtext("description")
    assert "Café au lait: diffusion for José and François" in md and "José García, François Café" in md
    for body in (rss.text, atom.text, md):
        assert "JoséGarcía" not in body and "\\'" not in body


# --- simple TeX printed on the pages and in the Markdown digest (feeds keep the source) ------

PRINTED = [  # (arXiv's source, Unicode text, HTML): shapes taken from the recorded cs.CV days
    (r"mAP$_{50}$ of 91.0\%", "mAP₅₀ of 91.0%", "mAP<sub>50</sub> of 91.0%"),
    (r"$\mathcal{O}(n^2)$ and $O(N_p^2)$", "O(n²) and O(Nₚ²)", "O(n<sup>2</sup>) and O(N<sub>p</sub><sup>2</sup>)"),
    (r"$32 \times 32$, $0.361\pm0.127$, $\sim$5, ${\approx}6$", "32 × 32, 0.361±0.127, ∼5, ≈6", "32 × 32, 0.361±0.127, ∼5, ≈6"),
    (r"$\alpha$, $\Delta$ and $\tau$", "α, Δ and τ", "α, Δ and τ"),
    (r"$\text{AR}_{\text{C}}$ at $n{=}1{,}000$", "AR_C at n=1,000", "AR<sub>C</sub> at n=1,000"),
    (r"Schr\"odinger \'ecole \textbf{bold} a\_b \& c \#1", "Schrödinger école bold a_b & c #1", "Schrödinger école bold a_b &amp; c #1"),
    (r"$1/\sqrt{n}$, 90$^\circ$, $\frac{a+b}{2}$", "1/√n, 90°, (a+b)/2", "1/√n, 90°, (a+b)/2"),
    (r"$\approx$1K and $<$30W", "≈1K and <30W", "≈1K and &lt;30W"),
    # not simple, or not math: kept as written
    (r"$\href{https://x.org}{here}$", r"$\href{https://x.org}{here}$", r"$\href{https://x.org}{here}$"),
    (r"from $3M to $5M, $5-$10", "from $3M to $5M, $5-$10", "from $3M to $5M, $5-$10"),
    (r"~10x faster \cite{x}", r"~10x faster \cite{x}", r"~10x faster \cite{x}"),
    # hostile: TeX never makes markup
    (r"$\text{<script>alert(1)</script>}$ \textbf{<img src=x onerror=alert(2)>}",
     "<script>alert(1)</script> <img src=x onerror=alert(2)>",
     "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(2)&gt;"),
    ("{" * 5000 + "$" + "{" * 5000 + "x" + "}" * 5000 + "$", "{" * 5000 + "$" + "{" * 5000 + "x" + "}" * 5000 + "$", None),
]


@pytest.mark.parametrize("source,text,html", PRINTED, ids=[s[:40] for s, _, _ in PRINTED])
def test_simple_tex_prints_as_unicode_text_and_escaped_html(source, text, html):
    assert texprint.plain(source) == text
    if html is not None:
        assert texprint.html(texprint.runs(source)) == html


def test_random_tex_never_raises_and_never_makes_other_markup_than_sub_and_sup():
    import random
    from html.parser import HTMLParser

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: set[str] = set()

        def handle_starttag(self, tag, attrs):
            self.tags.add(tag)

    alphabet = [*"$\\{}_^%&#<>\"' ab1~", "\\alpha", "\\text{", "\\frac", "\\mathcal{", "$$", "\\(", "\\)",
                "\\textbf{", "\\'e", "<script>", "&amp;", "\\href{", "\\sqrt", "\\mkern-2mu"]
    rng = random.Random(19)
    for _ in range(3000):
        source = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        parser = Tags()
        parser.feed(texprint.html(texprint.runs(source)))
        assert parser.tags <= {"sub", "sup"}, source
        texprint.plain(source)


def test_text_longer_than_any_arxiv_abstract_is_shown_as_written():
    source = "mAP$_{50}$ " * (texprint.MAX_TEXT // 10)  # arXiv caps abstracts at 1,920 characters
    assert len(source) > texprint.MAX_TEXT and texprint.plain(source) == source


def test_a_mark_that_ends_inside_tex_covers_the_whole_construct():
    from core.web.highlight import spans

    text = r"on $\mathcal{O}(n^2)$ budgets"
    inside = text.index("n^2")  # a term found inside the math marks all of it, never half
    marked = [(s.text, str(s.html)) for s in spans(text, [(inside, inside + 1)]) if s.mark]
    assert marked == [(r"$\mathcal{O}(n^2)$", "O(n<sup>2</sup>)")]


PAGE_TITLE = r"Boosting mAP$_{50}$ to 91.0\% for diffusion on $\mathcal{O}(n^2)$ budgets"
PAGE_ABSTRACT = (r"Diffusion with $\alpha$-blending reaches 91.0\% mAP$_{50}$ and $\sim$2$\times$ speed "
                 r"$\text{<script>alert(1)</script>}$ \textbf{<img src=x onerror=alert(2)>}.")


def test_pages_print_tex_as_text_with_sub_and_superscripts_and_nothing_injected(fake_arxiv):
    items = [{"title": escape(PAGE_TITLE), "abstract": escape(PAGE_ABSTRACT), "authors": "A. Author"}]
    with running_app(fake_arxiv) as app:
        fake_arxiv.fail_next(Failure(200, day("cs.AI", items)))
        query = "cat=cs.AI&q=diffusion,mAP"
        page = app.get(f"/preview?{query}").text
        live = app.get(f"/api/preview.html?{query}").text
        feed = app.get(f"/feed?{query}&format=json").json()
    [item] = feed["items"]
    assert item["title"] == PAGE_TITLE and item["summary"] == PAGE_ABSTRACT  # feeds keep the source
    for html in (page, live):
        [paper] = lxml.html.fromstring(html).xpath("//li[contains(@class, 'paper')]")
        title = paper.xpath(".//*[contains(@class, 'paper-title')]//a")[0]
        assert " ".join(title.text_content().split()) == "Boosting mAP50 to 91.0% for diffusion on O(n2) budgets"
        assert [s.text for s in title.iter("sub")] == ["50"] and [s.text for s in title.iter("sup")] == ["2"]
        assert [m.text_content() for m in title.iter("mark")] == ["mAP", "diffusion"]
        [abstract] = paper.xpath(".//p[contains(@class, 'abstract')]")
        assert " ".join(abstract.text_content().split()) == (
            "Diffusion with α-blending reaches 91.0% mAP50 and ∼2× speed "
            "<script>alert(1)</script> <img src=x onerror=alert(2)>.")
        assert not paper.xpath(".//script | .//img | .//*[@onerror]")
        assert "$" not in paper.text_content() and "\\" not in paper.text_content()


DIGEST_DAY = "rss_cs.CV_2026-04-21.xml"  # 501 real papers; 85 with TeX in the title or abstract


def test_the_markdown_digest_prints_tex_as_unicode_and_escapes_what_is_left(fake_arxiv):
    body = (FIXTURES / DIGEST_DAY).read_bytes()
    with running_app(fake_arxiv) as app:
        fake_arxiv.fail_next(Failure(200, body))
        md = app.get("/feed?cat=cs.CV&limit=500&format=md").text
        feed = app.get("/feed?cat=cs.CV&limit=500&format=json").json()["items"]
    sources = " ".join(i["title"] + " " + i["summary"] for i in feed)
    assert "$_{50}$" in sources and "\\%" in sources  # the JSON Feed keeps arXiv's source
    assert "mAP₅₀" in md and "\\%" not in md and "$_{" not in md
    assert not re.search(r"(?<!\\)\$", md), "an unescaped $ is math to GitHub and Pandoc"


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is not installed (Debian package pandoc)")
def test_pandoc_reads_the_markdown_digest_without_warnings_or_math(fake_arxiv):
    with running_app(fake_arxiv) as app:
        fake_arxiv.fail_next(Failure(200, (FIXTURES / DIGEST_DAY).read_bytes()))
        md = app.get("/feed?cat=cs.CV&limit=500&format=md").content
    run = subprocess.run(["pandoc", "-f", "markdown", "-t", "html"], input=md, capture_output=True, timeout=120)
    assert run.returncode == 0, run.stderr.decode()
    assert run.stderr.decode() == "", run.stderr.decode()[:2000]
    html = run.stdout.decode()
    assert 'class="math' not in html and "mAP₅₀" in html


def _no_browser() -> str | None:
    from tests import test_browser

    if test_browser.sync_playwright is None:
        return "the playwright package is not installed (pip install -r requirements-dev.txt)"
    if test_browser.CHROMIUM is None:
        return "chromium is not on PATH (apt-get install chromium)"
    return None


@pytest.mark.skipif(_no_browser() is not None, reason=str(_no_browser()))
def test_chromium_shows_the_printed_tex_and_runs_nothing_from_it(fake_arxiv):
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, Watched, sync_playwright

    items = [{"title": escape(PAGE_TITLE), "abstract": escape(PAGE_ABSTRACT), "authors": "A. Author"}]
    with running_app(fake_arxiv) as app, sync_playwright() as playwright:
        fake_arxiv.fail_next(Failure(200, day("cs.AI", items)))
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000)
        try:
            watched = Watched(browser.new_page())
            watched.page.goto(app.url + "/preview?cat=cs.AI&q=diffusion")
            title = watched.page.locator(".paper-title a").first
            assert " ".join(title.inner_text().split()) == "Boosting mAP50 to 91.0% for diffusion on O(n2) budgets"
            assert title.locator("sub").inner_text() == "50" and title.locator("sup").inner_text() == "2"
            abstract = watched.page.locator("p.abstract").first.inner_text()
            assert "<script>alert(1)</script>" in abstract and "$" not in abstract
            assert watched.page.locator("li.paper script, li.paper img").count() == 0
            assert watched.errors == []  # no alert, no CSP report, no page error
        finally:
            browser.close()
