"""FROZEN BASELINE for bench/relevance.py: the matcher main had before issue 12 (do not use elsewhere).

Keyword matching and scoring: terms -> one compiled matcher -> score + explanation.

Matching is on word boundaries and case-insensitive, tolerant of plurals,
hyphens and spacing: `RL` never matches "world"; `LLM` matches "LLMs";
`mixture of experts` matches "Mixture-of-Experts". All terms of a profile are
compiled once; a substring pre-check skips the regex of every term whose
words are absent, so scoring a paper costs little more than reading it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

from core.errors import QueryError
from core.papers import Paper

Field = Literal["any", "ti", "abs", "au"]

TITLE_POINTS = 2.0  # a title match is worth twice an abstract match
ABSTRACT_POINTS = 1.0
AUTHOR_POINTS = 3.0  # a followed author is a strong signal

MAX_TERMS = 50
MAX_TERM_LENGTH = 100


class Term(BaseModel):
    """One thing to look for, with its aliases (all count as the same term)."""

    text: str
    weight: float = 1.0
    aliases: list[str] = []
    field: Field = "any"
    required: bool = False
    excluded: bool = False

    @property
    def variants(self) -> list[str]:
        return [self.text, *self.aliases]


class Hit(BaseModel):
    """One line of a score's explanation."""

    term: str
    field: Literal["title", "abstract", "authors"]
    points: float


class Scored(BaseModel):
    paper: Paper
    score: float
    hits: list[Hit] = []

    @property
    def explanation(self) -> str:
        if not self.hits:
            return "no keyword terms: every paper in the categories is listed"
        parts = [f"{h.term} in {h.field} +{_fmt(h.points)}" for h in self.hits]
        return f"score {_fmt(self.score)} = " + ", ".join(parts)

    @property
    def matched_terms(self) -> list[str]:
        return list(dict.fromkeys(h.term for h in self.hits))


def _fmt(x: float) -> str:
    return f"{x:g}"


# --- patterns ---------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s\-_/]+")


def fold(text: str) -> str:
    """Lower-case and strip accents (for author names: `Jörg` == `Jorg`)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _token_pattern(token: str, last: bool) -> str:
    if not last or not token[-1:].isalpha():
        return re.escape(token)
    lower = token.lower()
    if len(token) > 3 and lower.endswith("s") and not lower.endswith(("ss", "is", "us")):
        token, lower = token[:-1], lower[:-1]  # the term was written plural: match the singular too
    if len(token) > 2 and lower.endswith("y") and lower[-2] not in "aeiou":
        return re.escape(token[:-1]) + "(?:y|ies|ys)"
    return re.escape(token) + "(?:s|es)?"


def phrase_pattern(text: str) -> str:
    """Regex source (no boundaries) for a term: separators flexible, last word plural-tolerant."""
    tokens = [t for t in _SEPARATORS.split(text.strip()) if t]
    if not tokens:
        raise ValueError("empty term")
    return r"[\s\-_/]*".join(_token_pattern(t, i == len(tokens) - 1) for i, t in enumerate(tokens))


def normalize_term(text: str) -> str:
    """The identity of a term: case, spacing, hyphens and a plural do not make a new term."""
    return phrase_pattern(fold(text))


def merge_terms(terms: Iterable[Term]) -> list[Term]:
    """Collapse terms that are the same word in different case or spelling, keeping the first."""
    merged: dict[tuple[str, str, bool, bool], Term] = {}
    for term in terms:
        key = (normalize_term(term.text), term.field, term.required, term.excluded)
        if key in merged:
            known = merged[key]
            extra = [a for a in term.variants if normalize_term(a) not in map(normalize_term, known.variants)]
            merged[key] = known.model_copy(update={"aliases": known.aliases + extra, "weight": max(known.weight, term.weight)})
        else:
            merged[key] = term
    return list(merged.values())


@dataclass
class _FieldIndex:
    """The terms that apply to one field, each with its regex and the literal it needs.

    A lower-cased substring test (`needle in text`) rules most terms out before
    any regex runs, which keeps scoring thousands of papers cheap.
    """

    entries: list[tuple[int, tuple[str, ...], re.Pattern[str]]] = field(default_factory=list)

    def hits(self, text: str) -> set[int]:
        if not text or not self.entries:
            return set()
        lowered = text.lower()
        found = set()
        for index, needles, regex in self.entries:
            for needle in needles:
                if needle in lowered:
                    if _search_at_word_start(regex, lowered):
                        found.add(index)
                    break
        return found


def _search_at_word_start(regex: re.Pattern[str], text: str) -> bool:
    """`regex` matches somewhere that starts a word. The start check is done here, not
    as a look-behind, so the regex engine keeps its fast literal-prefix scan."""
    for match in regex.finditer(text):
        start = match.start()
        if start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_"):
            return True
    return False


def _needle(variant: str) -> str:
    """The longest literal every match of `variant` must contain (lower-cased)."""
    tokens = [t.lower() for t in _SEPARATORS.split(variant.strip()) if t]
    last = tokens[-1]
    if len(last) > 3 and last.endswith("s") and not last.endswith(("ss", "is", "us")):
        last = last[:-1]
    if len(last) > 2 and last.endswith("y") and last[-2] not in "aeiou":
        last = last[:-1]
    tokens[-1] = last
    return max(tokens, key=len)


def _compile_field(terms: list[Term], indexes: list[int], folded: bool) -> _FieldIndex:
    entries = []
    for index in indexes:
        variants = [fold(v) if folded else v.lower() for v in terms[index].variants]
        source = "|".join(phrase_pattern(v) for v in variants)
        regex = re.compile(rf"(?:{source})(?!\w)")  # searched in lower-cased text
        entries.append((index, tuple({_needle(v) for v in variants}), regex))
    return _FieldIndex(entries)


class Matcher:
    """All of a profile's or query's terms, compiled once; `score` is cheap per paper."""

    def __init__(self, terms: Iterable[Term]):
        self.terms = merge_terms(terms)
        if len(self.terms) > MAX_TERMS * 2:
            raise ValueError(f"too many terms ({len(self.terms)}); at most {MAX_TERMS * 2}")
        text_terms = [i for i, t in enumerate(self.terms) if t.field != "au"]
        self._title = _compile_field(self.terms, [i for i in text_terms if self.terms[i].field in ("any", "ti")], False)
        self._abstract = _compile_field(self.terms, [i for i in text_terms if self.terms[i].field in ("any", "abs")], False)
        self._authors = _compile_field(self.terms, [i for i, t in enumerate(self.terms) if t.field == "au"], True)
        self._positive = [i for i, t in enumerate(self.terms) if not t.excluded]
        self._required = [i for i, t in enumerate(self.terms) if t.required]


    def score(self, paper: Paper) -> Scored | None:
        """The paper's score and explanation, or None if it is excluded or matches nothing."""
        in_title = self._title.hits(paper.title)
        in_abstract = self._abstract.hits(paper.abstract)
        in_authors = self._authors.hits(fold("; ".join(paper.authors))) if self._authors.entries else set()
        found = in_title | in_abstract | in_authors
        if any(self.terms[i].excluded for i in found):
            return None
        if any(i not in found for i in self._required):
            return None
        hits: list[Hit] = []
        for i in self._positive:
            term = self.terms[i]
            if i in in_title:
                hits.append(Hit(term=term.text, field="title", points=term.weight * TITLE_POINTS))
            if i in in_abstract:
                hits.append(Hit(term=term.text, field="abstract", points=term.weight * ABSTRACT_POINTS))
            if i in in_authors:
                hits.append(Hit(term=term.text, field="authors", points=term.weight * AUTHOR_POINTS))
        if self._positive and not hits:
            return None
        return Scored(paper=paper, score=round(sum(h.points for h in hits), 4), hits=hits)


