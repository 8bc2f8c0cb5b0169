"""Per-category daily batches of papers: freshness, coalescing, and the history window.

Decisions (see docs/architecture.md):
- Fetch the union, store per category. Categories a request lacks are fetched in
  one combined `a+b+c` request; what comes back is split into one batch per
  category and announcement day, stored in the KV store for every request,
  profile and instance to reuse.
- Never let a bad day erase a good one: an empty (weekend/holiday) or failed
  answer leaves stored batches alone; the last good data keeps being served.
- A batch is fresh until arXiv's next rebuild; failures back off before the
  next upstream attempt, so a public request cannot hammer arXiv.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence

from pydantic import BaseModel

from core.errors import UpstreamUnavailable  # noqa: F401 (re-exported)
from core.arxiv.client import (
    MAX_COMBINED_ITEMS,
    ArxivClient,
    UpstreamBusy,
    UpstreamError,
)
from core.arxiv.parse import Listing, ParseError, parse_listing
from core.kv import KV, KVError
from core.papers import Paper
from core.schedule import listing_day, next_rebuild, utcnow
from core.settings import Settings

log = logging.getLogger(__name__)

_PREFIX = "listing:v1"
ERROR_BACKOFF = (dt.timedelta(minutes=2), dt.timedelta(hours=1))  # first, cap
STALE_BATCH_RECHECK = dt.timedelta(hours=1)  # arXiv served yesterday's list on a weekday
MAX_CATEGORIES_PER_REQUEST = 20
LOCK_WAIT_S = 8.0  # how long a request waits for another instance's fetch before serving what is stored


def _batch_hash(papers: list[Paper]) -> str:
    return hashlib.sha256(" ".join(sorted(f"{p.id}v{p.version}" for p in papers)).encode()).hexdigest()[:16]


class CategoryMeta(BaseModel):
    """What the store knows about one category's listing."""

    category: str
    days: list[dt.date] = []  # announcement days held, newest first
    checked_at: dt.datetime | None = None  # last time arXiv answered (even with no items)
    fresh_until: dt.datetime | None = None
    fetched_at: dt.datetime | None = None  # last time a non-empty listing was stored
    etag: str | None = None
    day_hashes: dict[str, str] = {}  # day -> hash of its (id, version) set: "changed" means this changed
    last_error: str | None = None
    last_error_at: dt.datetime | None = None
    failures: int = 0


