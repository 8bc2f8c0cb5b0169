"""The feed pipeline: a feed spec in, ranked items and rendered bodies out, each computed once.

Ranked results are cached by the feed spec and the data version (what was fetched for its
categories); rendered bodies by those plus the format, the served URL and which summaries exist.
Both live in one byte-bounded cache (its share of CACHE_MAX_BYTES, `core.cache.CacheBudgets`),
and concurrent requests for the same key share one computation (`_once`): eight cold readers of
one feed rank and render it once. Ranking and rendering run on the worker thread
(`core.runtime.worker`). Built by the composition root (`core.services`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.cache import ByteLRU
from core.clock import Clock
from core.errors import SeedsUnavailable
from core.feeds import FeedResult, FeedSpec, candidates, rank
from core.kv import KV
from core.listings import CategoryMeta, Listings
from core.render import MEDIA_TYPES, FeedDocument, render
from core.runtime.gcfreeze import build_lasting
from core.runtime.worker import off_loop, release_memory  # ranking and rendering run there, off the event loop
from core.sources.arxiv.schedule import next_rebuild
from core.settings import Settings
from core.papers import Paper
from core.ranking import registry, text
from core.ranking.types import Clients
from core.urls import configured_base_url, feed_id

if TYPE_CHECKING:
    from core.summaries import NoSummaries
    from core.summaries.service import Summarizer, Summary

# How long a feed's last body (ETag, Last-Modified) is remembered: a feed polled at all changes
# daily and is written again; one unpolled for this long starts over from its data's time.
LAST_MODIFIED_TTL_S = 30 * 86400
MIN_WINDOW_BYTES = 16_000_000
SEED_FLOOR_S = 1.0  # see FeedPipeline._within_budget


@dataclass
class RenderedFeed:
    body: bytes
    media_type: str
    etag: str  # strong validator: a hash of the body
    last_modified: dt.datetime
    fresh_until: dt.datetime  # when the data may next change upstream
    stale: bool  # served from stored data because arXiv failed
    item_count: int


@dataclass(frozen=True)
class FeedPage:
    """What one request asks to be rendered."""

    spec: FeedSpec
    fmt: str
    self_url: str
    base_url: str
    alternates: dict[str, str]
    result: FeedResult
    summaries: dict[str, Summary]
    stale: bool
    fresh_until: dt.datetime


class Background:
    """Work no request waits for any more (a fetch that will be stored for the next visitor),
    held until it ends: asyncio itself keeps only a weak reference to a task."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Future] = set()

    def keep(self, task: asyncio.Future) -> None:
        self._tasks.add(task)
        task.add_done_callback(lambda t: (self._tasks.discard(t), t.cancelled() or t.exception()))


