"""When to ask a source again, which days are plausible, and which days are missing.

Pure functions of stored metadata and the time, so every rule is testable without I/O. The
calendar is the category's source's (`Source.schedule`, found from the category's spelling).
"""

from __future__ import annotations

import datetime as dt

from core.listings.store import CategoryMeta
from core.sources import DEFAULT, source_named, source_of_category
from core.sources.base import Schedule

ERROR_BACKOFF = (dt.timedelta(minutes=2), dt.timedelta(hours=1))  # first, cap
STALE_BATCH_RECHECK = dt.timedelta(hours=1)  # arXiv served yesterday's list on a weekday
BACKFILL_RETRY = dt.timedelta(hours=1)  # a category's gaps are asked about at most this often
BACKFILL_RETRY_FAILED = dt.timedelta(minutes=2)  # after a run that stopped (the API's back-off paces it)
PAST_SLACK = 7  # days beyond the kept history that still count as plausible


def due(meta: CategoryMeta, now: dt.datetime) -> bool:
    return meta.fresh_until is None or now >= meta.fresh_until


def schedule_of(category: str) -> Schedule:
    """The calendar of `category`'s source (arXiv's for a category no source claims)."""
    source = source_of_category(category)
    return (source or source_named(DEFAULT)).schedule


def fresh_until_after_success(
    now: dt.datetime, build_date: dt.date | None, had_papers: bool, schedule: Schedule | None = None
) -> dt.datetime:
    """Until the next rebuild; an hour when a weekday answer still carries an older day."""
    schedule = schedule or source_named(DEFAULT).schedule
    expected = schedule.listing_day(now)
    stale_batch = build_date is not None and build_date < expected and expected.weekday() < 5
    return now + STALE_BATCH_RECHECK if stale_batch and had_papers else schedule.next_update(now)


def fresh_until_after_failure(now: dt.datetime, failures: int) -> dt.datetime:
    return now + min(ERROR_BACKOFF[0] * 2 ** (failures - 1), ERROR_BACKOFF[1])


def latest_plausible(now: dt.datetime, schedule: Schedule | None = None) -> dt.date:
    """No listing is dated after tomorrow (in the source's time zone: US Eastern for arXiv)."""
    return (schedule or source_named(DEFAULT).schedule).today(now) + dt.timedelta(days=1)


def implausible(
    day: dt.date, now: dt.datetime, newest: dt.date | None, history_days: int, schedule: Schedule | None = None
) -> str | None:
    """Why `day` cannot be a listing day, or None: after tomorrow, or far before the newest day."""
    if day > latest_plausible(now, schedule):
        return f"dated {day}, after tomorrow"
    if newest is not None and day < newest - dt.timedelta(days=history_days + PAST_SLACK):
        return f"dated {day}, far before the newest day {newest}"
    return None


def newest_day(meta: CategoryMeta, now: dt.datetime) -> dt.date | None:
    latest = latest_plausible(now, schedule_of(meta.category))
    return next((d for d in meta.days if d <= latest), None)


def window_days(now: dt.datetime, days: int, schedule: Schedule | None = None) -> list[dt.date]:
    """The days the source should have listed in the last `days` days up to today's listing
    (arXiv: the weekdays)."""
    schedule = schedule or source_named(DEFAULT).schedule
    today = schedule.listing_day(now)
    return schedule.posting_days(today - dt.timedelta(days=days - 1), today)


def missing_days(meta: CategoryMeta, now: dt.datetime, days: int) -> list[dt.date]:
    """Posting days inside the window with no stored day and no backfill that found them empty."""
    held = set(meta.days) | set(meta.empty_days)
    return [d for d in window_days(now, days, schedule_of(meta.category)) if d not in held]


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
