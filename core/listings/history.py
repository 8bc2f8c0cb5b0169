"""History of sources other than arXiv: their missing posting days, filled through
`Upstream.history` (arXiv's pages come through the same call, `ArxivUpstream.history`, and are
stored by `backfill.py` under arXiv's own rules: versions, `first_listed`, holidays, strays).

A day is stored only when the source says a page covered it (`HistoryPage.covered`); a covered
day with no papers is remembered as empty (no posts that day). The same rules as arXiv's
backfill otherwise: one run per source at a time across instances (a lock in the store), at
most the source's `Upstream.history_max_requests` requests a run (bioRxiv's and medRxiv's:
`BIORXIV_HISTORY_MAX_REQUESTS`), a paper the listing gave (that very
version) not added again on a derived day, failures in `/health` (`backfill_error`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence

from core.clock import Clock
from core.errors import ParseError, UpstreamError
from core.listings import freshness
from core.listings.store import CategoryMeta, DayStore
from core.papers import Paper
from core.settings import Settings
from core.sources import DEFAULT, source_of_category
from core.sources.base import Upstream

log = logging.getLogger(__name__)


class HistoryFiller:
    def __init__(self, store: DayStore, upstreams: Mapping[str, Upstream], settings: Settings, clock: Clock):
        self.store = store
        self.upstreams = upstreams
        self.settings = settings
        self.clock = clock

    def due(self, metas: Sequence[CategoryMeta], days: int) -> list[str]:
        """Categories with posting days missing in the window, not asked about in the last hour."""
        now = self.clock.now()
        return [m.category for m in metas if freshness.backfill_due(m, now, days)]

    async def run(self, categories: Sequence[str], days: int) -> None:
        """Fill every missing posting day of the last `days` days, one source after another."""
        by_source: dict[str, list[str]] = {}
        for category in sorted(set(categories)):
            source = source_of_category(category)
            if source is not None and source.name != DEFAULT:
                by_source.setdefault(source.name, []).append(category)
        for name, members in by_source.items():
            await self._run_source(self.upstreams[name], members, days)

    async def _run_source(self, upstream: Upstream, categories: list[str], days: int) -> None:
        now = self.clock.now()
        missing = {c: gaps for c in categories if (gaps := freshness.missing_days(await self.store.meta(c), now, days))}
        max_requests = upstream.history_max_requests
        if not missing or not max_requests:
            return
        name = upstream.source.name
        s = self.settings
        if not await self.store.lock(f"history:{name}", max_requests * (s.arxiv_min_interval + s.arxiv_timeout) + 30):
            return
        try:
            await self._fill(upstream, missing, now, max_requests)
        finally:
            await self.store.unlock(f"history:{name}")

    async def _fill(
        self, upstream: Upstream, missing: dict[str, list[dt.date]], now: dt.datetime, max_requests: int
    ) -> None:
        wanted = sorted({d for gaps in missing.values() for d in gaps})
        collected: dict[str, dict[dt.date, dict[str, Paper]]] = {c: {} for c in missing}
        covered: set[dt.date] = set()
        rejected: list[str] = []
        error = None
        try:
            async for page in upstream.history(list(missing), wanted, max_requests):
                covered.update(page.covered)
                rejected += page.rejected
                for paper in page.papers:
                    for category, gaps in missing.items():
                        if paper.announced in gaps and paper.in_any(frozenset([category])):
                            copy = paper.relative_to(frozenset([category])).model_copy(update={"origin": "backfill"})
                            collected[category].setdefault(paper.announced, {}).setdefault(copy.id, copy)
        except (UpstreamError, ParseError) as exc:
            error = str(exc)
            log.error("%s history of %s stopped: %s", upstream.source.label, "+".join(missing), exc)
        for category, gaps in missing.items():
            await self._store(category, gaps, collected[category], covered, now, error, rejected)

    async def _store(
        self, category: str, gaps: list[dt.date], collected: dict[dt.date, dict[str, Paper]],
        covered: set[dt.date], now: dt.datetime, error: str | None, rejected: list[str],
    ) -> None:
        meta = await self.store.meta(category)
        listed = await self.store.listed_versions(meta)
        changed = False
        for day in gaps:
            if day not in covered:
                continue
            papers = [p for p in collected.get(day, {}).values() if (p.id, p.version) not in listed]
            if papers:
                changed |= await self.store.merge(meta, day, papers, now)
            else:
                meta.empty_days.append(day)
        await self.store.save_history_run(meta, now, changed=changed, error=error, rejected=rejected, label="history")
