"""The ranking package's types, in one module that imports nothing of the package: a `Hit` (one
line of an explanation), a `Scored` paper (its score, the sum of its hits), what a pool holds of
a paper (`Lengths`, or a `Skim` when no term can be in it), a `Candidate`, the `Pool`, what
ranking will cost (`Work`, `Cost`), the clients a signal's I/O goes through (`Clients`) and the
`Signal` protocol."""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, Protocol, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from core.papers import Paper

if TYPE_CHECKING:
    from core.kv import KV
    from core.settings import Settings

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
    none of its terms, and its analysis would only ever be asked for its length. A phrase is also
    not there when its words' fragments do not begin consecutive words of the lower-cased text
    (core.ranking.pool.Skimmer)."""

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


class TermList(Protocol):
    """A feed's compiled term list as the pool and the signals read it (core.ranking.matching.Matcher;
    named here by what it offers, so this module imports nothing of the package)."""

    terms: list  # core.ranking.matching.Term, merged
    positive: list[int]  # the indexes of the wanted (not excluded) terms

    def fragments(self) -> list[tuple[tuple[str, ...], ...]] | None: ...

    def find(self, doc: Any) -> dict[int, Any]: ...

    def admits(self, found: dict[int, Any]) -> bool: ...


@dataclass
class Pool:
    """The candidates of one request (the stored days in its window, its categories and types),
    over which rarity and similarity are computed, with what each signal prepared for it."""

    candidates: list[Candidate]
    matchers: list[TermList]
    boosts: tuple = ()  # venue=NAME^w, has=code^w (core.extract.wants): points when a paper has it
    prepared: dict[str, Any] = field(default_factory=dict)  # signal name -> what its `prepare` gave (seeds...)

    @property
    def size(self) -> int:
        return len(self.candidates)


class Inputs(BaseModel):
    """A signal's own parameters, the same fields in a query string (`/feed?like=...`, added to
    a profile's) and in a profile (config.json). The query and profile models, the canonical URL
    pairs and each feed's `FeedSpec.inputs` are assembled from the registered signals' `inputs`
    (core.ranking.registry.input_fields): a field's checks go in its annotation
    (`Annotated[list[str], AfterValidator(check)]`) so they travel with it."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def of(cls, model: BaseModel) -> Self:
        """These fields of a query or profile (already validated there)."""
        return cls.model_construct(**{name: getattr(model, name) for name in cls.model_fields})

    def merged(self, query: Self) -> Self:
        """A profile's inputs with a request's: each field the request gives replaces the profile's."""
        given = {name: getattr(query, name) for name, info in type(self).model_fields.items()
                 if getattr(query, name) != info.get_default(call_default_factory=True)}
        return self.model_copy(update=given)

    @property
    def given(self) -> bool:
        """Some field is not at its default: the signal is used (and a request's own inputs make
        MAX_RANK_COST apply)."""
        return any(getattr(self, name) != info.get_default(call_default_factory=True) for name, info in type(self).model_fields.items())

    def label(self) -> str:
        """Words for an ad-hoc feed's title ("like 2401.12345"), or ""."""
        return ""


@dataclass(frozen=True)
class Work:
    """The pool's part of what a ranking will cost, known before any signal runs (core.ranking.cost)."""

    candidates: int  # papers of the pool (each paper's newest wanted occurrence)
    text_bytes: int  # their titles and abstracts
    terms: int  # every term list's terms


@dataclass(frozen=True)
class Cost:
    """One signal's cost, in units of MAX_RANK_COST (one term scored against one paper), and
    how the too-costly 400 says it: "`said` = `units`", and `narrow` first among what to narrow."""

    units: int
    said: str  # "2 like=/unlike= seeds over 1,200 papers (1.1 MB of text)"
    narrow: str = ""  # "fewer seeds (like=, unlike=)"


class SeedSource(Protocol):
    """Seed papers by arXiv id or author identifier (core.seeds.SeedStore)."""

    async def papers(self, refs: Sequence[str]) -> list[Paper]: ...

    async def author_papers(self, author: str) -> list[Paper]: ...


class VectorSource(Protocol):
    """Embeddings of papers, None when the endpoint failed (core.embeddings.Embedder)."""

    async def vectors(self, papers: Sequence[Paper]) -> dict[str, Sequence[float]] | None: ...


