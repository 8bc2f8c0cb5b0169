"""The `like=` variants tried for issue 24, each measured on CSFCube and on the cross-lists:
`python -m bench.like_variants` (about a minute). In process, over the same text analysis as
the service (core.ranking.text); the chosen one is core/ranking/signals/like.py, and bench.relevance
measures it and today's through the real service.

A variant is a weighting of each paper's stems (title weight, TF, IDF, length normalisation,
stop words, word pairs) and a way to combine several seeds (nearest, mean of the nearest
few, centroid, recency weights); similarity is the cosine of the weighted vectors.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bench import csfcube
from bench import relevance as cross
from core.papers import Paper
from core.ranking.signals.like import STOP_STEMS
from core.ranking.text import FieldText, analyse

_EXTRA_STOP = frozenset(s for s in "".join(["also thus can may two one first second three well however often among",
                                           " task tasks model models data dataset datasets perform performance",
                                           " improv improve improved achiev achieve state art problem"]).split())


@dataclass(frozen=True)
class Variant:
    name: str
    title: float = 2.0  # a title word counts this many times
    tf: str = "log"  # log: 1 + ln tf; raw; bm25 (k1, b against the pool's mean length)
    k1: float = 1.2
    b: float = 0.75
    idf: str = "smooth"  # smooth: ln((1+n)/(1+df)) + 1; bm25: ln(1 + (n-df+.5)/(df+.5)); none
    idf_power: float = 1.0
    stop: str = "base"  # base (today's list), none, more
    pairs: float = 0.0  # weight of adjacent stem pairs (phrases), 0: none
    combine: str = "max"  # max, mean2, mean3, centroid, softmax
    recency: float = 0.0  # seed weight halves every `recency` positions (0: equal)
    feedback: int = 0  # pseudo-relevance feedback: add the centroid of the nearest N candidates to each seed
    feedback_weight: float = 0.3
    floor: float = 0.05  # a like-only feed lists the papers at least this near


def _stems(text: FieldText, stop: frozenset[str]) -> list[str]:
    return [s for t, s in zip(text.tokens, text.stems) if t[:1].isalnum() and len(s) > 1 and s not in stop and not s.isdigit()]


def counts(paper: Paper, v: Variant) -> tuple[Counter, int]:
    stop = {"base": STOP_STEMS, "none": frozenset(), "more": STOP_STEMS | _EXTRA_STOP}[v.stop]
    doc = analyse(paper)
    out: Counter = Counter()
    length = 0
    for text, times in ((doc.title, v.title), (doc.abstract, 1.0)):
        words = _stems(text, stop)
        length += len(words)
        for w in words:
            out[w] += times
        if v.pairs:
            for a, b in zip(words, words[1:]):
                out[f"{a} {b}"] += times * v.pairs
    return out, length


class Space:
    def __init__(self, docs: list[tuple[Counter, int]], v: Variant):
        self.v = v
        df: Counter = Counter()
        for c, _ in docs:
            df.update(c.keys())
        n = len(docs)
        self.avg = statistics.fmean(length for _, length in docs) if docs else 1.0
        if v.idf == "smooth":
            self.idf = {k: (math.log((1 + n) / (1 + d)) + 1) ** v.idf_power for k, d in df.items()}
        elif v.idf == "bm25":
            self.idf = {k: math.log(1 + (n - d + 0.5) / (d + 0.5)) ** v.idf_power for k, d in df.items()}
        else:
            self.idf = {k: 1.0 for k in df}

    def vector(self, doc: tuple[Counter, int]) -> dict[str, float]:
        c, length = doc
        v = self.v
        if v.tf == "log":
            tf = {k: 1 + math.log(x) if x >= 1 else x for k, x in c.items()}
        elif v.tf == "raw":
            tf = dict(c)
        else:
            norm = 1 - v.b + v.b * length / self.avg
            tf = {k: x * (v.k1 + 1) / (x + v.k1 * norm) for k, x in c.items()}
        w = {k: t * self.idf.get(k, 1.0) for k, t in tf.items()}
        size = math.sqrt(sum(x * x for x in w.values())) or 1.0
        return {k: x / size for k, x in w.items()}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b[k] for k, w in a.items() if k in b)


def scores(pool: Sequence[Paper], seeds: Sequence[Paper], v: Variant) -> dict[str, float]:
    """Similarity of each candidate to the seeds (seeds newest first)."""
    docs = [counts(p, v) for p in pool]
    seed_docs = [counts(p, v) for p in seeds]
    space = Space(docs + seed_docs, v)
    seed_vectors = [space.vector(d) for d in seed_docs]
    vectors = {p.id: space.vector(d) for p, d in zip(pool, docs)}
    if v.feedback:
        seed_vectors = [_feedback(s, [vectors[p.id] for p in pool if p.id != i], v) for s, i in zip(seed_vectors, [x.id for x in seeds])]
    weights = [0.5 ** (i / v.recency) if v.recency else 1.0 for i in range(len(seeds))]
    centroid: dict[str, float] = {}
    if v.combine == "centroid":
        for vec, wt in zip(seed_vectors, weights):
            for k, x in vec.items():
                centroid[k] = centroid.get(k, 0.0) + wt * x
        size = math.sqrt(sum(x * x for x in centroid.values())) or 1.0
        centroid = {k: x / size for k, x in centroid.items()}
    out = {}
    seed_ids = [s.id for s in seeds]
    for p in pool:
        vec = vectors[p.id]
        if v.combine == "centroid":
            out[p.id] = cosine(vec, centroid) if p.id not in seed_ids else 0.0  # (a seed is not "like" itself)
            continue
        # a seed is not "like" itself (the service leaves it out): CSFCube has a query in its own pool
        sims = sorted((cosine(vec, s) * wt for s, wt, i in zip(seed_vectors, weights, seed_ids) if i != p.id), reverse=True) or [0.0]
        if v.combine == "max":
            out[p.id] = sims[0]
        elif v.combine.startswith("mean"):
            out[p.id] = statistics.fmean(sims[: int(v.combine[4:])])
        elif v.combine == "softmax":  # a smooth maximum over the seeds at least FLOOR near
            near = [s for s in sims if s >= v.floor] or sims[:1]
            out[p.id] = math.log(sum(math.exp(8 * s) for s in near)) / 8
    return out


def _feedback(seed: dict[str, float], candidates: list[dict[str, float]], v: Variant) -> dict[str, float]:
    """Rocchio: the seed plus `feedback_weight` x the centroid of its `feedback` nearest candidates."""
    nearest = [c for c in sorted(candidates, key=lambda c: -cosine(seed, c))[: v.feedback] if cosine(seed, c) >= v.floor]
    if not nearest:
        return seed
    out = dict(seed)
    for c in nearest:
        for k, x in c.items():
            out[k] = out.get(k, 0.0) + v.feedback_weight * x / len(nearest)
    size = math.sqrt(sum(x * x for x in out.values())) or 1.0
    return {k: x / size for k, x in out.items()}


def csfcube_figures(v: Variant) -> dict[str, dict[str, float]]:
    """As a like-only feed lists them: papers at least FLOOR near, nearest first (the rest
    follow in pool order, as bench.csfcube counts papers a feed leaves out)."""
    def rank(q: csfcube.Query) -> list[str]:
        pool = [csfcube.paper(p) for p in q.candidates]
        s = scores(pool, [csfcube.paper(q.query)], v)
        return [csfcube.pid_of(p.id) for p in sorted(pool, key=lambda p: -s[p.id]) if s[p.id] >= v.floor]
    return csfcube.evaluate(rank)


def crosslist_figures(v: Variant, days: dict[str, list[Paper]]) -> tuple[float, float, float]:
    """Mean (P@20, R-prec, AP) of like= alone over the 10 cross-list sets and 1/3/10 seeds."""
    runs = []
    for label in cross.LABELS:
        for day, other in (("2026-04-21", "2026-04-17"), ("2026-04-17", "2026-04-21")):
            pool = days[day]
            relevant = {p.id for p in pool if label in p.categories}
            seeds_from = [p for p in days[other] if label in p.categories]
            for k in cross.SEED_COUNTS:
                for seeds in cross.seed_draws(seeds_from, k):
                    s = scores(pool, seeds, v)
                    runs.append(cross.metrics(cross.order({i: x for i, x in s.items() if x >= v.floor}, pool), relevant))
    return tuple(statistics.fmean(r[i] for r in runs) for i in range(3))  # type: ignore[return-value]


TODAY = Variant("today: TF-IDF (1+ln tf), title x2, nearest seed")
NEW = replace(TODAY, name="NEW: + word pairs x0.5, feedback 5 x0.5, soft maximum, floor 0.04", pairs=0.5, feedback=5,
              feedback_weight=0.5, combine="softmax", floor=0.04)
VARIANTS = [
    TODAY,
    replace(TODAY, name="title x1", title=1.0),
    replace(TODAY, name="title x3", title=3.0),
    replace(TODAY, name="raw tf", tf="raw"),
    replace(TODAY, name="BM25 tf (k1 1.2, b 0.75)", tf="bm25"),
    replace(TODAY, name="BM25 tf (k1 1.2, b 0.3)", tf="bm25", b=0.3),
    replace(TODAY, name="BM25 tf + BM25 idf", tf="bm25", idf="bm25"),
    replace(TODAY, name="idf squared", idf_power=2.0),
    replace(TODAY, name="idf ^1.5", idf_power=1.5),
    replace(TODAY, name="idf ^0.75", idf_power=0.75),
    replace(TODAY, name="idf ^0.5", idf_power=0.5),
    replace(TODAY, name="no idf", idf="none"),
    replace(TODAY, name="no stop words", stop="none"),
    replace(TODAY, name="more stop words", stop="more"),
    replace(TODAY, name="word pairs x0.3", pairs=0.3),
    replace(TODAY, name="word pairs x0.5", pairs=0.5),
    replace(TODAY, name="word pairs x1", pairs=1.0),
    replace(TODAY, name="mean of nearest 2 seeds", combine="mean2"),
    replace(TODAY, name="mean of nearest 3 seeds", combine="mean3"),
    replace(TODAY, name="centroid of seeds", combine="centroid"),
    replace(TODAY, name="soft maximum over the seeds at least the floor near", combine="softmax"),
    replace(TODAY, name="nearest seed, recency weights (half-life 5 seeds)", recency=5.0),
    replace(TODAY, name="centroid, recency weights (half-life 5 seeds)", combine="centroid", recency=5.0),
    replace(TODAY, name="feedback: 3 nearest x0.3", feedback=3),
    replace(TODAY, name="feedback: 5 nearest x0.5", feedback=5, feedback_weight=0.5),
    replace(TODAY, name="word pairs x0.5 + feedback 3 x0.3", pairs=0.5, feedback=3),
    replace(TODAY, name="word pairs x0.5 + feedback 5 x0.5", pairs=0.5, feedback=5, feedback_weight=0.5),
    replace(TODAY, name="today, floor 0.04", floor=0.04),
    NEW,
]


def table(variants: Sequence[Variant]) -> str:
    """CSFCube for every variant first (quick), then the cross-lists (slow), each row printed
    as it is measured."""
    days = {day: cross.load(day) for day in cross.DAYS}
    cube = {}
    for v in variants:
        cube[v.name] = f = csfcube_figures(v)
        print(f"CSFCube | {v.name} | " + " | ".join(f"{100 * f['all'][m]:.2f}" for m in csfcube.METRICS), flush=True)
    out = ["| variant | CSFCube NDCG@20 | NDCG%20 | MAP | background / method / result NDCG@20 | cross-lists P@20 | R-prec | AP |",
           "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |"]
    for v in variants:
        f = cube[v.name]
        p, r, ap = crosslist_figures(v, days)
        a = f["all"]
        facets = " / ".join(f"{100 * f[x]['ndcg@20']:.2f}" for x in csfcube.FACETS)
        out.append(f"| {v.name} | {100 * a['ndcg@20']:.2f} | {100 * a['ndcg%20']:.2f} | {100 * a['map']:.2f} | {facets} | {p:.3f} | {r:.3f} | {ap:.3f} |")
        print(out[-1], flush=True)
    return "\n".join(out)


def unlike_table() -> str:
    out = ["| unlike= (a thumbs-down on the top irrelevant paper, CSFCube) | NDCG@20 | NDCG%20 | MAP |", "| --- | ---: | ---: | ---: |"]
    for name, f in unlike_figures().items():
        out.append(f"| {name} | " + " | ".join(f"{100 * f[m]:.2f}" for m in csfcube.METRICS) + " |")
    return "\n".join(out)





# --- what unlike= subtracts ----------------------------------------------------------------

UNLIKE = {
    "no unlike=": lambda like, un: like,
    "today: minus the similarity to the unwanted paper": lambda like, un: like - un,
    "minus half of it": lambda like, un: like - 0.5 * un,
    "minus only what it exceeds the like similarity by": lambda like, un: like - max(0.0, un - like),
}


def unlike_figures(v: Variant = NEW) -> dict[str, dict[str, float]]:
    """CSFCube with a simulated thumbs-down: `like=` the query and `unlike=` the irrelevant
    (grade 0) paper `v` ranks highest, as a reader would mark it; that paper stays in the pool.
    The unwanted paper's similarity is the plain cosine (not widened), counted from the floor."""
    out = {}
    ranked: dict[str, tuple[list, dict[str, float], dict[str, float]]] = {}
    _, queries, _ = csfcube.load()
    for q in queries:
        pool = [csfcube.paper(p) for p in q.candidates]
        like = scores(pool, [csfcube.paper(q.query)], v)
        bad = next((p for p in sorted(pool, key=lambda p: -like[p.id]) if q.grades[csfcube.pid_of(p.id)] == 0), None)
        plain = replace(TODAY, pairs=v.pairs, title=v.title)
        un = scores(pool, [bad], plain) if bad is not None else {p.id: 0.0 for p in pool}
        ranked[q.key] = (pool, like, {k: (x if x >= v.floor else 0.0) for k, x in un.items()})
    for name, rule in UNLIKE.items():
        def rank(q: csfcube.Query) -> list[str]:
            pool, like, un = ranked[q.key]
            s = {p.id: rule(like[p.id], un[p.id]) for p in pool}
            return [csfcube.pid_of(p.id) for p in sorted(pool, key=lambda p: -s[p.id]) if like[p.id] >= v.floor]
        out[name] = csfcube.evaluate(rank)["all"]
    return out


if __name__ == "__main__":
    print(unlike_table(), flush=True)
    print(table(VARIANTS))
