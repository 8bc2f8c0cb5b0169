"""The JSON and fragment API the builder page uses: `/api/preview` (items with highlighted
spans), `/api/preview.html` (the live preview: the preview page's paper partial, the canonical
feed URL and a status line) and `/api/categories` (every server's taxonomy)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response

from core.errors import BadRequest, SpecError
from core.extract import info
from core.feeds import FeedResult, FeedSpec
from core.render.formats import DEFAULT_FORMAT
from core.sources import all_sources, category_name, links
from core.sources.arxiv.taxonomy import ARCHIVES, CATEGORIES
from core.web.params import FeedQuery, FeedQueryParam, checked, describe
from core.web.site import absolute, highlight, local, newest
from core.web.templating import page
from core.web.deps import AppServices

router = APIRouter(tags=["pages"])

PREVIEW_API_MAX_ITEMS = 50  # items in one live-preview answer (its count is the whole feed's)
JSON_HEADERS = {"Cache-Control": "no-cache"}


def _item_json(item, spec: FeedSpec) -> dict:
    paper = item.paper
    marked = highlight(item, spec)
    extra = info(paper)
    return {
        "id": paper.id,
        "version": paper.version,
        "url": links(paper).abs,
        "pdf_url": links(paper).pdf,
        "title": [s.as_json() for s in marked.title],
        "abstract": [s.as_json() for s in marked.abstract],
        "authors": [s.as_json() for s in marked.authors],
        "categories": [{"code": c, "name": category_name(c)} for c in paper.categories],
        "announce_type": paper.announce_type,
        "announced": paper.announced.isoformat(),
        "score": item.score,
        "explanation": item.explanation,
        "hits": [h.model_dump() for h in item.hits],
        "venue": extra.venue.label if extra.venue else None,
        "code": extra.code,
        "doi": extra.doi,
        "comment": paper.comment,
    }


@router.get("/api/preview", summary="The builder's live preview: the /feed parameters, items with highlighted spans")
async def api_preview(request: Request, query: FeedQueryParam, service: AppServices) -> JSONResponse:
    spec = FeedSpec.from_query(query)
    service.feeds.seen_categories.update(spec.categories)
    result: FeedResult = await service.feeds.result(spec)  # no summaries: the preview runs as people type
    body = {
        "title": spec.title,
        "feed_url": absolute(request).adhoc_feed(query, query.format or DEFAULT_FORMAT),
        "preview_url": local(request).adhoc_page(query),
        "count": len(result.items),
        "considered": result.considered,
        "days": spec.days,
        "newest": newest(result.metas),
        "stale": result.stale,
        "items": [_item_json(item, spec) for item in result.items[:PREVIEW_API_MAX_ITEMS]],
    }
    return JSONResponse(body, headers=JSON_HEADERS)


@router.get("/api/preview.html", response_class=HTMLResponse, summary="The builder's live preview as an HTML fragment: canonical feed URL, status line, papers")
async def live_preview(request: Request, query: Annotated[FeedQuery, Query()], service: AppServices) -> HTMLResponse:
    """What app.js shows as people type: the papers through the preview page's partial, and the
    canonical URLs (so the page never builds a feed URL). Errors are the status line, with
    /feed's message and status."""
    try:
        spec = FeedSpec.from_query(checked(request, query))
    except (BadRequest, SpecError) as exc:
        return _live_error(request, str(exc))
    service.feeds.seen_categories.update(spec.categories)
    result = await service.feeds.result(spec)  # no summaries: the preview runs as people type
    items = [(item, highlight(item, spec), None) for item in result.items[:PREVIEW_API_MAX_ITEMS]]
    return page(request, "live.html", 200, JSON_HEADERS, error="", spec=spec, result=result, items=items,
                newest=newest(result.metas), feed_url=absolute(request).adhoc_feed(query, query.format or DEFAULT_FORMAT),
                preview_url=local(request).adhoc_page(query))


def _live_error(request: Request, message: str) -> HTMLResponse:
    return page(request, "live.html", 400, JSON_HEADERS, error=message)


def invalid_query(request: Request, exc: RequestValidationError) -> Response | None:
    """A query string the model rejects on the live preview: its status line. None for every
    other route."""
    if getattr(request.scope.get("route"), "endpoint", None) is not live_preview:
        return None
    return _live_error(request, describe(exc))


@router.get("/api/categories", summary="Every server's taxonomy: arXiv's archives and categories, bioRxiv's and medRxiv's collections, with names")
async def api_categories() -> JSONResponse:
    groups: dict[str, list[dict]] = {}
    for code, name in CATEGORIES.items():
        groups.setdefault(code.split(".", 1)[0], []).append({"code": code, "name": name})
    body = {
        "archives": [{"code": a, "name": n, "categories": groups.get(a, [])} for a, n in ARCHIVES.items()],
        # the other servers, each its own group (its name alone = every collection)
        "servers": [{"code": s.name, "name": s.label,
                     "categories": [{"code": c, "name": n} for c, n in s.taxonomy.categories().items()]}
                    for s in all_sources() if s.qualified],
    }
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=86400"})