# --- the `q` grammar ----------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""(?P<sign>[+-]?)(?:(?P<field>ti|abs|au):)?(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s,"^]+))(?:\^(?P<weight>[^\s,"]*))?""",
    re.IGNORECASE,
)


def parse_query(q: str) -> list[Term]:
    """Parse `q`: terms separated by spaces or commas; `"phrases"`; `+required`, `-excluded`;
    `ti:`/`abs:`/`au:` restrict a term to a field; `term^3` sets its weight."""
    if q.count('"') % 2:
        raise QueryError('q has an unbalanced double quote: close every "phrase"')
    terms: list[Term] = []
    position = 0
    while position < len(q):
        if q[position] in " \t\r\n,":
            position += 1
            continue
        match = _TOKEN_RE.match(q, position)
        if not match or match.end() == position:
            raise QueryError(f"q: cannot read the term starting at {q[position:position + 20]!r}")
        position = match.end()
        if position < len(q) and q[position] not in " \t\r\n,":
            raise QueryError(f"q: put a space or comma after {match.group(0)!r}")
        text = match.group("phrase") if match.group("phrase") is not None else match.group("word")
        text = text.strip()
        if not any(ch.isalnum() for ch in fold(text)):  # folded: "ͺ" is a letter whose fold is a space
            raise QueryError(f"q: {match.group(0)!r} has no word to look for")
        if len(text) > MAX_TERM_LENGTH:
            raise QueryError(f"q: a term is at most {MAX_TERM_LENGTH} characters long")
        weight = 1.0
        if match.group("weight") is not None:
            try:
                weight = float(match.group("weight"))
            except ValueError:
                raise QueryError(f"q: the weight in {match.group(0)!r} must be a number, like term^2") from None
            if not 0 < weight <= 100:
                raise QueryError(f"q: the weight in {match.group(0)!r} must be above 0 and at most 100")
        sign = match.group("sign")
        terms.append(
            Term(
                text=text,
                weight=weight,
                field=(match.group("field") or "any").lower(),  # type: ignore[arg-type]
                required=sign == "+",
                excluded=sign == "-",
            )
        )
        if len(terms) > MAX_TERMS:
            raise QueryError(f"q: at most {MAX_TERMS} terms")
    return terms
