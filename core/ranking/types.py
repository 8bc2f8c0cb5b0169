"""The ranking package's types, in one module that imports nothing of the package: a `Hit` (one
line of an explanation), a `Scored` paper (its score, the sum of its hits), what a pool holds of
a paper (`Lengths`, or a `Skim` when no term can be in it), a `Candidate`, the `Pool` and the
`Signal` protocol."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol

from pydantic import BaseModel, Field

from core.papers import Paper

if TYPE_CHECKING:
    from core.ranking.matching import Matcher

HitField = Literal["title", "abstract", "authors", "text", "venue"]


class Hit(BaseModel):
    """One line of a score's explanation: which signal added how much, and why."""

    term: str  # the keyword, author or seed id
    field: HitField
    points: float
    signal: str = "keyword"
    note: str = ""  # e.g. "rare: 8 of 1,119" or "0.61: gaussian, splatting, mesh"

    @property
    def text(self) -> str:
        sign = "+" if self.points >= 0 else "−"
        amount = f"{sign}{_fmt(abs(self.points))}"
        if self.field == "text":  # a similarity: "closest to 2401.12345 (0.61: ...) +3"
            return f"{self.term} ({self.note}) {amount}"
        if self.field == "venue":  # "accepted at CVPR 2026 +2", "code (github.com/a/b) +1"
            return f"{self.term} {amount}"
        return f"{self.term} in {self.field} {amount}" + (f" ({self.note})" if self.note else "")


class Scored(BaseModel):
    paper: Paper
    score: float  # rounded to hundredths, as shown
    hits: list[Hit] = []
    exact: float = Field(0.0, exclude=True)  # the unrounded sum: orders papers whose shown scores tie

    @property
    def explanation(self) -> str:
        if not self.hits:
            return "no keyword terms: every paper in the categories is listed"
        groups: dict[str, list[str]] = {}
        for hit in self.hits:
            groups.setdefault(hit.signal, []).append(hit.text)
        return f"score {_fmt(self.score)} = " + "; ".join(", ".join(texts) for texts in groups.values())

    @property
    def matched_terms(self) -> list[str]:
        return list(dict.fromkeys(h.term for h in self.hits if h.signal in ("keyword", "authors")))


def _fmt(x: float) -> str:
    return f"{round(x, 2):g}"


@dataclass(frozen=True, slots=True)
class FieldLength:
    """A skimmed field: its length in words is all anyone reads of it (BM25's average)."""

    length: int


@dataclass(frozen=True, slots=True)
class Skim:
    """A paper's title and abstract lower-cased with `-`, `/` and `_` taken out (`hay`), and
    their lengths: enough to tell that no term can be in them, without analysing them.

    A term is found by a key among a field's tokens, stems or compounds (words joined by joiners,
    and their stems). A token is a substring of the lower-cased text, a compound of the text
    without joiners, and the stems of compounds are appended to `hay`; so a key compared as
    written is in `hay` wherever it can match. A key compared by stem may match words it is not
    a substring of (studi: study), but a Snowball English stem without its last letter (the first
    letter of the stems of four-letter -ying words: die, dying) begins every word with that stem:
    tests/test_skim.py checks it over every word of the recorded data and two million made-up
    ones. So a paper whose `hay` holds none of a matcher's fragments (`Matcher.fragments`) holds
    none of its terms, and its analysis would only ever be asked for its length."""

    hay: str
    title: FieldLength
    abstract: FieldLength


@dataclass(frozen=True, slots=True)
class Lengths:
    """What a pool keeps of an analysed paper once its terms are found: the keyword signal reads
    only its fields' lengths (BM25), like= its words again from the memo (`like.paper_terms`)."""

    title: FieldLength
    abstract: FieldLength


@dataclass
class Candidate:
    """A paper of the pool with the lengths of its fields and what the feed's term lists found
    in it (not its analysis: core.ranking.pool.make_pool)."""

    paper: Paper
    doc: Lengths | Skim
    matches: list[dict] = field(default_factory=list)  # per matcher: term index -> TermMatch
    admitted: bool = True  # every term list lets it in (no excluded term, the required ones)


@dataclass
class Pool:
    """The candidates of one request (the stored days in its window, its categories and types),
    over which rarity and similarity are computed."""

    candidates: list[Candidate]
    matchers: list[Matcher]
    like: list[Paper] = field(default_factory=list)  # seed papers (`like=`)
    unlike: list[Paper] = field(default_factory=list)  # papers to move away from (`unlike=`)
    embeddings: dict[str, list[float]] | None = None  # unit vectors by "{id}v{version}" (EMBEDDINGS_MODEL)
    boosts: tuple = ()  # venue=NAME^w, has=code^w (core.extract.wants): points when a paper has it
    authored: dict[str, str] = field(default_factory=dict)  # seed id -> the author (like_author=) it came from

    @property
    def size(self) -> int:
        return len(self.candidates)


class Signal(Protocol):
    """A reason to rank a paper higher (or lower). Adding one: a module with a class like this,
    and its entry in `core.ranking.registry.REGISTRY`."""

    name: ClassVar[str]
    description: ClassVar[str]  # one sentence for "How papers are scored"

    @classmethod
    def for_pool(cls, pool: Pool) -> Signal | None:
        """This signal set up over `pool` (rarity, vectors...), or None when the feed does not use it."""
        ...

    def hits(self, candidate: Candidate) -> list[Hit]:
        """What this signal adds to one candidate, with the reason."""
        ...