class Listings:
    """Serves papers for category sets from the store, fetching from arXiv only what is missing."""

    def __init__(
        self,
        kv: KV,
        client: ArxivClient,
        settings: Settings,
        now: Callable[[], dt.datetime] = utcnow,
    ):
        self.kv = kv
        self.client = client
        self.settings = settings
        self.now = now
        self._inflight: dict[str, asyncio.Future[None]] = {}
        self._decoded: dict[tuple[str, dt.date, str], list[Paper]] = {}

    # --- public --------------------------------------------------------

    async def ensure(self, categories: Sequence[str]) -> list[CategoryMeta]:
        """The categories' metadata, after fetching those due for a refresh.

        Raises `UpstreamUnavailable` only when nothing at all is stored for them
        and arXiv failed: with anything stored, the last good data is served.
        """
        metas = [await self.meta(c) for c in categories]
        now = self.now()
        due = [m.category for m in metas if self._due(m, now)]
        if due:
            await self._refresh(due, warm={m.category for m in metas if m.days})
            metas = [await self.meta(c) for c in categories]
        if not any(m.days for m in metas):
            if any(m.last_error for m in metas):
                errors = "; ".join(sorted({m.last_error for m in metas if m.last_error}))
                raise UpstreamUnavailable(f"arXiv could not be reached and nothing is stored yet ({errors})")
            if any(self._due(m, now) for m in metas):
                raise UpstreamUnavailable("these categories are being fetched, or too many fetches are queued")
        return metas

    async def papers(self, metas: Sequence[CategoryMeta], days: int) -> list[Paper]:
        """One occurrence per (paper, day), announce type relative to the categories of `metas`."""
        wanted = frozenset(m.category for m in metas)
        latest = max((m.days[0] for m in metas if m.days), default=None)
        papers: dict[tuple[str, dt.date], Paper] = {}
        if latest is not None:
            first_day = latest - dt.timedelta(days=days - 1)
            for meta in metas:
                for day in meta.days:
                    if day >= first_day:
                        digest = meta.day_hashes.get(day.isoformat())
                        for paper in await self._load_day(meta.category, day, digest):
                            papers.setdefault((paper.id, paper.announced), paper.relative_to(wanted))
        return sorted(papers.values(), key=lambda p: (p.announced, p.id), reverse=True)

    async def meta(self, category: str) -> CategoryMeta:
        raw = await self._get(f"{_PREFIX}:{category}:meta")
        if raw:
            try:
                return CategoryMeta.model_validate_json(raw)
            except ValueError:
                log.error("corrupt listing meta for %s; treating as empty", category)
        return CategoryMeta(category=category)

    async def refresh(self, categories: Sequence[str]) -> None:
        """Fetch `categories` now if they are due (used by cron and the CLI)."""
        now = self.now()
        due = [c for c in categories if self._due(await self.meta(c), now)]
        if due:
            await self._refresh(due)

    # --- freshness and coalescing -----------------------------------------

    @staticmethod
    def _due(meta: CategoryMeta, now: dt.datetime) -> bool:
        return meta.fresh_until is None or now >= meta.fresh_until

    async def _refresh(self, categories: Sequence[str], warm: frozenset[str] | set[str] = frozenset()) -> None:
        """Fetch `categories`, sharing any fetch of the same category already under way.

        A category in `warm` has stored days: if another request is already fetching
        it, this one does not wait and serves what is stored (stale-while-revalidate).
        """
        waiting = [self._inflight[c] for c in categories if c in self._inflight and c not in warm]
        mine = [c for c in categories if c not in self._inflight]
        if mine:
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            for category in mine:
                self._inflight[category] = future
            try:
                # Another reader may have finished this fetch while we read the metadata.
                now = self.now()
                still_due = [c for c in mine if self._due(await self.meta(c), now)]
                if still_due:
                    await self._fetch_claimed(still_due)
            finally:
                for category in mine:
                    self._inflight.pop(category, None)
                future.set_result(None)
        if waiting:
            await asyncio.gather(*waiting)

    async def _fetch_claimed(self, categories: list[str]) -> None:
        """Fetch `categories` once this instance holds all their locks in the shared store.

        Locks are taken in sorted order, all or nothing, so two instances asking for
        overlapping sets never split one combined request into two: the loser
        releases what it took and serves the stored days if it has them; only a cold
        loser waits (up to `LOCK_WAIT_S`) for the winner's result, then fetches only
        what is still due.
        """
        lock_ttl = self.settings.arxiv_retry_budget + 2 * self.settings.arxiv_timeout + 10
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LOCK_WAIT_S
        pending = sorted(categories)
        while pending:
            claimed: list[str] = []
            for category in pending:
                if not await self._add(f"{_PREFIX}:{category}:lock", b"1", lock_ttl):
                    break
                claimed.append(category)
            try:
                if len(claimed) == len(pending):
                    # Double-check under the lock: another instance may have just stored it.
                    now = self.now()
                    todo = [c for c in claimed if self._due(await self.meta(c), now)]
                    if todo:
                        await self._fetch_groups(todo)
                    return
            finally:
                for category in claimed:
                    await self._delete(f"{_PREFIX}:{category}:lock")
            if loop.time() >= deadline:
                log.warning("gave up waiting for another instance to fetch %s", "+".join(pending))
                return
            if all(meta.days for meta in [await self.meta(c) for c in pending]):
                return  # another instance is refreshing: serve the stored days meanwhile
            await asyncio.sleep(0.2)
            now = self.now()
            pending = [c for c in pending if self._due(await self.meta(c), now)]

    async def _fetch_groups(self, categories: Sequence[str]) -> None:
        groups = [
            list(categories[i : i + MAX_CATEGORIES_PER_REQUEST])
            for i in range(0, len(categories), MAX_CATEGORIES_PER_REQUEST)
        ]
        while groups:
            group = groups.pop(0)
            try:
                listing, etag = await self._fetch(group)
            except UpstreamBusy as exc:  # our own queue is full: not arXiv's failure
                log.warning("not fetching %s now: %s", "+".join(group), exc)
                continue
            except (UpstreamError, ParseError) as exc:
                await self._record_failure(group, str(exc))
                continue
            if listing is None:  # 304 Not Modified
                await self._record_success(group, {}, None, etag)
                continue
            if len(listing.papers) >= MAX_COMBINED_ITEMS and len(group) > 1:
                half = len(group) // 2  # arXiv truncated the union: ask for the halves
                groups[:0] = [group[:half], group[half:]]
                continue
            await self._record_success(
                group, self._split(group, listing.papers), listing.build_date, etag
            )

    async def _fetch(self, group: list[str]) -> tuple[Listing | None, str | None]:
        """One upstream request; conditional (ETag) when it is for a single category."""
        etag = (await self.meta(group[0])).etag if len(group) == 1 else None
        fetched = await self.client.fetch_listing(group, etag=etag)
        if fetched.not_modified:
            return None, etag
        # Parsing a 500-item day takes most of a second: keep the event loop serving others.
        return await asyncio.to_thread(parse_listing, fetched.body), fetched.etag

    @staticmethod
    def _split(group: Iterable[str], papers: list[Paper]) -> dict[str, dict[dt.date, list[Paper]]]:
        batches: dict[str, dict[dt.date, list[Paper]]] = {}
        for category in group:
            single = frozenset([category])
            for paper in papers:
                if paper.in_any(single):
                    day = batches.setdefault(category, {}).setdefault(paper.announced, [])
                    day.append(paper.relative_to(single))
        return batches

    # --- recording ----------------------------------------------------------

    async def _record_success(
        self,
        group: list[str],
        batches: dict[str, dict[dt.date, list[Paper]]],
        build_date: dt.date | None,
        etag: str | None,
    ) -> None:
        now = self.now()
        expected = listing_day(now)
        stale_batch = build_date is not None and build_date < expected and expected.weekday() < 5
        fresh_until = now + STALE_BATCH_RECHECK if stale_batch and batches else next_rebuild(now)
        keep = self.settings.history_days
        ttl = (keep + 2) * 86400
        for category in group:
            meta = await self.meta(category)
            changed = False
            for day, papers in batches.get(category, {}).items():
                digest = _batch_hash(papers)
                if day in meta.days and meta.day_hashes.get(day.isoformat()) == digest:
                    continue  # the same papers again (arXiv's ETag changes on every rebuild)
                body = json.dumps([p.model_dump(mode="json") for p in papers]).encode()
                await self._set(f"{_PREFIX}:{category}:{day.isoformat()}", body, ttl)
                meta.day_hashes[day.isoformat()] = digest
                if day not in meta.days:
                    meta.days.append(day)
                changed = True
            meta.days = sorted(meta.days, reverse=True)[:keep]
            meta.day_hashes = {d: h for d, h in meta.day_hashes.items() if d in {x.isoformat() for x in meta.days}}
            if changed:
                meta.fetched_at = now
            meta.checked_at = now
            meta.fresh_until = fresh_until
            if len(group) == 1:
                meta.etag = etag
            meta.last_error = None
            meta.failures = 0
            await self._set(f"{_PREFIX}:{category}:meta", meta.model_dump_json().encode(), ttl)

    async def _record_failure(self, group: list[str], error: str) -> None:
        now = self.now()
        log.error("arXiv fetch failed for %s: %s", "+".join(group), error)
        for category in group:
            meta = await self.meta(category)
            meta.failures += 1
            backoff = min(ERROR_BACKOFF[0] * 2 ** (meta.failures - 1), ERROR_BACKOFF[1])
            meta.last_error = error
            meta.last_error_at = now
            meta.fresh_until = now + backoff
            await self._set(f"{_PREFIX}:{category}:meta", meta.model_dump_json().encode(), None)

    # --- store access that survives store failures ---------------------------

    async def _load_day(self, category: str, day: dt.date, digest: str | None) -> list[Paper]:
        """A stored day's papers, decoded once per content (`digest` is its id-set hash):
        a day already decoded in this process is not even read from the store again."""
        cache_key = (category, day, digest)
        if digest is not None and cache_key in self._decoded:
            return self._decoded[cache_key]
        key = f"{_PREFIX}:{category}:{day.isoformat()}"
        raw = await self._get(key)
        if not raw:
            return []
        try:
            papers = [Paper.model_validate(p) for p in json.loads(raw)]
        except ValueError:
            log.error("corrupt listing batch %s; ignoring it", key)
            return []
        if digest is not None:
            if len(self._decoded) > 256:
                self._decoded.clear()
            self._decoded[cache_key] = papers
        return papers

    async def _add(self, key: str, value: bytes, ttl: float) -> bool:
        try:
            return await self.kv.add(key, value, ttl)
        except KVError as exc:
            log.error("store lock failed for %s: %s; fetching without it", key, exc)
            return True

    async def _delete(self, key: str) -> None:
        try:
            await self.kv.delete(key)
        except KVError as exc:
            log.error("store delete failed for %s: %s", key, exc)

    async def _get(self, key: str) -> bytes | None:
        try:
            return await self.kv.get(key)
        except KVError as exc:  # a bare store without ResilientKV around it
            log.error("store read failed for %s: %s", key, exc)
            return None

    async def _set(self, key: str, value: bytes, ttl: float | None) -> None:
        try:
            await self.kv.set(key, value, ttl)
        except KVError as exc:
            log.error("store write failed for %s: %s", key, exc)
