"""The pages' Jinja2 templates (core/web/templates) and static files (core/web/static).

Autoescaping is on for every template: text from arXiv, a config file, a query string or an
LLM is escaped unless a template says `|safe`, which only the sanitised AI summary does. The
pages carry no inline script or style, so the Content-Security-Policy forbids both.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

from core.profiles import DEFAULT_TYPES
from core.render.formats import DEFAULT_FORMAT, REGISTRY
from core.signals import describe
from core.sources import category_name
from core.sources import links

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
STATIC_CACHE = "public, max-age=3600"
PAGE_HEADERS = {"Cache-Control": "no-cache"}  # security headers come from core.web.security

TYPE_LABELS = {
    "new": "new: first announced, primary category among yours",
    "cross": "cross: cross-listed into your categories",
    "replace": "replace: a new version of a paper",
    "replace-cross": "replace-cross: a new version, cross-listed",
}


@functools.cache
def static_version(name: str) -> str:
    """A digest of a static file's content (computed once per process: files ship with the code)."""
    path = STATIC_DIR / name
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10] if path.is_file() else ""


def static_url(root: str, name: str) -> str:
    """Versioned URL of a static file, so a new deployment is never served old assets."""
    version = static_version(name)
    return f"{root}/static/{name}" + (f"?v={version}" if version else "")


class Static(StaticFiles):
    """Starlette's StaticFiles (ETag, Last-Modified, 304, HEAD, no path traversal) with our
    cache lifetime. Dot-files are never served."""

    def lookup_path(self, path: str):
        if any(part.startswith(".") for part in Path(path).parts):
            return "", None
        return super().lookup_path(path)

    def file_response(self, full_path, stat_result, scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["cache-control"] = STATIC_CACHE
        return response


def _g(value: float) -> str:
    return f"{value:g}"


def _digest(value: str) -> str:
    return hashlib.sha1(value.encode()).hexdigest()[:8]


def paper_info(paper):  # noqa: ANN001, ANN201
    from core.extract import info

    return info(paper)


def doi_url(doi: str) -> str:
    from core.render.document import doi_url as url

    return url(doi)


@functools.cache
def _templates():  # noqa: ANN202
    """Built on the first page: an instance that only serves feeds never imports Jinja2."""
    import jinja2
    from fastapi.templating import Jinja2Templates

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(g=_g, digest=_digest)
    env.globals.update(
        static_url=static_url,
        category_name=category_name,
        links=links,
        paper_info=paper_info,  # venue, code links, DOI (core/extract) for the paper badges
        doi_url=doi_url,
        formats=REGISTRY,
        default_format=DEFAULT_FORMAT,
        default_types=DEFAULT_TYPES,
        type_labels=TYPE_LABELS,
        signals=describe(),  # "How papers are scored": one line per ranking signal
    )
    return Jinja2Templates(env=env)


def page(request: Request, name: str, status: int = 200, headers: dict[str, str] | None = None, **context) -> HTMLResponse:
    """A rendered template as an HTML response (no-cache unless `headers` say otherwise)."""
    return _templates().TemplateResponse(request, name, context, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})
