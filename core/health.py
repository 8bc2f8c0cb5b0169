"""What `/health` shows: the store, upstream (and the query API's shared back-off), every
category a feed asked for with its history, and summaries. It reads what is stored and never fetches."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from core.sources.arxiv.trouble import Trouble
from core.clock import Clock
from core.feeds import FeedSpec
from core.kv.resilient import ResilientKV
from core.listings import CategoryMeta, Listings
from core.listings.freshness import newest_day, next_backfill
from core.pipeline import FeedPipeline
from core.profiles import Config
from core.redact import split_userinfo
from core.settings import Settings
from core.sources import DEFAULT, source_named, source_of_category
from core.sources.base import Source


class HealthReport:
    def __init__(self, settings: Settings, config: Config, kv: ResilientKV, listings: Listings, feeds: FeedPipeline):
        self.settings = settings
        self.config = config
        self.kv = kv
        self.listings = listings
        self.feeds = feeds

    @property
    def clock(self) -> Clock:
        return self.listings.clock

    async def report(self) -> dict:
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
        upstreams = self.listings.upstreams
        arxiv = self.listings.arxiv  # arXiv's upstream: its requests and the query API's back-off
        trouble = await arxiv.api_backoff.current()
        for category in sorted(self.feeds.seen_categories):
            meta = await self.listings.meta(category)
            anomalous |= any(now - e.at < dt.timedelta(days=1) for e in meta.anomalies)
            missing = self.listings.missing(meta, self.config.window_days)
            source = source_of_category(category) or source_named(DEFAULT)
            categories[category] = {"server": source.name, **_category_health(meta, now, missing)}
            categories[category]["history"] = _history_health(
                meta, missing, now, trouble if source.name == DEFAULT else None,
                upstreams[source.name].history_max_requests > 0, source)
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
                "requests_made": arxiv.requests_made,
                "query_api": None if trouble is None else {  # its back-off, shared by every instance
                    **trouble.model_dump(mode="json"), "backing_off": backing_off},
                "request_budget_s": self.settings.request_budget_s,
                "user_agent": arxiv.user_agent,
                # every server's client: the requests it sent since start-up (arXiv's as above)
                "servers": {name: {"label": u.source.label, "requests_made": u.requests_made,
                                   "history_max_requests": u.history_max_requests}
                            for name, u in upstreams.items()},
            },
            "profiles": sorted(self.config.profiles),
            "categories": categories,
            "summaries": await self._summary_health(),
        }

    async def _summary_health(self) -> dict:
        report: dict[str, Any] = {"enabled": self.feeds.summarizer.enabled, "profiles": {}}
        if self.feeds.summarizer.enabled:
            report["model"] = self.feeds.summarizer.client.model  # type: ignore[union-attr]
            report["llm_calls"] = self.feeds.summarizer.client.calls  # type: ignore[union-attr]
            report["public_allowance"] = await self.feeds.summarizer.allowance()  # shared by every instance
        for name, profile in self.config.profiles.items():
            spec = FeedSpec.from_profile(name, profile)
            if not spec.summary_top_n or not self.feeds.summarizer.enabled:
                continue
            metas = [await self.listings.meta(c) for c in spec.categories]
            result = await self.feeds.result(spec, metas)
            top = [item.paper for item in result.items[: spec.summary_top_n]]
            report["profiles"][name] = dataclasses.asdict(await self.feeds.summarizer.counts(top, spec.summary_language))
        return report


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
                    backfill_on: bool, source: Source) -> dict:
    """The window's history for /health: complete, filling, failing (which degrades /health:
    the last backfill stopped, or gaps outlived the retry), or off; with what is missing,
    since when, and what happens next (from arXiv's query API, or the category's server)."""
    if not missing:
        return {"state": "complete"}
    what = {"missing_weekdays": [d.isoformat() for d in missing], "oldest_missing": min(missing).isoformat()}
    arxiv = source.name == DEFAULT
    if not backfill_on:
        setting = "ARXIV_BACKFILL_MAX_REQUESTS" if arxiv else "BIORXIV_HISTORY_MAX_REQUESTS"
        return {"state": "off", **what, "next": f"backfill is off ({setting}=0): these days stay missing"}
    api = "arXiv's query API" if arxiv else f"{source.label}'s API"
    blocked = trouble if trouble is not None and now < trouble.until else None
    error = meta.backfill_error or (blocked.reason if blocked else None)
    stopped = bool(error) and not error.startswith("out of time")
    overdue = meta.backfilled_at is not None and now - meta.backfilled_at > HISTORY_OVERDUE
    attempt = next_backfill(meta)
    if blocked is not None:
        attempt = max(attempt or now, blocked.until)
    if attempt is not None and attempt > now:
        following = f"the next feed request or cron run from {attempt.isoformat()} asks {api} again"
    else:
        following = f"the next feed request or cron run asks {api} (or a backfill is under way)"
    failing = stopped or overdue
    since = None
    if failing:
        since = (trouble.since if trouble is not None else meta.backfilled_at or now).isoformat()
    return {"state": "failing" if failing else "filling", **what, "error": error, "failing_since": since,
            "next_attempt": attempt.isoformat() if attempt else None, "next": following}
