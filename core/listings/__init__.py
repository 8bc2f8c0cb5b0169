"""Per-category daily batches of papers: what a feed request gets, within its time budget.

One job per module:
- `store.py`      the day store: metadata and days in the KV store, merge and integrity rules
- `freshness.py`  when to fetch, which days are plausible, which weekdays are missing
- `fetcher.py`    the listing fetch through each category's source (`core.sources`): combined
                  requests, coalescing, cross-instance locks
- `backfill.py`   filling arXiv's missing weekdays from its query API, dated by its schedule
- `history.py`    filling any other source's missing posting days (`Upstream.history`)
- `enrich.py`     comments, journal references and DOIs of stored arXiv papers (query API `id_list`)
This module ties them together for the service: `ensure` (bounded by `REQUEST_BUDGET_S`),
`papers` (the window), `refresh` and `backfill` (cron and CLI).

A reader never waits for history: once the listing is in hand (stored or just fetched), the
answer goes out; missing weekdays are filled by a background backfill (bounded by
ARXIV_BACKFILL_MAX_REQUESTS and each answer's deadline), or, where the runtime stops after
the answer, by the next request or the cron run. A request waits for it at most
HISTORY_BUDGET_S (default 0); `history_note` says what is missing meanwhile.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
from collections.abc import Awaitable, Mapping, Sequence
from typing import TYPE_CHECKING, cast

from core.clock import SYSTEM_CLOCK, Clock
from core.cache import CacheBudgets
from core.runtime.worker import off_loop, release_memory
from core.errors import SpecError, UpstreamUnavailable
from core.kv import KV
from core.listings import freshness
from core.listings.backfill import Backfiller, BackfillReport, Progress
from core.listings.enrich import Enricher, EnrichReport
from core.listings.fetcher import ListingFetcher
from core.listings.history import HistoryFiller
from core.listings.store import CategoryMeta, DayStore, WindowTooLarge, papers_bytes
from core.papers import Paper
from core.settings import Settings
from core.sources import DEFAULT, source_named, source_of_category
from core.sources.base import Upstream

if TYPE_CHECKING:
    from core.sources.arxiv import ArxivUpstream

__all__ = ["BackfillReport", "CategoryMeta", "EnrichReport", "Listings"]

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


def _is_arxiv(category: str) -> bool:
    source = source_of_category(category)
    return source is None or source.name == DEFAULT


def _by_arxiv(metas: Sequence[CategoryMeta]) -> tuple[list[CategoryMeta], list[CategoryMeta]]:
    """arXiv's categories (backfilled from its query API) and the others (`Upstream.history`)."""
    arxiv = [m for m in metas if _is_arxiv(m.category)]
    return arxiv, [m for m in metas if not _is_arxiv(m.category)]


