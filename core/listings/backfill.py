"""Backfill: fill the weekdays nobody fetched from arXiv's history (`ArxivUpstream.history`,
the `Upstream` seam), each paper on the listing day arXiv's schedule gives it
(`core.sources.arxiv.schedule.listing_day_of_submission`).

The search and its paging are the upstream's (`core.sources.arxiv.paging.history_pages`: one
query-API search for the whole category set over the missing days' submission windows, newest
change first, whole pages only); at most `ARXIV_BACKFILL_MAX_REQUESTS` polite requests per run.
Why the query API and not OAI-PMH: docs/architecture.md. What stays here is arXiv's storing
rules: a version replaced during the window is a `replace`, a paper whose primary is outside the
category a `cross`; the listing, once seen, overrides both; a v1 announced on a missed day is
stored there too (`first_listed`).

A day is stored once the pages say it is covered; a page that is not whole, and entries dated
outside the asked range, are recorded as rejections (/health) and the days they touch stay
missing, asked again on the next run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from core.clock import Clock
from core.errors import ParseError, UpstreamError
from core.listings import freshness
from core.listings.store import CategoryMeta, DayStore
from core.papers import Paper
from core.settings import Settings
from core.sources.arxiv import ArxivUpstream
from core.sources.arxiv.paging import PAGE_SIZE, PageNotWhole
from core.sources.arxiv.schedule import listing_day

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


@dataclass
class BackfillReport:
    missing: dict[str, list[str]] = field(default_factory=dict)  # category -> weekdays missing before
    filled: dict[str, list[str]] = field(default_factory=dict)  # category -> days stored
    empty: dict[str, list[str]] = field(default_factory=dict)  # category -> weekdays with no papers
    requests: int = 0
    papers: int = 0
    complete: bool = False  # every missing day was covered
    error: str | None = None
    rejected: list[str] = field(default_factory=list)  # answers or entries not counted, and why


class Backfiller:
    page_size = PAGE_SIZE  # entries per query-API page

    def __init__(self, store: DayStore, upstream: ArxivUpstream, settings: Settings, clock: Clock):
        self.store = store
        self.upstream = upstream
        self.settings = settings
        self.clock = clock
        self._running: asyncio.Task[BackfillReport] | None = None
        self._one_at_a_time = asyncio.Lock()  # per process; the store's lock is across instances

    def due(self, metas: Sequence[CategoryMeta], days: int) -> list[str]:
        """Categories with weekdays missing in the window, not asked about in the last hour
        (from metadata the caller already read: a warm poll reads each category's once)."""
        now = self.clock.now()
        return [m.category for m in metas if freshness.backfill_due(m, now, days)]

    def start(self, categories: Sequence[str], days: int) -> asyncio.Task[BackfillReport]:
        """The backfill under way in this process, or a new one for `categories`."""
        if self._running is None or self._running.done():
            self._running = asyncio.get_running_loop().create_task(self.run(categories, days))
        return self._running

    async def run(
        self, categories: Sequence[str], days: int, progress: Progress | None = None, budget_s: float | None = None
    ) -> BackfillReport:
        """Fill every missing weekday of the last `days` days for `categories` (after any
        backfill already under way in this process). With `budget_s`, no request is started
        that could end after it; the next run goes on from there."""
        async with self._one_at_a_time:
            deadline = None if budget_s is None else self.clock.monotonic() + budget_s
            return await self._run_alone(categories, days, progress, deadline)

    async def _run_alone(
        self, categories: Sequence[str], days: int, progress: Progress | None, deadline: float | None
    ) -> BackfillReport:
        say = progress or (lambda done, total, message: None)
        now = self.clock.now()
        report = BackfillReport()
        missing: dict[str, list[dt.date]] = {}
        for category in sorted(set(categories)):
            gaps = freshness.missing_days(await self.store.meta(category), now, days)
            if gaps:
                missing[category] = gaps
                report.missing[category] = [d.isoformat() for d in gaps]
        max_requests = self.settings.arxiv_backfill_max_requests
        if not missing:
            report.complete = True
            return report
        if not max_requests:
            report.error = "backfill is off (ARXIV_BACKFILL_MAX_REQUESTS=0)"
            return report
        s = self.settings
        lock_ttl = max_requests * (s.arxiv_min_interval + s.arxiv_timeout) + s.arxiv_retry_budget + 30
        if not await self.store.lock("backfill", lock_ttl):
            report.error = "another instance is backfilling"
            return report
        try:
            await self._run(missing, now, max_requests, report, say, deadline)
        finally:
            await self.store.unlock("backfill")
        return report

    async def _run(
        self, missing: dict[str, list[dt.date]], now: dt.datetime, max_requests: int,
        report: BackfillReport, say: Progress, deadline: float | None = None,
    ) -> None:
        wanted = sorted({d for gaps in missing.values() for d in gaps})
        oldest, newest_allowed = wanted[0], listing_day(now)
        collected: dict[str, dict[dt.date, dict[str, Paper]]] = {c: {} for c in missing}
        seen: tuple[dt.date, dt.date] | None = None  # oldest and newest listing day paged so far
        covered: set[dt.date] = set()
        done: set[tuple[str, dt.date]] = set()  # category-days stored (or found empty) in this run
        say(0, len(wanted), f"backfill: {len(wanted)} weekdays missing in {', '.join(missing)}")
        strays: list[Paper] = []
        try:
            async for page in self.upstream.history(list(missing), wanted, max_requests, self.page_size):
                report.requests += 1
                strays += page.strays
                seen, covered = page.seen or seen, set(page.covered)
                for paper in page.papers:
                    self._collect(paper, paper.announced, missing, collected, oldest, newest_allowed)
                if page.complete:
                    report.complete = True
                    break
                # Store each day as soon as it is complete: a run cut short keeps what it paid for.
                await self._store(missing, collected, seen, covered, now, report, done)
                say(len(covered), len(wanted), f"backfill: request {report.requests}, back to {seen and seen[0]}")
                worst_case = self.settings.arxiv_min_interval + self.settings.arxiv_timeout
                if deadline is not None and self.clock.monotonic() + worst_case > deadline:
                    report.error = "out of time for this run; the next run goes on"
                    break
        except ParseError as exc:
            report.requests += isinstance(exc, PageNotWhole)  # it arrived, it just does not count
            report.error = f"{exc}; the days it covers stay missing and are asked again later"
            report.rejected.append(report.error)
            log.error("backfill of %s: %s", "+".join(missing), report.error)
        except UpstreamError as exc:
            report.error = str(exc)
            log.error("backfill of %s stopped: %s", "+".join(missing), exc)
        if strays:
            dates = ", ".join(sorted({p.announced.isoformat() for p in strays}))
            report.rejected.append(f"{len(strays)} query-API entries dated outside the asked range ({dates}): ignored")
            log.warning("backfill of %s: %s", "+".join(missing), report.rejected[-1])
        await self._store(missing, collected, seen, covered, now, report, done, report.rejected)
        say(len(wanted), len(wanted), f"backfill: {report.papers} papers on {sum(map(len, report.filled.values()))} "
            f"category-days from {report.requests} requests" + (f"; stopped: {report.error}" if report.error else ""))

    @staticmethod
    def _collect(
        paper: Paper, day: dt.date, missing: dict[str, list[dt.date]],
        collected: dict[str, dict[dt.date, dict[str, Paper]]], oldest: dt.date, newest_allowed: dt.date,
    ) -> None:
        """`paper` announced on `day`, kept for each category missing that day."""
        if day > newest_allowed or day < oldest:
            return  # not listed yet, or before the window
        for category, gaps in missing.items():
            if day in gaps and paper.in_any(frozenset([category])):
                copy = paper.relative_to(frozenset([category])).model_copy(update={"announced": day, "origin": "backfill"})
                collected[category].setdefault(day, {}).setdefault(copy.id, copy)

    async def _store(
        self, missing: dict[str, list[dt.date]], collected: dict[str, dict[dt.date, dict[str, Paper]]],
        seen: tuple[dt.date, dt.date] | None, covered: set[dt.date], now: dt.datetime, report: BackfillReport,
        done: set[tuple[str, dt.date]], rejected: Sequence[str] = (),
    ) -> None:
        """Store the days the pages covered completely; a day only partly paged is left for
        the next run. A covered weekday with no papers, between days that had some, is a
        holiday: remembered so it is not asked about again. `rejected` goes to /health.
        A paper the listing gave (that very version) is not added again on a derived day;
        another version of it is another announcement (a `replace` on a missed day) and is."""

        for category, gaps in missing.items():
            meta = await self.store.meta(category)
            listed = await self.store.listed_versions(meta)
            changed = False
            for day in gaps:
                if (category, day) in done or day not in covered:
                    continue
                done.add((category, day))
                papers = [p for p in collected[category].get(day, {}).values() if (p.id, p.version) not in listed]
                if papers:
                    changed |= await self.store.merge(meta, day, papers, now)
                    report.papers += len(papers)
                    report.filled.setdefault(category, []).append(day.isoformat())
                elif seen is not None and seen[0] < day < seen[1]:
                    meta.empty_days.append(day)
                    report.empty.setdefault(category, []).append(day.isoformat())
            await self.store.save_history_run(meta, now, changed=changed, error=report.error, rejected=rejected,
                                              label="backfill")
