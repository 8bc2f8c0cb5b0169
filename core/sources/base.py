"""What a preprint server gives the service: the `Source` protocol and the values it returns.

A source is two things. `Source` is the server described without I/O (its name, taxonomy,
schedule, id syntax, links and citation fields): pure, cheap to import, used by validation,
rendering and the pages. `Upstream` is its polite client (built by `Source.connect`): the
daily listing, history for a date range, lookup by id, the full text where there is one;
spacing, User-Agent, retries and the request budget are its own business. The registry
(`core.sources`) maps names and category prefixes to sources.

Categories: arXiv's are bare (`cs.LG`, `hep-th`, an archive `cs`); every other source's are
qualified by its name (`biorxiv:genomics`, and the bare name `biorxiv` for all of them), so a
category string alone says which source it belongs to, and stored keys and URLs made before
there was a second source stay valid. Paper ids follow the same rule: arXiv ids bare
(`2604.21935`), other sources' whatever their id syntax recognises (a DOI `10.1101/...`).
A `Paper` carries `server` (the source's name) so links and citations come from its source.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import httpx

    from core.clock import Clock
    from core.kv import KV
    from core.papers import Paper
    from core.settings import Settings


# --- what an upstream answers ---------------------------------------------------------------

@dataclass
class ListingAnswer:
    """One daily-listing request's answer for a set of categories.

    `papers` carry `announced` (the listing day) and announce types relative to the whole set
    asked for; the caller splits them per category (`Paper.relative_to`). `truncated`: the
    upstream capped the answer, ask for fewer categories at a time."""

    papers: list[Paper]
    build_date: dt.date | None = None  # the day the upstream says this listing is for
    etag: str | None = None
    not_modified: bool = False  # a conditional request answered 304: nothing changed
    truncated: bool = False


@dataclass
class HistoryPage:
    """One page of history (a backfill): papers dated to the listing day the source puts them
    on, and which asked days are complete once this page and the ones before it are stored."""

    papers: list[Paper]
    covered: list[dt.date] = field(default_factory=list)  # days (of those asked) now whole
    rejected: list[str] = field(default_factory=list)  # entries or answers not counted, and why


@dataclass(frozen=True)
class Links:
    """Where a paper lives: its landing page, its PDF, its HTML full text where there is one;
    `guid` when the feeds' item id (the same for every version) is not `abs` itself."""

    abs: str
    pdf: str | None = None
    html: str | None = None
    guid: str | None = None

    @property
    def id(self) -> str:
        """The item's GUID / Atom id / JSON Feed id: one per paper, whatever its version."""
        return self.guid or self.abs


@dataclass(frozen=True)
class Citation:
    """What a citation (BibTeX, CSL-JSON) says of a paper beyond its title, authors and year."""

    key: str  # the citation key, the same for every version (`arXiv:2604.21935`)
    publisher: str  # the server's name as people write it: "arXiv", "bioRxiv"
    number: str  # CSL `number`: the preprint's number there (`arXiv:2604.21935`, a DOI)
    url: str  # the versionless landing page
    doi: str | None = None  # the DOI to cite: the journal's where known, else the preprint's own
    eprint: str | None = None  # BibTeX `eprint` (arXiv's id), None where the server has none
    archive_prefix: str | None = None  # BibTeX `archivePrefix` ("arXiv")
    primary_class: str | None = None  # BibTeX `primaryClass`


# --- the pure parts ---------------------------------------------------------------------------

class Taxonomy(Protocol):
    """A source's categories: names, normalisation, which category holds which."""

    def normalize(self, value: str) -> str | None:
        """The canonical spelling of a category or group (`CS.ai` -> `cs.AI`,
        `BioRxiv:Genomics` -> `biorxiv:genomics`), or None if the source has no such one."""
        ...

    def name(self, category: str) -> str:
        """A human-readable name; `category` itself if unknown."""
        ...

    def categories(self) -> Mapping[str, str]:
        """Every leaf category -> its name, in the source's own order."""
        ...

    def groups(self) -> Mapping[str, str]:
        """Every group that stands for several categories (`cs`, `biorxiv`) -> its name."""
        ...

    def contains(self, category: str, wanted: frozenset[str] | set[str]) -> bool:
        """Whether `category` is in `wanted`, directly or through a group there."""
        ...

    def members(self, category: str) -> list[str]:
        """What to fetch and store for `category`: itself for a leaf (or a group the upstream
        lists as one, like arXiv's archives); every leaf for a group fetched leaf by leaf."""
        ...


