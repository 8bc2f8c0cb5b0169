"""Parse arXiv's RSS 2.0 and Atom listing feeds and its query-API Atom into `Paper`s.

arXiv's own listing shapes and query-API answers go through `fastparse` (lxml, about 20x faster);
anything else, and every body that is not well-formed XML, goes through
feedparser, which stays the reference: both give identical `Paper`s
(tests/test_fastparse.py). arXiv's abstracts hold literal `<` and `>` (escaped
in the XML), so HTML sanitising is off and we treat every text as plain text.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from core.arxiv import fastparse
from core.errors import ParseError
from core.papers import ANNOUNCE_TYPES, Paper, detex, split_authors, split_id
from core.schedule import listing_day_of_submission

_DESCRIPTION_RE = re.compile(
    r"^\s*arXiv:(?P<ref>\S+)\s+Announce Type:\s*(?P<type>[\w-]+)\s*(?:Abstract:\s*)?(?P<abstract>.*)\Z",
    re.DOTALL,
)


@dataclass
class Listing:
    """What one upstream response held."""

    papers: list[Paper] = field(default_factory=list)
    build_date: dt.date | None = None  # the announcement day the feed says it is for
    kind: str = "rss"  # rss | atom | api
    total_results: int | None = None  # query API only
    # Set when feedparser had to recover from a flaw (an undefined entity, a bad byte...)
    # in a body that still looked complete: what the flaw was. None for a clean document.
    malformed: str | None = None
    parser: str = "fast"  # fast | feedparser: which one read it (for tests and the bench)
    # Query API: the listing day of v1 (from <published>) of each paper answered as a later
    # version: the API gives only the newest version, yet v1 was announced `new` on that day.
    first_listed: dict[str, dt.date] = field(default_factory=dict)


def parse_listing(body: bytes | str, *, fast: bool = True) -> Listing:
    """Parse one upstream body. Raises `ParseError` for anything that is not a usable feed.
    `fast=False` reads it with feedparser alone (the tests' reference)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    if body.strip() == b"Rate exceeded.":
        raise ParseError("upstream rate limit: 'Rate exceeded.'")
    quick = fastparse.parse(body) if fast else None
    if quick is not None:
        version, feed, entries, malformed = quick.version, quick.feed, quick.entries, None
    else:
        version, feed, entries, malformed = _feedparser(body)
    is_api = "opensearch_totalresults" in feed
    listing = Listing(
        kind="api" if is_api else ("atom" if version.startswith("atom") else "rss"),
        build_date=_date_of(feed, "published_parsed", "updated_parsed"),
        malformed=malformed,
        parser="fast" if quick is not None else "feedparser",
    )
    if is_api:
        listing.total_results = int(feed.get("opensearch_totalresults") or 0)
        for entry in entries:
            if "/api/errors" in (entry.get("id") or ""):
                raise ParseError(f"arXiv API error: {_clean(entry.get('summary'))}")
    for entry in entries:
        paper = _paper_from_api(entry) if is_api else _paper_from_listing(entry, listing.build_date)
        if paper is not None:
            listing.papers.append(paper)
            if is_api and paper.version > 1 and entry.get("published_parsed"):
                listing.first_listed[paper.id] = listing_day_of_submission(_utc(entry["published_parsed"]))
    if listing.build_date is None and listing.papers and not is_api:
        listing.build_date = listing.papers[0].announced
    return listing


def parse_author_feed(body: bytes) -> list[Paper]:
    """The papers of an arXiv author feed (arxiv.org/a/{id}.atom): query-API entries without
    the API's opensearch counts. Raises `ParseError` for anything that is not a usable feed."""
    quick = fastparse.parse(body)
    entries = quick.entries if quick is not None else _feedparser(body)[2]
    return [paper for entry in entries if (paper := _paper_from_api(entry)) is not None]


def _feedparser(body: bytes) -> tuple[str, Any, list[Any], str | None]:
    """Anything outside arXiv's usual shape, and every body that is not well-formed XML."""
    import feedparser  # only for the unusual: the app starts without it

    parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
    if _flaw(parsed) and _CONTROL_CHARS.search(body):
        # Control characters are invalid XML but harmless in a title: drop them, parse again.
        parsed = feedparser.parse(_CONTROL_CHARS.sub(b"", body), sanitize_html=False, resolve_relative_uris=False)
    version = parsed.get("version") or ""
    if not version:
        raise ParseError(f"not an RSS or Atom feed ({_describe_bozo(parsed)})")
    flaw = _flaw(parsed)
    if flaw and not _looks_complete(body):
        # A cut-off body parses into a partial list; storing it would replace a good day.
        raise ParseError(f"truncated or malformed feed: {flaw}")
    return version, parsed.feed, parsed.entries, flaw  # the listings refuse a flawed one too


def _describe_bozo(parsed: Any) -> str:
    exc = parsed.get("bozo_exception")
    return f"{type(exc).__name__}: {exc}" if exc else "no feed element"


def _looks_complete(body: bytes) -> bool:
    tail = body.rstrip()[-20:]
    return tail.endswith(b"</rss>") or tail.endswith(b"</feed>")


_CONTROL_CHARS = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _flaw(parsed: Any) -> str | None:
    """What feedparser had to recover from, or None. Bytes in another encoding than declared
    say nothing about completeness and are no flaw."""
    import feedparser

    harmless = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)
    if not parsed.get("bozo") or isinstance(parsed.get("bozo_exception"), harmless):
        return None
    return _describe_bozo(parsed)


