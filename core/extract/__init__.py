"""What a paper's comment, abstract, journal reference and DOI tell a reader: the venue it was
accepted at, its code and project links, its page and figure counts.

Derived on read from the stored comment (`Paper.comment`, filled by core/listings/enrich.py),
so a better parser needs no re-fetch; each paper version is parsed once while it stays in the
memo (a `ByteLRU` within its share of CACHE_MAX_BYTES, set by the composition root).

The memo is the process's, not a service's, by design: what is derived depends only on the
paper's stored fields (its key: id, version, comment, journal reference, DOI), so services in
one process would compute the same entries. `info` is read by the feed filters, the venue
signal, five renderers and the pages; owning the memo per service would thread it through all of
them for no change in what is computed. With several services in one process (tests), the last
one built sets its budget (`set_memo_budget`).
One job per module: `venues` (the table), `venue` (the comment's claim), `links` (code links).
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from core.cache import ByteLRU
from core.extract.links import code_links
from core.extract.venue import VenueInfo, parse_venue
from core.papers import Paper

__all__ = ["PaperInfo", "VenueInfo", "code_links", "info", "parse_venue"]

_PAGES = re.compile(r"(?<![\d.])(\d{1,4})\s*(?:pages?|pp)\b", re.IGNORECASE)
_FIGURES = re.compile(r"(?<![\d.])(\d{1,3})\s*(?:figures?|figs?\b\.?|fig\b|figrues|figues)", re.IGNORECASE)
MEMO_BYTES = 2_000_000  # until the composition root sets its share (set_memo_budget)


class PaperInfo(BaseModel):
    venue: VenueInfo | None = None
    code: list[str] = []
    pages: int | None = None
    figures: int | None = None
    journal_ref: str | None = None
    doi: str | None = None

    comment: bool = False  # the paper has a comment at all

    def has(self, what: str) -> bool:
        return {
            "code": bool(self.code), "doi": bool(self.doi), "journal": bool(self.journal_ref),
            "venue": self.venue is not None, "comment": self.comment,
        }.get(what, False)

    @property
    def published(self) -> bool:
        """Accepted or published somewhere (a venue or a journal reference)."""
        return self.venue is not None or bool(self.journal_ref)


_memo = ByteLRU(MEMO_BYTES)  # (id, version, comment, journal ref, DOI) -> PaperInfo


def set_memo_budget(max_bytes: int) -> None:
    """Keep at most `max_bytes` (estimated) of derived fields (process-wide: see the module's docstring)."""
    _memo.resize(max_bytes)


def info(paper: Paper) -> PaperInfo:
    """The derived fields of `paper` (memoised per version and stored metadata)."""
    key = (paper.id, paper.version, paper.comment, paper.journal_ref, paper.doi)
    found = _memo.get(key)
    if found is None:
        found = derive(paper)
        _memo.put(key, found, _info_bytes(found))
    return found


def _info_bytes(found: PaperInfo) -> int:
    """What a PaperInfo holds, erring high (tracemalloc: ~620 bytes bare, ~1,730 with a venue,
    a code link and a DOI)."""
    strings = sum(len(s) for s in (found.journal_ref, found.doi) if s)
    return 700 + (900 if found.venue is not None else 0) + sum(120 + len(url) for url in found.code) + 2 * strings


def derive(paper: Paper) -> PaperInfo:
    comment = paper.comment or ""
    pages = _PAGES.search(comment)
    figures = _FIGURES.search(comment)
    return PaperInfo(
        venue=parse_venue(comment) or _journal_venue(paper.journal_ref),
        code=code_links(comment, paper.abstract),
        pages=int(pages.group(1)) if pages else None,
        figures=int(figures.group(1)) if figures else None,
        journal_ref=paper.journal_ref or None,
        doi=(paper.doi or "").strip() or None,
        comment=bool(comment.strip()),
    )


def _journal_venue(journal_ref: str | None) -> VenueInfo | None:
    """A journal reference names where it was published: the table's venue when it names one."""
    if not journal_ref:
        return None
    from core.extract import venues

    match = venues.finder().search(journal_ref)
    if match is None:
        return None
    venue = venues.found(match)
    year = re.search(r"(?<!\d)((?:19|20)\d\d)(?!\d)", journal_ref)
    return VenueInfo(name=venue.name, year=int(year.group(1)) if year else None, long=venue.long, journal=venue.journal)
