"""The day store: each category's days of papers in the KV store, and the rules that keep an
upstream answer from shrinking or poisoning them.

Keys (see docs/architecture.md): `listing:v1:{category}:meta` holds `CategoryMeta`;
`listing:v1:{category}:{YYYY-MM-DD}` holds that day's papers (JSON), announce types relative to
the category alone, each marked with its origin (`listing` or `backfill`; stored as `source`).

Rules: a day is only ever merged into, never replaced. The listing is authoritative: its papers
replace backfilled copies on the same day, and a version the listing puts on one day leaves the
days a backfill derived for that same version; another version is another announcement (a `new`
v1 stays on its day when the listing later has v2 as a `replace`). A listing much smaller than
what is stored for the same day keeps the stored papers and is recorded as an anomaly.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import logging

from collections.abc import Sequence

from pydantic import BaseModel, TypeAdapter

from core.runtime.gcfreeze import build_lasting
from core.cache import ByteLRU
from core.runtime.worker import off_loop, release_memory
from core.kv import KV
from core.papers import Paper

log = logging.getLogger(__name__)

PREFIX = "listing:v1"
EVENTS_KEPT = 10  # anomalies and rejections kept per category for /health
SHRUNK_RATIO = 0.5  # a re-fetched day under half its stored size is an anomaly
DECODED_BYTES = 24_000_000  # decoded days and merged windows kept, until the service gives its share
DECODED_PER_BYTE = 2  # decoded papers hold ~1.85 times their stored JSON (erring high)


class WindowTooLarge(Exception):
    """The days asked for would hold more than allowed once decoded."""

    def __init__(self, size: int, max_bytes: int):
        super().__init__(f"{size:,} bytes > {max_bytes:,}")
        self.size = size
        self.max_bytes = max_bytes


class Event(BaseModel):
    """Something /health should show: an anomaly kept or an answer rejected."""

    at: dt.datetime
    reason: str
    day: dt.date | None = None


class CategoryMeta(BaseModel):
    """What the store knows about one category."""

    category: str
    days: list[dt.date] = []  # days held, newest first
    checked_at: dt.datetime | None = None  # last time arXiv's listing answered (even with no items)
    fresh_until: dt.datetime | None = None
    fetched_at: dt.datetime | None = None  # last time a stored day changed
    etag: str | None = None
    day_hashes: dict[str, str] = {}  # day -> hash of its content: "changed" means this changed
    sources: dict[str, str] = {}  # day -> listing | backfill | mixed
    empty_days: list[dt.date] = []  # weekdays a backfill found nothing for (holidays)
    backfilled_at: dt.datetime | None = None  # last backfill attempt covering this category
    backfill_error: str | None = None
    last_error: str | None = None
    last_error_at: dt.datetime | None = None
    failures: int = 0
    anomalies: list[Event] = []
    rejections: list[Event] = []

    def note(self, kind: str, event: Event) -> None:
        events = self.anomalies if kind == "anomaly" else self.rejections
        events.append(event)
        del events[:-EVENTS_KEPT]


@functools.cache
def _papers_adapter() -> TypeAdapter[list[Paper]]:
    """A day's papers to and from JSON in one call each (built on first use, not at import)."""
    return TypeAdapter(list[Paper])


def papers_bytes(papers: list[Paper]) -> int:
    """What decoded papers hold, erring high (tracemalloc: ~3.4 KB for a paper of 1.5 KB of
    title and abstract and 7 authors)."""
    return sum(1_200 + 2 * (len(p.title) + len(p.abstract) + len(p.comment or "")) + sum(80 + len(a) for a in p.authors)
               for p in papers)


def content_hash(papers: list[Paper]) -> str:
    keys = sorted(f"{p.id}v{p.version}:{p.announce_type}:{p.origin}{':e' if p.enriched else ''}" for p in papers)
    return hashlib.sha256(" ".join(keys).encode()).hexdigest()[:16]


def enrichment(paper: Paper) -> dict:
    """The fields the query API adds to a listed paper."""
    return {"comment": paper.comment, "journal_ref": paper.journal_ref, "doi": paper.doi, "enriched": paper.enriched}


def day_source(papers: list[Paper]) -> str:
    sources = {p.origin for p in papers}
    return sources.pop() if len(sources) == 1 else "mixed"


