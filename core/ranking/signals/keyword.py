"""The keyword signal: BM25 over the request's pool, title above abstract, `^weight` multiplies.

A term's worth is its inverse document frequency over the candidates of the request (the stored
days in its window, for its categories and announce types): `SLAM` in 8 of 1,119 papers is worth
far more than `policy` in 40 or `model` in 600. Repeats add less and less (BM25 saturation,
k1 = 1.2, b = 0.75, against the pool's average field length). IDF is divided by ln 10, so a term
found in one paper in ten counts about 2 in a title and 1 in an abstract, as the old flat rule did.
A pool smaller than 100 papers is treated as 100 (a handful of papers cannot show what is rare).
"""

from __future__ import annotations

import math

from core.ranking.types import Candidate, Hit, Pool, Signal

TITLE_BOOST = 2.0
ABSTRACT_BOOST = 1.0
K1 = 1.2
B = 0.75
MIN_POOL = 100
RARE = 0.02  # in at most 2% of the pool: "rare"
COMMON = 0.2  # in at least 20%: "common"


def idf(df: int, n: int) -> float:
    n = max(n, MIN_POOL)
    return math.log(1 + (n - df + 0.5) / (df + 0.5)) / math.log(10)


def saturation(tf: int, length: int, average: float) -> float:
    norm = 1 - B + B * (length / average if average else 1.0)
    return tf * (K1 + 1) / (tf + K1 * norm)


def rarity(df: int, n: int) -> str:
    if df <= max(1, RARE * n):
        return f"rare: {df:,} of {n:,}"
    if df >= COMMON * n:
        return f"common: {df:,} of {n:,}"
    return f"in {df:,} of {n:,}"


class KeywordSignal(Signal):
    name = "keyword"
    description = (
        "Keywords: each term counts where it is found, twice as much in the title as in the abstract, "
        "more the rarer it is among the papers considered (a term in one paper in ten adds about 2 in a "
        "title, 1 in an abstract), a little more when repeated, times its ^weight. Words match by their "
        "stem (robot finds robotics); acronyms, =exact forms and author names match as written."
    )

    def __init__(self, pool: Pool):
        self.pool = pool
        self.n = pool.size
        docs = [c.doc for c in pool.candidates]
        self.avg_title = sum(d.title.length for d in docs) / len(docs) if docs else 0.0
        self.avg_abstract = sum(d.abstract.length for d in docs) / len(docs) if docs else 0.0
        self.df: dict[tuple[int, int], int] = {}
        for candidate in pool.candidates:
            for m, found in enumerate(candidate.matches):
                for i, where in found.items():
                    if where.title or where.abstract:
                        self.df[(m, i)] = self.df.get((m, i), 0) + 1

    @classmethod
    def for_pool(cls, pool: Pool) -> KeywordSignal | None:
        wanted = any(m.terms[i].field != "au" for m in pool.matchers for i in m.positive)
        return cls(pool) if wanted else None

    def hits(self, candidate: Candidate) -> list[Hit]:
        hits = []
        doc = candidate.doc
        for m, (matcher, found) in enumerate(zip(self.pool.matchers, candidate.matches)):
            for i in matcher.positive:
                where = found.get(i)
                term = matcher.terms[i]
                if where is None or term.field == "au":
                    continue
                df = self.df.get((m, i), 1)
                worth = term.weight * idf(df, self.n)
                note = rarity(df, self.n)
                if where.title:
                    points = worth * TITLE_BOOST * saturation(where.title, doc.title.length, self.avg_title)
                    hits.append(Hit(term=term.text, field="title", points=_round(points), note=note))
                if where.abstract:
                    points = worth * ABSTRACT_BOOST * saturation(where.abstract, doc.abstract.length, self.avg_abstract)
                    hits.append(Hit(term=term.text, field="abstract", points=_round(points), note=note))
        return hits


def _round(points: float) -> float:
    return max(round(points, 1), 0.1)  # a match always shows as adding something
