"""Which parts of a title, abstract and author list made a paper match, as plain-text spans.

The spans come from the item's `Hit`s (a term is highlighted only in the fields it scored in)
and the feed's matchers locate them (`core.ranking.matching.Matcher.spans`: stems, acronyms, phrases and
aliases exactly as they were matched): what is marked is what was matched. Spans are plain text;
the HTML pages escape them and the live preview builds DOM text nodes from them, so nothing from
arXiv is ever markup.

The pages print simple TeX (`core.render.texprint`): a span's `html` is its text with scripts
as <sub>/<sup>, every character escaped first. Marks are cut on the source and widened so they
never split a TeX construct (a term found in `$\\mathcal{O}(n^2)$` marks all of it).
`/api/preview` keeps the source text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup

from core.feeds import FeedSpec
from core.ranking.types import Scored
from core.render import texprint

_FIELD_OF_HIT = {"title": "ti", "abstract": "abs", "authors": "au"}


@dataclass(frozen=True)
class Span:
    text: str  # the source
    mark: bool = False
    runs: tuple[texprint.Run, ...] | None = field(default=None, compare=False)  # how it prints

    @property
    def html(self) -> Markup:
        """The printed text, escaped, with <sub>/<sup>: safe to put in a page as it is."""
        return Markup(escape(self.text, quote=False) if self.runs is None else texprint.html(list(self.runs)))

    def as_json(self) -> dict:
        return {"text": self.text, "mark": self.mark}


@dataclass
class Highlighted:
    title: list[Span]
    abstract: list[Span]
    authors: list[Span]  # one span per author name, marked when a followed author matched


def _ranges(spec: FeedSpec, item: Scored, field: str, text: str) -> list[tuple[int, int]]:
    wanted = {h.term for h in item.hits if h.field == field}
    if not wanted:
        return []
    return [r for matcher in spec.matchers for r in matcher.spans(text, wanted, _FIELD_OF_HIT[field])]


def spans(text: str, ranges: list[tuple[int, int]]) -> list[Span]:
    """`text` cut into unmarked and marked spans (overlapping ranges merged), each with how
    its TeX prints."""
    pieces = texprint.pieces(text)
    starts = [p.start for p in pieces]
    cut = _cut(text, [texprint.widen(r, pieces, starts) for r in ranges if r[1] > r[0]])
    printed = texprint.split(pieces, text, [(start, start + len(s.text)) for s, start in cut])
    return [Span(s.text, s.mark, tuple(runs)) for (s, _), runs in zip(cut, printed)]


def _cut(text: str, ranges: list[tuple[int, int]]) -> list[tuple[Span, int]]:
    if not ranges:
        return [(Span(text), 0)] if text else []
    ranges.sort()
    merged = [list(ranges[0])]
    for start, end in ranges[1:]:
        if start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    result: list[tuple[Span, int]] = []
    position = 0
    for start, end in merged:
        if start > position:
            result.append((Span(text[position:start]), position))
        result.append((Span(text[start:end], mark=True), start))
        position = end
    if position < len(text):
        result.append((Span(text[position:]), position))
    return result


def highlight(item: Scored, spec: FeedSpec) -> Highlighted:
    """Title, abstract and authors of `item` with the terms that scored marked."""
    paper = item.paper
    title = spans(paper.title, _ranges(spec, item, "title", paper.title))
    abstract = spans(paper.abstract, _ranges(spec, item, "abstract", paper.abstract))
    authors = [Span(name, mark=bool(_ranges(spec, item, "authors", name))) for name in paper.authors]
    return Highlighted(title=title, abstract=abstract, authors=authors)
