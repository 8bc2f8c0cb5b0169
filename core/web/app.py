"""Build the ASGI app. Errors become 4xx/503 JSON with a message, never a traceback."""

from __future__ import annotations

import functools
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from core import __version__, longlived
from core.cache import budgets
from core.clock import SYSTEM_CLOCK, Clock
from core.errors import ArxivFeedsError
from core.kv import KV
from core.profiles import Config
from core.service import FeedService
from core.settings import Settings
from core.web import admin, api, docs, feeds, index, opml, preview
from core.web.compression import Compression
from core.web.head import HeadAsGet
from core.web.params import describe, unescaped_query
from core.web.security import SecurityHeaders
from core.web.templating import STATIC_DIR, Static
from core.web.warm import WarmResponses

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    config: Config | None = None,
    kv: KV | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    llm_transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> FastAPI:
    """The app with its service built now, so a bad config.json fails at start-up."""
    settings = settings or Settings.from_env()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per upstream request is noise
    service = FeedService(settings, config=config, kv=kv, transport=transport, llm_transport=llm_transport, clock=clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await service.close()  # the upstream clients' and the store's connections

    app = FeedsApp(
        lifespan=lifespan,
        title="arxiv-feeds",
        version=__version__,
        description="Personal, filtered, ranked RSS/Atom/JSON feeds of arXiv.",
        docs_url=None, redoc_url=None, swagger_ui_oauth2_redirect_url=None,  # /docs is core.web.docs: no CDN
    )
    app.state.service = service
    app.state.feed_specs = OrderedDict()  # see core.web.feeds._memo
    app.add_middleware(SecurityHeaders)
    app.add_middleware(Compression)
    app.add_middleware(HeadAsGet)  # outermost: a HEAD gets the headers a GET gets
    app.warm = WarmResponses(  # before all of it: warm polls answered before routing
        functools.partial(FastAPI.__call__, app), clock=lambda: service.clock, generation=lambda: service.kv.writes,
        seconds=settings.warm_cache_s, max_bytes=budgets(settings.cache_max_bytes, settings.warm_cache_s > 0)[1],
    )
    app.include_router(feeds.router)  # first: the feeds are what is polled (no path overlaps the pages)
    for pages in (index, preview, api, opml):  # the human side, in the order /docs lists it
        app.include_router(pages.router)
    app.include_router(admin.router)
    app.include_router(docs.router)
    if docs.ASSETS_DIR is not None:
        app.mount(docs.ASSETS_PATH, Static(directory=docs.ASSETS_DIR), name="docs-assets")
    app.mount("/static", Static(directory=STATIC_DIR), name="static")
    _install_error_handlers(app)
    longlived.settle()  # modules, models, routes: all kept for good
    return app


class FeedsApp(FastAPI):
    """FastAPI whose warm feed polls are answered before its own middleware stack (see
    core.web.warm): even Starlette's outer error layer costs a warm poll more than our code.
    Every route, and the warm layer's key, sees a query string with `&amp;` read as `&`."""

    warm: WarmResponses | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = scope.get("query_string", b"")
        if b"amp" in query:  # `&amp;` from a reader that keeps URLs HTML-escaped (core.web.params)
            meant = unescaped_query(query.decode("latin-1")).encode("latin-1")
            scope = scope if meant == query else {**scope, "query_string": meant}
        if self.warm is None:
            await super().__call__(scope, receive, send)
        else:
            await self.warm(scope, receive, send)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    headers = {"Cache-Control": "no-store", **(headers or {})}
    return JSONResponse({"error": message, "status": status}, status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ArxivFeedsError)
    async def ours(request: Request, exc: ArxivFeedsError) -> JSONResponse:
        if exc.http_status is None:
            return await unexpected(request, exc)
        return _error(exc.http_status, exc.public_message(), exc.headers())

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return preview.invalid_query(request, exc) or api.invalid_query(request, exc) or _error(400, describe(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404:
            message = f"no such page: {request.url.path} (see / for the feeds, /docs for the API)"
        return _error(exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error for %s", request.url.path)
        return _error(500, "internal error; it has been logged")
