"""JSON Feed 1.1. Scores and explanations travel in an `_arxiv_feeds` extension object."""

from __future__ import annotations

import json

from core.extract import info
from core.papers import Paper, parse_author
from core.render.document import FeedDocument, categories_of, item_html, xml_safe
from core.sources import DEFAULT, links


def authors(paper: Paper) -> list[dict]:
    """Each author's name; an affiliation arXiv gave in parentheses goes in the extension."""
    result = []
    for author in (parse_author(xml_safe(a)) for a in paper.authors):
        if author.name:
            result.append({"name": author.name} | ({"_arxiv_feeds": {"affiliation": author.affiliation}} if author.affiliation else {}))
    return result


def _extras(paper: Paper) -> dict:
    """arXiv's comment, journal reference and DOI, and what core.extract derives from them."""
    found = info(paper)
    venue = found.venue
    return {
        "comment": paper.comment,
        "journal_ref": paper.journal_ref,
        "doi": found.doi,
        "venue": None if venue is None else {
            "label": venue.label, "name": venue.name, "year": venue.year, "track": venue.track,
            "full_name": venue.long, "journal": venue.journal,
        },
        "code": found.code,
        "pages": found.pages,
        "figures": found.figures,
        "enriched": paper.enriched,  # False: arXiv's comment was not fetched yet (the RSS has none)
    }


def render_jsonfeed(doc: FeedDocument) -> bytes:
    items = []
    for item, when in doc.dated():
        paper = item.paper
        summary = doc.summary_for(item)
        where = links(paper)
        items.append(
            {
                "id": where.id,
                "url": where.abs,
                "external_url": where.pdf,
                "title": paper.title,
                "content_html": item_html(item, doc.summary_for(item)),
                "summary": paper.abstract,
                "date_published": when.isoformat(),
                "authors": authors(paper),
                "tags": [*paper.categories, *(term for term, _ in categories_of(paper))],
                "language": "en",
                "_arxiv_feeds": {
                    "arxiv_id": paper.id,
                    "version": paper.version,
                    "announce_type": paper.announce_type,
                    "primary_category": paper.primary_category,
                    "pdf_url": where.pdf,
                    "source": paper.origin,  # the name readers know: listing or backfill
                    **({} if paper.server == DEFAULT else {"server": paper.server}),
                    **_extras(paper),
                    "score": item.score,
                    "explanation": item.explanation,
                    "hits": [hit.model_dump() for hit in item.hits],
                    "summary": None if summary is None else {
                        "markdown": summary.markdown, "html": summary.html, "model": summary.model,
                    },
                },
            }
        )
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": doc.title,
        "home_page_url": doc.home_url,
        "feed_url": doc.self_url,
        "description": doc.description,
        "language": "en",
        "items": items,
    }
    if doc.note:  # a feed-level extension, as the items' `_arxiv_feeds`
        feed["_arxiv_feeds"] = {"incomplete": True, "note": doc.note}
    return json.dumps(feed, ensure_ascii=False, indent=1).encode("utf-8")