class FeedPipeline:
    def __init__(
        self, settings: Settings, kv: KV, listings: Listings, clients: Mapping[str, Any], own: Mapping[str, Any],
        summarizer: Summarizer | NoSummaries, background: Background, cache_bytes: int,
    ):
        """`clients`: what the composition root provides the signals by name (core.ranking.types:
        SEEDS, EMBEDDER); `own`: each signal's own client (`Signal.connect`) by signal name. A
        registered signal that needs a client not provided stops the service here, at start-up."""
        if missing := registry.missing_clients(clients):
            raise RuntimeError("; ".join(missing))
        self.settings = settings
        self.kv = kv
        self.listings = listings
        self.clients = clients
        self.own = own
        self.summarizer = summarizer
        self.background = background
        self.cache = ByteLRU(cache_bytes)  # ranked results, bodies
        self.seen_categories: set[str] = set()  # every category a feed asked for (shown in /health)
        self._inflight: dict[tuple, asyncio.Future] = {}  # ranks and renders under way, by cache key

    async def _once(self, key: tuple, make: Callable[[], Awaitable[Any]]) -> Any:
        """`make()`'s result, computed once for all who ask for `key` while it runs: eight
        cold readers of one feed rank and render it once, not eight times in a queue. A waiter
        that goes away does not cancel it for the others (nor for the cache it fills)."""
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(make())
            self._inflight[key] = task
            task.add_done_callback(lambda t: (self._inflight.pop(key, None), t.cancelled() or t.exception()))
        return await asyncio.shield(task)

    @property
    def clock(self) -> Clock:
        return self.listings.clock  # (tests set the listings' clock)

    @property
    def window_bytes(self) -> int:
        """What a request's own window may hold decoded (a profile's own feed: any): half of
        CACHE_MAX_BYTES, or 16 MB where that is smaller (~4,700 papers). Half, because analysing
        a window leaves the allocator's high-water mark behind: with the whole budget, the
        heaviest accepted request left RSS 1 MB over idle + CACHE_MAX_BYTES + 30 MB."""
        return max(self.settings.cache_max_bytes // 2, MIN_WINDOW_BYTES)

    # --- feeds ------------------------------------------------------------------

    async def result(
        self, spec: FeedSpec, metas: list[CategoryMeta] | None = None, note: str | None = None,
        deadline: float | None = None,
    ) -> FeedResult:
        """Ranked items for `spec`, without rendering (from the rank cache when unchanged);
        `note` says what its window lacks (see `Listings.history_note`); `deadline` (loop time,
        default the request budget from now) bounds the wait for `like=` seeds."""
        if deadline is None:
            deadline = asyncio.get_running_loop().time() + self.settings.request_budget_s
        if metas is None:
            metas = await self.listings.ensure(spec.categories, spec.days)
        if note is None:
            note = await self.listings.history_note(metas, spec.days)
        key = ("ranked", spec.key, _data_version(metas))
        cached = self.cache.get(key)
        if cached is None:
            cached = await self._once(key, lambda: self._rank(spec, metas, key, deadline))
        return dataclasses.replace(cached, metas=metas, note=note)

    async def _prepare(self, spec: FeedSpec, papers: list[Paper], deadline: float) -> dict[str, Any]:
        """Each signal's I/O for the feed, for the signals whose inputs it gives (like= seeds and
        their embeddings), through the clients it needs and its own, within what is left of the
        request budget: signal name -> what its `prepare` gave."""
        within_budget = functools.partial(self._within_budget, deadline=deadline)
        prepared = {}
        for signal in registry.REGISTRY:
            given = spec.inputs.get(signal.name)
            if given is not None:
                clients = Clients(signal.name, {key.name: self.clients[key.name] for key in signal.needs},
                                  within_budget, self.own.get(signal.name))
                prepared[signal.name] = await signal.prepare(given, functools.partial(candidates, papers, spec), clients)
        return prepared

    async def _within_budget(self, work: Awaitable, slow: str, *, deadline: float) -> Any:
        """A signal's I/O (like='s seeds) waited for within what is left of the request budget;
        work still under way then goes on (seeds are stored for the next request) and the
        answer is a 503 starting with `slow` (`Clients.within_budget` words it). At least
        SEED_FLOOR_S even when a slow listing used the budget up: stored seeds come from the
        store in milliseconds, and a request serving stale days must not fail for want of them."""
        task = asyncio.ensure_future(work)
        remaining = deadline - asyncio.get_running_loop().time()
        try:
            return await asyncio.wait_for(asyncio.shield(task), max(remaining, SEED_FLOOR_S))
        except TimeoutError:
            self.background.keep(task)
            retry = max(5, int(self.settings.request_budget_s))
            raise SeedsUnavailable(f"{slow} within "
                                   f"REQUEST_BUDGET_S ({self.settings.request_budget_s:g} s); the fetch goes on",
                                   retry_after=retry) from None

    async def _rank(self, spec: FeedSpec, metas: list[CategoryMeta], key: tuple, deadline: float) -> FeedResult:
        papers = await self.listings.papers(metas, spec.days, self.window_bytes if spec.requested else None)
        if spec.requested:  # before any seed is fetched or signal runs (a profile's own feed: never refused)
            spec.check_cost(await off_loop(spec.workload, papers))
        prepared = await self._prepare(spec, papers, deadline)
        # On the ranking thread, off the event loop, with the collector off: ranking analyses the
        # papers not seen yet (not those it can skim), and a new pool's analysed text is kept for
        # good (frozen); a ranking over text already analysed freezes nothing.
        items, considered = await off_loop(_rank_keeping, functools.partial(rank, papers, spec, prepared))
        ranked = FeedResult(spec=spec, items=items, metas=metas, considered=considered)
        self.cache.put(key, ranked, _ranked_size(items))
        return ranked

    async def summaries_for(self, result: FeedResult, budget_s: float, *, public: bool = True) -> dict[str, Summary]:
        spec = result.spec
        if not spec.summary_top_n or not self.summarizer.enabled:
            return {}
        top = [item.paper for item in result.items[: spec.summary_top_n]]
        return await self.summarizer.ensure(top, spec.summary_language, budget_s, public=public)

    async def rendered(
        self, spec: FeedSpec, fmt: str, self_url: str, base_url: str, alternates: dict[str, str] | None = None
    ) -> RenderedFeed:
        """The feed body for `spec` in `fmt`, from the render cache when nothing changed.
        `alternates` (format -> URL of this feed in it) follows from `self_url`."""
        self.seen_categories.update(spec.categories)
        deadline = asyncio.get_running_loop().time() + self.settings.request_budget_s  # listing and seeds
        metas, late = await self.listings.ensure_within(spec.categories, spec.days)
        note = await self.listings.history_note(metas, spec.days)
        incomplete = bool(note) and self.settings.arxiv_backfill_max_requests > 0  # (off: the listing is all)
        stale = late or incomplete or any(m.last_error for m in metas)
        fresh_until = min((m.fresh_until for m in metas if m.fresh_until), default=next_rebuild(self.clock.now()))
        version = _data_version(metas)
        wants_summaries = bool(spec.summary_top_n and self.summarizer.enabled)
        if not wants_summaries:  # the warm path: straight to the body, no ranked result needed
            cached = self.cache.get(("rendered", spec.key, fmt, self_url, version, note, ()))
            if cached is not None:
                return dataclasses.replace(cached, stale=stale, fresh_until=fresh_until)
        result = await self.result(spec, metas, note, deadline)
        summaries = await self.summaries_for(result, self.settings.summary_budget_s)
        key = ("rendered", spec.key, fmt, self_url, version, note, tuple(sorted(summaries)))
        cached = self.cache.get(key)
        if cached is not None:
            return dataclasses.replace(cached, stale=stale, fresh_until=fresh_until)
        page = FeedPage(spec, fmt, self_url, base_url, alternates or {}, result, summaries, stale, fresh_until)
        feed = await self._once(key, lambda: self._render(key, page))
        return dataclasses.replace(feed, stale=stale, fresh_until=fresh_until)

    async def _render(self, key: tuple, page: FeedPage) -> RenderedFeed:
        spec, result = page.spec, page.result
        updated = result.updated or self.clock.now()
        doc = FeedDocument(
            title=spec.title,
            description=spec.description,
            self_url=page.self_url,
            home_url=page.base_url.rstrip("/") + "/",
            feed_id=feed_id(spec, configured_base_url(self.settings)),
            updated=updated,
            items=result.items,
            summaries=page.summaries,
            alternates=page.alternates,
            note=result.note,
        )
        body, etag = await off_loop(_render, doc, page.fmt)
        feed = RenderedFeed(
            body=body,
            media_type=MEDIA_TYPES[page.fmt],
            etag=etag,
            last_modified=await self._last_modified(page, etag, updated),
            fresh_until=page.fresh_until,
            stale=page.stale,
            item_count=len(result.items),
        )
        self.cache.put(key, feed, len(body))
        return feed

    async def _last_modified(self, page: FeedPage, etag: str, updated: dt.datetime) -> dt.datetime:
        """When this feed's body last changed, so that `If-Modified-Since` sees every change the
        ETag sees: the data's time for the first body, then, whenever the body changes (new papers,
        summaries arriving, a profile changed and the service restarted), the time it changed, a
        whole second after the last one. Kept in the store by the URL served (a profile's URL stays
        when the profile changes), so instances and restarts agree."""
        key = "lastmod:v1:" + hashlib.sha256(f"{page.fmt}\0{page.self_url}".encode()).hexdigest()[:32]
        seen = _last_body(await self.kv.get(key))
        if seen is not None and seen[0] == etag:
            return seen[1]
        at = updated
        if seen is not None:
            at = max(updated, self.clock.now(), seen[1].replace(microsecond=0) + dt.timedelta(seconds=1))
        await self.kv.set(key, json.dumps({"etag": etag, "at": at.isoformat()}).encode(), ttl=LAST_MODIFIED_TTL_S)
        return at


def _rank_keeping(ranking: Callable[[], Any]) -> Any:
    before = text.analyses()
    result = build_lasting(ranking, keep=lambda: text.analyses() - before > text.THREAD_THRESHOLD)
    if text.analyses() - before > 10 * text.THREAD_THRESHOLD:
        release_memory()  # what thousands of analyses and vectors freed, given back
    return result


def _render(doc: FeedDocument, fmt: str) -> tuple[bytes, str]:
    body = render(doc, fmt)
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _last_body(raw: bytes | None) -> tuple[str, dt.datetime] | None:
    """(ETag, Last-Modified) of a feed's last body as `_last_modified` stored it; None if unreadable."""
    try:
        record = json.loads(raw) if raw else None
        return (record["etag"], dt.datetime.fromisoformat(record["at"])) if record else None
    except (ValueError, TypeError, KeyError):
        return None


def _ranked_size(items: list) -> int:
    """What a ranked list holds beyond the stored papers it points to, erring high: the
    papers themselves (copies when their announce type is relative) and the hits."""
    size = 0
    for item in items:
        paper = item.paper
        size += 900 + 2 * (len(paper.title) + len(paper.abstract)) + sum(60 + len(a) for a in paper.authors)
        size += 250 * len(item.hits)
    return size


def _data_version(metas: list[CategoryMeta]) -> tuple:
    return tuple((m.category, tuple(m.days), tuple(sorted(m.day_hashes.items())), m.fetched_at) for m in metas)
