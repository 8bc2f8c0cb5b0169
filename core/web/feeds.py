"""Feed routes: profile feeds, ad-hoc query feeds, and the old bot's `/rss` URLs."""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response

from core.cache import ByteLRU
from core.errors import NotFound
from core.feeds import FeedSpec
from core.render.formats import DEFAULT_FORMAT, REGISTRY, by_extension
from core.pipeline import FeedPipeline, RenderedFeed
from core.sources import normalize_category
from core.sources.suggest import unknown_category
from core.web.deps import AppServices
from core.web.etags import weak_match
from core.web.params import FeedQueryParam, kept_query
from core.web.preview import VARY, feed_page
from core.web.site import absolute
from core.web.repeat_polls import mark_reusable

router = APIRouter(tags=["feeds"])


SPEC_BYTES = 10_000  # a FeedSpec with its terms, key and compiled matcher (tracemalloc: ~9.3 KB), erring high


def browser_navigation(request: Request) -> bool:
    """A person opening the URL in a browser: only a browser's top-level navigation sends
    both headers (feed readers send neither; fetch() and frames send other values)."""
    headers = request.headers
    return headers.get("sec-fetch-mode") == "navigate" and headers.get("sec-fetch-dest") == "document"


def _memo(request: Request, make: Callable[[], tuple[FeedSpec, str]]) -> tuple:
    """(spec, format, self link, base URL, alternates) of this request, built once per distinct
    URL: polls of a warm feed then skip building the spec (its hash, its matchers) and the
    URLs, which were much of our own time on the warm path. Bad requests raise, are not kept.
    Kept in `app.state.feed_specs`, a `ByteLRU` within its share of CACHE_MAX_BYTES."""
    scope = request.scope
    key = (scope["path"], kept_query(scope["query_string"].decode("latin-1")), request.headers.get("host"),
           scope.get("scheme"), scope.get("root_path"))
    memo: ByteLRU = request.app.state.feed_specs
    hit = memo.get(key)
    if hit is not None:
        return hit
    spec, fmt = make()
    urls, path, query = absolute(request), request.url.path, kept_query(request.url.query)
    hit = (spec, fmt, urls.served(path, query), urls.base, urls.served_in_every_format(path, query))
    memo.put(key, hit, SPEC_BYTES + 2 * (len(hit[2]) + sum(len(url) for url in hit[4].values())))
    return hit


async def _respond(request: Request, feeds: FeedPipeline, make: Callable[[], tuple[FeedSpec, str]]) -> Response:
    spec, fmt, self_url, base, alternates = _memo(request, make)
    if REGISTRY[fmt].browser_page and browser_navigation(request):
        return await feed_page(request, spec, fmt, {**alternates, fmt: self_url})
    feed = await feeds.rendered(spec, fmt, self_url, base, alternates)
    return feed_response(request, feed, feeds.clock.now())


def feed_response(request: Request, feed: RenderedFeed, now: dt.datetime) -> Response:
    headers = {
        "ETag": feed.etag,
        "Last-Modified": _http_date(feed.last_modified),
        "X-Items": str(feed.item_count),
    }
    if feed.stale:
        headers["Warning"] = '110 - "Response is Stale"'
    headers["Cache-Control"] = cache_control(feed, now)
    headers["Vary"] = VARY
    if not feed.stale:
        mark_reusable(request.scope, feed.fresh_until.timestamp())
    if _not_modified(request, feed):
        return Response(status_code=304, headers=headers)
    return Response(content=feed.body, media_type=feed.media_type, headers=headers)


@functools.lru_cache(maxsize=256)
def _http_date(when: dt.datetime) -> str:
    return email.utils.format_datetime(when, usegmt=True)


BROWSER_MAX_AGE = 600  # readers and browsers re-ask every 10 minutes at most; mostly 304s
STALE_S_MAXAGE = 300  # served from stored data after an upstream failure: let the CDN re-ask soon


def cache_control(feed: RenderedFeed, now: dt.datetime) -> str:
    """Let the CDN hold a feed until arXiv's next rebuild, then serve it stale while one
    request refreshes it; browsers and readers get a modest max-age."""
    if feed.stale:
        s_maxage = STALE_S_MAXAGE
    else:
        s_maxage = int((feed.fresh_until - now).total_seconds())
        s_maxage = max(60, min(s_maxage, 86400))
    max_age = min(BROWSER_MAX_AGE, s_maxage)
    return f"public, max-age={max_age}, s-maxage={s_maxage}, stale-while-revalidate=3600, stale-if-error=86400"


def _not_modified(request: Request, feed: RenderedFeed) -> bool:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        return weak_match(if_none_match, feed.etag)
    since = request.headers.get("if-modified-since")
    if since:
        try:
            parsed = email.utils.parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if parsed is not None and parsed.tzinfo is not None:
            return feed.last_modified.replace(microsecond=0) <= parsed
    return False


_SUFFIXES = [f".{f.extension}" for f in REGISTRY.values()]
_EXTENSIONS = ", ".join(_SUFFIXES[:-1]) + " or " + _SUFFIXES[-1]  # ".rss, .atom, ... or .csl.json"


@router.get("/feeds/{filename}", summary=f"A profile's feed: /feeds/NAME{'|'.join(_SUFFIXES)}")
async def profile_feed(request: Request, filename: str, query: FeedQueryParam, services: AppServices) -> Response:
    found = by_extension(filename)
    if found is None:
        raise NotFound(f"use /feeds/NAME{_EXTENSIONS} (got {filename!r})")
    name, output = found
    return await _respond(request, services.feeds, lambda: (FeedSpec.from_profile(name, services.config.profile(name), query), output.name))


@router.get("/feed", summary="An ad-hoc feed from the query string alone")
async def query_feed(request: Request, query: FeedQueryParam, services: AppServices) -> Response:
    return await _respond(request, services.feeds, lambda: (FeedSpec.from_query(query), query.format or DEFAULT_FORMAT))


@router.get("/rss", summary="The default profile as RSS (the old bot's URL)")
async def default_rss(request: Request, query: FeedQueryParam, services: AppServices) -> Response:
    config = services.config

    def make() -> tuple[FeedSpec, str]:
        spec = FeedSpec.from_profile(config.default_name, config.profiles[config.default_name], query)
        return spec, query.format or DEFAULT_FORMAT

    return await _respond(request, services.feeds, make)


@router.get("/rss/{category}", summary="The default profile's filters over one category (the old bot's URL)")
async def category_rss(request: Request, category: str, query: FeedQueryParam, services: AppServices) -> Response:
    canonical = normalize_category(category)
    if canonical is None:
        raise NotFound(unknown_category(category))

    config = services.config

    def make() -> tuple[FeedSpec, str]:
        profile = config.profiles[config.default_name]
        narrowed = profile.model_copy(update={"categories": [canonical], "title": f"{profile.title or config.default_name} — {canonical}"})
        return FeedSpec.from_profile(config.default_name, narrowed, query), query.format or DEFAULT_FORMAT

    return await _respond(request, services.feeds, make)
