"""The listing fetcher: asks each category's source (`Upstream.listing`; arXiv's is
rss.arxiv.org) for the categories that are due, as few requests as possible, once per process
(coalescing) and once across instances (locks in the store).

Categories a request lacks are fetched in one combined request per source (arXiv's `a+b+c`);
what comes back is split into per-category days and merged into the day store for every
request, profile and instance to reuse. Failures back off; the stored days keep being served.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence

from core.clock import Clock
from core.errors import ParseError, UpstreamBusy, UpstreamError
from core.listings import freshness
from core.listings.store import DayStore, Event
from core.papers import Paper
from core.settings import Settings
from core.sources import DEFAULT, source_of_category
from core.sources.base import ListingAnswer, Upstream

log = logging.getLogger(__name__)

LOCK_WAIT_S = 8.0  # how long a cold request waits for another instance's fetch


class ListingFetcher:
    def __init__(self, store: DayStore, upstreams: Mapping[str, Upstream], settings: Settings, clock: Clock):
        self.store = store
        self.upstreams = upstreams  # by source name
        self.settings = settings
        self.clock = clock
        self._inflight: dict[str, asyncio.Future[None]] = {}

    async def refresh(self, categories: Sequence[str], warm: Iterable[str] = ()) -> None:
        """Fetch `categories`, sharing any fetch of the same category already under way.

        A category in `warm` has stored days: if another request is already fetching it,
        this one does not wait for it (stale-while-revalidate)."""
        warm = set(warm)
        waiting = [self._inflight[c] for c in categories if c in self._inflight and c not in warm]
        mine = [c for c in categories if c not in self._inflight]
        if mine:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            for category in mine:
                self._inflight[category] = future
            try:
                still_due = await self._due(mine)  # another reader may have just finished it
                if still_due:
                    await self._fetch_claimed(still_due)
            finally:
                for category in mine:
                    self._inflight.pop(category, None)
                future.set_result(None)
        if waiting:
            await asyncio.gather(*waiting)

    async def _due(self, categories: Iterable[str]) -> list[str]:
        now = self.clock.now()
        return [c for c in categories if freshness.due(await self.store.meta(c), now)]

    async def _fetch_claimed(self, categories: list[str]) -> None:
        """Fetch once this instance holds all the categories' locks in the shared store.

        Locks are taken in sorted order, all or nothing, so two instances asking for
        overlapping sets never split one combined request into two: the loser releases what
        it took and serves the stored days if it has them; only a cold loser waits (up to
        `LOCK_WAIT_S`) for the winner, then fetches only what is still due."""
        lock_ttl = self.settings.arxiv_retry_budget + 2 * self.settings.arxiv_timeout + 10
        deadline = self.clock.monotonic() + LOCK_WAIT_S
        pending = sorted(categories)
        while pending:
            claimed: list[str] = []
            for category in pending:
                if not await self.store.lock(category, lock_ttl):
                    break
                claimed.append(category)
            try:
                if len(claimed) == len(pending):
                    todo = await self._due(claimed)  # double-check under the lock
                    if todo:
                        await self._fetch_groups(todo)
                    return
            finally:
                for category in claimed:
                    await self.store.unlock(category)
            if self.clock.monotonic() >= deadline:
                log.warning("gave up waiting for another instance to fetch %s", "+".join(pending))
                return
            if all(m.days for m in [await self.store.meta(c) for c in pending]):
                return  # another instance is refreshing: serve the stored days meanwhile
            await self.clock.sleep(0.2)
            pending = await self._due(pending)

    def _upstream(self, category: str) -> Upstream:
        source = source_of_category(category)
        return self.upstreams[source.name if source is not None else DEFAULT]

    async def _fetch_groups(self, categories: Sequence[str]) -> None:
        """One combined request per source and `max_categories_per_request` categories (in
        the order asked), halved while the upstream says it cut the answer short."""
        by_source: dict[str, list[str]] = {}
        for category in categories:
            by_source.setdefault(self._upstream(category).source.name, []).append(category)
        groups = []
        for name, members in by_source.items():
            size = self.upstreams[name].max_categories_per_request
            groups += [members[i : i + size] for i in range(0, len(members), size)]
        while groups:
            group = groups.pop(0)
            try:
                listing, etag = await self._fetch(group)
            except UpstreamBusy as exc:  # our own queue is full: not arXiv's failure
                log.warning("not fetching %s now: %s", "+".join(group), exc)
                continue
            except (UpstreamError, ParseError) as exc:
                await self._record_failure(group, str(exc), rejected=isinstance(exc, ParseError))
                continue
            if listing is None:  # 304 Not Modified
                await self._record_success(group, {}, None, etag)
                continue
            if listing.truncated and len(group) > 1:
                half = len(group) // 2  # the upstream cut the union short: ask for the halves
                groups[:0] = [group[:half], group[half:]]
                continue
            await self._record_success(group, split(group, listing.papers), listing.build_date, etag)

    async def _fetch(self, group: list[str]) -> tuple[ListingAnswer | None, str | None]:
        """One upstream request (all of `group` is one source's); conditional (ETag) when it
        is for a single category."""
        etag = (await self.store.meta(group[0])).etag if len(group) == 1 else None
        answer = await self._upstream(group[0]).listing(group, etag=etag)
        if answer.not_modified:
            return None, etag
        return answer, answer.etag

    async def _record_success(
        self,
        group: list[str],
        batches: dict[str, dict[dt.date, list[Paper]]],
        build_date: dt.date | None,
        etag: str | None,
    ) -> None:
        now = self.clock.now()
        schedule = self._upstream(group[0]).source.schedule
        fresh_until = freshness.fresh_until_after_success(now, build_date, bool(batches), schedule)
        history = self.store.history_days
        for category in group:
            meta = await self.store.meta(category)
            days = batches.get(category, {})
            newest = max(
                [d for d in days if d <= freshness.latest_plausible(now, schedule)] + meta.days[:1], default=None
            )
            changed = False
            listed: set[tuple[str, int]] = set()  # (id, version): another version is another announcement
            kept_days: set[dt.date] = set()
            for day, papers in sorted(days.items(), reverse=True):
                why = freshness.implausible(day, now, newest, history, schedule)
                if why:
                    reason = f"{len(papers)} listed paper(s) {why}: not stored"
                    log.warning("%s: %s", category, reason)
                    meta.note("rejection", Event(at=now, day=day, reason=reason))
                    continue
                changed |= await self.store.merge(meta, day, papers, now)
                listed.update((p.id, p.version) for p in papers)
                kept_days.add(day)
            if listed:
                changed |= await self.store.drop_backfilled(meta, listed, kept_days)
            self.store.trim(meta)
            if changed:
                meta.fetched_at = now
            meta.checked_at = now
            meta.fresh_until = fresh_until
            if len(group) == 1:
                meta.etag = etag
            meta.last_error = None
            meta.failures = 0
            await self.store.save_meta(meta)

    async def _record_failure(self, group: list[str], error: str, rejected: bool = False) -> None:
        now = self.clock.now()
        log.error("%s fetch failed for %s: %s", self._upstream(group[0]).source.label, "+".join(group), error)
        for category in group:
            meta = await self.store.meta(category)
            meta.failures += 1
            meta.last_error = error
            meta.last_error_at = now
            meta.fresh_until = freshness.fresh_until_after_failure(now, meta.failures)
            if rejected:
                meta.note("rejection", Event(at=now, reason=f"answer rejected: {error}"))
            await self.store.save_meta(meta, None)


def split(group: Iterable[str], papers: list[Paper]) -> dict[str, dict[dt.date, list[Paper]]]:
    """Per category and day, announce types relative to the category alone."""
    batches: dict[str, dict[dt.date, list[Paper]]] = {}
    for category in group:
        single = frozenset([category])
        for paper in papers:
            if paper.in_any(single):
                batches.setdefault(category, {}).setdefault(paper.announced, []).append(paper.relative_to(single))
    return batches
