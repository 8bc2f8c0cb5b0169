"""`/docs`: Swagger UI for the OpenAPI schema, served by this service (no CDN), under the pages'
own CSP. FastAPI's page loads Swagger UI from cdn.jsdelivr.net and starts it with an inline
script: blank offline or where that CDN is blocked, and a CSP exception. Here the assets come from
the `fastapi-offline` package (Swagger UI 5's swagger-ui-bundle.js and swagger-ui.css, the files
FastAPI's page names) and the start is a static file, `static/docs.js`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from core.web.site import site_root
from core.web.templating import page

# Found without importing the package: only its files are used.
_SPEC = importlib.util.find_spec("fastapi_offline")
ASSETS_DIR = Path(next(iter(_SPEC.submodule_search_locations))) / "static" if _SPEC and _SPEC.submodule_search_locations else None
ASSETS_PATH = "/docs/assets"

router = APIRouter()


@router.get("/docs", include_in_schema=False)
async def docs(request: Request) -> HTMLResponse:
    root = site_root(request)
    return page(request, "docs.html", root=root, assets=root + ASSETS_PATH, openapi_url=root + request.app.openapi_url)
