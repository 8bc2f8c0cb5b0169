"""What the routes share about the site: where it is (the base URL of feeds and OPML, the root
path of links between pages, each as a `core.urls.Urls`), and the bits every page that shows
papers needs (the newest day held, highlighted items)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from fastapi import Request

from core.urls import Urls, configured_base_url

if TYPE_CHECKING:
    from core.feeds import FeedSpec
    from core.listings import CategoryMeta
    from core.matching import Scored
    from core.web.highlight import Highlighted


def base_url(request: Request) -> str:
    """PUBLIC_BASE_URL, else Vercel's production domain, else the request's own base."""
    return configured_base_url(request.app.state.service.settings) or str(request.base_url).rstrip("/")


def site_root(request: Request) -> str:
    """The path the app is served under ('' at the root), for links between pages and assets:
    same-origin even when PUBLIC_BASE_URL names another host."""
    return urlsplit(str(request.base_url)).path.rstrip("/")


def absolute(request: Request) -> Urls:
    """URLs that leave the site: feeds, OPML, what people copy."""
    return Urls(base_url(request))


def local(request: Request) -> Urls:
    """Links between the site's own pages."""
    return Urls(site_root(request))


def newest(metas: list[CategoryMeta]) -> str | None:
    """The newest announcement day held, as the pages show it."""
    days = [m.days[0] for m in metas if m.days]
    return max(days).isoformat() if days else None


def highlight(item: Scored, spec: FeedSpec) -> Highlighted:
    """`core.web.highlight.highlight`, imported by the first page that shows papers."""
    from core.web.highlight import highlight as spans

    return spans(item, spec)
