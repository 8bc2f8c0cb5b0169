"""The output formats: one table that routes, query validation, the pages, the CLI, OPML and
the Content-Type all read (Datasette's output-renderer registry is the model).

Adding a format is one module in core/render with a `render(doc) -> bytes` function and one
`OutputFormat` entry below: `/feeds/NAME.<extension>`, `format=<name>`, the CLI's `--format`,
the pages' links and the media type follow.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from core.render.document import FeedDocument

Kind = Literal["feed", "digest", "citations"]


@dataclass(frozen=True)
class OutputFormat:
    name: str  # the `format=` value and the key everywhere
    extension: str  # /feeds/NAME.<extension> (may hold a dot: "csl.json")
    label: str  # what people read on the pages
    media_type: str  # the Content-Type it is served with (readers refuse `text/plain`)
    renderer: str  # "module:function", imported on first use (feedgen only when an XML feed is asked)
    kind: Kind = "feed"  # feed: readers subscribe (OPML); digest: to read; citations: reference managers
    browser_page: bool = False  # XML: a browser opening its URL gets the feed's HTML page instead

    def render(self, doc: FeedDocument) -> bytes:
        module, _, function = self.renderer.partition(":")
        renderer: Callable[[FeedDocument], bytes] = getattr(importlib.import_module(module), function)
        return renderer(doc)


_TABLE = (
    OutputFormat("rss", "rss", "RSS", "application/rss+xml; charset=utf-8", "core.render.rss:render_rss", browser_page=True),
    OutputFormat("atom", "atom", "Atom", "application/atom+xml; charset=utf-8", "core.render.atom:render_atom", browser_page=True),
    OutputFormat("json", "json", "JSON Feed", "application/feed+json; charset=utf-8", "core.render.jsonfeed:render_jsonfeed"),
    OutputFormat("md", "md", "Markdown", "text/markdown; charset=utf-8", "core.render.markdown:render_markdown", kind="digest"),
    OutputFormat("bib", "bib", "BibTeX", "application/x-bibtex; charset=utf-8", "core.render.bibtex:render_bibtex", kind="citations"),
    OutputFormat("csl", "csl.json", "CSL-JSON", "application/vnd.citationstyles.csl+json; charset=utf-8",
                 "core.render.csljson:render_csljson", kind="citations"),
)

REGISTRY: dict[str, OutputFormat] = {f.name: f for f in _TABLE}
FORMATS: tuple[str, ...] = tuple(REGISTRY)
DEFAULT_FORMAT = "rss"  # /feed and /rss without `format=`
MEDIA_TYPES: dict[str, str] = {f.name: f.media_type for f in _TABLE}
READER_FORMATS: tuple[str, ...] = tuple(f.name for f in _TABLE if f.kind == "feed")  # what OPML may list


def by_extension(filename: str) -> tuple[str, OutputFormat] | None:
    """`llm.csl.json` -> ("llm", csl); the longest registered extension wins."""
    for fmt in sorted(_TABLE, key=lambda f: -len(f.extension)):
        stem = filename.removesuffix("." + fmt.extension)
        if stem != filename and stem:
            return stem, fmt
    return None


def of_kind(*kinds: Kind) -> tuple[str, ...]:
    return tuple(f.name for f in _TABLE if f.kind in kinds)
