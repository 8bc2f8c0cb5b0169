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


# --- the announcement schedule (for papers known only from the query API) -----------------

SUBMISSION_CUTOFF = dt.time(14, 0)  # received by 14:00 Eastern: announced that weekday at 20:00


def next_weekday(day: dt.date) -> dt.date:
    """The first Monday-to-Friday date after `day`."""
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def listing_day_of_submission(submitted: dt.datetime) -> dt.date:
    """The day rss.arxiv.org dates the listing that announces a submission (or replacement)
    made at `submitted`, by arXiv's regular schedule.

    Submissions received by 14:00 Eastern on a weekday are announced at 20:00 that evening,
    except Friday's (Thursday 14:00 to Friday 14:00), which go out on Sunday evening; the
    feed built at the next midnight Eastern, and dated that day, lists the announcement.
    So the listing day is the weekday after the submission's cutoff: Monday's cutoff gives
    Tuesday's listing, ..., Thursday's gives Friday's, Friday's gives Monday's. Holidays and
    moderation holds are not modelled: the listing, once seen, corrects such papers.
    """
    local = submitted.astimezone(EASTERN)
    cutoff_day = local.date()
    if cutoff_day.weekday() >= 5 or local.time() > SUBMISSION_CUTOFF:
        cutoff_day = next_weekday(cutoff_day)
    return next_weekday(cutoff_day)


def eastern_today(at: dt.datetime) -> dt.date:
    return at.astimezone(EASTERN).date()


def weekdays_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Monday-to-Friday dates from `first` to `last` inclusive, newest first."""
    days = []
    day = last
    while day >= first:
        if day.weekday() < 5:
            days.append(day)
        day -= dt.timedelta(days=1)
    return days


def previous_weekday(day: dt.date) -> dt.date:
    day -= dt.timedelta(days=1)
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


def submission_window(listing: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The submission times (after start, up to end; UTC) that `listing_day_of_submission`
    puts on the listing of `listing`: from one weekday cutoff to the next."""
    cutoff = previous_weekday(listing)
    end = dt.datetime.combine(cutoff, SUBMISSION_CUTOFF, EASTERN)
    start = dt.datetime.combine(previous_weekday(cutoff), SUBMISSION_CUTOFF, EASTERN)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)
