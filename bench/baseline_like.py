"""FROZEN BASELINE for bench/relevance.py: the `like=` signal main had before issue 24 (do not use elsewhere).

The `like=` signal: papers similar to seed papers, and `unlike=` for papers to push down.

Similarity is the cosine of TF-IDF vectors over title and abstract (Snowball stems, stop words
removed, title words counted twice), with document frequencies from the same pool the keyword
signal uses plus the seeds. A candidate scores `LIKE_POINTS ×` its cosine to the nearest seed;
the explanation names that seed and the words they share that weigh most. `unlike=` seeds
subtract the same way. Pure Python: a pool of 1,100 papers against 10 seeds takes tens of
milliseconds (bench/relevance.py), so numpy or scikit-learn would only add megabytes.
"""

from __future__ import annotations

import math
from collections import Counter

from core.papers import Paper
from core.ranking.types import Candidate, Hit, Pool
from core.embeddings import key_of
from core.ranking.signals import like as today
from core.ranking.signals.like import dot
from core.ranking.signals.like import STOP_STEMS
from core.ranking.text import Doc, analyse, is_word

LIKE_POINTS = 10.0
FLOOR = 0.05  # below this cosine a paper is not "like" a seed (a like-only feed drops it)
SHOWN_WORDS = 3



def terms(doc: Doc) -> Counter:
    """Stems of a paper's words (title twice), stop words and single characters left out."""
    counts: Counter = Counter()
    for text, times in ((doc.title, 2), (doc.abstract, 1)):
        for key, n in text.stem_counts.items():
            if len(key) > 1 and key not in STOP_STEMS and not key.isdigit():
                counts[key] += n * times
    return counts


def _surface(doc: Doc) -> dict[str, str]:
    """A readable word for each stem of `doc` (its first spelling)."""
    shown: dict[str, str] = {}
    for text in (doc.title, doc.abstract):
        for token, key in zip(text.tokens, text.stems):
            if is_word(token):
                shown.setdefault(key, token)
    return shown


class _Vectors:
    def __init__(self, docs: list[Counter]):
        df: Counter = Counter()
        for counts in docs:
            df.update(counts.keys())
        n = len(docs)
        self.idf = {key: math.log((1 + n) / (1 + d)) + 1 for key, d in df.items()}

    def vector(self, counts: Counter) -> dict[str, float]:
        weights = {k: (1 + math.log(c)) * self.idf.get(k, 1.0) for k, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {k: w / norm for k, w in weights.items()}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b[k] for k, w in a.items() if k in b)


class _Seed:
    def __init__(self, paper: Paper, vector: dict[str, float], dense: list[float] | None):
        self.paper = paper
        self.vector = vector
        self.dense = dense  # its embedding, when the pool has them
        self.words = _surface(analyse(paper))

    @property
    def label(self) -> str:
        return f"{self.paper.id}v{self.paper.version}" if self.paper.version > 1 else self.paper.id

    def shared(self, vector: dict[str, float]) -> str:
        common = sorted((k for k in vector if k in self.vector), key=lambda k: vector[k] * self.vector[k], reverse=True)
        return ", ".join(self.words.get(k, k) for k in common[:SHOWN_WORDS])


class LikeSignal(today.LikeSignal):  # its inputs and seed fetching (prepare) are today's; its scoring is the old one
    name = "like"
    description = (
        "Papers like these (like=): similarity of title and abstract words (TF-IDF cosine, stems, "
        f"stop words left out) to the nearest seed paper adds {LIKE_POINTS:g} × the similarity; "
        "unlike= seeds subtract the same way (where the server sets EMBEDDINGS_MODEL, the cosine of embeddings "
        "replaces TF-IDF; the words shown are still the shared words that weigh most). With q, the terms choose the papers and similarity adds to their score; "
        "without q, papers with a similarity of at least " + f"{FLOOR:g} are listed."
    )

    def __init__(self, pool: Pool, prepared: today.Seeds):  # type: ignore[override]
        self.pool = pool
        own = [terms(analyse(c.paper)) for c in pool.candidates]
        seeds = [terms(analyse(p)) for p in (*prepared.like, *prepared.unlike)]
        self.space = _Vectors(own + seeds)
        self.dense = prepared.embeddings
        self.like = [self._seed(p) for p in prepared.like]
        self.unlike = [self._seed(p) for p in prepared.unlike]

    def _seed(self, paper: Paper) -> _Seed:
        return _Seed(paper, self.space.vector(terms(analyse(paper))), self.dense.get(key_of(paper)) if self.dense else None)

    def _similarity(self, seed: _Seed, vector: dict[str, float], dense: list[float] | None) -> float:
        if seed.dense is not None and dense is not None:
            return dot(seed.dense, dense)
        return cosine(vector, seed.vector)

    @classmethod
    def for_pool(cls, pool: Pool) -> LikeSignal | None:
        prepared = pool.prepared.get(cls.name)
        return cls(pool, prepared) if prepared is not None and (prepared.like or prepared.unlike) else None

    def hits(self, candidate: Candidate) -> list[Hit]:
        vector = self.space.vector(terms(analyse(candidate.paper)))
        dense = self.dense.get(key_of(candidate.paper)) if self.dense else None
        hits = []
        for seeds, signal, sign, verb in ((self.like, "like", 1, "closest to"), (self.unlike, "unlike", -1, "close to unwanted")):
            best = max(((self._similarity(s, vector, dense), s) for s in seeds if s.paper.id != candidate.paper.id),
                       key=lambda x: x[0], default=None)
            if best is None or best[0] < FLOOR:
                continue
            similarity, seed = best
            hits.append(Hit(
                term=f"{verb} {seed.label}", field="text", signal=signal,
                points=sign * round(LIKE_POINTS * similarity, 1),
                note=f"{similarity:.2f}: {seed.shared(vector)}",
            ))
        return hits