class DayStore:
    """Reads and writes categories' metadata and days; decodes each stored day once."""

    def __init__(self, kv: KV, history_days: int, decoded_bytes: int = DECODED_BYTES):
        self.kv = kv
        self.history_days = history_days
        # Decoded days, and the windows merged from them (core.listings), within one byte budget
        # (a share of CACHE_MAX_BYTES): a 30,000-paper window held 90 MB of papers for good.
        self.decoded = ByteLRU(decoded_bytes)

    @property
    def ttl(self) -> float:
        return (self.history_days + 2) * 86400

    async def meta(self, category: str) -> CategoryMeta:
        raw = await self.kv.get(f"{PREFIX}:{category}:meta")
        if raw:
            try:
                return CategoryMeta.model_validate_json(raw)
            except ValueError:
                log.error("corrupt listing meta for %s; treating as empty", category)
        return CategoryMeta(category=category)

    async def save_meta(self, meta: CategoryMeta, ttl: float | None = -1) -> None:
        await self.kv.set(f"{PREFIX}:{meta.category}:meta", meta.model_dump_json().encode(),
                          self.ttl if ttl == -1 else ttl)

    async def load_day(self, meta: CategoryMeta, day: dt.date) -> list[Paper]:
        """A stored day's papers, decoded once per content: a day already decoded in this
        process is not even read from the store again."""
        return (await self.load_days([(meta, day)]))[0]

    async def load_days(self, chosen: Sequence[tuple[CategoryMeta, dt.date]], max_bytes: int | None = None) -> list[list[Paper]]:
        """The papers of each of these days. With `max_bytes`, refused (`WindowTooLarge`) before
        any is decoded when, decoded, they would hold more than that (stored JSON grows ~1.85
        times as papers): a 30,000-paper window took 90 MB at once, which a process keeps."""
        found: list[list[Paper] | bytes] = []
        size = 0
        for meta, day in chosen:
            cache_key = (meta.category, day, meta.day_hashes.get(day.isoformat()))
            if cache_key[2] is not None and (hit := self.decoded.get(cache_key)) is not None:
                found.append(hit)
                size += self.decoded.size(cache_key) or 0
                continue
            raw = await self.kv.get(f"{PREFIX}:{meta.category}:{day.isoformat()}") or b""
            found.append(raw)
            size += DECODED_PER_BYTE * len(raw)
            if max_bytes is not None and size > max_bytes:  # known before the rest is even read
                estimate = size * len(chosen) // len(found)  # the whole window, at this rate
                found.clear()
                await off_loop(release_memory)  # what was read, given back
                raise WindowTooLarge(estimate, max_bytes)
            await asyncio.sleep(0)  # 200 days read in a row held the event loop ~100 ms
        papers = []
        for (meta, day), item in zip(chosen, found):
            papers.append(item if isinstance(item, list) else await self._decode(meta, day, item))
        return papers

    async def _decode(self, meta: CategoryMeta, day: dt.date, raw: bytes) -> list[Paper]:
        if not raw:
            return []
        try:  # on the worker thread: a cold window's days took the event loop 400 ms
            papers = await off_loop(build_lasting, _papers_adapter().validate_json, raw)  # kept: frozen
        except ValueError:
            log.error("corrupt listing batch %s %s; ignoring it", meta.category, day)
            return []
        digest = meta.day_hashes.get(day.isoformat())
        if digest is not None:
            self._remember((meta.category, day, digest), papers)
        return papers

    def _remember(self, cache_key: tuple[str, dt.date, str | None], papers: list[Paper]) -> None:
        self.decoded.put(cache_key, papers, papers_bytes(papers))

    async def _write_day(self, meta: CategoryMeta, day: dt.date, papers: list[Paper]) -> None:
        body = _papers_adapter().dump_json(papers)
        await self.kv.set(f"{PREFIX}:{meta.category}:{day.isoformat()}", body, self.ttl)
        digest = meta.day_hashes[day.isoformat()] = content_hash(papers)
        meta.sources[day.isoformat()] = day_source(papers)
        if day not in meta.days:
            meta.days = sorted([*meta.days, day], reverse=True)
        # What was just written is what reading it back would give: the request that fetched
        # it (and the backfill after) need not read and decode it again.
        self._remember((meta.category, day, digest), papers)

    async def merge(self, meta: CategoryMeta, day: dt.date, incoming: list[Paper], now: dt.datetime) -> bool:
        """Merge `incoming` (all from one source) into the stored `day`. True if it changed.

        A listing replaces backfilled copies and older versions; a backfill never touches a
        paper the listing gave. Nothing stored is dropped."""
        if not incoming:
            return False
        stored = await self.load_day(meta, day) if day in meta.days else []
        merged = {p.id: p for p in stored}
        from_listing = incoming[0].origin == "listing"
        for paper in incoming:
            old = merged.get(paper.id)
            if old is not None and old.enriched and not paper.enriched and old.version == paper.version:
                paper = paper.model_copy(update=enrichment(old))  # the listing has no comment: keep arXiv's
            if old is None or (from_listing and old.origin == "backfill") or (
                old.origin == paper.origin and paper.version > old.version
            ):
                merged[paper.id] = paper
        if from_listing:
            stored_listed = sum(1 for p in stored if p.origin == "listing")
            if stored_listed >= 10 and len(incoming) < SHRUNK_RATIO * stored_listed:
                reason = (f"arXiv listed {len(incoming)} papers for a day stored with {stored_listed}; "
                          "kept the stored papers")
                log.warning("%s %s: %s", meta.category, day, reason)
                meta.note("anomaly", Event(at=now, day=day, reason=reason))
        papers = sorted(merged.values(), key=lambda p: p.id)
        if day in meta.days and content_hash(papers) == meta.day_hashes.get(day.isoformat()):
            return False  # the same papers again (arXiv's ETag changes on every rebuild)
        await self._write_day(meta, day, papers)
        return True

    async def rewrite_day(self, meta: CategoryMeta, day: dt.date, papers: list[Paper]) -> bool:
        """Store `papers` as `day` (the same papers with more metadata: enrichment). True if it changed."""
        if content_hash(papers) == meta.day_hashes.get(day.isoformat()):
            return False
        await self._write_day(meta, day, papers)
        return True

    async def drop_backfilled(self, meta: CategoryMeta, refs: set[tuple[str, int]], except_days: set[dt.date]) -> bool:
        """Remove backfilled copies of the versions (`(id, version)`) the listing put on another
        day: the schedule guessed their day wrong (moderation, a holiday). Other versions stay."""
        changed = False
        for day in list(meta.days):
            if day in except_days or meta.sources.get(day.isoformat()) == "listing":
                continue
            papers = await self.load_day(meta, day)
            kept = [p for p in papers if not (p.origin == "backfill" and (p.id, p.version) in refs)]
            if len(kept) == len(papers):
                continue
            changed = True
            if kept:
                await self._write_day(meta, day, kept)
            else:
                await self.kv.delete(f"{PREFIX}:{meta.category}:{day.isoformat()}")
                meta.days.remove(day)
                meta.day_hashes.pop(day.isoformat(), None)
                meta.sources.pop(day.isoformat(), None)
        return changed

    async def listed_versions(self, meta: CategoryMeta) -> set[tuple[str, int]]:
        """(id, version) of every paper a listing gave on the category's stored days: history
        must not add that very version again on a derived day (another version is another
        announcement, a `replace` on a missed day, and is added)."""
        return {(p.id, p.version) for d in meta.days if meta.sources.get(d.isoformat()) != "backfill"
                for p in await self.load_day(meta, d) if p.origin == "listing"}

    async def save_history_run(
        self, meta: CategoryMeta, now: dt.datetime, *, changed: bool, error: str | None, rejected: Sequence[str], label: str
    ) -> None:
        """A history run's end for one category (arXiv's backfill, other sources' history):
        its rejections noted for /health under `label`, the window trimmed, the times and the
        error recorded, the meta saved."""
        for reason in rejected:
            meta.note("rejection", Event(at=now, reason=f"{label}: {reason}"))
        self.trim(meta)
        if changed:
            meta.fetched_at = now
        meta.backfilled_at = now
        meta.backfill_error = error
        await self.save_meta(meta)

    def trim(self, meta: CategoryMeta) -> None:
        """Keep the newest `history_days` days."""
        meta.days = sorted(set(meta.days), reverse=True)[: self.history_days]
        kept = {d.isoformat() for d in meta.days}
        meta.day_hashes = {d: h for d, h in meta.day_hashes.items() if d in kept}
        meta.sources = {d: s for d, s in meta.sources.items() if d in kept}
        if meta.days:
            meta.empty_days = [d for d in meta.empty_days if d >= meta.days[-1] - dt.timedelta(days=7)]

    async def lock(self, name: str, ttl: float) -> bool:
        return await self.kv.add(f"{PREFIX}:{name}:lock", b"1", ttl)

    async def unlock(self, name: str) -> None:
        await self.kv.delete(f"{PREFIX}:{name}:lock")
