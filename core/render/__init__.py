"""Feed renderers, one module per format, all taking a `FeedDocument`.

`render(doc, fmt)` returns the body bytes; the formats, their extensions and media types
are the table in `core.render.formats`.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from core.render.document import FeedDocument
from core.render.formats import FORMATS, MEDIA_TYPES, REGISTRY, OutputFormat


def render(doc: FeedDocument, fmt: str) -> bytes:
    if fmt not in REGISTRY:
        raise ValueError(f"unknown format {fmt!r}")
    output = REGISTRY[fmt]
    body = output.render(doc)
    if output.stylesheet:
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



__all__ = ["FORMATS", "MEDIA_TYPES", "REGISTRY", "FeedDocument", "OutputFormat", "render"]