class Listings:
    """Serves papers for category sets from the store, fetching from their sources only what is missing."""

    def __init__(self, kv: KV, upstreams: Mapping[str, Upstream], settings: Settings, clock: Clock = SYSTEM_CLOCK,
                 decoded_bytes: int | None = None):
        """`decoded_bytes`: what decoded days may hold (default: their share of CACHE_MAX_BYTES)."""
        if decoded_bytes is None:
            decoded_bytes = CacheBudgets.split(settings.cache_max_bytes, settings.warm_cache_s > 0, bool(settings.embeddings_model)).papers
        self.settings = settings
        self.upstreams = upstreams  # by source name (core.sources registry)
        # arXiv's own: its backfill, its enrichment and the query API's shared back-off
        self.arxiv = cast("ArxivUpstream", upstreams[DEFAULT])
        self.store = DayStore(kv, settings.history_days, decoded_bytes)
        self.fetcher = ListingFetcher(self.store, upstreams, settings, clock)
        self.backfiller = Backfiller(self.store, self.arxiv, settings, clock)
        self.history = HistoryFiller(self.store, upstreams, settings, clock)
        self.enricher = Enricher(self.store, self.arxiv, settings, clock)
        self._clock = clock
        self._background: set[asyncio.Task] = set()

    @property
    def clock(self) -> Clock:
        return self._clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._clock = self.fetcher.clock = self.backfiller.clock = self.history.clock = self.enricher.clock = clock

    # --- requests -----------------------------------------------------------------

    async def ensure(self, categories: Sequence[str], days: int = DEFAULT_DAYS) -> list[CategoryMeta]:
        return (await self.ensure_within(categories, days))[0]

    async def ensure_within(self, categories: Sequence[str], days: int = DEFAULT_DAYS) -> tuple[list[CategoryMeta], bool]:
        """The categories' metadata after fetching what is due, and whether the request budget
        ran out first (then the fetch goes on in the background and what is stored is served).

        Missing weekdays are backfilled in the background once the listing is in hand; the
        request waits for that at most HISTORY_BUDGET_S. Raises `UpstreamUnavailable` (503
        with Retry-After) only when nothing at all is stored and the listing failed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.request_budget_s
        late = False
        metas = await self._metas(categories)
        now = self.clock.now()
        due = [m.category for m in metas if freshness.due(m, now)]
        if due:
            warm = {m.category for m in metas if m.days}
            late = not await self._within(self._fetch_then_enrich(due, warm), deadline)
            metas = await self._metas(categories)
        if not late and await self._fill_history(metas, days, min(deadline, loop.time() + self.settings.history_budget_s)):
            metas = await self._metas(categories)
        if not any(m.days for m in metas):
            if late:
                retry = max(5, math.ceil(self.settings.request_budget_s))
                raise UpstreamUnavailable(f"{servers(due)} {'is' if len(_labels(due)) == 1 else 'are'} slow and "
                                          "nothing is stored yet for these categories; the fetch goes on", retry_after=retry)
            if any(m.last_error for m in metas):
                failed = [m for m in metas if m.last_error]
                errors = "; ".join(sorted({m.last_error for m in failed if m.last_error}))
                raise UpstreamUnavailable(f"{servers([m.category for m in failed])} could not be reached and "
                                          f"nothing is stored yet ({errors})")
            if any(freshness.due(m, self.clock.now()) for m in metas):
                raise UpstreamUnavailable("these categories are being fetched, or too many fetches are queued",
                                          retry_after=60)
        return metas, late

    async def _fill_history(self, metas: Sequence[CategoryMeta], days: int, deadline: float) -> bool:
        """Start the backfill of missing weekdays in the background (not while the query API is
        backing off); wait for it until `deadline` (loop time). True if it ended in time."""
        arxiv, others = _by_arxiv(metas)
        runs: list[Awaitable] = []
        if others and (elsewhere := self.history.due(others, days)):
            runs.append(self._spawn(self.history.run(elsewhere, days)))
        gaps = self.backfiller.due(arxiv, days)
        if gaps and await self.arxiv.api_backoff.blocking() is None:
            runs.append(self._spawn(self.backfiller.start(gaps, days)))
        if not runs:
            return False
        task = runs[0] if len(runs) == 1 else self._spawn(asyncio.gather(*runs))
        if deadline <= asyncio.get_running_loop().time():
            return False
        return await self._within(task, deadline, quiet=True)

    async def history_note(self, metas: Sequence[CategoryMeta], days: int) -> str:
        """What a feed over `metas` lacks of its `days`-day window and when it fills in; "" when
        nothing is missing (then nothing is read)."""
        now = self.clock.now()
        missing = {m.category: gaps for m in metas if (gaps := freshness.missing_days(m, now, days))}
        if not missing:
            return ""
        weekdays = sorted({d for gaps in missing.values() for d in gaps})
        arxiv_only = all(_is_arxiv(c) for c in missing)
        unit = "weekday" if arxiv_only else "posting day"  # arXiv's notes keep their words
        what = (f"history incomplete: {len(weekdays)} {unit}{'s' if len(weekdays) > 1 else ''} "
                f"({', '.join(d.isoformat() for d in weekdays)}) missing in {', '.join(sorted(missing))}")
        off = [name for name, ok in (("ARXIV_BACKFILL_MAX_REQUESTS", self.settings.arxiv_backfill_max_requests
                                      or not any(map(_is_arxiv, missing))),
                                     ("BIORXIV_HISTORY_MAX_REQUESTS", self.settings.biorxiv_history_max_requests
                                      or arxiv_only)) if not ok]
        if off:
            return f"{what}; backfill is off ({'=0, '.join(off)}=0), so they stay missing"
        trouble = await self.arxiv.api_backoff.blocking() if any(map(_is_arxiv, missing)) else None
        if trouble is not None:
            return f"{what}; {trouble.public()}; the next feed request or cron run after that fills them"
        errors = sorted({m.backfill_error for m in metas if m.category in missing and m.backfill_error})
        if errors:
            return f"{what}; the last backfill stopped ({'; '.join(errors)}); the next feed request or cron run goes on"
        if arxiv_only:
            return f"{what}; they are being filled from arXiv's query API and appear within a minute or two"
        return f"{what}; they are being filled from {servers(list(missing))} and appear within a minute or two"

    async def _fetch_then_enrich(self, due: list[str], warm: set[str]) -> None:
        """The listing fetch a request waits for (within its budget); the enrichment of what it
        stored starts after it in the background: no reader waits for it."""
        await self.fetcher.refresh(due, warm=warm)
        task = self.enricher.start([c for c in due if _is_arxiv(c)])
        if task is not None:
            self._spawn(task)

    async def _within(self, work: Awaitable, deadline: float, quiet: bool = False) -> bool:
        """Wait for `work` until `deadline` (loop time); it goes on in the background after."""
        task = self._spawn(work)
        remaining = deadline - asyncio.get_running_loop().time()
        done, _ = await asyncio.wait({task}, timeout=max(remaining, 0))
        if not done and not quiet:
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
        chosen = window(metas, days, self.clock.now())
        if not chosen:
            return []
        key = (wanted, tuple((m.category, day, m.day_hashes.get(day.isoformat())) for m, day in chosen))
        known = all(digest is not None for _, _, digest in key[1])
        if known and (hit := self.store.decoded.get(key)) is not None:
            return hit
        try:
            days_papers = await self.store.load_days(chosen, max_bytes)  # decoded off the loop
        except WindowTooLarge as exc:
            raise SpecError(
                f"too large a window: {len(chosen)} stored days of {len(metas)} categor{'y' if len(metas) == 1 else 'ies'} "
                f"hold about {exc.size / 1e6:.0f} MB of papers (at most {exc.max_bytes / 1e6:.0f} MB, half of CACHE_MAX_BYTES); "
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
        """Fill every missing posting day of the last `days` days (cron and CLI). The report is
        arXiv's backfill; other sources' runs go first and show in /health (`backfill_error`)."""
        others = [c for c in categories if not _is_arxiv(c)]
        if others:
            await self.history.run(others, days)
        return await self.backfiller.run([c for c in categories if _is_arxiv(c)], days, progress, budget_s)

    async def enrich(self, categories: Sequence[str], budget_s: float | None = None) -> EnrichReport:
        """Fetch arXiv's comments, journal references and DOIs for the stored papers (cron and CLI)."""
        return await self.enricher.run([c for c in categories if _is_arxiv(c)], budget_s)

    def missing(self, meta: CategoryMeta, days: int) -> list[dt.date]:
        return freshness.missing_days(meta, self.clock.now(), days)


