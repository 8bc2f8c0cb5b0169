"""Which parts of a title, abstract and author list made a paper match, as plain-text spans.

The spans come from the item's `Hit`s (a term is highlighted only in the fields it scored in)
and the terms of the feed's matchers (so an alias such as `LLM` of `large language model` is
highlighted too), with the matcher's own patterns (`core.matching.phrase_pattern`): what is
marked is what was matched. Spans are plain text; the HTML pages escape them and the live
preview builds DOM text nodes from them, so nothing from arXiv is ever markup.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from core.feeds import FeedSpec
from core.matching import Hit, Scored, Term, fold, phrase_pattern

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


@functools.lru_cache(maxsize=1024)
def _variant_regex(variant: str) -> re.Pattern[str]:
    # The matcher searches lower-cased (authors: accent-folded) text for phrase_pattern of the
    # lower-cased variant, ending where a word ends; IGNORECASE on the original text is the same.
    return re.compile(rf"(?:{phrase_pattern(variant)})(?!\w)", re.IGNORECASE)


def _terms_by_text(spec: FeedSpec) -> dict[str, list[Term]]:
    found: dict[str, list[Term]] = {}
    for matcher in spec.matchers:
        for term in matcher.terms:
            if not term.excluded:
                found.setdefault(term.text, []).append(term)
    return found


def _regexes(terms: dict[str, list[Term]], hits: list[Hit], field: str, folded: bool = False) -> list[re.Pattern[str]]:
    wanted = {h.term for h in hits if h.field == field}
    patterns = []
    for text in wanted:
        for term in terms.get(text, []):
            if term.field not in ("any", _FIELD_OF_HIT[field]):
                continue
            for variant in term.variants:
                variant = fold(variant) if folded else variant.lower()
                try:
                    patterns.append(_variant_regex(variant))
                except (ValueError, re.error):
                    continue
    return patterns


def _at_word_start(text: str, start: int) -> bool:
    return start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_")


def spans(text: str, patterns: list[re.Pattern[str]]) -> list[Span]:
    """`text` cut into unmarked and marked spans (overlapping matches merged)."""
    ranges: list[tuple[int, int]] = []
    for regex in patterns:
        for match in regex.finditer(text):
            if match.end() > match.start() and _at_word_start(text, match.start()):
                ranges.append((match.start(), match.end()))
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
    terms = _terms_by_text(spec)
    paper = item.paper
    title = spans(paper.title, _regexes(terms, item.hits, "title"))
    abstract = spans(paper.abstract, _regexes(terms, item.hits, "abstract"))
    author_patterns = _regexes(terms, item.hits, "authors", folded=True)
    authors = []
    for name in paper.authors:
        marked = bool(author_patterns) and any(s.mark for s in spans(fold(name), author_patterns))
        authors.append(Span(name, mark=marked))
    return Highlighted(title=title, abstract=abstract, authors=authors)
