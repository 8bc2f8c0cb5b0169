"""The polite arXiv HTTP client.

arXiv's terms of use: at most one request every 3 seconds and one connection at
a time, a descriptive User-Agent, and patience with 429/503 and HTTP-200
bodies reading `Rate exceeded.`. One `ArxivClient` per process enforces that;
coalescing of identical concurrent fetches lives in `core.listings`.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from core.errors import UpstreamError, UpstreamBusy, TooLarge  # noqa: F401 (re-exported)
from core import __version__
from core.settings import Settings

log = logging.getLogger(__name__)

RETRY_STATUSES = {429, 500, 502, 503, 504}
MAX_COMBINED_ITEMS = 2000  # arXiv caps a combined `a+b+c` listing at this many items


async def _read_capped(response: httpx.Response, limit: int, url: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"arXiv's answer for {url} is larger than {limit} bytes; ignored", response.status_code)
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass
class Fetched:
    body: bytes
    etag: str | None
    not_modified: bool = False


class ArxivClient:
    """Fetches listing feeds, one request at a time, spaced `min_interval` apart."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None):
        self.settings = settings
        self._transport = transport
        self._lock = asyncio.Lock()
        self._last_request = 0.0
        self.requests_made = 0  # for /health and the tests: every HTTP request sent upstream
        self._queued = 0  # requests waiting for their turn (or under way)
        # A mirror or proxy URL may carry user:password; send it as auth, never in a logged URL.
        self._auth = strip_credentials(settings.arxiv_rss_url)[1]

    @property
    def user_agent(self) -> str:
        contact = self.settings.arxiv_contact
        return f"arxiv-feeds/{__version__} (+{self.settings.project_url}; mailto:{contact})"

    def listing_url(self, categories: Sequence[str]) -> str:
        return f"{strip_credentials(self.settings.arxiv_rss_url)[0].rstrip('/')}/{'+'.join(categories)}"

    async def fetch_listing(self, categories: Sequence[str], etag: str | None = None) -> Fetched:
        """GET the combined RSS listing for `categories` (conditional when `etag` is known)."""
        headers = {"If-None-Match": etag} if etag else {}
        return await self._get(self.listing_url(categories), headers)

    async def fetch_html(self, arxiv_id: str, version: int) -> str:
        """arXiv's HTML rendering of a paper (for summaries of the full text)."""
        url = f"{strip_credentials(self.settings.arxiv_html_url)[0].rstrip('/')}/{arxiv_id}v{version}"
        fetched = await self._get(url, {"Accept": "text/html"})
        return fetched.body.decode("utf-8", errors="replace")

    async def query_api(self, params: dict[str, str | int]) -> bytes:
        """GET export.arxiv.org/api/query with `params` (search_query, id_list, start, max_results)."""
        return (await self._get(strip_credentials(self.settings.arxiv_api_url)[0], {}, params)).body

    async def fetch_ids(self, ids: Sequence[str]) -> bytes:
        """The query API's entries for these ids (`2401.12345` or `2401.12345v2`), in one request."""
        return await self.query_api({"id_list": ",".join(ids), "max_results": len(ids)})

    async def _get(
        self, url: str, headers: dict[str, str], params: dict[str, str | int] | None = None
    ) -> Fetched:
        s = self.settings
        headers = {"User-Agent": self.user_agent, "Accept-Encoding": "gzip", **headers}
        deadline = time.monotonic() + s.arxiv_retry_budget
        delay = max(s.arxiv_min_interval, 0.05)
        if self._queued >= s.arxiv_max_queue:
            raise UpstreamBusy(f"{self._queued} upstream requests are already waiting; try again shortly")
        self._queued += 1
        try:
            return await self._get_in_turn(url, headers, params, deadline, delay)
        finally:
            self._queued -= 1

    async def _get_in_turn(
        self, url: str, headers: dict[str, str], params: dict[str, str | int] | None, deadline: float, delay: float
    ) -> Fetched:
        s = self.settings
        last_error = "no attempt made"
        last_status: int | None = None
        async with self._lock:  # one connection at a time from this process
            async with httpx.AsyncClient(
                transport=self._transport, timeout=s.arxiv_timeout, follow_redirects=True, auth=self._auth
            ) as http:
                for attempt in range(1, s.arxiv_retries + 2):
                    await self._wait_turn()
                    try:
                        self.requests_made += 1
                        async with http.stream("GET", url, headers=headers, params=params) as response:
                            body = b"" if response.status_code == 304 else await _read_capped(response, s.arxiv_max_bytes, url)
                    except httpx.HTTPError as exc:
                        last_error, last_status = f"{type(exc).__name__}: {exc}", None
                        wait = delay
                    else:
                        if response.status_code == 304:
                            return Fetched(b"", response.headers.get("etag"), not_modified=True)
                        if response.status_code == 200 and body.strip() != b"Rate exceeded.":
                            return Fetched(body, response.headers.get("etag"))
                        last_status = response.status_code
                        last_error = f"HTTP {response.status_code}" + (
                            " 'Rate exceeded.'" if body.strip() == b"Rate exceeded." else ""
                        )
                        if response.status_code not in RETRY_STATUSES and response.status_code != 200:
                            raise UpstreamError(f"arXiv answered {last_error} for {url}", last_status)
                        wait = max(delay, _retry_after(response) or 0.0)
                    log.warning("arXiv fetch %s failed (%s), attempt %d", url, last_error, attempt)
                    if attempt > s.arxiv_retries or time.monotonic() + wait > deadline:
                        break
                    await asyncio.sleep(wait)
                    delay *= 2
        raise UpstreamError(f"arXiv unavailable for {url}: {last_error}", last_status)

    async def _wait_turn(self) -> None:
        gap = self.settings.arxiv_min_interval - (time.monotonic() - self._last_request)
        if gap > 0:
            await asyncio.sleep(gap)
        self._last_request = time.monotonic()


def strip_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """`(url without user:password, (user, password) or None)`."""
    parts = urlsplit(url)
    if not (parts.username or parts.password):
        return url, None
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return bare, (unquote(parts.username or ""), unquote(parts.password or ""))


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return min(float(value), 120.0)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return None if parsed is None else min(max(parsed.timestamp() - time.time(), 0.0), 120.0)
