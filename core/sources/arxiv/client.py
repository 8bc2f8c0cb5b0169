"""The polite arXiv HTTP client.

arXiv's terms of use: at most one request every 3 seconds and one connection at
a time, a descriptive User-Agent, and patience with 429/503 and HTTP-200
bodies reading `Rate exceeded.`. One `ArxivClient` per process enforces that, per
upstream ("lane"): the listing (rss.arxiv.org), the query API (export.arxiv.org) and the
HTML pages are separate services, each with its own turn and spacing, so a slow query API
never holds up the day's listing. Coalescing of identical concurrent fetches lives in
`core.listings`.

Every answer has a deadline as a whole (ARXIV_TIMEOUT), not only each read: an upstream
trickling a byte every few seconds is cut. The listing retries what may pass in seconds
(429, 5xx, resets, a slow answer); an unreachable upstream (DNS, refused) is not retried. The
query API is asked once per call: its trouble puts it into a back-off shared by every
instance through the store (`core.sources.arxiv.trouble`), and every caller honours it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from core import __version__
from core.sources.arxiv.trouble import SharedBackoff, Trouble, message, network_trouble
from core.clock import SYSTEM_CLOCK, Clock
from core.errors import Retryable, UpstreamBackingOff, UpstreamBusy, UpstreamError
from core.perloop import PerLoop
from core.redact import split_userinfo
from core.retry import RetryPolicy, parse_retry_after, retrying
from core.runtime.shims import import_httpx
from core.settings import Settings
from core.sources.capped import read_capped

if TYPE_CHECKING:  # imported on first use: an instance with its data stored makes no request
    import httpx

    from core.kv import KV

log = logging.getLogger(__name__)

RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_COMBINED_ITEMS = 2000  # arXiv caps a combined `a+b+c` listing at this many items


@dataclass
class Fetched:
    body: bytes
    etag: str | None
    not_modified: bool = False


class _Lane:
    """One upstream service's turn: one connection at a time, spaced `min_interval` apart."""

    def __init__(self, name: str):
        self.name = name
        self.lock = asyncio.Lock()
        self.last_request = float("-inf")
        self.queued = 0  # requests waiting for their turn (or under way)


