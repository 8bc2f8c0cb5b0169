"""Feed renderers, one module per format, all taking a `FeedDocument`.

`render(doc, fmt)` returns the body bytes; `MEDIA_TYPES` the Content-Type each
format must be served with (readers refuse or mis-decode `text/plain`).
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from core.render.document import FeedDocument


def render(doc: FeedDocument, fmt: str) -> bytes:
    if fmt == "rss":
        from core.render.rss import render_rss as renderer
    elif fmt == "atom":
        from core.render.atom import render_atom as renderer
    elif fmt == "json":
        from core.render.jsonfeed import render_jsonfeed as renderer
    elif fmt == "md":
        from core.render.markdown import render_markdown as renderer
    else:
        raise ValueError(f"unknown format {fmt!r}")
    body = renderer(doc)
    if fmt in ("rss", "atom"):
        body = with_stylesheet(body, doc.home_url)
    return body


def with_stylesheet(body: bytes, home_url: str) -> bytes:
    """Put `<?xml-stylesheet?>` right after the XML declaration: a browser renders the feed
    through the app's /static/feed.xsl, readers ignore it. Root-relative (with any path prefix
    of the site), because browsers only apply a same-origin stylesheet."""
    path = urlsplit(home_url).path.rstrip("/")
    href = quote(f"{path}/static/feed.xsl", safe="/-._~!$'()*+,;=:@%")
    instruction = f'<?xml-stylesheet type="text/xsl" href="{href}"?>'.encode()
    if body.startswith(b"<?xml"):
        end = body.index(b"?>") + 2
        return body[:end] + b"\n" + instruction + body[end:]
    return instruction + b"\n" + body


MEDIA_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
}

__all__ = ["MEDIA_TYPES", "FeedDocument", "render"]
