"""bioRxiv and medRxiv: two sources behind one API (api.biorxiv.org) and one polite client.

Pure parts in light modules: `taxonomy.py` (the collections, `biorxiv:genomics`), `schedule.py`
(posting every day), `ids.py` (DOIs), `records.py` (answers -> `Paper`); `client.py` is the
polite HTTP client and the whole-window pager. `BIORXIV` and `MEDRXIV` are the two `Source`s
(registered in `core.sources`), each connecting to an `RxivUpstream`.

A day of a server is one date window for all its collections (`details/{server}/{day}/{day}`),
paged: one request per page of records whatever the categories asked, so a listing asks for the
whole day and keeps the categories wanted (one collection alone is asked with `?category=`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING

from core.papers import Paper
from core.sources.base import Citation, HistoryPage, IdSyntaxOf, ListingAnswer, Links, ScheduleOf
from core.sources.biorxiv import ids, schedule, taxonomy

if TYPE_CHECKING:
    import httpx

    from core.clock import Clock
    from core.kv import KV
    from core.settings import Settings
    from core.sources.biorxiv.client import BiorxivClient


class RxivTaxonomy:
    def __init__(self, server: str):
        self.server = server

    def normalize(self, value: str) -> str | None:
        code = taxonomy.normalize(value)
        return code if code is not None and code.partition(":")[0] == self.server else None

    def name(self, category: str) -> str:
        return taxonomy.name(category)

    def categories(self) -> Mapping[str, str]:
        return taxonomy.categories(self.server)

    def groups(self) -> Mapping[str, str]:
        return {self.server: taxonomy.SERVERS[self.server]}

    def contains(self, category: str, wanted: frozenset[str] | set[str]) -> bool:
        return taxonomy.contains(category, wanted)

    def members(self, category: str) -> list[str]:
        return taxonomy.members(category)

    def closest(self, value: str) -> list[str]:
        return taxonomy.closest(value)


class RxivSource:
    """bioRxiv or medRxiv (`server`): everything about it that needs no request."""

    qualified = True
    schedule = ScheduleOf(listing_day=schedule.listing_day, next_update=schedule.next_update,
                          today=schedule.today, posting_days=schedule.posting_days)
    ids = IdSyntaxOf(split=ids.split_id, matches=ids.is_id)

    def __init__(self, server: str):
        self.name = server
        self.label = taxonomy.SERVERS[server]
        self.taxonomy = RxivTaxonomy(server)

    def links(self, paper: Paper) -> Links:
        """The version's page, PDF and full text; the item's GUID the versionless page (the DOI's)."""
        landing = f"https://www.{self.name}.org/content/{paper.id}"
        page = f"{landing}v{paper.version}"
        return Links(abs=page, pdf=f"{page}.full.pdf", html=f"{page}.full", guid=landing)

    def citation(self, paper: Paper) -> Citation:
        """As the servers' own citation export: a preprint of `publisher` with its DOI (the
        journal's where one is known), the key stable across versions (the DOI, `/` as `.`)."""
        return Citation(
            key=f"{self.label}:{paper.id.replace('/', '.')}", publisher=self.label, number=paper.id,
            url=f"https://www.{self.name}.org/content/{paper.id}", doi=paper.doi or paper.id,
        )

    def connect(
        self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock, kv: KV | None = None,
    ) -> RxivUpstream:
        from core.sources.biorxiv.client import BiorxivClient

        return RxivUpstream(self, BiorxivClient(settings, transport=transport, clock=clock))


class RxivUpstream:
    """The `Upstream` of one server over the shared polite client."""

    def __init__(self, source: RxivSource, client: BiorxivClient):
        self.source = source
        self._client = client
        self.max_categories_per_request = len(source.taxonomy.categories()) + 1  # a day holds them all
        self.history_max_requests = client.settings.biorxiv_history_max_requests

    @property
    def requests_made(self) -> int:
        return self._client.requests_made

    @property
    def user_agent(self) -> str:
        return self._client.user_agent

    async def close(self) -> None:
        await self._client.close()

    async def full_text(self, paper: Paper) -> None:
        """None: the API this client asks gives metadata and abstracts, no full text; summaries
        use the abstract."""
        return None

    async def day(self, day: dt.date, categories: Sequence[str], origin: str = "listing") -> list[Paper]:
        """The versions posted on `day` in `categories` (collections or the server's name)."""
        from core.sources.biorxiv.records import to_paper

        wanted = {c for category in categories for c in self.source.taxonomy.members(category)}
        every = set(self.source.taxonomy.categories())
        alone = next(iter(wanted)) if len(wanted) == 1 else None
        collection = self.source.taxonomy.name(alone) if alone and not wanted >= every else None
        records = await self._client.window(self.source.name, day, day, category=collection)
        papers = [to_paper(r, self.source.name, origin) for r in records]  # type: ignore[arg-type]
        return [p for p in papers if wanted & set(p.categories) or wanted >= every]

    async def listing(self, categories: Sequence[str], etag: str | None = None) -> ListingAnswer:
        """The last whole posting day of `categories` (the API has no conditional requests)."""
        day = self.source.schedule.listing_day(self._client.clock.now())
        return ListingAnswer(await self.day(day, categories), build_date=day)

    async def history(
        self, categories: Sequence[str], days: Sequence[dt.date], max_requests: int
    ) -> AsyncIterator[HistoryPage]:
        """Day by day, newest first, each day's window whole or not at all; stops before a day
        that could pass `max_requests` (a day needs ceil(records / page) requests)."""
        for day in sorted(set(days), reverse=True):
            spent = self._client.requests_made
            if max_requests <= 0:
                return
            try:
                papers = await self.day(day, categories, origin="backfill")
            finally:
                max_requests -= self._client.requests_made - spent
            yield HistoryPage(papers, covered=[day])

    async def lookup(self, refs: Sequence[str]) -> list[Paper]:
        """Each DOI's asked (`...v2`) or newest version on this server; one request per DOI."""
        from core.sources.biorxiv.client import newest
        from core.sources.biorxiv.records import to_paper

        found = []
        for ref in refs:
            doi, asked = ids.split_ref(ref)
            record = newest(await self._client.versions(self.source.name, doi), asked)
            if record is not None:
                found.append(to_paper(record, self.source.name))
        return found


BIORXIV = RxivSource("biorxiv")
MEDRXIV = RxivSource("medrxiv")
