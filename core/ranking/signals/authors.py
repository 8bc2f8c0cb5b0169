"""The followed-authors signal: a profile's `authors`, `author=` and `au:` terms."""

from __future__ import annotations

from core.ranking.types import Candidate, Hit, Pool, Signal

AUTHOR_POINTS = 3.0  # a followed author is a strong signal


class AuthorSignal(Signal):
    name = "authors"
    description = "Followed authors: a name found among the authors adds 3 × its weight (accents and case ignored)."

    def __init__(self, pool: Pool):
        self.pool = pool

    @classmethod
    def for_pool(cls, pool: Pool) -> AuthorSignal | None:
        wanted = any(m.terms[i].field == "au" for m in pool.matchers for i in m.positive)
        return cls(pool) if wanted else None

    def hits(self, candidate: Candidate) -> list[Hit]:
        hits = []
        for matcher, found in zip(self.pool.matchers, candidate.matches):
            for i in matcher.positive:
                where = found.get(i)
                if where is not None and where.authors:
                    term = matcher.terms[i]
                    hits.append(Hit(term=term.text, field="authors", points=round(term.weight * AUTHOR_POINTS, 2), signal="authors"))
        return hits
