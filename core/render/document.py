"""What every renderer needs, and the HTML body shared by RSS, Atom and JSON Feed items."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from html import escape
from urllib.parse import quote
from typing import TYPE_CHECKING

from core import __version__
from core.extract import info
from core.matching import Scored
from core.papers import Paper
from core.profiles import MAX_ITEMS
from core.sources.arxiv.schedule import EASTERN
from core.sources import category_name
from core.sources import links, source_of

if TYPE_CHECKING:
    from core.summaries.service import Summary

GENERATOR = f"arxiv-feeds {__version__}"
VENUE_SCHEME = "urn:arxiv-feeds:venue"  # <category> of the venue a comment claims
HAS_SCHEME = "urn:arxiv-feeds:has"  # <category>code</category>: the paper links its code
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (upstream data is not trusted to be clean)."""
    return _CONTROL_RE.sub("", text)


@dataclass
class FeedDocument:
    title: str
    description: str
    self_url: str  # the URL being served, absolute
    home_url: str  # a human page for the feed
    feed_id: str  # stable identity (does not change with query-string order)
    updated: dt.datetime
    items: list[Scored]
    # RSS <ttl>: a constant, so every instance renders the same bytes (and ETag) for the same
    # data; Cache-Control carries the precise lifetime.
    ttl_minutes: int = 60
    summaries: dict[str, Summary] = field(default_factory=dict)  # by arXiv id
    alternates: dict[str, str] = field(default_factory=dict)  # format name -> this feed in that format
    note: str = ""  # the window is incomplete: what is missing and when it fills in

    def summary_for(self, item: Scored) -> Summary | None:
        return self.summaries.get(item.paper.id)

    def dated(self) -> list[tuple[Scored, dt.datetime]]:
        """Each item with its timestamp: its announcement plus `RANK_SLOTS - rank` seconds,
        its rank counted among the items of that announcement. Most readers sort by date:
        equal times (one per announcement) lost the ranking, and validators warn about them.
        The top item keeps its time whatever the feed's length, and every item its day."""
        rank: dict[dt.date, int] = {}
        dated = []
        for item in self.items:
            day = item.paper.announced
            n = rank.get(day, 0)
            dated.append((item, announced_at(item.paper) + dt.timedelta(seconds=RANK_SLOTS - n)))
            rank[day] = n + 1
        return dated


RANK_SLOTS = MAX_ITEMS  # a feed holds at most this many items, so one day's times stay distinct


def announced_at(paper: Paper) -> dt.datetime:
    """arXiv dates a listing at midnight US Eastern of its day."""
    return dt.datetime.combine(paper.announced, dt.time(0), EASTERN)


def item_html(item: Scored, summary: Summary | None = None) -> str:
    """The item body: every author (most readers show one), categories, score, the AI
    summary (sanitised) when there is one, abstract, links."""
    paper = item.paper
    cats = ", ".join(
        f"{escape(c)}{' (primary)' if i == 0 else ''}" for i, c in enumerate(paper.categories)
    )
    parts = [
        f"<p><b>Authors:</b> {escape(', '.join(paper.authors)) or 'unknown'}</p>",
        f"<p><b>Categories:</b> {cats} &#183; <b>Announce type:</b> {escape(paper.announce_type)}"
        f" &#183; {escape(source_of(paper).label)}:{escape(paper.id)}v{paper.version}</p>",
        f"<p><b>Score {item.score:g}:</b> {escape(item.explanation)}</p>",
    ]
    if summary is not None:
        parts.append(f"<p><b>AI summary</b> ({escape(summary.model)}):</p>\n{summary.html}")
    parts.append(f"<p>{escape(paper.abstract)}</p>")
    extra = [x for x in (paper.comment and f"Comments: {paper.comment}", paper.journal_ref and f"Journal: {paper.journal_ref}") if x]
    if extra:
        parts.append(f"<p>{escape(' · '.join(extra))}</p>")
    parts.append(
        f'<p><a href="{escape(links(paper).abs)}">Abstract page</a> &#183; '
        f'<a href="{escape(links(paper).pdf)}">PDF</a></p>'
    )
    extras = extras_html(paper)
    if extras:
        parts.append(extras)
    return xml_safe("\n".join(parts))


def extras_html(paper: Paper) -> str:
    """Venue, code links and DOI (core/extract), one paragraph; empty when there are none."""
    found = info(paper)
    bits = []
    if found.venue is not None:
        bits.append(f"<b>Venue:</b> {escape(found.venue.label)}")
    if found.code:
        links = ", ".join(f'<a href="{escape(url)}">{escape(url.split("://", 1)[-1])}</a>' for url in found.code)
        bits.append(f"<b>Code:</b> {links}")
    if found.doi:
        bits.append(f'<b>DOI:</b> <a href="{escape(doi_url(found.doi))}">{escape(found.doi)}</a>')
    return f"<p>{' &#183; '.join(bits)}</p>" if bits else ""


def doi_url(doi: str) -> str:
    return "https://doi.org/" + quote(doi.strip(), safe="/:;()._-<>[]")


def categories_of(paper: Paper) -> list[tuple[str, str]]:
    """(term, scheme) of the feed categories beyond arXiv's: the venue and `code` (readers' rules match them)."""
    found = info(paper)
    extra = []
    if found.venue is not None:
        extra.append((found.venue.label, VENUE_SCHEME))
    if found.code:
        extra.append(("code", HAS_SCHEME))
    return extra


def category_label(category: str) -> str:
    return category_name(category)
