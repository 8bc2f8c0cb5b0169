"""The human side: `/` (profiles and the feed builder), `/preview/{profile}` and `/preview?...`
(a feed as a readable page, which is also what a browser gets when it opens an RSS or Atom
feed's own URL: `feed_page`), `/opml`, the builder's live preview (`/api/preview.html`, the
papers rendered with the preview page's partial; `/api/preview` as JSON) and `/api/categories`.

HTML comes from the Jinja2 templates in core/web/templates (`core.web.templating`); this
module gathers the data. The previews validate their query strings exactly as `/feed` does
(`core.web.params.feed_query`). Static files are mounted in `core.web.app`.
"""

from __future__ import annotations

import asyncio
import email.utils
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from core.extract import info
from core.feeds import FeedQuery, FeedResult, FeedSpec, SpecError
from core.listings import CategoryMeta, UpstreamUnavailable
from core.profiles import DEFAULT_TYPES, Profile
from core.render.document import xml_safe
from core.render.formats import DEFAULT_FORMAT, FORMATS, READER_FORMATS, REGISTRY
from core.services import Services
from core.taxonomy import ARCHIVES, CATEGORIES, category_name
from core.web.deps import AppServices, Feeds, Profiles, services_of
from core.web.feeds import VARY, NotFound, base_url
from core.web.params import BadRequest, FeedQueryParam, checked, describe
from core.web.templating import page

if TYPE_CHECKING:
    from core.matching import Scored
    from core.web.highlight import Highlighted

router = APIRouter(tags=["pages"])

INDEX_WAIT_S = 6.0  # the index shows stored counts rather than wait longer for arXiv
PREVIEW_API_MAX_ITEMS = 50  # items in one live-preview answer (its count is the whole feed's)


def highlight(item: Scored, spec: FeedSpec) -> Highlighted:
    """`core.web.highlight.highlight`, imported by the first page that shows papers."""
    from core.web.highlight import highlight as spans

    return spans(item, spec)


def site_root(request: Request) -> str:
    """The path the app is served under ('' at the root), for links between pages and assets:
    same-origin even when PUBLIC_BASE_URL names another host."""
    return urlsplit(str(request.base_url)).path.rstrip("/")


# --- query strings ------------------------------------------------------------------


def qs_value(value: str) -> str:
    """A query-string value, readable where safe (`,` `:` `/` `@`, `+` for spaces)."""
    return quote(value, safe=",:@/!*'()").replace("%20", "+")


