"""The service object shared by the web app and the CLI: profiles, store, upstream, renders.

Rendered bodies are cached in process, keyed by the feed spec, the format, the
served URL and the data version (what was fetched for the spec's categories),
so repeated polls neither re-score nor re-render.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
from collections import OrderedDict
from dataclasses import dataclass

import httpx

from core.arxiv.client import ArxivClient
from core.feeds import FeedResult, FeedSpec, rank
from core.kv import KV, open_store
from core.kv.resilient import ResilientKV
from core.listings import CategoryMeta, Listings
from core.profiles import Config, load_config
from core.render import MEDIA_TYPES, FeedDocument, render
from core.schedule import next_rebuild, utcnow
from core.settings import Settings

log = logging.getLogger(__name__)

RENDER_CACHE_SIZE = 128


@dataclass
class RenderedFeed:
    body: bytes
    media_type: str
    etag: str  # strong validator: a hash of the body
    last_modified: dt.datetime
    fresh_until: dt.datetime  # when the data may next change upstream
    stale: bool  # served from stored data because arXiv failed
    item_count: int


class FeedService:
    def __init__(
        self,
        settings: Settings,
        config: Config | None = None,
        kv: KV | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.settings = settings
        self.config = config if config is not None else load_config(settings.config_path)
        self.kv = ResilientKV(kv if kv is not None else open_store(settings))
        self.client = ArxivClient(settings, transport=transport)
        self.listings = Listings(self.kv, self.client, settings)
        self._rendered: OrderedDict[tuple, RenderedFeed] = OrderedDict()
        self.seen_categories: set[str] = {c for p in self.config.profiles.values() for c in p.categories}

    async def result(self, spec: FeedSpec, metas: list[CategoryMeta] | None = None) -> FeedResult:
        """Ranked items for `spec`, without rendering."""
        if metas is None:
            metas = await self.listings.ensure(spec.categories)
        items, considered = rank(await self.listings.papers(metas, spec.days), spec)
        return FeedResult(spec=spec, items=items, metas=metas, considered=considered)

    async def rendered(self, spec: FeedSpec, fmt: str, self_url: str, base_url: str) -> RenderedFeed:
        """The feed body for `spec` in `fmt`, from the render cache when the data is unchanged."""
        self.seen_categories.update(spec.categories)
        metas = await self.listings.ensure(spec.categories)
        key = (spec.key, fmt, self_url, _data_version(metas))
        stale = any(m.last_error for m in metas)
        fresh_until = min((m.fresh_until for m in metas if m.fresh_until), default=next_rebuild(utcnow()))
        cached = self._rendered.get(key)
        if cached is not None:
            self._rendered.move_to_end(key)
            return dataclasses.replace(cached, stale=stale, fresh_until=fresh_until)
        result = await self.result(spec, metas)
        doc = FeedDocument(
            title=spec.title,
            description=spec.description,
            self_url=self_url,
            home_url=base_url.rstrip("/") + "/",
            feed_id=_feed_id(spec, base_url),
            updated=result.updated,
            items=result.items,
            ttl_minutes=_ttl_minutes(fresh_until),
        )
        body = render(doc, fmt)
        feed = RenderedFeed(
            body=body,
            media_type=MEDIA_TYPES[fmt],
            etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
            last_modified=result.updated,
            fresh_until=fresh_until,
            stale=stale,
            item_count=len(result.items),
        )
        self._rendered[key] = feed
        while len(self._rendered) > RENDER_CACHE_SIZE:
            self._rendered.popitem(last=False)
        return feed

    async def health(self) -> dict:
        """What `/health` shows: the store, upstream, and every known category's data."""
        now = utcnow()
        store: dict = {"backend": self.kv.name, "ok": True}
        try:
            await self.kv.ping()
        except Exception as exc:  # the store failing is reported, never raised
            store = {"backend": self.kv.name, "ok": False, "error": f"{type(exc).__name__}: {exc}"}
        if self.kv.last_error_at is not None:
            store["last_error_at"] = dt.datetime.fromtimestamp(self.kv.last_error_at, dt.timezone.utc).isoformat()
        categories = {}
        for category in sorted(self.seen_categories):
            meta = await self.listings.meta(category)
            categories[category] = _category_health(meta, now)
        degraded = not store["ok"] or any(c["last_error"] for c in categories.values())
        return {
            "status": "degraded" if degraded else "ok",
            "time": now.isoformat(),
            "kv": store,
            "upstream": {
                "rss_url": self.settings.arxiv_rss_url,
                "requests_made": self.client.requests_made,
                "user_agent": self.client.user_agent,
            },
            "profiles": sorted(self.config.profiles),
            "categories": categories,
        }

    async def close(self) -> None:
        await self.kv.close()


def _data_version(metas: list[CategoryMeta]) -> tuple:
    return tuple((m.category, tuple(m.days), m.fetched_at) for m in metas)


def _feed_id(spec: FeedSpec, base_url: str) -> str:
    base = base_url.rstrip("/")
    if spec.name == "query":
        return f"{base}/feed#{spec.key}"
    return f"{base}/feeds/{spec.name}"


def _ttl_minutes(fresh_until: dt.datetime) -> int:
    minutes = int((fresh_until - utcnow()).total_seconds() // 60)
    return max(15, min(minutes, 24 * 60))


def _category_health(meta: CategoryMeta, now: dt.datetime) -> dict:
    def iso(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "latest_day": meta.days[0].isoformat() if meta.days else None,
        "days_held": [d.isoformat() for d in meta.days],
        "last_fetched": iso(meta.fetched_at),
        "last_checked": iso(meta.checked_at),
        "age_hours": round((now - meta.fetched_at).total_seconds() / 3600, 2) if meta.fetched_at else None,
        "fresh_until": iso(meta.fresh_until),
        "last_error": meta.last_error,
        "last_error_at": iso(meta.last_error_at),
        "stale": bool(meta.last_error),
    }
