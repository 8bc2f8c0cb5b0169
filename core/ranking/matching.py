"""Keyword matching: terms -> one compiled matcher -> which terms a paper holds, how often, where.

Matching works on the analysed words of a paper (`core.ranking.text`), never on raw substrings,
so `RL` never matches "world" and `agent` never "reagents". Words are compared by their Snowball
stem (`robot` finds "robots", "robotic", "robotics"; `navigation` finds "navigating"), except:
acronyms and all-caps words (two capitals or more: `RL`, `SLAM`, `MoE`), words with digits or
symbols, author names and exact forms (`=word`) are compared as written, case-insensitively
(acronyms tolerate a plural: `LLM` finds "LLMs"). Phrases keep their word order; `-`, `/`, `_`
and spaces between words are interchangeable or may be left out (`mixture of experts` finds
"Mixture-of-Experts", `pre-training` finds "pretraining").

How much a match is worth is the signals' business (`core.ranking.signals`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from core.errors import QueryError
from core.papers import Paper
from core.ranking.text import Doc, FieldText, fold, is_word, stem, tokens_with_spans

Field = Literal["any", "ti", "abs", "au"]

MAX_TERMS = 50
MAX_TERM_LENGTH = 100
MAX_COUNT = 10  # occurrences counted per field (the score saturates long before)


class Term(BaseModel):
    """One thing to look for, with its aliases (all count as the same term)."""

    text: str
    weight: float = 1.0
    aliases: list[str] = []
    field: Field = "any"
    required: bool = False
    excluded: bool = False
    exact: bool = False  # `=word`: this exact form, no stemming

    @property
    def variants(self) -> list[str]:
        return [self.text, *self.aliases]


# --- compiled words and phrases ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a term: the stem or the forms a text word must have."""

    by_stem: bool
    keys: frozenset[str]

    def hit(self, token: str, stemmed: str) -> bool:
        return (stemmed if self.by_stem else token) in self.keys

    def count(self, text: FieldText, compounds: bool = True) -> int:
        counts = text.stem_counts if self.by_stem else text.token_counts
        found = sum(counts.get(k, 0) for k in self.keys)
        return found + sum(text.compounds.get(k, 0) for k in self.keys) if compounds else found

    def present(self, text: FieldText) -> bool:
        counts = text.stem_counts if self.by_stem else text.token_counts
        return any(k in counts for k in self.keys)


def _needles(word: Word) -> tuple[str, ...]:
    return tuple(_fragment(k) if word.by_stem else k for k in word.keys)


def _fragment(stem: str) -> str:
    """A prefix of every word with this Snowball English stem: a stem differs from its words in
    its last letter at most (studi: study), except the stems of four-letter words in -ying (die:
    dying)."""
    return stem[:1] if len(stem) == 3 and stem.endswith("ie") else stem[:-1]


def _is_acronym(word: str) -> bool:
    return sum(c.isupper() for c in word) >= 2


def _word(raw: str, exact: bool) -> Word:
    lower = fold(raw)
    if exact or not lower.isalpha():
        return Word(False, frozenset({lower}))
    if _is_acronym(raw):
        base = lower[:-1] if raw.endswith("s") and _is_acronym(raw[:-1]) else lower
        return Word(False, frozenset({base, base + "s"}))
    return Word(True, frozenset({stem(lower)}))


@dataclass(frozen=True, slots=True)
class Phrase:
    """One spelling of a term: its words in order, and the same words written as one."""

    words: tuple[Word, ...]
    joined: Word | None

    def count(self, text: FieldText) -> int:
        if len(self.words) == 1:
            return min(self.words[0].count(text), MAX_COUNT)
        found = self.joined.count(text, compounds=False) if self.joined else 0
        if all(w.present(text) for w in self.words):
            found += sum(1 for _ in self._starts(text.tokens, text.stems))
        return min(found, MAX_COUNT)

    def _starts(self, tokens: tuple[str, ...] | list[str], stemmed: tuple[str, ...] | list[str]):
        n = len(self.words)
        first = self.words[0]
        found = 0
        for i in _positions(stemmed if first.by_stem else tokens, first.keys, len(tokens) - n + 1):
            if all(w.hit(tokens[i + j], stemmed[i + j]) for j, w in enumerate(self.words[1:], 1)):
                yield i
                found += 1
                if found >= MAX_COUNT:
                    return


