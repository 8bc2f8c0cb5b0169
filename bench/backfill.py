"""What a backfill costs arXiv: requests, bytes and time for a week of four busy categories.

Run from the repo root (about 30 s; nothing leaves 127.0.0.1):

    python -m bench.backfill                 # 1500 entries a listing day, like cs.AI+CL+LG+CV
    python -m bench.backfill --per-day 100

A `tests.fakearxiv.FakeArxiv` serves query-API entries rendered from the recorded answer, with
dates relative to a Saturday (two weeks of history, so the date range has to do the selecting);
the real `Services` (MemoryKV, `ARXIV_MIN_INTERVAL` 0.05 s instead of 3 s) backfills the
week, then a single missing Wednesday. Reported: requests, bytes, entries per request, seconds
(with the production 3 s spacing added back for the estimate).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import time

from core.clock import ManualClock
from core.kv.memory import MemoryKV
from core.profiles import parse_config
from core.services import Services
from tests.conftest import make_settings
from tests.fakearxiv import FakeArxiv, history

CATS = ["cs.AI", "cs.CL", "cs.LG", "cs.CV"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-day", type=int, default=1500, help="query-API entries per listing day, all four categories")
    args = parser.parse_args()
    per_category = max(1, args.per_day // len(CATS) - 2)  # + one cross-list and one replacement each
    fake = FakeArxiv().start()
    try:
        fake.serve_day()
        entries = history(dt.date(2026, 11, 27), CATS, per_day=per_category)
        fake.serve_api(entries)
        service = Services(make_settings(fake, arxiv_timeout=30.0), config=parse_config(
            {"profiles": {"week": {"categories": CATS}}}), kv=MemoryKV())
        service.listings.clock = ManualClock(dt.datetime(2026, 11, 28, 15, tzinfo=dt.timezone.utc))
        results = {"entries_served_by_the_fake": len(entries)}

        async def run() -> None:
            started = time.monotonic()
            week = await service.cron.backfill(days=7)
            results["week"] = _cost(fake, week, time.monotonic() - started)
            meta = await service.listings.meta("cs.AI")
            wednesday = dt.date(2026, 11, 25)
            for category in CATS:  # forget Wednesday everywhere: a missed day
                meta = await service.listings.meta(category)
                meta.days.remove(wednesday)
                await service.listings.store.save_meta(meta)
            before = len(fake.api_requests())
            started = time.monotonic()
            day = await service.cron.backfill(days=7)
            results["one_missed_day"] = _cost(fake, day, time.monotonic() - started, before)

        asyncio.run(run())
    finally:
        fake.stop()
    print(json.dumps(results, indent=1))
    return 0


def _cost(fake: FakeArxiv, report: dict, seconds: float, skip: int = 0) -> dict:
    requests = fake.api_requests()[skip:]
    return {
        "requests": report["requests"],
        "papers_stored": report["papers"],
        "complete": report["complete"] and not report["error"],
        "seconds_here": round(seconds, 2),
        "seconds_with_3s_spacing": round(seconds + 3 * max(len(requests) - 1, 0), 1),
        "bytes": sum(r.size for r in requests),
    }


if __name__ == "__main__":
    raise SystemExit(main())
