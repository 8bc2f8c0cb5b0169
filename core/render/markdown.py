"""The Markdown digest: what the old bot committed to its README every day."""

from __future__ import annotations

import re

from core.render.document import FeedDocument

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")
_UNSAFE_LINK = re.compile(r"\]\(\s*(?!https?://|mailto:)[^)]*\)", re.IGNORECASE)


def _md(text: str) -> str:
    """Escape Markdown (and raw-HTML) syntax so arXiv text stays text."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def render_markdown(doc: FeedDocument) -> bytes:
    lines = [
        f"# {_md(doc.title)}",
        "",
        f"_{_md(doc.description)}_",
        "",
        f"Updated {doc.updated:%Y-%m-%d %H:%M} UTC · {len(doc.items)} papers · [feed]({doc.self_url})",
        "",
    ]
    if not doc.items:
        lines += ["No matching papers in this window.", ""]
    for rank, item in enumerate(doc.items, 1):
        paper = item.paper
        cats = ", ".join(paper.categories)
        lines += [
            f"## {rank}. [{_md(paper.title)}]({paper.abs_url})",
            "",
            f"**Authors:** {_md(', '.join(paper.authors))}  ",
            f"**Categories:** {cats} · **Type:** {paper.announce_type} · **Announced:** {paper.announced} · [PDF]({paper.pdf_url})  ",
            f"**Score {item.score:g}:** {_md(item.explanation)}",
            "",
        ]
        summary = doc.summary_for(item)
        if summary is not None:
            # The model's Markdown is kept, with raw HTML defused: GitHub renders the digest.
            text = summary.markdown.replace("<", "&lt;").replace(">", "&gt;")
            text = _UNSAFE_LINK.sub("]", text)  # [x](javascript:...) -> [x]
            lines += [f"**AI summary** ({_md(summary.model)}):", "", text, ""]
        lines += [
            "> " + _md(paper.abstract),
            "",
        ]
    return "\n".join(lines).encode("utf-8")