def _positions(sequence: tuple[str, ...] | list[str], keys: frozenset[str], stop: int) -> list[int]:
    """Where any of `keys` occurs in `sequence[:stop]`, in order (found by C-level scans)."""
    found: list[int] = []
    if stop <= 0:  # (a negative stop would count from the end)
        return found
    for key in keys:
        i = -1
        try:
            while True:
                i = sequence.index(key, i + 1, stop)
                found.append(i)
        except ValueError:
            pass
    return sorted(found) if len(keys) > 1 else found


def compile_phrase(text: str, exact: bool = False) -> Phrase:
    raws = [m.group() for m in re.finditer(r"[^\W_]+|[^\w\s\-/]", text)]
    if not any(fold(r) for r in raws):
        raise ValueError("empty term")
    raws = [r for r in raws if fold(r)]
    words = tuple(_word(r, exact) for r in raws)
    joined = None
    if len(words) > 1 and all(is_word(fold(r)) for r in raws):
        joined = _word("".join(raws), exact or any(not w.by_stem for w in words))
    return Phrase(words, joined)


def normalize_term(text: str, exact: bool = False) -> tuple:
    """The identity of a term: case, spacing, hyphens and inflection do not make a new term."""
    return (exact, *(min(w.keys, key=len) for w in compile_phrase(text, exact).words))


def merge_terms(terms: Iterable[Term]) -> list[Term]:
    """Collapse terms that are the same word in different case or spelling, keeping the first."""
    merged: dict[tuple, Term] = {}
    for term in terms:
        key = (normalize_term(term.text, term.exact or term.field == "au"), term.field, term.required, term.excluded)
        if key in merged:
            known = merged[key]
            seen = {normalize_term(v, known.exact) for v in known.variants}
            extra = [a for a in term.variants if normalize_term(a, term.exact) not in seen]
            merged[key] = known.model_copy(update={"aliases": known.aliases + extra, "weight": max(known.weight, term.weight)})
        else:
            merged[key] = term
    return list(merged.values())


@dataclass(frozen=True, slots=True)
class TermMatch:
    """How often a term occurs in a paper's title and abstract, and whether among its authors."""

    title: int = 0
    abstract: int = 0
    authors: bool = False


