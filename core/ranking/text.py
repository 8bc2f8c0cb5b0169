"""Text analysis every signal shares: tokens, Snowball stems and counts, once per paper version.

A paper's title and abstract are analysed the first time any request ranks it (its author
names the first time an author term reads them) and kept in an in-process table keyed by id and
version (the text of a version never changes), so a stored day is analysed once per process, not
once per request. The table is bounded in bytes, not papers: an analysed paper weighs about 9
times its text (14 KB for 1.5 KB of title and abstract, tokens shared with the stem table; it
was 27 KB, and a 750 KB hostile abstract 22 MB), and 50,000 of them had grown a process by 800 MB. Its budget is a share of CACHE_MAX_BYTES (core.cache.CacheBudgets),
least recently used papers go first. The service ranks, and so analyses, on its ranking thread, off
the event loop.

The table is the process's, not a service's, by design: an analysis depends only on the paper's
text (its key holds the id, the version and hashes of title, abstract and authors), so two
services in one process would compute the same entries, and sharing them is only a saving.
Owning it per service would thread it through the pool, every signal and the matchers, and
through tests and benches that rank without a service, for no change in what is computed. The
composition root sets its budget (`set_budget`, core.services); with several services in one
process (tests), the last one built sets it.

Tokens are runs of letters and digits, plus each punctuation character on its own (so `C++`
and `a.*` stay literal); `-`, `/` and `_` only separate. Everything is case-folded and stripped
of accents. Stems come from PyStemmer (Snowball English, C): it stems a day's 140,000 tokens
60 times faster than the pure-Python `snowballstemmer` with identical output (bench/relevance.py),
and each distinct token is stemmed once per process (a bounded table). ASCII text, nearly all of
arXiv's, is analysed by whole-text regex scans and C-level counting; tests/test_text_analysis.py
holds the plain per-token algorithm and checks the two agree.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable
from itertools import chain, compress
from dataclasses import dataclass

import Stemmer

from core.cache import ByteLRU
from core.papers import Paper
from core.ranking.types import FieldLength, Lengths, Skim

TOKEN_RE = re.compile(r"[^\W_]+|[^\w\s\-/]")
ANALYSED_BYTES = 32_000_000  # the table's budget until the service sets its share (set_budget)
THREAD_THRESHOLD = 200  # a ranking that analysed more papers than this keeps them frozen (core.runtime.gcfreeze)

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
    """`text` analysed. ASCII text (98% of arXiv's fields) takes a path of whole-text regex
    scans, C-level counting and a table of stems already made, several times faster than
    looking at each token in Python; other text keeps the per-token path, which folds each
    token on its own."""
    if not text.isascii():
        return _analyse_spans(text)
    lowered = text.lower()  # for ASCII: position for position, so tokens are the same runs
    found = _ASCII_TOKEN_RE.findall(lowered)
    stem_of, same = _stem_table(set(found))
    tokens = list(map(same.__getitem__, found))  # one shared str per distinct token: half the memory
    token_counts = Counter(tokens)
    stemmed = tuple(map(stem_of.__getitem__, tokens))
    stem_counts = Counter(stemmed)
    length = len(tokens)
    for mark in token_counts.keys() & _ASCII_MARKS:  # punctuation stems to itself, no word does
        dict.__delitem__(stem_counts, mark)  # (Counter's own __delitem__ is Python code)
        length -= token_counts[mark]
    compounds: Counter = Counter()
    joined = _compounds(lowered)
    if joined:
        compounds.update(chain.from_iterable(zip(joined, stems(joined))))  # each word, then its stem
    return FieldText(
        tokens=tuple(tokens),
        stems=stemmed,
        token_counts=token_counts,
        stem_counts=stem_counts,
        compounds=compounds,
        length=length,
    )


# For lower-cased ASCII text only: TOKEN_RE without its slow negated classes; words joined by
# one or two of - / _ (the gap between two ASCII tokens holds nothing but spaces and joiners),
# each after a character that is no letter or digit (matching starts only there: several
# times faster than trying each position; the text gets a space in front); the characters
# that are punctuation tokens.
_ASCII_TOKEN_RE = re.compile(r"[a-z0-9]+|[^a-z0-9\s\-/_]")
_COMPOUND_RE = re.compile(r"[^a-z0-9]([a-z0-9]++(?:[-/_]{1,2}[a-z0-9]++)+)")  # from a non-word: fast
_ASCII_MARKS = frozenset(chr(i) for i in range(128) if not chr(i).isalnum())

# Stems of the tokens seen so far: stemming a word costs a microsecond, looking it up a tenth
# of that, and a day's papers share most of their words. Beside it, each token's one shared str:
# analysed texts hold that one instead of a copy per occurrence (a paper's analysis took 27 KB
# with copies, ~15 KB without). Both replaced together (not cleared, so a thread holding them
# still finds its words) when full.
MAX_STEMS = 100_000
_tables: tuple[dict[str, str], dict[str, str]] = ({}, {})  # (token -> stem, token -> shared token)


def _compounds(lowered: str) -> list[str]:
    """The words of lower-cased ASCII text joined by `-`, `/` or `_`, written as one."""
    if "-" not in lowered and "/" not in lowered and "_" not in lowered:
        return []
    return [run.replace("-", "").replace("/", "").replace("_", "") for run in _COMPOUND_RE.findall(" " + lowered)]


def _unjoined(text: str) -> str:
    """`text` without `-`, `/` and `_`. Three `replace`s, not `str.translate` with a deletion
    table: that took ~5 us even for a short word, 10 times as long (15,000 calls, ~70 ms of CPU,
    in a cold process's first feed of four ~500-paper categories)."""
    return text.replace("-", "").replace("/", "").replace("_", "")


def ascii_stems(text: str) -> tuple[list[str], Counter]:
    """The stems of ASCII `text` in order (punctuation: itself) and its words' stem counts, as
    `analyse_text` makes them, without the rest of an analysis: like= reads only these of a paper
    it analyses again (about half the CPU of a whole analysis)."""
    found = _ASCII_TOKEN_RE.findall(text.lower())
    stem_of, _ = _stem_table(set(found))
    stemmed = list(map(stem_of.__getitem__, found))
    stem_counts = Counter(stemmed)
    for mark in stem_counts.keys() & _ASCII_MARKS:  # punctuation stems to itself, no word does
        dict.__delitem__(stem_counts, mark)
    return stemmed, stem_counts


def _stem_table(tokens: set[str] | Counter) -> tuple[dict[str, str], dict[str, str]]:
    """Tables holding the stem and the shared str of every token in `tokens`."""
    global _tables
    stem_of, same = _tables
    missing = list(set(tokens).difference(stem_of))  # set - dict looks up each of the set
    if missing:
        if len(stem_of) + len(missing) > MAX_STEMS:
            stem_of, same = _tables = ({}, {})
            missing = list(tokens)
        same.update(zip(missing, missing))  # first: a token with a stem has its shared str
        stem_of.update(zip(missing, stems(missing)))
    return stem_of, same


def _analyse_spans(text: str) -> FieldText:
    """The per-token path: each token folded on its own, compounds found from the gaps. Each
    token's wordness is looked at once and a gap read only between two words (this path took
    a tenth of a cold feed's analysis for the 4 % of papers that take it)."""
    spans = tokens_with_spans(text)
    stem_of, same = _stem_table({t for t, _, _ in spans})
    tokens = [same[t] for t, _, _ in spans]
    token_counts = Counter(tokens)
    stemmed = [stem_of[t] for t in tokens]
    wordy = [t[:1].isalnum() for t in tokens]  # is_word of each token
    compounds: Counter = Counter()
    run: list[str] = []
    previous_end, previous_word = -1, False
    for token, (_, start, end), word in zip(tokens, spans, wordy):
        if word and run and previous_word and _joined(text, previous_end, start):
            run.append(token)
        else:
            _add_compound(compounds, run)
            run = [token] if word else []
        previous_end, previous_word = end, word
    _add_compound(compounds, run)
    return FieldText(
        tokens=tuple(tokens),
        stems=tuple(stemmed),
        token_counts=token_counts,
        stem_counts=Counter(compress(stemmed, wordy)),
        compounds=compounds,
        length=sum(wordy),
    )


def _joined(text: str, end: int, start: int) -> bool:
    """Only one or two of `-`, `/`, `_` lie between `end` and `start`."""
    return 0 < start - end <= 2 and not text[end:start].strip("-/_")


def _add_compound(compounds: Counter, run: list[str]) -> None:
    if len(run) > 1:
        joined = "".join(run)
        compounds[joined] += 1
        compounds[stem(joined)] += 1


class Doc:
    """A paper's analysed text. The author names are analysed when first asked for: only
    author terms read them, and a feed without any need not pay for a pool's 7 names a paper."""

    __slots__ = ("title", "abstract", "_names", "_authors")

    def __init__(self, title: FieldText, abstract: FieldText, names: tuple[str, ...]):
        self.title = title
        self.abstract = abstract
        self._names = names
        self._authors: tuple[FieldText, ...] | None = None

    @property
    def authors(self) -> tuple[FieldText, ...]:
        """One per name (two threads asking at once both analyse them, to the same result)."""
        if self._authors is None:
            self._authors = tuple(analyse_text(name) for name in self._names)
        return self._authors


_analysed = ByteLRU(ANALYSED_BYTES)  # key -> Doc, within the budget (set_budget)
_count_lock = threading.Lock()
_analyses = 0  # papers analysed since start: a ranking that analysed many keeps them (core.runtime.gcfreeze)


def _key(paper: Paper) -> tuple:
    return (paper.id, paper.version, hash(paper.title), hash(paper.abstract), hash(tuple(paper.authors)))


def doc_bytes(doc: Doc) -> int:
    """What an analysed paper holds, erring high (tracemalloc over the recorded cs.CV day: 14 KB
    a paper, ~16 bytes a token (two tuples of shared strs) and ~30 an entry of its count tables;
    its authors, once an author term reads them, counted from the start at 60 bytes a character
    of their names)."""
    size = 1000 + 60 * sum(len(name) for name in doc._names)
    for text in (doc.title, doc.abstract):
        size += 20 * len(text.tokens) + 30 * (len(text.token_counts) + len(text.stem_counts) + len(text.compounds))
    return size


def set_budget(max_bytes: int) -> None:
    """Keep at most `max_bytes` (estimated) of analysed papers (process-wide: see the module's
    docstring; the composition root gives its share of CACHE_MAX_BYTES)."""
    _analysed.resize(max_bytes)


def analysed_bytes() -> int:
    return _analysed.bytes


def forget() -> None:
    """Drop every analysed paper (benches measuring the cold path)."""
    _analysed.clear()


def analyse(paper: Paper) -> Doc:
    """The paper's analysed text (memoised per id and version, within the byte budget)."""
    global _analyses
    key = _key(paper)
    found = _analysed.get(key)
    if found is not None:
        return found
    doc = Doc(
        title=analyse_text(paper.title),
        abstract=analyse_text(paper.abstract),
        names=tuple(paper.authors),
    )
    with _count_lock:
        _analyses += 1
    if key not in _analysed:  # (two threads analysing one paper keep the first)
        _analysed.put(key, doc, doc_bytes(doc))  # bigger than the whole budget: not kept
    return doc


def analyses() -> int:
    return _analyses


def analysed(paper: Paper) -> bool:
    return _key(paper) in _analysed


def memoised(paper: Paper) -> Doc | None:
    """The paper's analysed text if the memo holds it (not made, not moved up the LRU order)."""
    return _analysed.peek(_key(paper))


# --- skimming: papers no term can be in are not analysed ----------------------------------

# Lower-cased ASCII text as bytes with each letter or digit made `a` and anything else a space:
# its words (as analyse_text counts them) are then the places a space is followed by `a`, and the
# first byte if it is one. Five times faster than counting the matches of `[a-z0-9]+`.
_WORD_BYTES = bytes(ord("a") if chr(i) in "abcdefghijklmnopqrstuvwxyz0123456789" else ord(" ") for i in range(256))


def _word_count(lowered: str) -> int:
    """The number of words (runs of letters and digits) in lower-cased ASCII text."""
    marked = lowered.encode("ascii").translate(_WORD_BYTES)
    return marked.count(b" a") + marked.startswith(b"a")


def lengths(doc: Doc) -> Lengths:
    return Lengths(FieldLength(doc.title.length), FieldLength(doc.abstract.length))


def skim(paper: Paper, in_text: Callable[[str], bool], in_hay: Callable[[str], bool]) -> Skim | None:
    """The paper skimmed when no term can be in it, else None (and when its text is not ASCII:
    folding it takes the analysis). `in_text` is asked of the plain lower-cased text first, which
    settles most papers that need analysing at little cost, then `in_hay` of the skim's `hay`
    (core.ranking.pool.Skimmer)."""
    title, abstract = paper.title, paper.abstract
    if not (title.isascii() and abstract.isascii()):
        return None
    title, abstract = title.lower(), abstract.lower()
    if in_text(f"{title}\n{abstract}"):
        return None
    compounds = _compounds(title) + _compounds(abstract)
    hay = "\n".join([_unjoined(title), _unjoined(abstract), *stems(compounds)])
    if in_hay(hay):
        return None
    return Skim(hay, FieldLength(_word_count(title)), FieldLength(_word_count(abstract)))

