"""The polite api.biorxiv.org client, one per process, for both servers.

As polite as the arXiv client: one connection at a time, `ARXIV_MIN_INTERVAL` between requests,
a User-Agent with the operator's contact, every answer cut at `ARXIV_TIMEOUT` as a whole (a
trickling upstream included) and at `ARXIV_MAX_BYTES`, the same retries and retry budget for
what may pass in seconds (429, 5xx, resets, a slow or empty answer), and at most
`BIORXIV_MAX_PAGES` requests for one date window.

A date window is paged with `cursor`: each page answers `count` records from `cursor` and says
the window's `total`. The page size is the server's (100 in its documentation, 30 since 2026):
the next cursor is this one plus the records received, never a constant. A window counts only
when whole (`Window.take`): every page up to `total` arrived, each as long as the first (but
the last), with the same total, none repeating an earlier page's version; else `ParseError`
says why and nothing of the window is used.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from core import __version__
from core.clock import SYSTEM_CLOCK, Clock
from core.errors import ParseError, Retryable, UpstreamBusy, UpstreamError
from core.perloop import PerLoop
from core.redact import split_userinfo
from core.retry import RetryPolicy, parse_retry_after, retrying
from core.sources.arxiv.trouble import network_trouble
from core.sources.capped import read_capped

if TYPE_CHECKING:
    import httpx

    from core.sources.biorxiv.records import Answer, Record

    from core.settings import Settings

RETRY_STATUSES = {429, 500, 502, 503, 504}
SETTING = "BIORXIV_API_URL"


@dataclass
class Window:
    """The pages of one date window received so far, and whether they make it whole."""

    server: str
    first: dt.date
    last: dt.date
    cursor: int = 0
    total: int | None = None
    page_size: int | None = None  # the first page's length: every later page but the last is as long
    records: list[Record] = field(default_factory=list)
    seen: set[tuple[str, int]] = field(default_factory=set)

    @property
    def done(self) -> bool:
        return self.total is not None and self.cursor >= self.total

    def take(self, answer: Answer) -> None:
        """Count the page asked for at `cursor`, or raise `ParseError` saying why it is not whole."""
        flaw = self.flaw(answer)
        if flaw:
            raise ParseError(f"{self.server} {self.first}..{self.last} page at cursor {self.cursor} not whole: {flaw}")
        if answer.no_posts:
            self.total = 0
            return
        got = len(answer.records)
        self.total = answer.message.total
        self.page_size = self.page_size or got
        self.records += answer.records
        self.seen.update((r.doi.lower(), r.version) for r in answer.records)
        self.cursor += got

    def flaw(self, answer: Answer) -> str | None:
        message, got = answer.message, len(answer.records)
        if answer.no_posts:
            return None if self.cursor == 0 and not got else "`no posts found` after records"
        if message.total is None:
            return "no `total`"
        if self.total is not None and message.total != self.total:
            return f"total {message.total}, {self.total} on the first page"
        if message.cursor is not None and message.cursor != self.cursor:
            return f"it says cursor {message.cursor}"
        if message.count is not None and message.count != got:
            return f"count {message.count} but {got} records"
        left = message.total - self.cursor
        if got > left:
            return f"{got} records where total {message.total} leaves {left}"
        if got == 0 and left > 0:
            return f"empty, {left} of {message.total} still due"
        due = min(self.page_size or got, left)
        if got < due:
            return f"{got} of {due} records due (total {message.total})"
        repeated = sum(1 for r in answer.records if (r.doi.lower(), r.version) in self.seen)
        if repeated:
            return f"{repeated} of its {got} records already on an earlier page"
        return None


class BiorxivClient:
    """GETs from api.biorxiv.org: one request at a time, spaced, retried within a budget."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None,
                 clock: Clock = SYSTEM_CLOCK):
        s = settings
        self.settings = settings
        self.clock = clock
        self.base, self._auth = split_userinfo(s.biorxiv_api_url)
        self.base = self.base.rstrip("/")
        self.policy = RetryPolicy(retries=s.arxiv_retries, first=max(s.arxiv_min_interval, 0.05), cap=120.0,
                                  budget=s.arxiv_retry_budget)
        self._transport = transport
        self._http: PerLoop[httpx.AsyncClient] = PerLoop(self._new_http, lambda http: http.aclose())
        self._lock = asyncio.Lock()
        self._last = float("-inf")
        self._queued = 0
        self.requests_made = 0  # every HTTP request sent (for /health and the tests)

    def _new_http(self) -> httpx.AsyncClient:
        import httpx

        return httpx.AsyncClient(transport=self._transport, timeout=self.settings.arxiv_timeout,
                                 follow_redirects=True, auth=self._auth)

    async def close(self) -> None:
        await self._http.close()

    @property
    def user_agent(self) -> str:
        s = self.settings
        return f"arxiv-feeds/{__version__} (+{s.project_url}; mailto:{s.arxiv_contact})"

    # --- the two calls ---------------------------------------------------------------------

    async def window(self, server: str, first: dt.date, last: dt.date, category: str | None = None,
                     max_pages: int | None = None) -> list[Record]:
        """Every record (version) posted on `server` from `first` to `last`, all pages, whole or
        `ParseError`; `UpstreamError` when it needs more than `max_pages` (BIORXIV_MAX_PAGES)
        requests. `category` (a collection's name) asks the server to filter."""
        from core.sources.biorxiv.records import parse_answer  # (pydantic models: not at start-up)

        limit = self.settings.biorxiv_max_pages if max_pages is None else max_pages
        window = Window(server, first, last)
        pages = 0
        while not window.done:
            if pages >= limit:
                raise UpstreamError(
                    f"{server} {first}..{last} holds {window.total} records: more than {limit} pages "
                    f"(BIORXIV_MAX_PAGES); {window.cursor} fetched, none used")
            path = f"/details/{server}/{first.isoformat()}/{last.isoformat()}/{window.cursor}/json"
            params = {"category": category} if category else None
            window.take(parse_answer(await self.get(path, params)))
            pages += 1
        return window.records

    async def versions(self, server: str, doi: str) -> list[Record]:
        """Every version of `doi` on `server` (oldest first); [] when the server does not know it."""
        from core.sources.biorxiv.records import parse_answer

        answer = parse_answer(await self.get(f"/details/{server}/{quote(doi, safe='/.')}/na/json"))
        return sorted(answer.records, key=lambda r: r.version)

    # --- one polite GET --------------------------------------------------------------------

    async def get(self, path: str, params: dict[str, str] | None = None) -> bytes:
        url = self.base + path
        started = self.clock.monotonic()  # the retry budget counts the wait for our turn too
        if self._queued >= self.settings.arxiv_max_queue:
            raise UpstreamBusy(f"{self._queued} api.biorxiv.org requests are already waiting; try again shortly")
        self._queued += 1
        try:
            async with self._lock:
                http = self._http.get()

                async def attempt() -> bytes:
                    return await self._attempt(http, url, params)

                return await retrying(attempt, self.policy,
                                      what=f"api.biorxiv.org fetch {url}", clock=self.clock, started=started)
        except Retryable as exc:
            raise UpstreamError(f"api.biorxiv.org is failing: {exc} ({url})", exc.status, exc.kind,
                                exc.retry_after) from None
        finally:
            self._queued -= 1

    async def _attempt(self, http: httpx.AsyncClient, url: str, params: dict[str, str] | None) -> bytes:
        import httpx

        s = self.settings
        gap = s.arxiv_min_interval - (self.clock.monotonic() - self._last)
        if gap > 0:
            await self.clock.sleep(gap)
        self.requests_made += 1
        host = urlsplit(url).netloc
        headers = {"User-Agent": self.user_agent, "Accept": "application/json", "Accept-Encoding": "gzip"}
        try:
            async with asyncio.timeout(s.arxiv_timeout):  # the whole answer, not each read
                async with http.stream("GET", url, headers=headers, params=params) as response:
                    body = await read_capped(response, s.arxiv_max_bytes, url, "api.biorxiv.org")
        except TimeoutError:
            raise Retryable(f"{host} sent no whole answer within {s.arxiv_timeout:g} s (ARXIV_TIMEOUT)",
                            kind="slow") from None
        except httpx.HTTPError as exc:
            kind, detail = network_trouble(exc, host, s.arxiv_timeout)
            if kind == "unreachable":
                raise UpstreamError(f"api.biorxiv.org is unreachable: {detail}; check the network and "
                                    f"{SETTING} ({url})", kind=kind) from None
            raise Retryable(detail, kind=kind) from exc
        finally:  # the next request waits the interval after this one ended
            self._last = self.clock.monotonic()
        status = response.status_code
        if status == 200 and body.strip():
            return body
        if status == 200:  # seen in 2026: an empty 200 for a while, then whole answers again
            raise Retryable("an empty answer (HTTP 200)", 200, kind="failing")
        if status not in RETRY_STATUSES:
            raise UpstreamError(f"api.biorxiv.org answered HTTP {status} for {url}", status)
        retry_after = parse_retry_after(response.headers.get("retry-after"), self.clock.time())
        limited = status == 429 or retry_after is not None
        raise Retryable(f"HTTP {status}", status, retry_after, kind="rate-limited" if limited else "failing")


def newest(records: Sequence[Record], version: int | None = None) -> Record | None:
    """The asked version, or the newest; None when there is none."""
    if version is not None:
        return next((r for r in records if r.version == version), None)
    return max(records, key=lambda r: r.version, default=None)
