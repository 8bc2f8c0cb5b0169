"""TeX accents in arXiv's author lists and titles become letters in every format, and never
swallow the space after them (`Jos\\'e Garc\\'ia` was once served as `JoséGarcía`)."""

from __future__ import annotations

import feedparser
import pytest
from lxml import etree

from core.papers import detex
from tests.conftest import running_app
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
