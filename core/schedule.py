"""arXiv's clock: listings are rebuilt once a day at about midnight US Eastern.

A fetched listing stays fresh until the next rebuild; every cache lifetime in
the service (KV freshness, HTTP Cache-Control) derives from these functions.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
REBUILD_GRACE = dt.timedelta(minutes=10)  # arXiv's files appear a few minutes after midnight


def next_rebuild(after: dt.datetime) -> dt.datetime:
    """The first rebuild (midnight Eastern + grace) strictly after `after` (aware, any zone)."""
    local = after.astimezone(EASTERN)
    candidate = dt.datetime.combine(local.date(), dt.time(0), EASTERN) + REBUILD_GRACE
    while candidate <= local:
        day = candidate.date() + dt.timedelta(days=1)
        candidate = dt.datetime.combine(day, dt.time(0), EASTERN) + REBUILD_GRACE
    return candidate.astimezone(dt.UTC)


def last_rebuild(at: dt.datetime) -> dt.datetime:
    """The most recent rebuild at or before `at`."""
    local = at.astimezone(EASTERN)
    day = local.date()
    candidate = dt.datetime.combine(day, dt.time(0), EASTERN) + REBUILD_GRACE
    if candidate > local:
        candidate = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(0), EASTERN) + REBUILD_GRACE
    return candidate.astimezone(dt.UTC)


def listing_day(at: dt.datetime) -> dt.date:
    """The announcement day the current listing is for (the Eastern date of the last rebuild)."""
    return (last_rebuild(at) - REBUILD_GRACE).astimezone(EASTERN).date()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
