"""A feed as a readable page: `/preview/{profile}`, `/preview?...`, and what a browser gets when
it opens an RSS or Atom feed's own URL (`feed_page`, called by `core.web.feeds`). The previews
validate their query strings exactly as `/feed` does (`core.web.params.checked`) and show its
errors as HTML pages with the same messages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core.errors import BadRequest, NotFound, SpecError, UpstreamUnavailable
from core.feeds import FeedSpec
from core.render.formats import REGISTRY
from core.services import Services
from core.urls import with_query
from core.web.deps import AppServices, services_of
from core.web.params import FeedQuery, checked, describe
from core.web.site import absolute, highlight, newest, site_root
from core.web.templating import page


router = APIRouter(tags=["pages"])

# A feed's URL answers a browser (this page) and a reader differently: caches must keep both apart.
VARY = "Sec-Fetch-Mode, Sec-Fetch-Dest"


def _drop_empty(request: Request) -> RedirectResponse | None:
    """A form sends its empty fields (`min_score=`): redirect to the URL without them, which
    is then validated exactly as /feed validates it."""
    pairs = request.query_params.multi_items()
    kept = [(k, v) for k, v in pairs if v.strip()]
    if len(kept) == len(pairs):
        return None
    return RedirectResponse(with_query(request.url.path, kept), status_code=303)


async def _preview_page(
    request: Request, service: Services, spec: FeedSpec, kicker: str, urls: dict[str, str], *, preferred: str = "atom", feed: bool = False
) -> HTMLResponse:
    """The feed's items as a page; `feed`: the page a browser gets at the feed's own URL
    (`urls[preferred]` is that URL, to copy, with how to subscribe)."""
    service.feeds.seen_categories.update(spec.categories)
    result = await service.feeds.result(spec)
    summaries = await service.feeds.summaries_for(result, service.settings.summary_budget_s)
    items = [(item, highlight(item, spec), summaries.get(item.paper.id)) for item in result.items]
    title = f"{spec.title} — {'feed' if feed else 'preview'} — arxiv-feeds"
    return page(request, "preview.html", root=site_root(request), title=title,
                page="preview", alternates=alternates(urls), kicker=kicker, spec=spec, result=result, items=items,
                urls=urls, newest=newest(result.metas), preferred=preferred, feed=feed)


async def feed_page(request: Request, spec: FeedSpec, fmt: str, urls: dict[str, str]) -> Response:
    """An RSS or Atom feed opened in a browser (core.web.feeds): its HTML page instead of XML
    that browsers would show raw (they are removing XSLT)."""
    response = await _guarded(request, lambda: _preview_page(
        request, services_of(request), spec, f"{REGISTRY[fmt].label} feed", urls, preferred=fmt, feed=True))
    response.headers["Vary"] = VARY
    return response


def alternates(urls: dict[str, str]) -> list[dict[str, str]]:
    """`<link rel="alternate">` for each format of a feed, for browsers and extensions."""
    return [{"type": REGISTRY[fmt].media_type.split(";")[0], "title": REGISTRY[fmt].label, "href": url} for fmt, url in urls.items()]


def error_page(request: Request, status: int, heading: str, message: str, back: str | None = None) -> HTMLResponse:
    headers = {"Cache-Control": "no-store"}
    if status == 503:
        headers["Retry-After"] = "300"
    return page(request, "error.html", status, headers, root=site_root(request), title=f"{heading} — arxiv-feeds",
                heading=heading, message=message, back=back)


async def _guarded(request: Request, make) -> Response:
    """Errors of a preview page as HTML pages with the same messages /feed gives in JSON."""
    try:
        return await make()
    except (BadRequest, SpecError) as exc:
        return error_page(request, 400, "This feed cannot be built", str(exc))
    except NotFound as exc:
        return error_page(request, 404, "No such feed", str(exc), back=f"{site_root(request)}/#profiles")
    except UpstreamUnavailable as exc:
        return error_page(request, 503, "arXiv is not answering", f"{exc}; try again in a few minutes")


@router.get("/preview/{profile}", response_class=HTMLResponse, summary="A profile's feed as a readable page")
async def preview_profile(request: Request, profile: str, query: Annotated[FeedQuery, Query()], service: AppServices) -> Response:
    async def make() -> Response:
        redirect = _drop_empty(request)
        if redirect is not None:
            return redirect
        chosen = service.config.profile(profile)
        checked(request, query)
        spec = FeedSpec.from_profile(profile, chosen, query)
        return await _preview_page(request, service, spec, f"Profile “{profile}”", absolute(request).profile_feeds(profile, query))

    return await _guarded(request, make)


@router.get("/preview", response_class=HTMLResponse, summary="An ad-hoc feed (the /feed parameters) as a readable page")
async def preview_query(request: Request, query: Annotated[FeedQuery, Query()], service: AppServices) -> Response:
    async def make() -> Response:
        redirect = _drop_empty(request)
        if redirect is not None:
            return redirect
        checked(request, query)
        spec = FeedSpec.from_query(query)
        return await _preview_page(request, service, spec, "Ad-hoc feed", absolute(request).adhoc_feeds(query))

    return await _guarded(request, make)


def invalid_query(request: Request, exc: RequestValidationError) -> Response | None:
    """A query string the model rejects on a preview page: first drop the empty fields a form
    sends (303), then an error page. None for every other route."""
    if getattr(request.scope.get("route"), "endpoint", None) not in (preview_profile, preview_query):
        return None
    return _drop_empty(request) or error_page(request, 400, "This feed cannot be built", describe(exc))
