"""Build the ASGI app. Errors become 4xx/503 JSON with a message, never a traceback.

`create_app` builds the services (`core.services`), declares the routes (inside
`core.runtime.shims.declaring_routes`) and the layers around them, and changes nothing in the
process: what the runtime sets up (`core.runtime.serving.start`) waits for the app to serve."""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive, Scope, Send

from core import __version__
from core.cache import ByteLRU
from core.clock import SYSTEM_CLOCK, Clock
from core.errors import ArxivFeedsError
from core.kv import KV
from core.profiles import Config
from core.runtime import serving
from core.runtime.shims import declaring_routes
from core.services import Services
from core.settings import Settings
from core.web.compression import Compression
from core.web.head import HeadAsGet
from core.web.params import describe, unescaped_query
from core.web.security import SecurityHeaders
from core.web.templating import STATIC_DIR, Static
from core.web.repeat_polls import RepeatPollPolicy, RepeatPolls

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
    repeat_polls: RepeatPollPolicy | None = None,
) -> FastAPI:
    """The app with its services built now, so a bad config.json fails at start-up.
    `repeat_polls`: when a repeated feed poll is answered before routing (default:
    `RepeatPollPolicy.of(services)`)."""
    settings = settings or Settings.from_env()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per upstream request is noise
    services = Services(settings, config=config, kv=kv, transport=transport, llm_transport=llm_transport, clock=clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:  # (started by FeedsApp's first call)
        yield
        await services.close()  # the upstream clients' and the store's connections

    app = FeedsApp(
        lifespan=lifespan,
        title="arxiv-feeds",
        version=__version__,
        description="Personal, filtered, ranked RSS/Atom/JSON feeds of arXiv.",
        docs_url=None, redoc_url=None, swagger_ui_oauth2_redirect_url=None,  # /docs is core.web.docs: no CDN
    )
    app.state.services = services  # what core.web.deps hands the routes
    app.state.feed_specs = ByteLRU(services.budgets.urls)  # see core.web.feeds._memo
    app.add_middleware(SecurityHeaders)
    app.add_middleware(Compression)
    app.add_middleware(HeadAsGet)  # outermost: a HEAD gets the headers a GET gets
    # before all of it: repeated feed polls answered before routing
    app.repeat_polls = RepeatPolls(functools.partial(FastAPI.__call__, app), repeat_polls or RepeatPollPolicy.of(services))
    with declaring_routes():  # the routers declare their routes on import; include_router copies them
        from core.web import admin, api, docs, feeds, index, opml, preview

        app.include_router(feeds.router)  # first: the feeds are what is polled (no path overlaps the pages)
        for pages in (index, preview, api, opml):  # the human side, in the order /docs lists it
            app.include_router(pages.router)
        app.include_router(admin.router)
        app.include_router(docs.router)
    if docs.ASSETS_DIR is not None:
        app.mount(docs.ASSETS_PATH, Static(directory=docs.ASSETS_DIR), name="docs-assets")
    app.mount("/static", Static(directory=STATIC_DIR), name="static")
    _install_error_handlers(app)
    return app


class FeedsApp(FastAPI):
    """FastAPI whose repeated feed polls are answered before its own middleware stack (see
    core.web.repeat_polls): even Starlette's outer error layer costs such a poll more than our
    code. Every route, and that layer's key, sees a query string with `&amp;` read as `&`."""

    repeat_polls: RepeatPolls | None = None
    serving = False  # the runtime set up (core.runtime.serving.start) on the first call: a lifespan or a request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.serving:
            self.serving = True
            serving.start()
        query = scope.get("query_string", b"")
        if b"amp" in query:  # `&amp;` from a reader that keeps URLs HTML-escaped (core.web.params)
            meant = unescaped_query(query.decode("latin-1")).encode("latin-1")
            scope = scope if meant == query else {**scope, "query_string": meant}
        if self.repeat_polls is None:
            await super().__call__(scope, receive, send)
        else:
            await self.repeat_polls(scope, receive, send)


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
        from core.web import api, preview  # (imported by create_app by now)

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
