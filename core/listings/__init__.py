"""Per-category daily batches of papers: what a feed request gets, within its time budget.

One job per module:
- `store.py`      the day store: metadata and days in the KV store, merge and integrity rules
- `freshness.py`  when to fetch, which days are plausible, which weekdays are missing
- `fetcher.py`    the listing fetch: combined requests, coalescing, cross-instance locks
- `backfill.py`   filling missing weekdays from arXiv's query API, dated by the schedule
This module ties them together for the service: `ensure` (bounded by `REQUEST_BUDGET_S`),
`papers` (the window), `refresh` and `backfill` (cron and CLI).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
from collections.abc import Awaitable, Sequence

from core.arxiv.client import ArxivClient
from core.clock import SYSTEM_CLOCK, Clock
from core.cache import budgets
from core.cpu import off_loop, release_memory
from core.errors import SpecError, UpstreamUnavailable
from core.kv import KV
from core.listings import freshness
from core.listings.backfill import Backfiller, BackfillReport, Progress
from core.listings.fetcher import ListingFetcher
from core.listings.store import CategoryMeta, DayStore, WindowTooLarge, papers_bytes
from core.papers import Paper
from core.settings import Settings

__all__ = ["BackfillReport", "CategoryMeta", "Listings", "UpstreamUnavailable"]

log = logging.getLogger(__name__)

DEFAULT_DAYS = 7


def _newest_first(paper: Paper) -> tuple:
    return (paper.announced, paper.id)


def _merged(days: list[list[Paper]], wanted: frozenset[str]) -> tuple[list[Paper], int]:
    """One occurrence per (paper, day), announce type relative to `wanted`, newest first; and
    the bytes its papers hold."""
    papers: dict[tuple[str, dt.date], Paper] = {}
    for day in days:
        for paper in day:
            papers.setdefault((paper.id, paper.announced), paper.relative_to(wanted))
    pool = sorted(papers.values(), key=_newest_first, reverse=True)
    return pool, papers_bytes(pool)


class Listings:
    """Serves papers for category sets from the store, fetching from arXiv only what is missing."""

    def __init__(self, kv: KV, client: ArxivClient, settings: Settings, clock: Clock = SYSTEM_CLOCK):
        self.settings = settings
        self.store = DayStore(kv, settings.history_days, budgets(settings.cache_max_bytes, settings.warm_cache_s > 0)[3])
        self.fetcher = ListingFetcher(self.store, client, settings, clock)
        self.backfiller = Backfiller(self.store, client, settings, clock)
        self._clock = clock
        self._background: set[asyncio.Task] = set()

    @property
    def clock(self) -> Clock:
        return self._clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._clock = self.fetcher.clock = self.backfiller.clock = clock

    # --- requests -----------------------------------------------------------------

    async def ensure(self, categories: Sequence[str], days: int = DEFAULT_DAYS) -> list[CategoryMeta]:
        return (await self.ensure_within(categories, days))[0]

    async def ensure_within(self, categories: Sequence[str], days: int = DEFAULT_DAYS) -> tuple[list[CategoryMeta], bool]:
        """The categories' metadata after fetching what is due, and whether the request budget
        ran out first (then the fetch goes on in the background and what is stored is served).

        Categories with no stored day at all may also wait for a backfill within the budget;
        gaps in warm categories are backfilled in the background. Raises
        `UpstreamUnavailable` (503 with Retry-After) only when nothing at all is stored."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.request_budget_s
        late = False
        metas = await self._metas(categories)
        cold = [m.category for m in metas if not m.days]
        now = self.clock.now()
        due = [m.category for m in metas if freshness.due(m, now)]
        if due:
            warm = {m.category for m in metas if m.days}
            late = not await self._within(self.fetcher.refresh(due, warm=warm), deadline)
            metas = await self._metas(categories)
        gaps = self.backfiller.due(metas, days)
        if gaps and not late:
            task = self._spawn(self.backfiller.start(gaps, days))
            if cold:  # never fetched before this request: worth waiting for within the budget
                late = not await self._within(task, deadline)
                metas = await self._metas(categories)
        if not any(m.days for m in metas):
            if late:
                retry = max(5, math.ceil(self.settings.request_budget_s))
                raise UpstreamUnavailable("arXiv is slow and nothing is stored yet for these categories; "
                                          "the fetch goes on", retry_after=retry)
            if any(m.last_error for m in metas):
                errors = "; ".join(sorted({m.last_error for m in metas if m.last_error}))
                raise UpstreamUnavailable(f"arXiv could not be reached and nothing is stored yet ({errors})")
            if any(freshness.due(m, self.clock.now()) for m in metas):
                raise UpstreamUnavailable("these categories are being fetched, or too many fetches are queued",
                                          retry_after=60)
        return metas, late

    async def _within(self, work: Awaitable, deadline: float) -> bool:
        """Wait for `work` until `deadline` (loop time); it goes on in the background after."""
        task = self._spawn(work)
        remaining = deadline - asyncio.get_running_loop().time()
        done, _ = await asyncio.wait({task}, timeout=max(remaining, 0))
        if not done:
            log.warning("request budget of %.0f s spent waiting for arXiv; serving what is stored",
                        self.settings.request_budget_s)
        return bool(done)

    def _spawn(self, work: Awaitable) -> asyncio.Task:
        task = work if isinstance(work, asyncio.Task) else asyncio.ensure_future(work)
        if task not in self._background:
            self._background.add(task)
            task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background listing work failed: %r", task.exception())

    async def papers(self, metas: Sequence[CategoryMeta], days: int, max_bytes: int | None = None) -> list[Paper]:
        """One occurrence per (paper, day), announce type relative to the categories of `metas`,
        over `days` days counting back from the newest plausible day held.

        Built once per content of those days (every request over the same categories and window
        shares the list): merging and sorting 2,000 papers took 10-30 ms of the event loop per
        request, which a burst of heavy queries turned into stalls for everyone else.
        With `max_bytes`, a window whose papers would hold more once decoded is refused with a
        400 saying what to narrow, before any is decoded."""
        wanted = frozenset(m.category for m in metas)
        now = self.clock.now()
        latest = max((d for m in metas if (d := freshness.newest_day(m, now))), default=None)
        if latest is None:
            return []
        first_day = latest - dt.timedelta(days=days - 1)
        chosen = [(meta, day) for meta in metas for day in meta.days if first_day <= day <= latest]
        key = (wanted, tuple((m.category, day, m.day_hashes.get(day.isoformat())) for m, day in chosen))
        known = all(digest is not None for _, _, digest in key[1])
        if known and (hit := self.store.decoded.get(key)) is not None:
            return hit
        try:
            days_papers = await self.store.load_days(chosen, max_bytes)  # decoded off the loop
        except WindowTooLarge as exc:
            raise SpecError(
                f"too large a window: {len(chosen)} stored days of {len(metas)} categor{'y' if len(metas) == 1 else 'ies'} "
                f"hold about {exc.size / 1e6:.0f} MB of papers (at most {exc.max_bytes / 1e6:.0f} MB, CACHE_MAX_BYTES); "
                "narrow it: fewer days (days=) or fewer categories (cat=)"
            ) from None
        pool, size = await off_loop(_merged, days_papers, wanted)  # 30,000 papers: tens of ms
        if known:  # kept with the decoded days, counted as if it held its papers alone (erring high)
            self.store.decoded.put(key, pool, size)
        if size > self.store.decoded.max_bytes // 4:
            await off_loop(release_memory)  # a window that big leaves much freed memory behind
        return pool

    async def meta(self, category: str) -> CategoryMeta:
        return await self.store.meta(category)

    async def _metas(self, categories: Sequence[str]) -> list[CategoryMeta]:
        return [await self.store.meta(c) for c in categories]

    # --- cron and CLI ---------------------------------------------------------------

    async def refresh(self, categories: Sequence[str]) -> None:
        """Fetch the listings of `categories` that are due (no request budget: cron and CLI)."""
        now = self.clock.now()
        due = [c for c in categories if freshness.due(await self.store.meta(c), now)]
        if due:
            await self.fetcher.refresh(due)

    async def backfill(
        self, categories: Sequence[str], days: int, progress: Progress | None = None, budget_s: float | None = None
    ) -> BackfillReport:
        """Fill every missing weekday of the last `days` days (cron and CLI)."""
        return await self.backfiller.run(categories, days, progress, budget_s)

    def missing(self, meta: CategoryMeta, days: int) -> list[dt.date]:
        return freshness.missing_days(meta, self.clock.now(), days)
