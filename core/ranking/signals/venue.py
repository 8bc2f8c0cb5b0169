"""The venue and links signal: `venue=CVPR^2` or `has=code^1` (a profile's `venue`/`has` alike)
adds the weight to a paper whose comment says it was accepted there, or that links its code."""

from __future__ import annotations

from core.extract import info
from core.ranking.types import Candidate, Hit, Pool, Signal


class VenueSignal(Signal):
    name = "venue"
    description = ("Venue and code: venue=NAME^w adds w points to a paper accepted there (by its comment), "
                   "has=code^w (doi, journal, venue, comment) w points to a paper that has it.")

    def __init__(self, pool: Pool):
        self.boosts = pool.boosts

    @classmethod
    def for_pool(cls, pool: Pool) -> VenueSignal | None:
        return cls(pool) if pool.boosts else None

    def hits(self, candidate: Candidate) -> list[Hit]:
        found = info(candidate.paper)
        hits = []
        for want in self.boosts:
            if want.matches(found):
                hits.append(Hit(term=_reason(want.label, found), field="venue", points=want.weight, signal="venue"))
        return hits


def _reason(label: str, found) -> str:
    if label == "code":
        return f"code ({found.code[0].split('://', 1)[-1]})"
    if label in ("doi", "journal", "comment"):
        return f"has {label}"
    return f"accepted at {found.venue.label if found.venue else label}"