def query_string(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{name}={qs_value(value)}" for name, value in pairs)


def canonical_pairs(query: FeedQuery, *, adhoc: bool) -> list[tuple[str, str]]:
    """The query's parameters in a fixed order, defaults left out: the one way feed URLs are
    written (pages, builder, API). On a profile every given value counts: it overrides it."""
    pairs: list[tuple[str, str]] = []
    if query.cat:
        pairs.append(("cat", ",".join(query.cat)))
    if query.q.strip():
        pairs.append(("q", query.q.strip()))
    if query.exclude:
        pairs.append(("exclude", ",".join(query.exclude)))
    if query.author:
        pairs.append(("author", ",".join(query.author)))
    if query.like:
        pairs.append(("like", ",".join(query.like)))
    if query.unlike:
        pairs.append(("unlike", ",".join(query.unlike)))
    if query.venue:
        pairs.append(("venue", ",".join(query.venue)))
    if query.has:
        pairs.append(("has", ",".join(query.has)))
    if query.like_author:
        pairs.append(("like_author", query.like_author))
    if query.type and not (adhoc and sorted(query.type) == sorted(DEFAULT_TYPES)):
        pairs.append(("type", ",".join(query.type)))
    if query.min_score is not None and not (adhoc and query.min_score == 0):
        pairs.append(("min_score", f"{query.min_score:g}"))
    if query.limit is not None:
        pairs.append(("limit", str(query.limit)))
    if query.days is not None:
        pairs.append(("days", str(query.days)))
    if query.sort != "score":
        pairs.append(("sort", query.sort))
    if query.summaries is not None:
        pairs.append(("summaries", "1" if query.summaries else "0"))
    return pairs


def _with_query(url: str, pairs: list[tuple[str, str]]) -> str:
    return url + ("?" + query_string(pairs) if pairs else "")


def adhoc_urls(base: str, query: FeedQuery) -> dict[str, str]:
    pairs = canonical_pairs(query, adhoc=True)
    return {fmt: _with_query(f"{base}/feed", pairs + ([("format", fmt)] if fmt != DEFAULT_FORMAT else [])) for fmt in FORMATS}


def profile_urls(base: str, name: str, query: FeedQuery | None = None) -> dict[str, str]:
    pairs = canonical_pairs(query, adhoc=False) if query else []
    return {fmt: _with_query(f"{base}/feeds/{name}.{REGISTRY[fmt].extension}", pairs) for fmt in FORMATS}


# --- the index ----------------------------------------------------------------------


async def _bounded(service: Services, awaitable, timeout: float):
    """Wait at most `timeout` seconds; the work goes on in the background after that
    (a fetch under way finishes and is stored for the next visitor)."""
    task = asyncio.ensure_future(awaitable)
    try:
        return await asyncio.wait_for(asyncio.shield(task), timeout)
    except TimeoutError:
        service.background.keep(task)
        raise


async def _profile_metas(service: Services, categories: list[str]) -> tuple[dict[str, CategoryMeta], str]:
    """Every profile's categories in one upstream request if any are due, or what is stored
    when arXiv is slow or down."""
    note = ""
    try:
        metas = await _bounded(service, service.listings.ensure(categories, service.config.window_days), INDEX_WAIT_S)
    except TimeoutError:
        metas, note = None, "arXiv is slow: showing what is stored; reload in a minute"
    except UpstreamUnavailable as exc:  # says which: unreachable (and what to check), slow, rate-limited
        metas, note = None, str(exc)
    if metas is None:
        metas = [await service.listings.meta(c) for c in categories]
    return {m.category: m for m in metas}, note


@dataclass
class ProfileCard:
    name: str
    title: str
    description: str
    categories: list[str]
    keywords: list[tuple[str, float, list[str]]]  # term, weight, aliases
    exclude: list[str]
    authors: list[str]
    settings: str  # "new, cross · min score 2 · up to 50 items · last 7 days"
    urls: dict[str, str]  # format -> feed URL
    preview_url: str
    count: int | None  # items in the feed now; None: nothing stored yet
    newest: str | None  # newest announcement day held
    note: str = ""  # "arXiv unreachable: stored data", "being fetched"...
    like: list[str] = field(default_factory=list)  # seed ids (`like`)
    unlike: list[str] = field(default_factory=list)


def _keywords(profile: Profile) -> list[tuple[str, float, list[str]]]:
    return [(k, 1.0, []) if isinstance(k, str) else (k.term, k.weight, k.aliases) for k in profile.keywords]


def _settings_line(profile: Profile, summaries_on: bool) -> str:
    """What the feed holds, as a reader will get it: a profile asking for AI summaries gets
    none where the server has no LLM key, and the card says so rather than promise them."""
    parts = [", ".join(profile.announce_types)]
    if profile.venue:
        parts.append(f"venues {', '.join(profile.venue)}")
    if profile.has:
        parts.append(f"with {', '.join(profile.has)}")
    if profile.min_score:
        parts.append(f"min score {profile.min_score:g}")
    parts.append(f"up to {profile.max_items} items")
    parts.append(f"last {profile.days} {'day' if profile.days == 1 else 'days'}")
    if profile.summaries.enabled and summaries_on:
        parts.append(f"AI summaries of the top {profile.summaries.top_n}")
    elif profile.summaries.enabled:
        parts.append("no AI summaries: this server has no LLM key")
    return " · ".join(parts)


def _newest(metas: list[CategoryMeta]) -> str | None:
    days = [m.days[0] for m in metas if m.days]
    return max(days).isoformat() if days else None


@router.get("/", response_class=HTMLResponse, summary="Profiles, their feeds, and the feed builder")
async def index(request: Request, service: AppServices) -> HTMLResponse:
    base, root = base_url(request), site_root(request)
    profiles = service.config.profiles
    specs = {name: FeedSpec.from_profile(name, profile) for name, profile in profiles.items()}
    union = sorted({c for spec in specs.values() for c in spec.categories})
    service.feeds.seen_categories.update(union)
    by_category, note = await _profile_metas(service, union)
    cards = []
    for name, profile in profiles.items():
        spec = specs[name]
        metas = [by_category[c] for c in spec.categories]
        count: int | None = None
        card_note = ""
        if any(m.days for m in metas):
            count = len((await service.feeds.result(spec, metas)).items)
            if any(m.last_error for m in metas):
                card_note = "arXiv could not be reached at the last attempt: counted from stored papers"
        elif all(m.checked_at for m in metas) and not any(m.last_error for m in metas):
            count, card_note = 0, "arXiv has listed nothing in these categories yet (a weekend or holiday)"
        else:
            card_note = note
        cards.append(
            ProfileCard(
                name=name,
                title=profile.title or name,
                description=profile.description,
                categories=profile.categories,
                keywords=_keywords(profile),
                exclude=profile.exclude,
                authors=profile.authors,
                settings=_settings_line(profile, service.summarizer.enabled),
                urls=profile_urls(base, name),
                preview_url=f"{root}/preview/{name}",
                count=count,
                newest=_newest(metas),
                note=card_note,
                like=profile.like,
                unlike=profile.unlike,
            )
        )
    alternates = [{"type": "application/atom+xml", "title": card.title, "href": card.urls["atom"]} for card in cards]
    return page(request, "index.html", root=root, title="arxiv-feeds: filtered, ranked arXiv feeds", page="index",
                alternates=alternates, cards=cards, picker=taxonomy_groups())


# --- previews ------------------------------------------------------------------------


def _drop_empty(request: Request) -> RedirectResponse | None:
    """A form sends its empty fields (`min_score=`): redirect to the URL without them, which
    is then validated exactly as /feed validates it."""
    pairs = request.query_params.multi_items()
    kept = [(k, v) for k, v in pairs if v.strip()]
    if len(kept) == len(pairs):
        return None
    return RedirectResponse(_with_query(str(request.url.path), kept), status_code=303)


async def _preview_page(
    request: Request, spec: FeedSpec, kicker: str, urls: dict[str, str], *, preferred: str = "atom", feed: bool = False
) -> HTMLResponse:
    """The feed's items as a page; `feed`: the page a browser gets at the feed's own URL
    (`urls[preferred]` is that URL, to copy, with how to subscribe)."""
    feeds = services_of(request).feeds
    feeds.seen_categories.update(spec.categories)
    result = await feeds.result(spec)
    summaries = await feeds.summaries_for(result, feeds.settings.summary_budget_s)
    items = [(item, highlight(item, spec), summaries.get(item.paper.id)) for item in result.items]
    title = f"{spec.title} — {'feed' if feed else 'preview'} — arxiv-feeds"
    return page(request, "preview.html", root=site_root(request), title=title,
                page="preview", alternates=alternates(urls), kicker=kicker, spec=spec, result=result, items=items,
                urls=urls, newest=_newest(result.metas), preferred=preferred, feed=feed)


async def feed_page(request: Request, spec: FeedSpec, fmt: str, urls: dict[str, str]) -> Response:
    """An RSS or Atom feed opened in a browser (core.web.feeds): its HTML page instead of XML
    that browsers would show raw (they are removing XSLT)."""
    response = await _guarded(request, lambda: _preview_page(
        request, spec, f"{REGISTRY[fmt].label} feed", urls, preferred=fmt, feed=True))
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
async def preview_profile(request: Request, profile: str, query: Annotated[FeedQuery, Query()], config: Profiles) -> Response:
    async def make() -> Response:
        redirect = _drop_empty(request)
        if redirect is not None:
            return redirect
        profiles = config.profiles
        if profile not in profiles:
            raise NotFound(f"no profile {profile!r}; profiles: {', '.join(sorted(profiles))}")
        checked(request, query)
        spec = FeedSpec.from_profile(profile, profiles[profile], query)
        return await _preview_page(request, spec, f"Profile “{profile}”", profile_urls(base_url(request), profile, query))

    return await _guarded(request, make)


@router.get("/preview", response_class=HTMLResponse, summary="An ad-hoc feed (the /feed parameters) as a readable page")
async def preview_query(request: Request, query: Annotated[FeedQuery, Query()]) -> Response:
    async def make() -> Response:
        redirect = _drop_empty(request)
        if redirect is not None:
            return redirect
        checked(request, query)
        spec = FeedSpec.from_query(query)
        return await _preview_page(request, spec, "Ad-hoc feed", adhoc_urls(base_url(request), query))

    return await _guarded(request, make)


JSON_HEADERS = {"Cache-Control": "no-cache"}


def _item_json(item, spec: FeedSpec) -> dict:
    paper = item.paper
    marked = highlight(item, spec)
    extra = info(paper)
    return {
        "id": paper.id,
        "version": paper.version,
        "url": paper.abs_url,
        "pdf_url": paper.pdf_url,
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
async def api_preview(request: Request, query: FeedQueryParam, feeds: Feeds) -> JSONResponse:
    spec = FeedSpec.from_query(query)
    feeds.seen_categories.update(spec.categories)
    result: FeedResult = await feeds.result(spec)  # no summaries: the preview runs as people type
    base, root = base_url(request), site_root(request)
    pairs = canonical_pairs(query, adhoc=True)
    fmt = query.format or DEFAULT_FORMAT
    body = {
        "title": spec.title,
        "feed_url": _with_query(f"{base}/feed", pairs + ([("format", fmt)] if fmt != DEFAULT_FORMAT else [])),
        "preview_url": _with_query(f"{root}/preview", pairs),
        "count": len(result.items),
        "considered": result.considered,
        "days": spec.days,
        "newest": _newest(result.metas),
        "stale": result.stale,
        "items": [_item_json(item, spec) for item in result.items[:PREVIEW_API_MAX_ITEMS]],
    }
    return JSONResponse(body, headers=JSON_HEADERS)


@router.get("/api/preview.html", response_class=HTMLResponse, summary="The builder's live preview as an HTML fragment: canonical feed URL, status line, papers")
async def live_preview(request: Request, query: Annotated[FeedQuery, Query()], feeds: Feeds) -> HTMLResponse:
    """What app.js shows as people type: the papers through the preview page's partial, and the
    canonical URLs (so the page never builds a feed URL). Errors are the status line, with
    /feed's message and status."""
    try:
        spec = FeedSpec.from_query(checked(request, query))
    except (BadRequest, SpecError) as exc:
        return _live_error(request, str(exc))
    feeds.seen_categories.update(spec.categories)
    result = await feeds.result(spec)  # no summaries: the preview runs as people type
    urls = adhoc_urls(base_url(request), query)
    items = [(item, highlight(item, spec), None) for item in result.items[:PREVIEW_API_MAX_ITEMS]]
    return page(request, "live.html", 200, JSON_HEADERS, error="", spec=spec, result=result, items=items,
                newest=_newest(result.metas), feed_url=urls[query.format or DEFAULT_FORMAT],
                preview_url=_with_query(f"{site_root(request)}/preview", canonical_pairs(query, adhoc=True)))


def _live_error(request: Request, message: str) -> HTMLResponse:
    return page(request, "live.html", 400, JSON_HEADERS, error=message)


def invalid_query(request: Request, exc: RequestValidationError) -> Response | None:
    """A query string the model rejects, on the HTML routes: the preview pages first drop the
    empty fields a form sends (303), then show an error page; the live preview its status
    line. None for every other route (JSON, from core.web.app)."""
    endpoint = getattr(request.scope.get("route"), "endpoint", None)
    if endpoint in (preview_profile, preview_query):
        return _drop_empty(request) or error_page(request, 400, "This feed cannot be built", describe(exc))
    if endpoint is live_preview:
        return _live_error(request, describe(exc))
    return None


def taxonomy_groups() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """arXiv's archives, each with its categories (an archive with classes first offers itself
    as "all of ...")."""
    groups: dict[str, list[str]] = {}
    for code in CATEGORIES:
        groups.setdefault(code.split(".", 1)[0], []).append(code)
    result = []
    for archive, name in ARCHIVES.items():
        codes = groups.get(archive, [])
        options = [(archive, f"all of {name}")] if codes != [archive] else []
        result.append((archive, name, options + [(c, CATEGORIES[c]) for c in codes]))
    return result


@router.get("/api/categories", summary="arXiv's taxonomy: archives and their categories, with names")
async def api_categories() -> JSONResponse:
    groups: dict[str, list[dict]] = {}
    for code, name in CATEGORIES.items():
        groups.setdefault(code.split(".", 1)[0], []).append({"code": code, "name": name})
    body = {"archives": [{"code": a, "name": n, "categories": groups.get(a, [])} for a, n in ARCHIVES.items()]}
    return JSONResponse(body, headers={"Cache-Control": "public, max-age=86400"})


# --- OPML ----------------------------------------------------------------------------


@router.get("/opml", summary="Every profile feed in one OPML file for feed readers to import")
async def opml(request: Request, service: AppServices) -> Response:
    fmt = request.query_params.get("format", "atom")
    if fmt not in READER_FORMATS:
        raise BadRequest(f"format: use {', '.join(READER_FORMATS[:-1])} or {READER_FORMATS[-1]} (got {fmt!r})")
    unknown = set(request.query_params) - {"format"}
    if unknown:
        raise BadRequest(f"unknown parameter {min(unknown)!r}; known parameters: format")
    base = base_url(request)
    outlines = []
    for name, profile in service.config.profiles.items():
        title = profile.title or name
        attributes = {"type": "rss", "text": title, "title": title, "xmlUrl": f"{base}/feeds/{name}.{REGISTRY[fmt].extension}",
                      "htmlUrl": f"{base}/preview/{name}"}
        if profile.description:
            attributes["description"] = profile.description
        outlines.append(attributes)
    body = _opml(title="arxiv-feeds", outlines=outlines, created=email.utils.format_datetime(service.clock.now(), usegmt=True))
    headers = {
        "Content-Disposition": 'attachment; filename="arxiv-feeds.opml"',
        "Cache-Control": "public, max-age=3600",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body, media_type="text/x-opml; charset=utf-8", headers=headers)


def _opml(*, title: str, outlines: list[dict[str, str]], created: str) -> bytes:
    """OPML 2.0 with one outline per feed (attributes escaped by ElementTree)."""
    import xml.etree.ElementTree as ET  # only /opml writes XML here: imported on its first request

    root = ET.Element("opml", {"version": "2.0"})
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = xml_safe(title)
    ET.SubElement(head, "dateCreated").text = created
    ET.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = ET.SubElement(root, "body")
    group = ET.SubElement(body, "outline", {"text": xml_safe(title), "title": xml_safe(title)})
    for attributes in outlines:
        ET.SubElement(group, "outline", {k: xml_safe(v) for k, v in attributes.items()})
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
