"""bioRxiv's and medRxiv's clock: they post every day, weekends included.

api.biorxiv.org dates each version by the day it was posted (US Eastern, the servers' home at
Cold Spring Harbor). A day's window (`details/{server}/{day}/{day}`) keeps filling while the day
lasts, so the listing served is the last whole day: it changes at midnight Eastern (plus a
grace for late postings to show up in the API), and every cache lifetime derives from that.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
GRACE = dt.timedelta(minutes=30)  # the API lists a day's last postings a little after midnight


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), EASTERN)


def today(at: dt.datetime) -> dt.date:
    return at.astimezone(EASTERN).date()


def listing_day(at: dt.datetime) -> dt.date:
    """The last whole posting day as of `at`: yesterday (Eastern) once the grace has passed."""
    return (at.astimezone(EASTERN) - GRACE).date() - dt.timedelta(days=1)


def next_update(after: dt.datetime) -> dt.datetime:
    """The first moment strictly after `after` when `listing_day` moves on."""
    day = listing_day(after) + dt.timedelta(days=2)
    return (_midnight(day) + GRACE).astimezone(dt.UTC)


def posting_days(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every day from `first` to `last` inclusive, newest first: both servers post daily."""
    return [last - dt.timedelta(days=n) for n in range((last - first).days + 1)]
