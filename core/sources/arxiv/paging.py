"""Paging through one query-API search, counting only whole pages.

arXiv's API now and then answers a page short or empty with the same `totalResults`, a total
lower than the entries already seen, the first page again whatever `start=` asked, or a body cut
short. Taken at its word, such a page looks like the end of the search and the days it should
have covered would be stored incomplete for good. A page counts only when it is whole: well-formed,
the same total as the first page, exactly the entries due from `start` up to that total, none
seen on an earlier page. Anything else is a `ParseError` saying why; the caller keeps what the
whole pages before it covered and asks again later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.errors import ParseError

if TYPE_CHECKING:
    from core.sources.arxiv.parse import Listing


@dataclass
class Pager:
    """Where the next page starts, and whether every entry up to `totalResults` has arrived."""

    page_size: int
    start: int = 0
    total: int | None = None  # the first page's totalResults
    seen: set[str] = field(default_factory=set)

    @property
    def done(self) -> bool:
        return self.total is not None and self.start >= self.total

    def take(self, page: Listing) -> None:
        """Count `page`, asked for at `start`, or raise `ParseError` saying why it is not whole."""
        flaw = self.flaw(page)
        if flaw:
            raise ParseError(f"query-API page at start={self.start} not whole: {flaw}")
        self.total = page.total_results
        self.seen.update(p.id for p in page.papers)
        self.start += len(page.papers)

    def flaw(self, page: Listing) -> str | None:
        if page.malformed:
            return f"malformed ({page.malformed})"
        if page.kind != "api" or page.total_results is None:
            return "not a query-API answer (no totalResults)"
        total, got = page.total_results, len(page.papers)
        if self.total is not None and total != self.total:
            return f"totalResults {total}, {self.total} on the first page"
        due = max(0, min(self.page_size, total - self.start))
        if got > due:
            return f"{got} entries where totalResults {total} leaves {due}"
        repeated = sum(1 for p in page.papers if p.id in self.seen)
        if repeated:
            return f"{repeated} of its {got} entries already on an earlier page (start= ignored)"
        if got < due:
            return f"{got} of {due} entries due (totalResults {total})"
        return None