def _date_of(obj: Any, *keys: str) -> dt.date | None:
    """A feedparser time struct (UTC) as a date. arXiv dates are midnight US Eastern,
    which is still the same calendar day in UTC."""
    for key in keys:
        value = obj.get(key)
        if value:
            return dt.datetime.fromtimestamp(calendar.timegm(value), dt.UTC).date()
    return None


def _utc(stamp: Any) -> dt.datetime:
    """A feedparser time struct (UTC) as an aware datetime."""
    return dt.datetime.fromtimestamp(calendar.timegm(stamp), dt.UTC)


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _categories(entry: Any) -> list[str]:
    seen: list[str] = []
    for tag in entry.get("tags") or []:
        term = (tag.get("term") or "").strip()
        if term and term not in seen:
            seen.append(term)
    return seen


def _paper_from_listing(entry: Any, build_date: dt.date | None) -> Paper | None:
    """An item of rss.arxiv.org (RSS or Atom flavour)."""
    description = entry.get("summary") or entry.get("description") or ""
    match = _DESCRIPTION_RE.match(description)
    ref = entry.get("id") or entry.get("link") or ""
    try:
        arxiv_id, version = split_id(match.group("ref") if match else ref)
    except ValueError:
        return None
    announce = (entry.get("arxiv_announce_type") or (match.group("type") if match else "new")).strip()
    if announce not in ANNOUNCE_TYPES:
        announce = "new"
    abstract = match.group("abstract") if match else description
    announced = _date_of(entry, "published_parsed", "updated_parsed") or build_date
    if announced is None:
        return None
    return Paper(
        id=arxiv_id,
        version=version,
        title=detex(_clean(entry.get("title"))),
        abstract=_clean(abstract),
        authors=split_authors(entry.get("author") or ""),
        categories=_categories(entry),
        announce_type=announce,  # type: ignore[arg-type]
        announced=announced,
        license=entry.get("rights") or None,
    )


def _paper_from_api(entry: Any) -> Paper | None:
    """An entry of export.arxiv.org/api/query: one <author> each, explicit primary category."""
    try:
        arxiv_id, version = split_id(entry.get("id") or "")
    except ValueError:
        return None  # the API's error entries have no arXiv id
    categories = _categories(entry)
    primary = (entry.get("arxiv_primary_category") or {}).get("term")
    if primary:
        categories = [primary] + [c for c in categories if c != primary]
    # `updated` is when the latest version was submitted: its listing day follows arXiv's schedule.
    stamp = entry.get("updated_parsed") or entry.get("published_parsed")
    if not stamp:
        return None
    announced = listing_day_of_submission(_utc(stamp))
    return Paper(
        id=arxiv_id,
        version=version,
        title=detex(_clean(entry.get("title"))),
        abstract=_clean(entry.get("summary")),
        authors=[detex(_clean(a.get("name"))) for a in entry.get("authors") or [] if a.get("name")],
        categories=categories,
        announce_type="new" if version == 1 else "replace",
        announced=announced,
        comment=_clean(entry.get("arxiv_comment")) or None,
        journal_ref=_clean(entry.get("arxiv_journal_ref")) or None,
        doi=_clean(entry.get("arxiv_doi")) or None,
        license=entry.get("rights") or None,
        enriched=True,
    )
