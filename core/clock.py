"""The one source of time. Everything that reads the time or sleeps takes a `Clock`, so tests
move time with `ManualClock.advance` instead of sleeping."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float:
        """Wall-clock seconds since the epoch (for stored timestamps and TTLs)."""

    def monotonic(self) -> float:
        """Seconds for measuring intervals (spacing, budgets, cool-downs)."""

    def now(self) -> dt.datetime:
        """The current time, timezone-aware UTC."""

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ManualClock:
    """A clock that only moves when told to; `sleep` advances it and yields once."""

    def __init__(self, start: dt.datetime | float | None = None):
        if start is None:
            start = dt.datetime.now(dt.timezone.utc)
        self._t = start.timestamp() if isinstance(start, dt.datetime) else float(start)

    def time(self) -> float:
        return self._t

    def monotonic(self) -> float:
        return self._t

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self._t, dt.timezone.utc)

    def advance(self, seconds: float) -> None:
        self._t += seconds

    def set(self, when: dt.datetime) -> None:
        self._t = when.timestamp()

    async def sleep(self, seconds: float) -> None:
        self._t += max(seconds, 0.0)
        await asyncio.sleep(0)


SYSTEM_CLOCK = SystemClock()
