"""Repeated feed polls answered before routing, from the response this process last sent.

(Its setting keeps its first name, `WARM_CACHE_S`: a "warm" poll is one of a feed this process
answered a moment ago.) A repeated poll of an unchanged feed costs the framework far more than our code: FastAPI's routing,
its parameter model, three middlewares and a store read come to about 0.45 ms of a 2-core
machine's CPU, against 0.1 ms for a bare ASGI app sending the same bytes on the same uvicorn.
This outermost layer keeps each feed response that may be reused (a 200 the feed route marked
with its freshness; never a stale one, a browser's page or an error) and answers the same
request again, byte for byte, with a 304 when the reader's ETag still matches.

It behaves like the CDN in front of a deployment, only smaller and shorter:
- an entry is kept at most `WARM_CACHE_S` seconds (default 10), never past the feed's own
  `fresh_until` (arXiv's next rebuild), and carries an `Age` header so the `Cache-Control`
  it repeats stays true;
- any write this process makes to the store (a fetch, a backfill, a summary, a seed) drops
  every entry at once (the store's write counter), so this instance never serves older data
  than it holds; another instance's writes show here within `WARM_CACHE_S`, as through a CDN;
- the key is what the answer depends on, read as the layers behind it read it: the path, the
  query string without `utm_*` and `_` (they change nothing), the first Host header (as
  Starlette builds self links from it), scheme, root path, and whether gzip is accepted as the
  compressor decides it (`core.web.compression.accepts_gzip`: every Accept-Encoding header,
  `q=0` refusing). A navigation from a browser (which gets the HTML feed page) and
  `If-Modified-Since` without an ETag go the whole way;
- entries are bounded in bytes: an eighth of `CACHE_MAX_BYTES`, the rest is the render cache's.

All of that is one `RepeatPollPolicy`, given to `create_app(repeat_polls=...)` (by default:
`RepeatPollPolicy.of(services)`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.cache import ByteLRU
from core.clock import Clock
from core.web.compression import gzip_accepted
from core.web.etags import weak_match
from core.web.params import kept_query

if TYPE_CHECKING:
    from core.services import Services

SCOPE_KEY = "arxiv_feeds.reusable"  # the feed route writes {"until": epoch seconds} here
# Headers a 304 does not repeat (RFC 9110 15.4.5 lists what it must; these describe a body).
_BODY_HEADERS = frozenset({b"content-type", b"content-length", b"content-encoding"})


@dataclass(frozen=True)
class RepeatPollPolicy:
    """When an answer to a repeated poll may be given again: for at most `seconds` (WARM_CACHE_S; 0 turns the
    layer off), until `generation()` moves (the store's write counter: any write by this process
    drops every entry), within `max_bytes` (its share of CACHE_MAX_BYTES); ages by `clock()`."""

    seconds: float
    max_bytes: int
    generation: Callable[[], int]
    clock: Callable[[], Clock]  # asked each time (tests replace the service's clock)

    @classmethod
    def of(cls, services: Services) -> RepeatPollPolicy:
        """The deployment's policy: its settings, its store's writes, its clock."""
        return cls(seconds=services.settings.warm_cache_s, max_bytes=services.budgets.repeat_polls,
                   generation=lambda: services.kv.writes, clock=lambda: services.clock)


@dataclass(slots=True)
class _Entry:
    headers: list[tuple[bytes, bytes]] | None  # of the 200, Content-Length included (None: only a 304 was seen)
    not_modified: list[tuple[bytes, bytes]]  # of a 304 to the same request
    body: bytes | None
    etag: str  # without W/ (latin-1, as HTTP headers are)
    stored_at: float
    until: float  # epoch seconds
    generation: int


class RepeatPolls:
    """Plain ASGI middleware, the outermost one."""

    def __init__(self, app: ASGIApp, policy: RepeatPollPolicy):
        self.app = app
        self.policy = policy
        self.clock = policy.clock
        self.generation = policy.generation
        self.seconds = policy.seconds
        self.entries = ByteLRU(policy.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.seconds <= 0 or scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        request = _read(scope)
        if request is None:  # a browser's navigation or a date-only conditional request
            await self.app(scope, receive, send)
            return
        key, if_none_match = request
        entry = self.entries.get(key)
        if entry is not None:
            now = self.clock().time()
            if now < entry.until and entry.generation == self.generation():
                if await _answer(entry, now, scope["method"] == "HEAD", if_none_match, send):
                    return
        await self._through(key, scope, receive, send)

    async def _through(self, key: tuple, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve through the app; keep a response the feed route marked as reusable."""
        # Both taken before the app runs: the answer is as old as its request (a reader may have it,
        # and move on, before this layer keeps it), and a write meanwhile makes the entry old.
        generation, made_at = self.generation(), self.clock().time()
        marks: dict[str, Any] = {}
        scope[SCOPE_KEY] = marks
        started: Message | None = None

        async def keeping(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = message
            elif started is not None and message.get("more_body", False):
                started = None  # a body in parts: not kept (the feed route sends one)
            elif started is not None and "until" in marks:
                self._keep(key, started, message.get("body", b""), marks["until"], made_at, generation, scope["method"])
            await send(message)

        await self.app(scope, receive, keeping)

    def _keep(self, key: tuple, start: Message, body: bytes, until: float, now: float, generation: int,
              method: str) -> None:
        headers = list(start.get("headers", []))
        until = min(until, now + self.seconds)
        etag = next((v for n, v in headers if n == b"etag"), b"").removeprefix(b"W/").decode("latin-1")
        if not etag:
            return
        if start["status"] == 200 and method == "GET":
            not_modified = [(n, v) for n, v in headers if n not in _BODY_HEADERS]
            entry = _Entry(headers, not_modified, body, etag, now, until, generation)
        elif start["status"] == 304:  # enough to answer the next poll with the same ETag
            entry = _Entry(None, headers, None, etag, now, until, generation)
        else:
            return
        self.entries.put(key, entry, len(body) + sum(len(n) + len(v) for n, v in headers))


async def _answer(entry: _Entry, now: float, head: bool, if_none_match: bytes | None, send: Send) -> bool:
    """Send the kept answer to this request; False when it has none (a 304 kept, no ETag sent)."""
    age = (b"age", str(max(0, math.floor(now - entry.stored_at))).encode())
    if if_none_match is not None and weak_match(if_none_match.decode("latin-1"), entry.etag):
        await send({"type": "http.response.start", "status": 304, "headers": [*entry.not_modified, age]})
        await send({"type": "http.response.body", "body": b""})
        return True
    if entry.body is None or entry.headers is None:
        return False
    await send({"type": "http.response.start", "status": 200, "headers": [*entry.headers, age]})
    await send({"type": "http.response.body", "body": b"" if head else entry.body})
    return True


def _read(scope: Scope) -> tuple[tuple, bytes | None] | None:
    """(cache key, If-None-Match) of a request this layer may answer, else None. Of a header
    given twice, the first counts, as for the route (Starlette's `Headers.get`); every
    Accept-Encoding header counts (`gzip_accepted`). One pass of plain comparisons: a dict of
    the headers read plus `accepts_gzip`'s own pass made this 3.5-5 us a poll instead of ~1."""
    host = if_none_match = mode = dest = None
    since = False
    encodings: list[bytes] = []
    for name, value in scope["headers"]:
        if name == b"host":
            if host is None:
                host = value
        elif name == b"accept-encoding":
            encodings.append(value)
        elif name == b"if-none-match":
            if if_none_match is None:
                if_none_match = value
        elif name == b"if-modified-since":
            since = True
        elif name == b"sec-fetch-mode":
            if mode is None:
                mode = value
        elif name == b"sec-fetch-dest":
            if dest is None:
                dest = value
    if (mode == b"navigate" and dest == b"document") or (since and if_none_match is None):
        return None
    query = _kept(scope["query_string"]) if scope["query_string"] else b""
    key = (scope["path"], query, host, gzip_accepted(encodings), scope.get("scheme"), scope.get("root_path", ""))
    return key, if_none_match


@functools.lru_cache(maxsize=256)
def _kept(raw: bytes) -> bytes:
    """The query string without what never changes a feed (utm_*, `_`): no entries of their own."""
    return kept_query(raw.decode("latin-1")).encode("latin-1")


def mark_reusable(scope: Scope, until: float) -> None:
    """Called by the feed route: this response may be answered again until `until`."""
    marks = scope.get(SCOPE_KEY)
    if marks is not None:
        marks["until"] = until