class ArxivClient:
    """Fetches from arXiv: per upstream (lane), one request at a time, spaced `min_interval` apart."""

    def __init__(
        self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None, clock: Clock = SYSTEM_CLOCK,
        kv: KV | None = None,
    ):
        self.settings = settings
        self.api_backoff = SharedBackoff(kv, clock)
        self.clock = clock
        # Spaced at least ARXIV_MIN_INTERVAL apart anyway; the backoff doubles from there, a
        # Retry-After (at most two minutes) may ask for longer, ARXIV_RETRY_BUDGET bounds it all.
        self.policy = RetryPolicy(
            retries=settings.arxiv_retries, first=max(settings.arxiv_min_interval, 0.05), cap=120.0,
            budget=settings.arxiv_retry_budget,
        )
        self.once = RetryPolicy(retries=0, first=0.0, cap=0.0)  # the query API: its back-off is shared
        self._transport = transport
        self._http: PerLoop[httpx.AsyncClient] = PerLoop(self._new_http, lambda http: http.aclose())
        self._lanes = {name: _Lane(name) for name in ("listing", "api", "html")}
        self.requests_made = 0  # for /health and the tests: every HTTP request sent upstream
        # A mirror or proxy URL may carry user:password; send it as auth, never in a logged URL.
        self._auth = split_userinfo(settings.arxiv_rss_url)[1]

    @property
    def clock(self) -> Clock:
        return self._clock

    @clock.setter
    def clock(self, clock: Clock) -> None:
        self._clock = self.api_backoff.clock = clock

    def _new_http(self) -> httpx.AsyncClient:
        httpx = import_httpx()  # the first upstream request: loaded now, not at start-up

        s = self.settings
        return httpx.AsyncClient(transport=self._transport, timeout=s.arxiv_timeout, follow_redirects=True, auth=self._auth)

    async def close(self) -> None:
        """Close the connection pool (on shutdown)."""
        await self._http.close()

    @property
    def user_agent(self) -> str:
        contact = self.settings.arxiv_contact
        return f"arxiv-feeds/{__version__} (+{self.settings.project_url}; mailto:{contact})"

    def listing_url(self, categories: Sequence[str]) -> str:
        return f"{split_userinfo(self.settings.arxiv_rss_url)[0].rstrip('/')}/{'+'.join(categories)}"

    async def fetch_listing(self, categories: Sequence[str], etag: str | None = None) -> Fetched:
        """GET the combined RSS listing for `categories` (conditional when `etag` is known)."""
        headers = {"If-None-Match": etag} if etag else {}
        return await self._get(self.listing_url(categories), headers)

    async def fetch_html(self, arxiv_id: str, version: int) -> str:
        """arXiv's HTML rendering of a paper (for summaries of the full text)."""
        url = f"{split_userinfo(self.settings.arxiv_html_url)[0].rstrip('/')}/{arxiv_id}v{version}"
        fetched = await self._get(url, {"Accept": "text/html"}, lane="html")
        return fetched.body.decode("utf-8", errors="replace")

    async def query_api(self, params: dict[str, str | int]) -> bytes:
        """GET export.arxiv.org/api/query with `params` (search_query, id_list, start, max_results)."""
        return (await self._get(split_userinfo(self.settings.arxiv_api_url)[0], {}, params, lane="api")).body

    async def fetch_ids(self, ids: Sequence[str]) -> bytes:
        """The query API's entries for these ids (`2401.12345` or `2401.12345v2`), in one request."""
        return await self.query_api({"id_list": ",".join(ids), "max_results": len(ids)})

    async def fetch_author(self, identifier: str) -> bytes:
        """arXiv's public Atom feed of the papers of an author identifier or ORCID iD
        (`{ARXIV_AUTHOR_URL}/{id}.atom`: one <author> per name, like the query API)."""
        url = f"{split_userinfo(self.settings.arxiv_author_url)[0].rstrip('/')}/{identifier}.atom"
        return (await self._get(url, {"Accept": "application/atom+xml"})).body

    async def _get(
        self, url: str, headers: dict[str, str], params: dict[str, str | int] | None = None, lane: str = "listing"
    ) -> Fetched:
        s = self.settings
        turn = self._lanes[lane]
        api = lane == "api"
        trouble = await self._api_trouble() if api else None
        headers = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip", **headers}
        started = self.clock.monotonic()  # the retry budget counts the wait for our turn too
        if turn.queued >= s.arxiv_max_queue:
            raise UpstreamBusy(f"{turn.queued} upstream requests are already waiting; try again shortly")
        turn.queued += 1
        try:
            async with turn.lock:  # one connection at a time to each upstream from this process
                if api:  # the request before ours may have put it into back-off meanwhile
                    trouble = await self._api_trouble()
                http = self._http.get()

                async def attempt() -> Fetched:
                    return await self._attempt(http, turn, url, headers, params)

                policy = self.once if api else self.policy
                fetched = await retrying(attempt, policy, what=f"arXiv fetch {url}", clock=self.clock, started=started)
        except Retryable as exc:
            error = UpstreamError(message(lane, exc.kind, str(exc), url), exc.status, exc.kind, exc.retry_after)
            if api:
                await self._api_failed(error)
            raise error from None
        except UpstreamBackingOff:
            raise
        except UpstreamError as exc:
            if api and exc.kind:  # unreachable or slow (a 4xx is our request's fault, not arXiv's state)
                await self._api_failed(exc)
            raise
        finally:
            turn.queued -= 1
        if trouble is not None:
            await self.api_backoff.recovered()
        return fetched

    async def _api_trouble(self) -> Trouble | None:
        """The query API's last trouble; raises while its back-off (every instance's) lasts."""
        trouble = await self.api_backoff.current()
        if trouble is not None and self.clock.now() < trouble.until:
            wait = (trouble.until - self.clock.now()).total_seconds()
            raise UpstreamBackingOff(trouble.public(), kind=trouble.kind, retry_after=wait)
        return trouble

    async def _api_failed(self, error: UpstreamError) -> None:
        """Back off the query API for every instance; the error then says for how long."""
        trouble = await self.api_backoff.failed(error.kind or "failing", str(error), error.retry_after)
        error.retry_after = (trouble.until - self.clock.now()).total_seconds()

    async def _attempt(
        self, http: httpx.AsyncClient, turn: _Lane, url: str, headers: dict[str, str],
        params: dict[str, str | int] | None,
    ) -> Fetched:
        """One request in our turn: the answer, `Retryable` for what may pass in seconds, or
        `UpstreamError` for what retrying now would not help (unreachable, a 4xx)."""
        import httpx  # loaded by _new_http already

        s = self.settings
        await self._wait_turn(turn)
        self.requests_made += 1
        host = urlsplit(url).netloc
        try:
            async with asyncio.timeout(s.arxiv_timeout):  # the whole answer, not each read
                async with http.stream("GET", url, headers=headers, params=params) as response:
                    body = b"" if response.status_code == 304 else await read_capped(response, s.arxiv_max_bytes, url, "arXiv")
        except TimeoutError:
            raise Retryable(f"{host} sent no whole answer within {s.arxiv_timeout:g} s (ARXIV_TIMEOUT)",
                            kind="slow") from None
        except httpx.HTTPError as exc:
            kind, detail = network_trouble(exc, host, s.arxiv_timeout)
            if kind == "unreachable":  # DNS, refused: nothing that passes in seconds
                raise UpstreamError(message(turn.name, kind, detail, url), kind=kind) from None
            raise Retryable(detail, kind=kind) from exc
        finally:  # the next request waits the interval after this one ended, however long it took
            turn.last_request = self.clock.monotonic()
        if response.status_code == 304:
            return Fetched(b"", response.headers.get("etag"), not_modified=True)
        rate_exceeded = body.strip() == b"Rate exceeded."
        if response.status_code == 200 and not rate_exceeded:
            return Fetched(body, response.headers.get("etag"))
        error = f"HTTP {response.status_code}" + (" 'Rate exceeded.'" if rate_exceeded else "")
        if response.status_code not in RETRY_STATUSES and response.status_code != 200:
            raise UpstreamError(f"arXiv answered {error} for {url}", response.status_code)
        retry_after = parse_retry_after(response.headers.get("retry-after"), self.clock.time())
        limited = rate_exceeded or response.status_code == 429 or retry_after is not None
        if retry_after is not None:
            error += f", Retry-After {retry_after:.0f} s"
        raise Retryable(error, response.status_code, retry_after, kind="rate-limited" if limited else "failing")

    async def _wait_turn(self, turn: _Lane) -> None:
        gap = self.settings.arxiv_min_interval - (self.clock.monotonic() - turn.last_request)
        if gap > 0:
            await self.clock.sleep(gap)
        turn.last_request = self.clock.monotonic()

