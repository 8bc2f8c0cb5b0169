"""Enrichment: arXiv's comment, journal reference and DOI for every stored paper, which the
RSS listing does not carry, fetched off the reader's path and stored with the day.

Why the query API's `id_list` and not OAI-PMH (docs/architecture.md): the papers to enrich are
known exactly (the stored days), whatever their archive; `ENRICH_BATCH` ids (200) go in one
request, so a week of four busy categories (about 6,000 papers) takes about 30 requests, and
a new day of one category 1 to 3. OAI-PMH harvests whole archives by modification date (all of
`cs`, plus every metadata update), several times the records, and its datestamps are not
announcement days.

Runs from the cron (`core.cron.Cron.refresh_all`) and in the background after a listing is stored
(`Listings`); never inside a reader's request. One run at a time per process, and across
instances by a lock in the store. A day is rewritten under its category's fetch lock, so a
listing merge and an enrichment never overwrite each other; the day's content hash changes, so
every cached ranking and body of it is renewed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.clock import Clock
from core.errors import ParseError, UpstreamBusy, UpstreamError
from core.listings.store import CategoryMeta, DayStore
from core.papers import Paper
from core.settings import Settings

if TYPE_CHECKING:
    from core.sources.arxiv import ArxivUpstream

log = logging.getLogger(__name__)

LOCK_ATTEMPTS = 5  # tries for a category's fetch lock before leaving its days for the next run


@dataclass
class EnrichReport:
    pending: int = 0  # stored papers without arXiv's metadata when the run started
    enriched: int = 0  # papers given their comment, journal reference and DOI
    requests: int = 0
    days_updated: int = 0
    left: int = 0  # papers left for the next run (request cap, budget, lock)
    error: str | None = None
    skipped: str | None = None  # why nothing ran (off, another instance)
    papers_per_request: float = field(default=0.0)


class Enricher:
    def __init__(self, store: DayStore, arxiv: ArxivUpstream, settings: Settings, clock: Clock):
        self.store = store
        self.arxiv = arxiv
        self.settings = settings
        self.clock = clock
        self._running: asyncio.Task[None] | None = None
        self._wanted: set[str] = set()  # categories the background runs still have to cover
        self._one_at_a_time = asyncio.Lock()

    @property
    def enabled(self) -> bool:
        return self.settings.enrich_max_requests > 0

    def start(self, categories: Sequence[str]) -> asyncio.Task[None] | None:
        """Enrich `categories` in the background: the run under way takes them on after its own
        categories; None when enrichment is off."""
        if not self.enabled:
            return None
        self._wanted.update(categories)
        if self._running is None or self._running.done():
            self._running = asyncio.get_running_loop().create_task(self._drain())
        return self._running

    async def _drain(self) -> None:
        while self._wanted:
            categories, self._wanted = sorted(self._wanted), set()
            report = await self.run(categories)
            if report.error or report.skipped:
                return  # arXiv failing, or another instance at it: the next trigger tries again

    async def run(self, categories: Sequence[str], budget_s: float | None = None) -> EnrichReport:
        """Fetch the metadata of every stored paper of `categories` that lacks it, newest day
        first, in batches of `ENRICH_BATCH` ids, at most `ENRICH_MAX_REQUESTS` requests (and
        none that could end after `budget_s`)."""
        report = EnrichReport()
        if not self.enabled:
            report.skipped = "ENRICH_MAX_REQUESTS is 0"
            return report
        async with self._one_at_a_time:
            s = self.settings
            lock_ttl = s.enrich_max_requests * (s.arxiv_min_interval + s.arxiv_timeout) + s.arxiv_retry_budget + 30
            if not await self.store.lock("enrich", lock_ttl):
                report.skipped = "another instance is enriching"
                return report
            try:
                await self._run(sorted(set(categories)), budget_s, report)
            finally:
                await self.store.unlock("enrich")
        if report.requests:
            report.papers_per_request = round(report.enriched / report.requests, 1)
        return report

    async def _run(self, categories: list[str], budget_s: float | None, report: EnrichReport) -> None:
        pending = await self._pending(categories)
        report.pending = len(pending)
        ids = list(pending)
        batch = self.settings.enrich_batch
        deadline = None if budget_s is None else self.clock.monotonic() + budget_s
        worst_case = self.settings.arxiv_min_interval + self.settings.arxiv_timeout
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            if report.requests >= self.settings.enrich_max_requests or (
                deadline is not None and self.clock.monotonic() + worst_case > deadline
            ):
                report.left = len(ids) - start
                return
            try:
                found = await self._fetch(chunk)
            except (UpstreamError, UpstreamBusy, ParseError) as exc:
                report.requests += not isinstance(exc, UpstreamBusy)
                report.error = str(exc)
                report.left = len(ids) - start
                log.warning("enrichment stopped: %s", exc)
                return
            report.requests += 1
            if not found:  # a known id is always in arXiv's answer: an empty one is not an answer
                report.error = f"arXiv's answer for {len(chunk)} ids held no entry"
                report.left = len(ids) - start
                return
            answered = {i: found.get(i) for i in chunk}
            report.enriched += sum(1 for i in chunk if i in found)
            report.days_updated += await self._apply(answered, pending)

    async def _pending(self, categories: list[str]) -> dict[str, set[tuple[str, object]]]:
        """Versionless id -> the (category, day) holding it unenriched, newest day first."""
        pending: dict[str, set[tuple[str, object]]] = {}
        metas = [await self.store.meta(c) for c in categories]
        for day in sorted({d for m in metas for d in m.days}, reverse=True):
            for meta in metas:
                if day not in meta.days:
                    continue
                for paper in await self.store.load_day(meta, day):
                    if not paper.enriched:
                        pending.setdefault(paper.id, set()).add((meta.category, day))
        return pending

    async def _fetch(self, ids: list[str]) -> dict[str, Paper]:
        """arXiv's entries for `ids` (`Upstream.lookup`: a malformed answer is a `ParseError`)."""
        return {p.id: p for p in await self.arxiv.lookup(ids)}

    async def _apply(self, answered: dict[str, Paper | None], pending: dict[str, set[tuple[str, object]]]) -> int:
        """Store what arXiv said (an id it did not return is marked, so it is not asked again)."""
        by_day: dict[tuple[str, object], dict[str, Paper | None]] = {}
        for arxiv_id, paper in answered.items():
            for place in pending.get(arxiv_id, ()):
                by_day.setdefault(place, {})[arxiv_id] = paper
        updated = 0
        for category in sorted({c for c, _ in by_day}):
            if not await self._lock(category):
                log.warning("enrichment of %s left for the next run: its listing is being fetched", category)
                continue
            try:
                meta = await self.store.meta(category)
                changed = False
                for (cat, day), found in by_day.items():
                    if cat != category or day not in meta.days:
                        continue
                    papers = [_enriched(p, found[p.id]) if p.id in found and not p.enriched else p
                              for p in await self.store.load_day(meta, day)]  # type: ignore[arg-type]
                    if await self.store.rewrite_day(meta, day, papers):  # type: ignore[arg-type]
                        changed = True
                        updated += 1
                if changed:
                    meta.fetched_at = self.clock.now()
                    await self.store.save_meta(meta)
            finally:
                await self.store.unlock(category)
        return updated

    async def _lock(self, category: str) -> bool:
        ttl = self.settings.arxiv_retry_budget + 2 * self.settings.arxiv_timeout + 10
        for attempt in range(LOCK_ATTEMPTS):
            if await self.store.lock(category, ttl):
                return True
            await self.clock.sleep(0.2 * (attempt + 1))
        return False


def _enriched(paper: Paper, found: Paper | None) -> Paper:
    """The stored paper with arXiv's comment, journal reference and DOI (none when arXiv gave
    no entry). The stored version, title and day stay: the listing is authoritative for them."""
    if found is None:
        return paper.model_copy(update={"enriched": True})
    return paper.model_copy(update={"comment": found.comment, "journal_ref": found.journal_ref, "doi": found.doi,
                                    "enriched": True})


