"""FakeRxiv: a second preprint server for the tests, the whole `Source` seam in one module.

Registered by a test with one `SourceEntry` (`register()`), it proves that a source is one module
plus one registry entry: its categories (`fakerxiv:chemistry`, the group `fakerxiv`) validate,
its papers are fetched, stored under their own keys, ranked beside arXiv's and rendered with its
links and citation fields in every format. Its upstream answers from memory (no HTTP: the seam,
not a client, is under test) and counts what it was asked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence

from core.papers import Paper, category_in
from core.sources.base import Citation, HistoryPage, ListingAnswer, Links

NAME = "fakerxiv"
CATEGORIES = {f"{NAME}:chemistry": "Chemistry", f"{NAME}:ecology": "Ecology"}
GROUPS = {NAME: "FakeRxiv (every collection)"}
LISTING_DAY = dt.date(2026, 4, 27)  # the recorded arXiv listings' day, so both share one window


def paper(number: int, category: str, day: dt.date, title: str, abstract: str) -> Paper:
    return Paper(id=f"fx.{number:04d}", version=1, title=title, abstract=abstract, authors=["Ada Fake", "B. Test"],
                 categories=[category], announced=day, server=NAME)


LISTED = [
    paper(1, f"{NAME}:chemistry", LISTING_DAY, "A large language model agent plans organic syntheses",
          "We let a large language model agent plan multi-step reactions and check them in the lab."),
    paper(2, f"{NAME}:chemistry", LISTING_DAY, "Crystal growth under pressure", "Nothing about models here."),
    paper(3, f"{NAME}:ecology", LISTING_DAY, "An agent-based model of pollinators and reasoning", "Bees."),
]


class Taxonomy:
    def normalize(self, value: str) -> str | None:
        value = value.strip().lower()
        return value if value in CATEGORIES or value in GROUPS else None

    def name(self, category: str) -> str:
        return CATEGORIES.get(category) or GROUPS.get(category) or category

    def categories(self) -> Mapping[str, str]:
        return CATEGORIES

    def groups(self) -> Mapping[str, str]:
        return GROUPS

    def contains(self, category: str, wanted: frozenset[str] | set[str]) -> bool:
        return category_in(category, wanted)

    def members(self, category: str) -> list[str]:
        return list(CATEGORIES) if category in GROUPS else [category]


class Schedule:
    """Posts every day; the listing changes at midnight UTC."""

    def listing_day(self, at: dt.datetime) -> dt.date:
        return at.astimezone(dt.UTC).date()

    def next_update(self, after: dt.datetime) -> dt.datetime:
        day = after.astimezone(dt.UTC).date() + dt.timedelta(days=1)
        return dt.datetime.combine(day, dt.time(0), dt.UTC)

    def today(self, at: dt.datetime) -> dt.date:
        return at.astimezone(dt.UTC).date()

    def posting_days(self, first: dt.date, last: dt.date) -> list[dt.date]:
        return [last - dt.timedelta(days=n) for n in range((last - first).days + 1)]


class Ids:
    def split(self, text: str) -> tuple[str, int]:
        head, _, version = text.rpartition("v") if "v" in text else (text, "", "1")
        if not head.startswith("fx."):
            raise ValueError(f"no {NAME} id in {text!r}")
        return head, int(version or 1)

    def matches(self, text: str) -> bool:
        try:
            self.split(text)
        except ValueError:
            return False
        return True


class FakeSource:
    name = NAME
    label = "FakeRxiv"
    qualified = True
    taxonomy = Taxonomy()
    schedule = Schedule()
    ids = Ids()

    def links(self, paper: Paper) -> Links:
        return Links(abs=f"https://fakerxiv.example/p/{paper.id}v{paper.version}",
                     pdf=f"https://fakerxiv.example/p/{paper.id}v{paper.version}.pdf",
                     guid=f"https://fakerxiv.example/p/{paper.id}")

    def citation(self, paper: Paper) -> Citation:
        return Citation(key=f"{NAME}:{paper.id}", publisher="FakeRxiv", number=paper.id,
                        url=f"https://fakerxiv.example/p/{paper.id}", doi=f"10.5555/{paper.id}")

    def connect(self, settings, *, transport=None, clock, kv=None) -> FakeUpstream:
        return FakeUpstream(self, settings.arxiv_backfill_max_requests)


class FakeUpstream:
    max_categories_per_request = 1  # one request per category, as a date-window API would
    user_agent = "arxiv-feeds-tests"
    asked: list[tuple[str, tuple[str, ...]]] = []  # every call, across instances (the test reads it)

    def __init__(self, source: FakeSource, history_max_requests: int = 10):
        self.source = source
        self.history_max_requests = history_max_requests  # the tests' own knob: arXiv's setting
        self.requests_made = 0

    async def listing(self, categories: Sequence[str], etag: str | None = None) -> ListingAnswer:
        self.requests_made += 1
        self.asked.append(("listing", tuple(categories)))
        wanted = frozenset(categories)
        return ListingAnswer([p for p in LISTED if p.in_any(wanted)], build_date=LISTING_DAY)

    async def history(
        self, categories: Sequence[str], days: Sequence[dt.date], max_requests: int
    ) -> AsyncIterator[HistoryPage]:
        """One page for all the days: a paper per category on each day but the oldest (empty)."""
        self.requests_made += 1
        self.asked.append(("history", tuple(categories)))
        oldest = min(days)
        papers = [paper(1000 + n * 10 + i, category, day, f"Back-filled {category} paper of {day}", "History.")
                  for n, day in enumerate(sorted(days)) if day != oldest for i, category in enumerate(categories)]
        yield HistoryPage(papers, covered=list(days))

    async def lookup(self, refs: Sequence[str]) -> list[Paper]:
        return [p for p in LISTED if p.id in refs]

    async def full_text(self, paper: Paper) -> None:
        return None  # no full text: summaries use the abstract

    async def close(self) -> None:
        pass


FAKE = FakeSource()
