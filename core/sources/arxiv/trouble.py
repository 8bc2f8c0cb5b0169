"""Upstream trouble: which kind it is, what to check, and the query API's shared back-off.

A failed request is `unreachable` (DNS failure, connection refused or never made: nothing
will change in seconds, check the network and the URL setting), `slow` (no whole answer
within ARXIV_TIMEOUT, trickling included), `rate-limited` (429, `Rate exceeded.`, a 503 with
Retry-After) or `failing` (other 5xx, resets). Messages say which, so an operator looks at the
right thing.

The query API's back-off is kept in the KV store (`upstream:v1:api:trouble`), so every instance
honours it: no request before `until`, whoever asks (a backfill, a `like=` seed); a success
empties it. It doubles
with each failure in a row (`FIRST_S` up to `CAP_S`), longer when arXiv's Retry-After asks.
"""

from __future__ import annotations

import datetime as dt
import logging
import socket

from pydantic import BaseModel

from core.clock import Clock
from core.kv import KV
from core.retry import backoff

log = logging.getLogger(__name__)

FIRST_S = 60.0  # the back-off after one failure; it doubles
CAP_S = 1800.0
RETRY_AFTER_CAP_S = 3600.0  # the longest a Retry-After may keep us away
KEPT_S = 86400.0  # the record outlives its back-off: /health tells since when

# lane -> (what it is, the setting that points at it)
LANES = {
    "listing": ("arXiv's listing (RSS)", "ARXIV_RSS_URL"),
    "api": ("arXiv's query API", "ARXIV_API_URL"),
    "html": ("arXiv's HTML pages", "ARXIV_HTML_URL"),
}


def network_trouble(exc: BaseException, host: str, timeout: float) -> tuple[str, str]:
    """(kind, detail) of an httpx transport error."""
    import httpx

    if isinstance(exc, httpx.ConnectTimeout):
        return "unreachable", f"no connection to {host} within {timeout:g} s"
    if isinstance(exc, httpx.TimeoutException):
        return "slow", f"{host} sent no whole answer within {timeout:g} s (ARXIV_TIMEOUT)"
    if isinstance(exc, httpx.ConnectError):
        chain: list[BaseException] = []
        cause: BaseException | None = exc
        while cause is not None and len(chain) < 8:
            chain.append(cause)
            cause = cause.__cause__ or cause.__context__
        if any(isinstance(c, socket.gaierror) for c in chain):
            return "unreachable", f"the DNS lookup of {host} failed"
        if any(isinstance(c, ConnectionRefusedError) for c in chain):
            return "unreachable", f"{host} refused the connection"
        return "unreachable", f"no connection to {host} ({exc})"
    return "failing", f"{type(exc).__name__}: {exc}"


def message(lane: str, kind: str, detail: str, url: str) -> str:
    """What an operator reads: what failed, which kind, what to check."""
    what, setting = LANES.get(lane, ("arXiv", "ARXIV_RSS_URL"))
    if kind == "unreachable":
        return f"{what} is unreachable: {detail}; check the network (DNS, firewall, proxy) and {setting} ({url})"
    if kind == "slow":
        return f"{what} is slow: {detail}"
    if kind == "rate-limited":
        return f"{what} is rate-limiting us: {detail}"
    return f"{what} is failing: {detail} ({url})"


class Trouble(BaseModel):
    """The query API's trouble as every instance sees it."""

    kind: str
    reason: str
    since: dt.datetime  # the first failure in a row
    at: dt.datetime  # the last one
    until: dt.datetime  # no request before this
    failures: int = 1

    def public(self) -> str:
        return f"{self.reason}; not asked again before {self.until:%H:%M:%S} UTC"


class SharedBackoff:
    """One upstream's back-off, kept in the store for every instance."""

    def __init__(self, kv: KV | None, clock: Clock, name: str = "api"):
        self.kv = kv
        self.clock = clock
        self.key = f"upstream:v1:{name}:trouble"
        self._local: Trouble | None = None  # without a store (a bare client): this process only

    async def current(self) -> Trouble | None:
        """The last trouble recorded (even past its back-off), or None after a success."""
        if self.kv is None:
            return self._local
        raw = await self.kv.get(self.key)
        if not raw:
            return None
        try:
            return Trouble.model_validate_json(raw)
        except ValueError:
            return None

    async def blocking(self) -> Trouble | None:
        """The trouble whose back-off has not ended yet."""
        trouble = await self.current()
        return trouble if trouble is not None and self.clock.now() < trouble.until else None

    async def failed(self, kind: str, reason: str, retry_after: float | None) -> Trouble:
        now = self.clock.now()
        previous = await self.current()
        failures = previous.failures + 1 if previous else 1
        wait = max(backoff(failures, FIRST_S, CAP_S), min(retry_after or 0.0, RETRY_AFTER_CAP_S))
        trouble = Trouble(kind=kind, reason=reason, since=previous.since if previous else now, at=now,
                          until=now + dt.timedelta(seconds=wait), failures=failures)
        log.warning("%s; backing off for %.0f s (failure %d in a row)", reason, wait, failures)
        await self._save(trouble, wait + KEPT_S)
        return trouble

    async def recovered(self) -> None:
        if self.kv is None:
            self._local = None
        else:  # overwritten, not deleted: an instance's store mirror would still hold what it wrote
            await self.kv.set(self.key, b"", RETRY_AFTER_CAP_S + KEPT_S)  # outlives any mirrored record

    async def _save(self, trouble: Trouble, ttl: float) -> None:
        if self.kv is None:
            self._local = trouble
        else:
            await self.kv.set(self.key, trouble.model_dump_json().encode(), ttl)