def window(metas: Sequence[CategoryMeta], days: int, now: dt.datetime) -> list[tuple[CategoryMeta, dt.date]]:
    """The stored days a feed over `metas` shows: `days` days counted back from the newest
    plausible day held, per source. Each server keeps its own newest day, so a mixed feed does
    not lose arXiv's Friday because bioRxiv has posted a Saturday, nor bioRxiv's Sunday because
    arXiv's Monday listing (announced Sunday evening) is already out."""
    latest: dict[str, dt.date] = {}
    for meta in metas:
        newest = freshness.newest_day(meta, now)
        server = _server_of(meta.category)
        if newest is not None and (server not in latest or newest > latest[server]):
            latest[server] = newest
    chosen = []
    for meta in metas:
        last = latest.get(_server_of(meta.category))
        if last is not None:
            first = last - dt.timedelta(days=days - 1)
            chosen += [(meta, day) for day in meta.days if first <= day <= last]
    return chosen


def _server_of(category: str) -> str:
    source = source_of_category(category)
    return source.name if source is not None else DEFAULT


def _labels(categories: Sequence[str]) -> list[str]:
    return list(dict.fromkeys((source_of_category(c) or source_named(DEFAULT)).label for c in categories))


def servers(categories: Sequence[str]) -> str:
    """The servers of `categories` as a message names them: `arXiv`, `bioRxiv and medRxiv`."""
    labels = _labels(categories) or [source_named(DEFAULT).label]
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"
