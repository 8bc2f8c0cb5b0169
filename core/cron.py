"""The cron jobs: refresh every profile's listings, backfill missing weekdays, enrich stored
papers and make missing summaries, within one budget (`/api/cron/refresh`, `python -m core run`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from core.clock import Clock
from core.feeds import FeedSpec
from core.errors import UpstreamUnavailable
from core.listings import Listings
from core.listings.freshness import newest_day
from core.pipeline import FeedPipeline
from core.profiles import Config


class Cron:
    def __init__(self, config: Config, listings: Listings, feeds: FeedPipeline):
        self.config = config
        self.listings = listings
        self.feeds = feeds

    @property
    def clock(self) -> Clock:
        return self.listings.clock

    async def backfill(
        self, days: int | None = None, profiles: list[str] | None = None,
        progress: Callable[[int, int, str], None] | None = None, budget_s: float | None = None,
    ) -> dict:
        """Fill the weekdays missing in the last `days` days (default: the longest profile
        window) for the categories of `profiles` (default: all) from arXiv's query API,
        starting no request after `budget_s`."""
        chosen = [self.config.profiles[name] for name in (profiles or list(self.config.profiles))]
        categories = sorted({c for p in chosen for c in p.categories})
        report = await self.listings.backfill(categories, days or self.config.window_days, progress, budget_s)
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
        specs = [spec for spec in specs if spec.summary_top_n and self.feeds.summarizer.enabled]
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
                "missing_weekdays": [d.isoformat() for d in self.listings.missing(meta, self.config.window_days)],
            }
        say(2, total, "listings refreshed and backfilled")
        for done, spec in enumerate(specs, 3):
            remaining = budget_s - (self.clock.monotonic() - started)
            try:
                result = await self.feeds.result(spec)
            except UpstreamUnavailable as exc:  # one profile's trouble does not stop the others
                report["summaries"][spec.name] = {"error": str(exc)}
                say(done, total, f"summaries: {spec.name}: {exc}")
                continue
            if remaining > 0:
                say(done - 1, total, f"summaries: {spec.name} (top {spec.summary_top_n}, {remaining:.0f} s left)")
                await self.feeds.summaries_for(result, remaining, public=False)
            top = [item.paper for item in result.items[: spec.summary_top_n]]
            report["summaries"][spec.name] = dataclasses.asdict(await self.feeds.summarizer.counts(top, spec.summary_language))
            say(done, total, f"summaries: {spec.name}: {report['summaries'][spec.name]}")
        report["elapsed_s"] = round(self.clock.monotonic() - started, 2)
        return report
