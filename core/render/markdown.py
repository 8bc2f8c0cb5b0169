"""The Markdown digest: what the old bot committed to its README every day.

It is read where Markdown renders with raw HTML allowed (GitHub-like viewers), so every
text that is not ours (arXiv's, the query string's, the model's) is escaped and every
link target is http(s) and percent-encoded. Simple TeX in titles and abstracts is printed as
Unicode (`mAP$_{50}$` -> mAP₅₀, `91.0\\%` -> 91.0%, `core.render.texprint`); what is left of
it is text, its `$` escaped so neither GitHub nor Pandoc reads it as math.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from core.extract import info
from core.papers import Paper
from core.render.document import FeedDocument, doi_url
from core.render.texprint import plain
from core.sources import links

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|$~^])")
_UNSAFE_LINK = re.compile(r"\]\(\s*(?!https?://)[^)]*\)", re.IGNORECASE)
# A reference definition (`[1]: javascript:...`, the target maybe on the next line, maybe in a
# list or quote) whose target is not http(s): its `[` is escaped so it is text, not a definition.
_UNSAFE_REFERENCE = re.compile(r"\[((?:[^\]\\\n]|\\.)+)\]:(?![ \t]*\n?[ \t]*https?://)", re.IGNORECASE)
_URL_SAFE = "/:?#&=%+,;@!$*~-._'"  # everything else (()<>[] space " ` \) is percent-encoded


def _md(text: str) -> str:
    """Escape Markdown (and raw-HTML) syntax so arXiv text stays text."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _url(url: str) -> str:
    """A link target: http(s) only, percent-encoded so nothing in it ends the link early."""
    if not re.match(r"https?://", url, re.IGNORECASE):
        return "#"
    return quote(url, safe=_URL_SAFE)


def _extras(paper: Paper) -> str:
    """Venue, code links, DOI and comment, one paragraph (empty when there are none)."""
    found = info(paper)
    bits = []
    if found.venue is not None:
        bits.append(f"**Venue:** {_md(found.venue.label)}")
    if found.code:
        bits.append("**Code:** " + ", ".join(f"[{_md(url.split('://', 1)[-1])}]({_url(url)})" for url in found.code))
    if found.doi:
        bits.append(f"**DOI:** [{_md(found.doi)}]({_url(doi_url(found.doi))})")
    if paper.comment:
        bits.append(f"**Comments:** {_md(paper.comment)}")
    if paper.journal_ref:
        bits.append(f"**Journal:** {_md(paper.journal_ref)}")
    return " · ".join(bits)


def render_markdown(doc: FeedDocument) -> bytes:
    lines = [
        f"# {_md(doc.title)}",
        "",
        f"_{_md(doc.description)}_",
        "",
        f"Updated {doc.updated:%Y-%m-%d %H:%M} UTC · {len(doc.items)} papers · [feed]({_url(doc.self_url)})",
        "",
    ]
    if not doc.items:
        lines += ["No matching papers in this window.", ""]
    for rank, item in enumerate(doc.items, 1):
        paper = item.paper
        cats = _md(", ".join(paper.categories))
        where = links(paper)
        lines += [
            f"## {rank}. [{_md(plain(paper.title))}]({_url(where.abs)})",
            "",
            f"**Authors:** {_md(', '.join(paper.authors))}  ",
            f"**Categories:** {cats} · **Type:** {_md(paper.announce_type)} · **Announced:** {paper.announced} · [PDF]({_url(where.pdf)})  ",
            f"**Score {item.score:g}:** {_md(item.explanation)}",
            "",
        ]
        extras = _extras(paper)
        if extras:
            lines += [extras, ""]
        summary = doc.summary_for(item)
        if summary is not None:
            # The model's Markdown is kept, with raw HTML defused: GitHub renders the digest.
            text = summary.markdown.replace("<", "&lt;").replace(">", "&gt;")
            text = _UNSAFE_LINK.sub("]", text)  # [x](javascript:...) -> [x]
            text = _UNSAFE_REFERENCE.sub(r"\\[\1]:", text)  # [1]: javascript:... -> text
            lines += [f"**AI summary** ({_md(summary.model)}):", "", text, ""]
        lines += [
            "> " + _md(plain(paper.abstract)),
            "",
        ]
    return "\n".join(lines).encode("utf-8")
