"""When to ask arXiv again, which days are plausible, and which days are missing.

Pure functions of stored metadata and the time, so every rule is testable without I/O.
"""

from __future__ import annotations

import datetime as dt

from core.listings.store import CategoryMeta
from core.sources.arxiv.schedule import eastern_today, listing_day, next_rebuild, weekdays_between

ERROR_BACKOFF = (dt.timedelta(minutes=2), dt.timedelta(hours=1))  # first, cap
STALE_BATCH_RECHECK = dt.timedelta(hours=1)  # arXiv served yesterday's list on a weekday
BACKFILL_RETRY = dt.timedelta(hours=1)  # a category's gaps are asked about at most this often
BACKFILL_RETRY_FAILED = dt.timedelta(minutes=2)  # after a run that stopped (the API's back-off paces it)
PAST_SLACK = 7  # days beyond the kept history that still count as plausible


def due(meta: CategoryMeta, now: dt.datetime) -> bool:
    return meta.fresh_until is None or now >= meta.fresh_until


def fresh_until_after_success(now: dt.datetime, build_date: dt.date | None, had_papers: bool) -> dt.datetime:
    """Until the next rebuild; an hour when a weekday answer still carries an older day."""
    expected = listing_day(now)
    stale_batch = build_date is not None and build_date < expected and expected.weekday() < 5
    return now + STALE_BATCH_RECHECK if stale_batch and had_papers else next_rebuild(now)


def fresh_until_after_failure(now: dt.datetime, failures: int) -> dt.datetime:
    return now + min(ERROR_BACKOFF[0] * 2 ** (failures - 1), ERROR_BACKOFF[1])


def latest_plausible(now: dt.datetime) -> dt.date:
    """No listing is dated after tomorrow (US Eastern)."""
    return eastern_today(now) + dt.timedelta(days=1)


def implausible(day: dt.date, now: dt.datetime, newest: dt.date | None, history_days: int) -> str | None:
    """Why `day` cannot be a listing day, or None: after tomorrow, or far before the newest day."""
    if day > latest_plausible(now):
        return f"dated {day}, after tomorrow"
    if newest is not None and day < newest - dt.timedelta(days=history_days + PAST_SLACK):
        return f"dated {day}, far before the newest day {newest}"
    return None


def newest_day(meta: CategoryMeta, now: dt.datetime) -> dt.date | None:
    return next((d for d in meta.days if d <= latest_plausible(now)), None)


def window_days(now: dt.datetime, days: int) -> list[dt.date]:
    """The weekdays arXiv should have listed in the last `days` days up to today's listing."""
    today = listing_day(now)
    return weekdays_between(today - dt.timedelta(days=days - 1), today)


def missing_days(meta: CategoryMeta, now: dt.datetime, days: int) -> list[dt.date]:
    """Weekdays inside the window with no stored day and no backfill that found them empty."""
    held = set(meta.days) | set(meta.empty_days)
    return [d for d in window_days(now, days) if d not in held]


def backfill_due(meta: CategoryMeta, now: dt.datetime, days: int) -> bool:
    if not missing_days(meta, now, days):
        return False
    return meta.backfilled_at is None or now >= next_backfill(meta)


def next_backfill(meta: CategoryMeta) -> dt.datetime | None:
    """When this category's gaps are asked about again: soon after a run that stopped (the
    query API's shared back-off decides how soon a request goes out), else in an hour."""
    if meta.backfilled_at is None:
        return None
    return meta.backfilled_at + (BACKFILL_RETRY_FAILED if meta.backfill_error else BACKFILL_RETRY)