class Matcher:
    """All of a profile's or query's terms, compiled once; `match` is cheap per paper."""

    def __init__(self, terms: Iterable[Term]):
        self.terms = merge_terms(terms)
        if len(self.terms) > MAX_TERMS * 2:
            raise ValueError(f"too many terms ({len(self.terms)}); at most {MAX_TERMS * 2}")
        self.phrases = [
            [compile_phrase(v, t.exact or t.field == "au") for v in t.variants] for t in self.terms
        ]
        self.positive = [i for i, t in enumerate(self.terms) if not t.excluded]
        self._required = [i for i, t in enumerate(self.terms) if t.required]
        # Every form any spelling of a term can be found by: a text that has none of them
        # among its tokens, stems and compounds cannot hold the term (most papers, most terms).
        self._keys = [
            tuple({k for p in phrases for w in (*p.words, *([p.joined] if p.joined else [])) for k in w.keys})
            for phrases in self.phrases
        ]
        self._clauses = self._skim_clauses()

    def fragments(self) -> list[tuple[tuple[str, ...], ...]] | None:
        """What a paper's skim (`core.ranking.text.Skim`) holds if any term of this matcher
        (excluded ones too) can be found in its title or abstract: clauses, one per spelling of a
        term (its words; and its words written as one), each a tuple of words, each word the
        needles it can be found by (a word compared as written: itself; by stem: the stem's
        fragment). A clause holds when every one of its words has a needle in the skim, a clause
        of several words only where its needles begin consecutive words (core.ranking.pool.Skimmer).
        None when a term reads the authors, which skimming does not look at. Built once per matcher."""
        return self._clauses

    def _skim_clauses(self) -> list[tuple[tuple[str, ...], ...]] | None:
        if any(t.field == "au" for t in self.terms):
            return None
        clauses = []
        for phrases in self.phrases:
            for phrase in phrases:
                clauses.append(tuple(_needles(w) for w in phrase.words))
                if phrase.joined:
                    clauses.append((_needles(phrase.joined),))
        return clauses

    def _count(self, index: int, text: FieldText) -> int:
        tokens, stems, compounds = text.token_counts, text.stem_counts, text.compounds
        for k in self._keys[index]:  # a plain loop: the generator cost more than the lookups
            if k in tokens or k in stems or k in compounds:
                return min(sum(p.count(text) for p in self.phrases[index]), MAX_COUNT)
        return 0

    def match(self, doc: Doc) -> dict[int, TermMatch] | None:
        """The terms found in `doc`, or None if it is excluded or lacks a wanted term."""
        found = self.find(doc)
        return found if self.admits(found) else None

    def find(self, doc: Doc) -> dict[int, TermMatch]:
        """Every term found in `doc` (excluded ones too: rarity counts them), and where."""
        found: dict[int, TermMatch] = {}
        for i, term in enumerate(self.terms):
            if term.field == "au":
                if any(self._count(i, name) for name in doc.authors):
                    found[i] = TermMatch(authors=True)
                continue
            title = self._count(i, doc.title) if term.field in ("any", "ti") else 0
            abstract = self._count(i, doc.abstract) if term.field in ("any", "abs") else 0
            if title or abstract:
                found[i] = TermMatch(title=title, abstract=abstract)
        return found

    def admits(self, found: dict[int, TermMatch]) -> bool:
        """No excluded term, every required term, and a wanted term if there are any."""
        if any(self.terms[i].excluded for i in found):
            return False
        if any(i not in found for i in self._required):
            return False
        return not self.positive or any(i in found for i in self.positive)

    def spans(self, text: str, term_texts: Iterable[str], field: str) -> list[tuple[int, int]]:
        """Character ranges of `text` where the named terms occur (for highlighting)."""
        wanted = set(term_texts)
        phrases = [
            p for i, t in enumerate(self.terms)
            if t.text in wanted and not t.excluded and t.field in ("any", field)
            for p in self.phrases[i]
        ]
        if not phrases:
            return []
        located = tokens_with_spans(text)
        tokens = [t for t, _, _ in located]
        stemmed = [stem(t) if is_word(t) else t for t in tokens]
        ranges = []
        for phrase in phrases:
            n = len(phrase.words)
            for i in phrase._starts(tokens, stemmed):
                ranges.append((located[i][1], located[i + n - 1][2]))
            if phrase.joined is not None or n == 1:  # one word, or a phrase written as one word
                single = phrase.joined or phrase.words[0]
                ranges += [(s, e) for t, st, (_, s, e) in zip(tokens, stemmed, located) if single.hit(t, st)]
        return ranges


# --- the `q` grammar ----------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""(?P<sign>[+-]?)(?:(?P<field>ti|abs|au):)?(?P<exact>=?)(?:"(?P<phrase>[^"]*)"|(?P<word>[^\s,"^]+))(?:\^(?P<weight>[^\s,"]*))?""",
    re.IGNORECASE,
)


def parse_query(q: str) -> list[Term]:
    """Parse `q`: terms separated by spaces or commas; `"phrases"`; `+required`, `-excluded`;
    `ti:`/`abs:`/`au:` restrict a term to a field; `=word` asks for that exact form;
    `term^3` sets its weight."""
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
                exact=bool(match.group("exact")),
            )
        )
        if len(terms) > MAX_TERMS:
            raise QueryError(f"q: at most {MAX_TERMS} terms")
    return terms
