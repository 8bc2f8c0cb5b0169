"""Retrying an upstream call: one loop, one backoff formula, one `Retry-After` parser.

The loop is tenacity's. It is well kept and, unlike stamina (built on it), lets us pass
our clock's `sleep` and a stop and a wait computed from each failure, so the retry budget
is measured on the same injectable clock and tests move time with `ManualClock`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import logging
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from core.clock import SYSTEM_CLOCK, Clock
from core.errors import Retryable

if TYPE_CHECKING:  # tenacity is imported by the first retrying call: many instances make none
    from tenacity import RetryCallState

log = logging.getLogger(__name__)

T = TypeVar("T")


def backoff(failures: int, first: float, cap: float, *, jitter: bool = False) -> float:
    """`first` after the first failure, doubling with each further one, at most `cap`;
    `jitter` spreads it up to twice that so clients that failed together retry apart."""
    wait = first * 2 ** max(failures - 1, 0)
    return min(wait * (1 + random.random()) if jitter else wait, cap)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds a `Retry-After` header asks for, as delta-seconds or an HTTP date (`now` is the
    wall clock, seconds since the epoch); None when absent or unreadable."""
    if not value or not value.strip():
        return None
    try:
        seconds = float(value)
        return max(seconds, 0.0) if math.isfinite(seconds) else None
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(when.timestamp() - now, 0.0)


@dataclass(frozen=True)
class RetryPolicy:
    retries: int  # tries after the first
    first: float  # the wait after the first failure; it doubles
    cap: float  # the longest single wait, a server's Retry-After included
    budget: float | None = None  # no wait may end later than this many seconds after the start
    jitter: bool = False

    def wait(self, failures: int, retry_after: float | None) -> float:
        """Our backoff, or longer if the server asked for longer: never sooner than either."""
        return min(max(backoff(failures, self.first, self.cap, jitter=self.jitter), retry_after or 0.0), self.cap)


async def retrying(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    what: str,
    clock: Clock = SYSTEM_CLOCK,
    started: float | None = None,
) -> T:
    """`await call()` until it returns. A `Retryable` it raises is tried again after
    `policy.wait`, at most `policy.retries` times and never past `policy.budget` seconds from
    `started` (a `clock.monotonic()` reading; default now). Other exceptions propagate at
    once; when retries run out, the last `Retryable` does."""
    from tenacity import AsyncRetrying, retry_if_exception_type

    deadline = None if policy.budget is None else (clock.monotonic() if started is None else started) + policy.budget

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        return policy.wait(state.attempt_number, getattr(error, "retry_after", None))

    def stop(state: RetryCallState) -> bool:
        if state.attempt_number > policy.retries:
            return True
        return deadline is not None and clock.monotonic() + (state.upcoming_sleep or 0.0) > deadline

    def after(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning("%s failed (%s), attempt %d", what, error, state.attempt_number)

    loop = AsyncRetrying(
        retry=retry_if_exception_type(Retryable), wait=wait, stop=stop, after=after, sleep=clock.sleep, reraise=True
    )
    return await loop(call)
