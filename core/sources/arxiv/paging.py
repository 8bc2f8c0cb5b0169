"""Paging through one query-API search, counting only whole pages.

arXiv's API now and then answers a page short or empty with the same `totalResults`, a total
lower than the entries already seen, the first page again whatever `start=` asked, or a body cut
short. Taken at its word, such a page looks like the end of the search and the days it should
have covered would be stored incomplete for good. A page counts only when it is whole: well-formed,
the same total as the first page, exactly the entries due from `start` up to that total, none
seen on an earlier page. Anything else is a `PageNotWhole` (a `ParseError`) saying why; the
caller keeps what the whole pages before it covered and asks again later.

`history_pages` is arXiv's `Upstream.history` (`ArxivUpstream.history`): one search for the
whole category set (`cat:a OR cat:b ...`, which matches cross-lists too) over the submission
times of the asked days (`lastUpdatedDate:[from TO until]`), newest change first, paged with
`start` until the oldest asked day is passed, at most `max_requests` requests. Storing what it
yields (version-aware merge, holidays, /health) is `core.listings.backfill`'s business.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.errors import ParseError
from core.sources.arxiv.answers import parsed
from core.sources.arxiv.schedule import listing_day_of_submission, submission_window
from core.sources.base import HistoryPage

if TYPE_CHECKING:
    from core.papers import Paper
    from core.sources.arxiv.client import ArxivClient
    from core.sources.arxiv.parse import Listing

PAGE_SIZE = 1000  # entries per request: arXiv serves slices of up to 2000; 1000 keeps a page ~2.5 MB


class PageNotWhole(ParseError):
    """A page that arrived (one request spent) but does not count."""


@dataclass
class Pager:
    """Where the next page starts, and whether every entry up to `totalResults` has arrived."""

    page_size: int
    start: int = 0
    total: int | None = None  # the first page's totalResults
    seen: set[str] = field(default_factory=set)

    @property
    def done(self) -> bool:
        return self.total is not None and self.start >= self.total

    def take(self, page: Listing) -> None:
        """Count `page`, asked for at `start`, or raise `ParseError` saying why it is not whole."""
        flaw = self.flaw(page)
        if flaw:
            raise PageNotWhole(f"query-API page at start={self.start} not whole: {flaw}")
        self.total = page.total_results
        self.seen.update(p.id for p in page.papers)
        self.start += len(page.papers)

    def flaw(self, page: Listing) -> str | None:
        if page.malformed:
            return f"malformed ({page.malformed})"
        if page.kind != "api" or page.total_results is None:
            return "not a query-API answer (no totalResults)"
        total, got = page.total_results, len(page.papers)
        if self.total is not None and total != self.total:
            return f"totalResults {total}, {self.total} on the first page"
        due = max(0, min(self.page_size, total - self.start))
        if got > due:
            return f"{got} entries where totalResults {total} leaves {due}"
        repeated = sum(1 for p in page.papers if p.id in self.seen)
        if repeated:
            return f"{repeated} of its {got} entries already on an earlier page (start= ignored)"
        if got < due:
            return f"{got} of {due} entries due (totalResults {total})"
        return None


async def query_pages(
    client: ArxivClient, params: dict[str, str | int], page_size: int, max_pages: int
) -> AsyncIterator[Listing]:
    """Page through one query-API search (`search_query` and/or `id_list`, sort order...),
    yielding each parsed page; stops after a short page, at `totalResults`, or after
    `max_pages` requests. Each page is one polite request like any other."""
    from core.sources.arxiv.parse import parse_listing

    start = 0
    for _ in range(max_pages):
        body = await client.query_api({**params, "start": start, "max_results": page_size})
        page = await parsed(parse_listing, body)  # a 1000-entry page takes a while
        yield page
        start += page_size
        if len(page.papers) < page_size or (page.total_results is not None and start >= page.total_results):
            return


@dataclass
class ArxivHistoryPage(HistoryPage):
    """A `HistoryPage` with what the backfill's storing rules need besides: `papers` are the
    entries dated inside the asked range (plus, for a later version whose v1 was announced
    `new` on another day, that v1 on its day: `Listing.first_listed`), `covered` every asked
    day newer than the oldest entry so far (the search is newest first), all of them once
    `complete`."""

    complete: bool = False  # the search is exhausted, or it passed the oldest asked day
    seen: tuple[dt.date, dt.date] | None = None  # oldest and newest listing day of the entries so far
    strays: list[Paper] = field(default_factory=list)  # this page's entries dated outside the asked range


async def history_pages(
    client: ArxivClient, categories: Sequence[str], days: Sequence[dt.date], max_requests: int,
    page_size: int = PAGE_SIZE,
) -> AsyncIterator[ArxivHistoryPage]:
    """Whole query-API pages of the papers announced on `days` in `categories`; raises
    `PageNotWhole` at the first page that is not, `UpstreamError` when a request fails."""
    wanted = sorted(set(days))
    oldest = wanted[0]
    since, until = submission_window(oldest)[0], submission_window(wanted[-1])[1]
    # arXiv reads the range in GMT, to the minute: entries at its edges belong to the days on
    # either side; anything dated beyond them is not an answer to this search.
    asked = listing_day_of_submission(since), listing_day_of_submission(until + dt.timedelta(minutes=1))
    params: dict[str, str | int] = {
        "search_query": f"({' OR '.join(f'cat:{c}' for c in categories)}) AND "
        f"lastUpdatedDate:[{since:%Y%m%d%H%M} TO {until:%Y%m%d%H%M}]",
        "sortBy": "lastUpdatedDate",
        "sortOrder": "descending",
    }
    pager = Pager(page_size)
    newest_seen: dt.date | None = None
    oldest_seen: dt.date | None = None
    async for page in query_pages(client, params, page_size, max_requests):
        pager.take(page)  # a page that is not whole stops here: the days it touches stay missing
        papers: list[Paper] = []
        strays: list[Paper] = []
        for paper in page.papers:
            day = paper.announced
            if not asked[0] <= day <= asked[1]:
                strays.append(paper)
                continue
            newest_seen = day if newest_seen is None else max(newest_seen, day)
            oldest_seen = day if oldest_seen is None else min(oldest_seen, day)
            papers.append(paper)
            if paper.id in page.first_listed:  # its v1 was announced `new` on another day
                papers.append(paper.model_copy(
                    update={"version": 1, "announce_type": "new", "announced": page.first_listed[paper.id]}))
        complete = pager.done or (oldest_seen is not None and oldest_seen < oldest)
        covered = wanted if complete else [d for d in wanted if oldest_seen is not None and d > oldest_seen]
        seen = None if oldest_seen is None or newest_seen is None else (oldest_seen, newest_seen)
        yield ArxivHistoryPage(papers, covered, complete=complete, seen=seen, strays=strays)
        if complete:
            return
