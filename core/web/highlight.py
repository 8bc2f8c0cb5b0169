"""Which parts of a title, abstract and author list made a paper match, as plain-text spans.

The spans come from the item's `Hit`s (a term is highlighted only in the fields it scored in)
and the feed's matchers locate them (`core.matching.Matcher.spans`: stems, acronyms, phrases and
aliases exactly as they were matched): what is marked is what was matched. Spans are plain text;
the HTML pages escape them and the live preview builds DOM text nodes from them, so nothing from
arXiv is ever markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.feeds import FeedSpec
from core.matching import Scored

_FIELD_OF_HIT = {"title": "ti", "abstract": "abs", "authors": "au"}


@dataclass(frozen=True)
class Span:
    text: str
    mark: bool = False

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
    """`text` cut into unmarked and marked spans (overlapping ranges merged)."""
    ranges = [r for r in ranges if r[1] > r[0]]
    if not ranges:
        return [Span(text)] if text else []
    ranges.sort()
    merged = [list(ranges[0])]
    for start, end in ranges[1:]:
        if start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    result: list[Span] = []
    position = 0
    for start, end in merged:
        if start > position:
            result.append(Span(text[position:start]))
        result.append(Span(text[start:end], mark=True))
        position = end
    if position < len(text):
        result.append(Span(text[position:]))
    return result


def highlight(item: Scored, spec: FeedSpec) -> Highlighted:
    """Title, abstract and authors of `item` with the terms that scored marked."""
    paper = item.paper
    title = spans(paper.title, _ranges(spec, item, "title", paper.title))
    abstract = spans(paper.abstract, _ranges(spec, item, "abstract", paper.abstract))
    authors = [Span(name, mark=bool(_ranges(spec, item, "authors", name))) for name in paper.authors]
    return Highlighted(title=title, abstract=abstract, authors=authors)
