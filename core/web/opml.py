"""`/opml`: every profile feed in one OPML 2.0 file, for feed readers to import."""

from __future__ import annotations

import email.utils

from fastapi import APIRouter, Request
from fastapi.responses import Response

from core.errors import BadRequest
from core.render.document import xml_safe
from core.render.formats import READER_FORMATS
from core.sources import category_name, source_of_category
from core.web.site import absolute
from core.web.deps import AppServices

router = APIRouter(tags=["pages"])


@router.get("/opml", summary="Every profile feed in one OPML file for feed readers to import")
async def opml(request: Request, service: AppServices) -> Response:
    fmt = request.query_params.get("format", "atom")
    if fmt not in READER_FORMATS:
        raise BadRequest(f"format: use {', '.join(READER_FORMATS[:-1])} or {READER_FORMATS[-1]} (got {fmt!r})")
    unknown = set(request.query_params) - {"format"}
    if unknown:
        raise BadRequest(f"unknown parameter {min(unknown)!r}; known parameters: format")
    urls = absolute(request)
    outlines = []
    for name, profile in service.config.profiles.items():
        title = profile.title or name
        attributes = {"type": "rss", "text": title, "title": title, "xmlUrl": urls.profile_feed(name, fmt),
                      "htmlUrl": urls.profile_page(name), "category": _categories(profile.categories)}
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


def _categories(categories: list[str]) -> str:
    """OPML 2.0's `category`: slash-delimited paths, comma-separated, each the server then the
    category's name (`/arXiv/Machine Learning,/bioRxiv/Neuroscience`), so a reader can file a
    feed by server and subject. Commas and slashes inside a name would split it: they go."""
    paths = []
    for category in categories:
        source = source_of_category(category)
        label = source.label if source is not None else "arXiv"
        whole = source is not None and category == source.name  # `biorxiv`: every collection
        name = category_name(category).replace(",", "").replace("/", "-")
        paths.append(f"/{label}" if whole else f"/{label}/{name}")
    return ",".join(paths)


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