T = TypeVar("T")


@dataclass(frozen=True)
class ClientKey(Generic[T]):
    """A client the service provides, by name and type: a signal lists those it uses in `needs`
    and `prepare` reads one as `clients[SEEDS]` (a `SeedSource`)."""

    name: str


SEEDS: ClientKey[SeedSource] = ClientKey("seeds")
EMBEDDER: ClientKey[VectorSource | None] = ClientKey("embedder")  # None where EMBEDDINGS_MODEL is unset


class MissingClient(LookupError):
    """A signal asked for a client it does not declare in `needs`, or the service does not provide."""


@dataclass(frozen=True)
class Clients:
    """What one signal's `prepare` does its I/O through, for one request: the clients it
    `needs`, by `ClientKey`; its `own` client (`Signal.connect`); and `within_budget`."""

    signal: str
    provided: Mapping[str, Any]  # the clients it declares in `needs`, by name
    wait: Callable[[Awaitable[Any], str], Awaitable[Any]]  # (work, what is slow): the service's budget
    own: Any = None

    def within_budget(self, work: Awaitable[T], what: str, upstream: str) -> Awaitable[T]:
        """`work` waited for at most what is left of the request budget; after that a 503
        saying `<signal>: <upstream> is slow: no answer for <what>`, and the work goes on."""
        return self.wait(work, f"{self.signal}: {upstream} is slow: no answer for {what}")

    def __getitem__(self, key: ClientKey[T]) -> T:
        try:
            return self.provided[key.name]
        except KeyError:
            raise MissingClient(f"signal {self.signal!r} asks for client {key.name!r}, "
                                "which it does not declare in `needs`") from None


class SignalClient(Protocol):
    """A signal's own client (`Signal.connect`), closed when the service shuts down."""

    async def close(self) -> None: ...


class Signal(Protocol):
    """A reason to rank a paper higher (or lower). Adding one: a module with a class like this,
    and its entry in `core.ranking.registry.REGISTRY`; nothing else names it, not even its own
    client or its cost. Subclass this for the defaults (no inputs, no I/O, no cost, reads no
    text, selects nothing)."""

    name: ClassVar[str]
    description: ClassVar[str]  # one sentence for "How papers are scored"
    inputs: ClassVar[type[Inputs] | None] = None  # its own query and profile parameters
    needs: ClassVar[tuple[ClientKey, ...]] = ()  # the service's clients its `prepare` uses (SEEDS...)

    @classmethod
    def connect(cls, settings: Settings, kv: KV) -> SignalClient | None:
        """Its own client, when its I/O needs one the service does not provide (a citation
        service): made once by the composition root (core.services), given to `prepare` as
        `clients.own`, closed on shutdown. By default none."""
        return None

    @classmethod
    def cost(cls, given: Inputs, work: Work) -> Cost | None:
        """What it adds to a feed's cost beyond the pass over the pool (core.ranking.cost), for a
        feed that gives its inputs, before any signal runs; None when nothing."""
        return None

    @classmethod
    async def prepare(cls, given: Inputs, candidates: Callable[[], list[Paper]], clients: Clients) -> Any:
        """Its I/O before ranking, for a feed that gives its inputs (`given.given`), on the event
        loop, through `clients`: seed papers, embeddings (`candidates()`: the pool's papers, on
        demand). What it returns is `pool.prepared[name]`; by default the inputs themselves."""
        return given

    @classmethod
    def reads_text(cls, prepared: Any) -> bool:
        """With this preparation, it reads every candidate's words (the pool then analyses them
        all: no skimming). A signal that reads only what the term lists found says False."""
        return False

    @classmethod
    def for_pool(cls, pool: Pool) -> Signal | None:
        """This signal set up over `pool` (rarity, vectors...), or None when the feed does not use it."""
        ...

    @property
    def selects(self) -> bool:
        """Without wanted terms, a feed lists only the papers this signal has hits for (like=
        seeds); otherwise every admitted paper."""
        return False

    def hits(self, candidate: Candidate) -> list[Hit]:
        """What this signal adds to one candidate, with the reason."""
        ...