class Schedule(Protocol):
    """When a source's listing changes and which days have one."""

    def listing_day(self, at: dt.datetime) -> dt.date:
        """The day the current listing (as of `at`) is for."""
        ...

    def next_update(self, after: dt.datetime) -> dt.datetime:
        """The first time strictly after `after` the listing changes: a fetched one stays
        fresh until then (every cache lifetime derives from it)."""
        ...

    def today(self, at: dt.datetime) -> dt.date:
        """The calendar date at `at` in the source's own time zone (no listing is dated
        after the day following it)."""
        ...

    def posting_days(self, first: dt.date, last: dt.date) -> list[dt.date]:
        """The days from `first` to `last` inclusive that have a listing, newest first
        (arXiv: Monday to Friday; bioRxiv: every day)."""
        ...


class IdSyntax(Protocol):
    """How a source's paper ids look."""

    def split(self, text: str) -> tuple[str, int]:
        """Find an id in `text` (a URL, a GUID, `arXiv:...v2`, a DOI) -> (id without version,
        version, 1 when none); ValueError when there is none."""
        ...

    def matches(self, text: str) -> bool:
        """Whether `text` is one id of this source and nothing else (with or without version)."""
        ...


@dataclass(frozen=True)
class ScheduleOf:
    """A `Schedule` made of a source's own four functions (their names are the source's)."""

    listing_day: Callable[[dt.datetime], dt.date]
    next_update: Callable[[dt.datetime], dt.datetime]
    today: Callable[[dt.datetime], dt.date]
    posting_days: Callable[[dt.date, dt.date], list[dt.date]]


@dataclass(frozen=True)
class IdSyntaxOf:
    """An `IdSyntax` made of a source's own two functions."""

    split: Callable[[str], tuple[str, int]]
    matches: Callable[[str], bool]


class Source(Protocol):
    """A preprint server, described without I/O. Registered in `core.sources`."""

    name: str  # the registry key, `Paper.server`, and the category prefix of non-arXiv sources
    label: str  # what people read: "arXiv", "bioRxiv"
    qualified: bool  # categories written `name:...` (False only for arXiv's bare ones)
    taxonomy: Taxonomy
    schedule: Schedule
    ids: IdSyntax

    def links(self, paper: Paper) -> Links:
        ...

    def citation(self, paper: Paper) -> Citation:
        ...

    def connect(
        self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock, kv: KV | None = None,
    ) -> Upstream:
        """Its polite client (one per service; the transport is the tests' seam)."""
        ...


# --- the client -------------------------------------------------------------------------------

class Upstream(Protocol):
    """A source's polite client: one per service, closed on shutdown."""

    source: Source
    max_categories_per_request: int  # how many categories one listing request may combine
    requests_made: int  # every HTTP request sent (for /health and the tests)
    history_max_requests: int  # at most this many requests a history run (`history`); 0: no history

    @property
    def user_agent(self) -> str:
        ...

    async def listing(self, categories: Sequence[str], etag: str | None = None) -> ListingAnswer:
        """The current daily listing of `categories` (members, see `Taxonomy.members`), in one
        request; conditional when `etag` is given. Raises `core.errors.UpstreamError` (and
        subclasses) or `ParseError` for an answer that is not whole."""
        ...

    def history(
        self, categories: Sequence[str], days: Sequence[dt.date], max_requests: int
    ) -> AsyncIterator[HistoryPage]:
        """Pages of the papers listed on `days` (posting days, any order) in `categories`, at
        most `max_requests` requests; stops when every day is covered or the budget is spent."""
        ...

    async def lookup(self, ids: Sequence[str]) -> list[Paper]:
        """The newest (or the asked, `...v2`) version of each id it knows, in as few requests
        as it can; unknown ids are left out."""
        ...

    async def full_text(self, paper: Paper) -> str | None:
        """The paper's full text as an HTML page (summaries with SUMMARY_SOURCE=fulltext read
        its text), or None where the server offers none that a client may fetch: the summary
        then uses the abstract. Raises `UpstreamError` when there is one but not for this paper
        (not rendered, unreachable); the abstract is used then too."""
        ...

    async def close(self) -> None:
        ...
