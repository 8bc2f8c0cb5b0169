"""arXiv, the first source: its taxonomy, schedule, ids, links and citation fields (pure, in
this package's light modules) and its upstream (`ArxivUpstream` over the polite `ArxivClient`,
the parsers imported on first use).

Modules: `client.py` (the polite HTTP client, one lane per upstream: bytes in, bytes out),
`parse.py` and `fastparse.py` (RSS/Atom listings and query-API answers -> `Paper`),
`answers.py` (where every answer is parsed: off the loop, frozen), `paging.py` (whole
query-API pages: `history`), `trouble.py` (the query API's shared back-off), `taxonomy.py`, `schedule.py`,
`ids.py`. arXiv's categories are bare (`cs.LG`): stored keys and URLs keep that spelling.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING

from core.papers import Paper, category_in
from core.sources.arxiv import ids, schedule, taxonomy
from core.sources.base import Citation, IdSyntaxOf, ListingAnswer, Links, ScheduleOf

if TYPE_CHECKING:
    import httpx

    from core.clock import Clock
    from core.kv import KV
    from core.settings import Settings
    from core.sources.arxiv.client import ArxivClient
    from core.sources.arxiv.paging import ArxivHistoryPage
    from core.sources.arxiv.trouble import SharedBackoff

MAX_CATEGORIES_PER_REQUEST = 20


class ArxivTaxonomy:
    def normalize(self, value: str) -> str | None:
        return taxonomy.normalize_category(value)

    def name(self, category: str) -> str:
        return taxonomy.category_name(category)

    def categories(self) -> Mapping[str, str]:
        return taxonomy.CATEGORIES

    def groups(self) -> Mapping[str, str]:
        return taxonomy.ARCHIVES

    def contains(self, category: str, wanted: frozenset[str] | set[str]) -> bool:
        return category_in(category, wanted)

    def members(self, category: str) -> list[str]:
        return [category]  # rss.arxiv.org lists an archive (`cs`) as one feed


class ArxivSource:
    name = "arxiv"
    label = "arXiv"
    qualified = False
    taxonomy = ArxivTaxonomy()
    schedule = ScheduleOf(listing_day=schedule.listing_day, next_update=schedule.next_rebuild,
                          today=schedule.eastern_today, posting_days=schedule.weekdays_between)
    ids = IdSyntaxOf(split=ids.split_id, matches=ids.is_id)

    def links(self, paper: Paper) -> Links:
        return Links(
            abs=f"https://arxiv.org/abs/{paper.id}",
            pdf=f"https://arxiv.org/pdf/{paper.id}v{paper.version}",
            html=f"https://arxiv.org/html/{paper.id}v{paper.version}",
        )

    def citation(self, paper: Paper) -> Citation:
        """As arXiv's own BibTeX export and Zotero shape an arXiv preprint."""
        return Citation(
            key=f"arXiv:{paper.id}", publisher="arXiv", number=f"arXiv:{paper.id}",
            url=f"https://arxiv.org/abs/{paper.id}", doi=paper.doi, eprint=paper.id,
            archive_prefix="arXiv", primary_class=paper.primary_category,
        )

    def connect(
        self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock, kv: KV | None = None,
    ) -> ArxivUpstream:
        from core.sources.arxiv.client import ArxivClient

        return ArxivUpstream(self, ArxivClient(settings, transport=transport, clock=clock, kv=kv))


class ArxivUpstream:
    """The `Upstream` face of `ArxivClient`, and the one way the rest of the service talks to
    arXiv. Beyond the protocol, arXiv's own: `author_feed` (like_author= seeds) and
    `api_backoff` (the query API's back-off, shared by every instance: the listings, the
    backfill and /health read it). Every answer is parsed in `answers.parsed`."""

    max_categories_per_request = MAX_CATEGORIES_PER_REQUEST

    def __init__(self, source: ArxivSource, client: ArxivClient):
        self.source = source
        self._client = client
        self.history_max_requests = client.settings.arxiv_backfill_max_requests

    @property
    def requests_made(self) -> int:
        return self._client.requests_made

    @property
    def user_agent(self) -> str:
        return self._client.user_agent

    @property
    def api_backoff(self) -> SharedBackoff:
        """The query API's back-off, shared by every instance through the store."""
        return self._client.api_backoff

    @property
    def clock(self) -> Clock:
        return self._client.clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._client.clock = clock  # the spacing, the retries and the back-off's expiry

    async def listing(self, categories: Sequence[str], etag: str | None = None) -> ListingAnswer:
        """rss.arxiv.org's combined `a+b+c` listing, parsed off the event loop."""
        from core.errors import ParseError
        from core.sources.arxiv.answers import parsed
        from core.sources.arxiv.client import MAX_COMBINED_ITEMS

        fetched = await self._client.fetch_listing(categories, etag=etag)
        if fetched.not_modified:
            return ListingAnswer([], etag=etag, not_modified=True)
        from core.sources.arxiv.parse import parse_listing  # on the first fetch: a filled store needs none

        listing = await parsed(parse_listing, fetched.body)  # keep the event loop serving
        if listing.malformed:  # a spliced or damaged body, whatever its last bytes: not a listing
            raise ParseError(f"truncated or malformed feed: {listing.malformed}")
        return ListingAnswer(listing.papers, listing.build_date, fetched.etag,
                             truncated=len(listing.papers) >= MAX_COMBINED_ITEMS)

    def history(
        self, categories: Sequence[str], days: Sequence[dt.date], max_requests: int, page_size: int | None = None
    ) -> AsyncIterator[ArxivHistoryPage]:
        """Whole query-API pages of one search over the asked days' submission windows
        (`paging.history_pages`); the backfill (`core.listings.backfill`) stores them."""
        from core.sources.arxiv.paging import PAGE_SIZE, history_pages

        return history_pages(self._client, categories, days, max_requests, page_size or PAGE_SIZE)

    async def lookup(self, refs: Sequence[str]) -> list[Paper]:
        """The query API's entries for these ids (`2401.12345`, `2312.00001v2`), in one request.
        Raises `UpstreamError` (HTTP 400: arXiv refused an id as malformed), `ParseError`, and
        `MalformedAnswer` for an answer that parsed only by recovering from a flaw: it may
        lack entries, so it says nothing about the ids missing from it."""
        from core.errors import MalformedAnswer
        from core.sources.arxiv.answers import parsed
        from core.sources.arxiv.parse import parse_listing

        listing = await parsed(parse_listing, await self._client.fetch_ids(refs), worker=True)
        if listing.malformed:
            raise MalformedAnswer(f"malformed answer: {listing.malformed}", listing.malformed)
        return listing.papers

    async def author_feed(self, author: str) -> list[Paper]:
        """arXiv's own: the papers of an author identifier or ORCID iD (arxiv.org/a/{id}.atom,
        its most recent, every version arXiv lists). Raises `UpstreamError` (404: no such
        author) or `ParseError`."""
        from core.sources.arxiv.answers import parsed
        from core.sources.arxiv.parse import parse_author_feed

        return await parsed(parse_author_feed, await self._client.fetch_author(author), worker=True)

    async def full_text(self, paper: Paper) -> str | None:
        """arXiv's HTML rendering of the paper (arxiv.org/html/{id}v{n}); `UpstreamError` when
        it has none (404) or cannot be reached."""
        return await self._client.fetch_html(paper.id, paper.version)

    async def close(self) -> None:
        await self._client.close()


ARXIV = ArxivSource()
