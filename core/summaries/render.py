"""LLM Markdown -> HTML that is safe in any reader, whatever the model returned.

markdown-it with raw HTML off escapes every tag the model writes (no script,
no event handlers); links are kept only for http(s) and mailto; images are
dropped (no tracking pixels in readers).
"""

from __future__ import annotations

import functools
from typing import Any

_SAFE_SCHEMES = ("http://", "https://", "mailto:")


@functools.cache
def _markdown() -> Any:
    """Built on first use: a serverless instance that never renders a summary never imports it."""
    from markdown_it import MarkdownIt

    class SafeLinks(MarkdownIt):
        def validateLink(self, url: str) -> bool:  # noqa: N802 (markdown-it's name for the hook)
            return url.strip().lower().startswith(_SAFE_SCHEMES)

    return SafeLinks("commonmark", {"html": False, "linkify": False}).disable("image")


def summary_html(markdown: str) -> str:
    """Sanitised HTML for a summary written in Markdown."""
    return _markdown().render(markdown).strip()
