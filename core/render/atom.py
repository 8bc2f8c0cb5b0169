"""Atom 1.0 (RFC 4287) through feedgen.

feedgen 1.0 drops `rel`/`type` on an entry's extra links (python-feedgen issue
135), which would turn the PDF link into a second "alternate"; the PDF link is
therefore added by a small feedgen extension that writes the element itself.
"""

from __future__ import annotations

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from core.papers import parse_author
from core.render.document import (
    GENERATOR,
    FeedDocument,
    categories_of,
    category_label,
    item_html,
    xml_safe,
)
from core.render.formats import REGISTRY
from core.sources import links

ARXIV_SCHEME = "http://arxiv.org/schemas/atom"


class _PdfLinkFeed(BaseExtension):
    def extend_ns(self) -> dict[str, str]:
        return {"arxiv": ARXIV_SCHEME}


class _PdfLinkEntry(BaseEntryExtension):
    """Adds `<link rel="related" type="application/pdf">` after the other links, and each
    author's `<arxiv:affiliation>` (as arXiv's own API writes it; feedgen knows no such child)."""

    def __init__(self) -> None:
        self.href: str | None = None
        self.affiliations: list[str | None] = []  # one per <author>, in order

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        if self.href:
            # Un-namespaced like feedgen's own elements, so it serialises as a plain
            # <link> in the feed's default (Atom) namespace, not as <ns0:link>.
            etree.SubElement(entry, "link", href=self.href, rel="related", type="application/pdf", title="pdf")
        for author, affiliation in zip(entry.findall("author"), self.affiliations):
            if affiliation:
                etree.SubElement(author, f"{{{ARXIV_SCHEME}}}affiliation").text = affiliation
        return entry


def render_atom(doc: FeedDocument) -> bytes:
    fg = FeedGenerator()
    fg.register_extension("pdflink", _PdfLinkFeed, _PdfLinkEntry, atom=True, rss=False)
    fg.id(doc.feed_id)
    fg.title(xml_safe(doc.title))
    fg.subtitle(xml_safe(doc.description) or doc.title)
    fg.link(href=doc.self_url, rel="self", type="application/atom+xml")
    fg.link(href=doc.home_url, rel="alternate", type="text/html")
    for fmt, url in doc.alternates.items():
        # The same papers for reference managers. As "related", not "alternate": readers such
        # as newsboat take the last alternate link as the site's address.
        output = REGISTRY[fmt]
        if output.kind == "citations":
            fg.link(href=url, rel="related", type=output.media_type.split(";")[0], title=output.label)
    fg.updated(doc.updated)
    fg.author({"name": "arXiv authors (see each entry)"})
    fg.generator(GENERATOR)
    fg.language("en")
    for item, when in doc.dated():
        paper = item.paper
        entry = fg.add_entry(order="append")
        where = links(paper)
        entry.id(where.id)
        entry.title(xml_safe(paper.title))
        entry.link(href=where.abs, rel="alternate", type="text/html")
        entry.pdflink.href = where.pdf
        entry.published(when)
        entry.updated(when)
        authors = [a for a in (parse_author(xml_safe(a)) for a in paper.authors) if a.name]
        for author in authors:
            entry.author({"name": author.name})
        entry.pdflink.affiliations = [a.affiliation for a in authors]
        for category in paper.categories:
            entry.category(term=category, scheme=ARXIV_SCHEME, label=category_label(category))
        for term, scheme in categories_of(paper):
            entry.category(term=xml_safe(term), scheme=scheme, label=xml_safe(term if term != "code" else "Links its code"))
        entry.summary(xml_safe(paper.abstract), type="text")
        entry.content(item_html(item, doc.summary_for(item)), type="html")
    return fg.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True)
