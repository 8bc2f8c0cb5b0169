"""Text analysis every signal shares: tokens, Snowball stems and counts, once per paper version.

A paper's title, abstract and authors are analysed the first time any request ranks it and kept
in a bounded in-process table keyed by id and version (the text of a version never changes),
so a stored day is analysed once per process, not once per request. `prepare` analyses a big
pool in a worker thread, off the event loop.

Tokens are runs of letters and digits, plus each punctuation character on its own (so `C++`
and `a.*` stay literal); `-`, `/` and `_` only separate. Everything is case-folded and stripped
of accents. Stems come from PyStemmer (Snowball English, C): it stems a day's 140,000 tokens
60 times faster than the pure-Python `snowballstemmer` with identical output (bench/relevance.py).
"""

from __future__ import annotations

import asyncio
import re
import threading
import unicodedata
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import Stemmer

from core import longlived
from core.papers import Paper

TOKEN_RE = re.compile(r"[^\W_]+|[^\w\s\-/]")
_JOINERS = frozenset("-/_")  # a run of words joined by these is also a compound word (pre-training)
MAX_ANALYSED = 50_000  # papers kept (about 14 days of a busy archive)
THREAD_THRESHOLD = 200  # analyse more unseen papers than this in a worker thread

_stemmer = Stemmer.Stemmer("english")
_stem_lock = threading.Lock()  # a PyStemmer object is not thread-safe


def fold(text: str) -> str:
    """Lower-case and strip accents (`Jörg` == `jorg`)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def stem(word: str) -> str:
    """Snowball English stem of a folded word (`robotics` -> `robot`)."""
    with _stem_lock:
        return _stemmer.stemWord(word)


def stems(words: list[str]) -> list[str]:
    with _stem_lock:
        return _stemmer.stemWords(words)


def is_word(token: str) -> bool:
    return token[:1].isalnum()


@dataclass(frozen=True, slots=True)
class FieldText:
    """One field of a paper, analysed."""

    tokens: tuple[str, ...]  # folded, punctuation included
    stems: tuple[str, ...]  # aligned with tokens (punctuation: itself)
    token_counts: Counter  # every token, punctuation included
    stem_counts: Counter
    compounds: Counter  # words joined by - / _ written as one: both the joined token and its stem
    length: int  # words (not punctuation)


def tokens_with_spans(text: str) -> list[tuple[str, int, int]]:
    """(folded token, start, end) in `text`; folding a token never merges two."""
    found = []
    for match in TOKEN_RE.finditer(text):
        token = match.group()
        token = token.lower() if token.isascii() else fold(token)
        if token:
            found.append((token, match.start(), match.end()))
    return found


def analyse_text(text: str) -> FieldText:
    spans = tokens_with_spans(text)
    tokens = [t for t, _, _ in spans]
    stemmed = stems(tokens)
    compounds: Counter = Counter()
    run: list[str] = []
    for i, (token, start, end) in enumerate(spans):
        if is_word(token) and run and i > 0 and _joined(text, spans[i - 1][2], start) and is_word(spans[i - 1][0]):
            run.append(token)
        else:
            _add_compound(compounds, run)
            run = [token] if is_word(token) else []
    _add_compound(compounds, run)
    words = [t for t in tokens if is_word(t)]
    return FieldText(
        tokens=tuple(tokens),
        stems=tuple(stemmed),
        token_counts=Counter(tokens),
        stem_counts=Counter(s for t, s in zip(tokens, stemmed) if is_word(t)),
        compounds=compounds,
        length=len(words),
    )


def _joined(text: str, end: int, start: int) -> bool:
    gap = text[end:start]
    return bool(gap) and len(gap) <= 2 and all(c in _JOINERS for c in gap)


def _add_compound(compounds: Counter, run: list[str]) -> None:
    if len(run) > 1:
        joined = "".join(run)
        compounds[joined] += 1
        compounds[stem(joined)] += 1


@dataclass(frozen=True, slots=True)
class Doc:
    """A paper's analysed text."""

    title: FieldText
    abstract: FieldText
    authors: tuple[FieldText, ...]  # one per name


_analysed: OrderedDict[tuple, Doc] = OrderedDict()
_analysed_lock = threading.Lock()


def _key(paper: Paper) -> tuple:
    return (paper.id, paper.version, hash(paper.title), hash(paper.abstract), hash(tuple(paper.authors)))


def analyse(paper: Paper) -> Doc:
    """The paper's analysed text (memoised per id and version)."""
    key = _key(paper)
    doc = _analysed.get(key)
    if doc is None:
        doc = Doc(
            title=analyse_text(paper.title),
            abstract=analyse_text(paper.abstract),
            authors=tuple(analyse_text(name) for name in paper.authors),
        )
        with _analysed_lock:
            _analysed[key] = doc
            while len(_analysed) > MAX_ANALYSED:
                _analysed.popitem(last=False)
    return doc


def analysed(paper: Paper) -> bool:
    return _key(paper) in _analysed


async def prepare(papers: Iterable[Paper]) -> None:
    """Analyse the papers not seen yet; many of them in a worker thread, off the event loop."""
    missing = [p for p in papers if not analysed(p)]
    if len(missing) > THREAD_THRESHOLD:
        await asyncio.to_thread(lambda: [analyse(p) for p in missing])
        longlived.settle()  # kept for good: out of the collector's way
    else:
        for paper in missing:
            analyse(paper)
