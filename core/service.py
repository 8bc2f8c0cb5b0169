"""The service object shared by the web app and the CLI: profiles, store, upstream,
summaries, renders.

One in-process cache makes repeated polls cheap: ranked results keyed by the
feed spec and the data version (what was fetched for its categories), and
rendered bodies keyed by those plus the format, the served URL and which
summaries exist. It is bounded in bytes (CACHE_MAX_BYTES), not entries.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core import longlived
from core.arxiv.client import ArxivClient
from core.arxiv.trouble import Trouble
from core.cache import ByteLRU, budgets
from core.cpu import off_loop, release_memory  # ranking and rendering run there, off the event loop
from core.feeds import FeedResult, FeedSpec, candidates, rank
from core.kv import KV, open_store
from core.kv.resilient import ResilientKV
from core.clock import SYSTEM_CLOCK, Clock
from core.errors import SeedsUnavailable, UpstreamUnavailable
from core.listings import CategoryMeta, Listings
from core.listings.freshness import newest_day, next_backfill
from core.redact import split_userinfo
from core.profiles import Config, load_config
from core.render import MEDIA_TYPES, FeedDocument, render
from core.schedule import next_rebuild
from core.urls import configured_base_url, feed_id
from core.settings import Settings
from core.signals.embeddings import Embedder
from core.signals.seeds import SeedStore
from core.signals import text
from core.summaries import NoSummaries

if TYPE_CHECKING:
    import httpx

    from core.summaries.client import LLMClient
    from core.summaries.service import Summarizer, Summary

log = logging.getLogger(__name__)

# How long a feed's last body (ETag, Last-Modified) is remembered: a feed polled at all changes
# daily and is written again; one unpolled for this long starts over from its data's time.
LAST_MODIFIED_TTL_S = 30 * 86400
MIN_WINDOW_BYTES = 16_000_000
SEED_FLOOR_S = 1.0  # see FeedService._within_budget


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


class FeedService:
    def __init__(
        self,
        settings: Settings,
        config: Config | None = None,
        kv: KV | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        llm_transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ):
        self.settings = settings
        self.config = config if config is not None else load_config(settings.config_path)
        self.kv = ResilientKV(kv if kv is not None else open_store(settings), clock=clock)
        self.client = ArxivClient(settings, transport=transport, clock=clock, kv=self.kv)
        self.listings = Listings(self.kv, self.client, settings, clock)
        self.seeds = SeedStore(self.kv, self.client)
        self.embedder = _embedder(settings, self.kv, llm_transport)
        self.summarizer = _summarizer(settings, self.kv, self.client, _llm_client(settings, self.config, llm_transport, clock), clock)
        results_bytes, _, analysis_bytes, _ = budgets(settings.cache_max_bytes, settings.warm_cache_s > 0)
        self.cache = ByteLRU(results_bytes)  # ranked results, bodies
        text.set_budget(analysis_bytes)  # analysed text (process-wide)
        self.seen_categories: set[str] = {c for p in self.config.profiles.values() for c in p.categories}
        self._background: set[asyncio.Future] = set()  # work no request waits for any more
        self._inflight: dict[tuple, asyncio.Future] = {}  # ranks and renders under way, by cache key

    def keep_running(self, task: asyncio.Future) -> None:
        """Hold `task` until it ends: a request stopped waiting, the work (a fetch that will be
        stored for the next visitor) goes on, and asyncio itself keeps only a weak reference."""
        self._background.add(task)
        task.add_done_callback(lambda t: (self._background.discard(t), t.cancelled() or t.exception()))

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
        return self.listings.clock

    @property
    def window_bytes(self) -> int:
        """What a request's own window may hold decoded (a profile's own feed: any): half of
        CACHE_MAX_BYTES, or 16 MB where that is smaller (~4,700 papers). Half, because analysing
        a window leaves the allocator's high-water mark behind: with the whole budget, the
        heaviest accepted request left RSS 1 MB over idle + CACHE_MAX_BYTES + 30 MB."""
        return max(self.settings.cache_max_bytes // 2, MIN_WINDOW_BYTES)

    @property
    def window_days(self) -> int:
        """The longest `days` of any profile: the window backfill and /health look at."""
        return max((p.days for p in self.config.profiles.values()), default=7)

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

    async def _seeds(self, refs: tuple[str, ...], deadline: float) -> list:
        """The `like=`/`unlike=` seeds, fetched within what is left of the request budget."""
        return await self._within_budget(self.seeds.papers(refs), deadline, ", ".join(refs)) if refs else []

    async def _within_budget(self, work: Awaitable, deadline: float, what: str) -> Any:
        """Seeds fetched within what is left of the request budget; a fetch still under way then
        goes on (and is stored for the next request). At least SEED_FLOOR_S even when a slow
        listing used the budget up: stored seeds come from the store in milliseconds, and a
        request serving stale days must not fail for want of them."""
        task = asyncio.ensure_future(work)
        remaining = deadline - asyncio.get_running_loop().time()
        try:
            return await asyncio.wait_for(asyncio.shield(task), max(remaining, SEED_FLOOR_S))
        except TimeoutError:
            self.keep_running(task)
            retry = max(5, int(self.settings.request_budget_s))
            raise SeedsUnavailable(f"like: arXiv is slow: no answer for {what} within "
                                   f"REQUEST_BUDGET_S ({self.settings.request_budget_s:g} s); the fetch goes on",
                                   retry_after=retry) from None

    async def _rank(self, spec: FeedSpec, metas: list[CategoryMeta], key: tuple, deadline: float) -> FeedResult:
        papers = await self.listings.papers(metas, spec.days, self.window_bytes if spec.requested else None)
        if spec.requested:  # before any seed is fetched or signal runs (a profile's own feed: never refused)
            spec.check_cost(await off_loop(spec.workload, papers))
        like = list(await self._seeds(spec.like, deadline))
        authored: dict[str, str] = {}
        if spec.like_author:  # the author's papers are seeds too, labelled as theirs
            given = {p.id for p in like}
            for paper in await self._within_budget(self.seeds.author_papers(spec.like_author), deadline, spec.like_author):
                if paper.id not in given:
                    like.append(paper)
                    authored[paper.id] = spec.like_author
        unlike = await self._seeds(spec.unlike, deadline)
        vectors = None
        if (like or unlike) and self.embedder is not None:
            vectors = await self.embedder.vectors([*like, *unlike, *candidates(papers, spec)])
        # On the ranking thread, off the event loop, with the collector off: ranking analyses the
        # papers not seen yet (not those it can skim), and a new pool's analysed text is kept for
        # good (frozen); a ranking over text already analysed freezes nothing.
        items, considered = await off_loop(_rank_keeping, functools.partial(rank, papers, spec, like, unlike, vectors, authored))
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

    # --- cron -------------------------------------------------------------------

    async def backfill(
        self, days: int | None = None, profiles: list[str] | None = None,
        progress: Callable[[int, int, str], None] | None = None, budget_s: float | None = None,
    ) -> dict:
        """Fill the weekdays missing in the last `days` days (default: the longest profile
        window) for the categories of `profiles` (default: all) from arXiv's query API,
        starting no request after `budget_s`."""
        chosen = [self.config.profiles[name] for name in (profiles or list(self.config.profiles))]
        categories = sorted({c for p in chosen for c in p.categories})
        report = await self.listings.backfill(categories, days or self.window_days, progress, budget_s)
        return dataclasses.asdict(report)

    async def refresh_all(self, budget_s: float, progress: Callable[[int, int, str], None] | None = None) -> dict:
        """Refresh every profile's listings (one combined request for all that are due), fill
        the weekdays missing in the window from the query API, fetch the comments, journal
        references and DOIs of stored papers that lack them, then make missing summaries
        for the top items of profiles that want them, within `budget_s` for the whole run.
        `progress(done, total, message)` follows the steps."""
        started = self.clock.monotonic()
        say = progress or (lambda done, total, message: None)
        categories = sorted({c for p in self.config.profiles.values() for c in p.categories})
        specs = [FeedSpec.from_profile(name, profile) for name, profile in self.config.profiles.items()]
        specs = [spec for spec in specs if spec.summary_top_n and self.summarizer.enabled]
        total = 2 + len(specs)
        say(0, total, f"listings: {len(categories)} categories")
        await self.listings.refresh(categories)
        say(1, total, "listings refreshed; backfilling missing weekdays")
        report: dict[str, Any] = {"categories": {}, "summaries": {}}
        report["backfill"] = await self.backfill(budget_s=budget_s - (self.clock.monotonic() - started))
        say(1, total, "backfilled; fetching comments, journal references and DOIs")
        enriched = await self.listings.enrich(categories, budget_s=budget_s - (self.clock.monotonic() - started))
        report["enrich"] = dataclasses.asdict(enriched)
        for category in categories:
            meta = await self.listings.meta(category)
            report["categories"][category] = {
                "latest_day": newest.isoformat() if (newest := newest_day(meta, self.clock.now())) else None,
                "last_error": meta.last_error,
                "missing_weekdays": [d.isoformat() for d in self.listings.missing(meta, self.window_days)],
            }
        say(2, total, "listings refreshed and backfilled")
        for done, spec in enumerate(specs, 3):
            remaining = budget_s - (self.clock.monotonic() - started)
            try:
                result = await self.result(spec)
            except UpstreamUnavailable as exc:  # one profile's trouble does not stop the others
                report["summaries"][spec.name] = {"error": str(exc)}
                say(done, total, f"summaries: {spec.name}: {exc}")
                continue
            if remaining > 0:
                say(done - 1, total, f"summaries: {spec.name} (top {spec.summary_top_n}, {remaining:.0f} s left)")
                await self.summaries_for(result, remaining, public=False)
            top = [item.paper for item in result.items[: spec.summary_top_n]]
            report["summaries"][spec.name] = dataclasses.asdict(await self.summarizer.counts(top, spec.summary_language))
            say(done, total, f"summaries: {spec.name}: {report['summaries'][spec.name]}")
        report["elapsed_s"] = round(self.clock.monotonic() - started, 2)
        return report

    # --- health -----------------------------------------------------------------

    async def health(self) -> dict:
        """What `/health` shows: the store, upstream, every known category, summaries.
        It reads what is stored and never fetches."""
        now = self.clock.now()
        store: dict = {"backend": self.kv.name, "ok": True}
        try:
            await self.kv.ping()
        except Exception as exc:  # the store failing is reported, never raised
            store = {"backend": self.kv.name, "ok": False, "error": f"{type(exc).__name__}: {exc}"}
        if self.kv.last_error_at is not None:
            store["last_error_at"] = dt.datetime.fromtimestamp(self.kv.last_error_at, dt.UTC).isoformat()
        categories = {}
        anomalous = False  # a shrunken listing in the last day: someone should look
        trouble = await self.client.api_backoff.current()
        backfill_on = self.settings.arxiv_backfill_max_requests > 0
        for category in sorted(self.seen_categories):
            meta = await self.listings.meta(category)
            anomalous |= any(now - e.at < dt.timedelta(days=1) for e in meta.anomalies)
            missing = self.listings.missing(meta, self.window_days)
            categories[category] = _category_health(meta, now, missing)
            categories[category]["history"] = _history_health(meta, missing, now, trouble, backfill_on)
        backing_off = trouble is not None and now < trouble.until  # the query API, for every instance
        degraded = not store["ok"] or anomalous or backing_off or any(
            c["last_error"] or c["history"]["state"] == "failing" for c in categories.values())
        return {
            "status": "degraded" if degraded else "ok",
            "time": now.isoformat(),
            "kv": store,
            "upstream": {
                "rss_url": split_userinfo(self.settings.arxiv_rss_url)[0],
                "api_url": split_userinfo(self.settings.arxiv_api_url)[0],
                "requests_made": self.client.requests_made,
                "query_api": None if trouble is None else {  # its back-off, shared by every instance
                    **trouble.model_dump(mode="json"), "backing_off": backing_off},
                "request_budget_s": self.settings.request_budget_s,
                "user_agent": self.client.user_agent,
            },
            "profiles": sorted(self.config.profiles),
            "categories": categories,
            "summaries": await self._summary_health(),
        }

    async def _summary_health(self) -> dict:
        report: dict[str, Any] = {"enabled": self.summarizer.enabled, "profiles": {}}
        if self.summarizer.enabled:
            report["model"] = self.summarizer.client.model  # type: ignore[union-attr]
            report["llm_calls"] = self.summarizer.client.calls  # type: ignore[union-attr]
            report["public_allowance"] = await self.summarizer.allowance()  # shared by every instance
        for name, profile in self.config.profiles.items():
            spec = FeedSpec.from_profile(name, profile)
            if not spec.summary_top_n or not self.summarizer.enabled:
                continue
            metas = [await self.listings.meta(c) for c in spec.categories]
            result = await self.result(spec, metas)
            top = [item.paper for item in result.items[: spec.summary_top_n]]
            report["profiles"][name] = dataclasses.asdict(await self.summarizer.counts(top, spec.summary_language))
        return report

    async def close(self) -> None:
        """Close the upstream clients and the store (on shutdown)."""
        await self.client.close()
        if self.summarizer.client is not None:
            await self.summarizer.client.close()
        await self.kv.close()


def _llm_client(
    settings: Settings, config: Config, transport: httpx.AsyncBaseTransport | None, clock: Clock
) -> LLMClient | None:
    """The LLM client when a key is configured: LLM_API_KEY, or the variable a profile names
    (`summaries.api_key_env`, as the old bot's `ai_summary.api_key_env`). Model and base URL
    may also come from the profile (`model`, `base_url`) when the environment does not set them."""
    extras: dict[str, Any] = {}
    for profile in config.profiles.values():
        extras.update({k: v for k, v in (profile.summaries.model_extra or {}).items() if isinstance(v, str)})
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    if not key and extras.get("api_key_env"):
        key = os.environ.get(extras["api_key_env"]) or None
    if not key:
        return None
    from core.summaries.client import LLMClient  # only where a key is configured

    explicit = settings.model_fields_set
    model = settings.llm_model if "llm_model" in explicit or "model" not in extras else extras["model"]
    base_url = settings.llm_base_url if "llm_base_url" in explicit or "base_url" not in extras else extras["base_url"]
    return LLMClient(
        base_url, model, key,
        timeout=settings.llm_timeout, max_concurrency=settings.llm_concurrency, transport=transport, clock=clock,
    )


def _rank_keeping(ranking: Callable[[], Any]) -> Any:
    before = text.analyses()
    result = longlived.built(ranking, keep=lambda: text.analyses() - before > text.THREAD_THRESHOLD)
    if text.analyses() - before > 10 * text.THREAD_THRESHOLD:
        release_memory()  # what thousands of analyses and vectors freed, given back
    return result


def _summarizer(
    settings: Settings, kv: KV, arxiv: ArxivClient, client: LLMClient | None, clock: Clock
) -> Summarizer | NoSummaries:
    """Summaries where an LLM is configured; without one, core.summaries.service is not imported."""
    if client is None:
        return NoSummaries(settings)
    from core.summaries.service import Summarizer

    return Summarizer(settings, kv, arxiv, client, clock)


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


def _embedder(settings: Settings, kv: KV, transport: httpx.AsyncBaseTransport | None) -> Embedder | None:
    """Embeddings for like= where EMBEDDINGS_MODEL is set (same endpoint and key as summaries)."""
    if not settings.embeddings_model:
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return Embedder(settings.embeddings_model, settings.llm_base_url, key, kv, settings.llm_timeout, transport)


def _data_version(metas: list[CategoryMeta]) -> tuple:
    return tuple((m.category, tuple(m.days), tuple(sorted(m.day_hashes.items())), m.fetched_at) for m in metas)


def _category_health(meta: CategoryMeta, now: dt.datetime, missing: list[dt.date]) -> dict:
    def iso(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "latest_day": newest.isoformat() if (newest := newest_day(meta, now)) else None,
        "days_held": [d.isoformat() for d in meta.days],
        "sources": dict(meta.sources),  # day -> listing | backfill | mixed
        "missing_weekdays": [d.isoformat() for d in missing],
        "empty_weekdays": [d.isoformat() for d in meta.empty_days],  # a backfill found none: holidays
        "last_backfill": iso(meta.backfilled_at),
        "backfill_error": meta.backfill_error,
        "anomalies": [e.model_dump(mode="json") for e in meta.anomalies],
        "rejections": [e.model_dump(mode="json") for e in meta.rejections],
        "last_fetched": iso(meta.fetched_at),
        "last_checked": iso(meta.checked_at),
        "age_hours": round((now - meta.fetched_at).total_seconds() / 3600, 2) if meta.fetched_at else None,
        "fresh_until": iso(meta.fresh_until),
        "last_error": meta.last_error,
        "last_error_at": iso(meta.last_error_at),
        "stale": bool(meta.last_error),
    }


HISTORY_OVERDUE = dt.timedelta(minutes=70)  # a backfill retries within an hour: past that, gaps are overdue


def _history_health(meta: CategoryMeta, missing: list[dt.date], now: dt.datetime, trouble: Trouble | None,
                    backfill_on: bool) -> dict:
    """The window's history for /health: complete, filling, failing (which degrades /health:
    the last backfill stopped, or gaps outlived the retry), or off; with what is missing,
    since when, and what happens next."""
    if not missing:
        return {"state": "complete"}
    what = {"missing_weekdays": [d.isoformat() for d in missing], "oldest_missing": min(missing).isoformat()}
    if not backfill_on:
        return {"state": "off", **what, "next": "backfill is off (ARXIV_BACKFILL_MAX_REQUESTS=0): these days stay missing"}
    blocked = trouble if trouble is not None and now < trouble.until else None
    error = meta.backfill_error or (blocked.reason if blocked else None)
    stopped = bool(error) and not error.startswith("out of time")
    overdue = meta.backfilled_at is not None and now - meta.backfilled_at > HISTORY_OVERDUE
    attempt = next_backfill(meta)
    if blocked is not None:
        attempt = max(attempt or now, blocked.until)
    if attempt is not None and attempt > now:
        following = f"the next feed request or cron run from {attempt.isoformat()} asks arXiv's query API again"
    else:
        following = "the next feed request or cron run asks arXiv's query API (or a backfill is under way)"
    failing = stopped or overdue
    since = None
    if failing:
        since = (trouble.since if trouble is not None else meta.backfilled_at or now).isoformat()
    return {"state": "failing" if failing else "filling", **what, "error": error, "failing_since": since,
            "next_attempt": attempt.isoformat() if attempt else None, "next": following}
