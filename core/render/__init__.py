"""Feed renderers, one module per format, all taking a `FeedDocument`.

`render(doc, fmt)` returns the body bytes; the formats, their extensions and media types
are the table in `core.render.formats`.
"""

from __future__ import annotations

from core.render.document import FeedDocument
from core.render.formats import FORMATS, MEDIA_TYPES, REGISTRY, OutputFormat


def render(doc: FeedDocument, fmt: str) -> bytes:
    if fmt not in REGISTRY:
        raise ValueError(f"unknown format {fmt!r}")
    return REGISTRY[fmt].render(doc)


__all__ = ["FORMATS", "MEDIA_TYPES", "REGISTRY", "FeedDocument", "OutputFormat", "render"]
