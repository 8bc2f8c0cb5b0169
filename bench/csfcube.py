"""CSFCube (bench/relevance_data/csfcube): graded relevance of candidate papers to a query paper,
judged by experts, and its evaluation protocol, written here from the paper's description.

Metrics per query, over its whole pool in the ranked order: NDCG@20 and NDCG%20 (at 20% of the
pool; CSFCube's headline) with the graded labels 0-3 as gains (DCG with the first two ranks
undiscounted, as CSFCube's evaluation does), and average precision with "relevant" = grade 2 or
3. Aggregates as CSFCube reports them: the mean of the two test folds' means
(`evaluation_splits.json`), per facet and over all 50 query-facet pairs ("aggregated").
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core.papers import Paper

DATA = Path(__file__).resolve().parent / "relevance_data" / "csfcube" / "csfcube.json.gz"
FACETS = ("background", "method", "result")
METRICS = ("ndcg@20", "ndcg%20", "map")
RELEVANT = 2  # grade from which a candidate counts as relevant for MAP (CSFCube's threshold)


@dataclass(frozen=True)
class Query:
    query: str
    facet: str
    candidates: tuple[str, ...]
    grades: dict[str, int]
    specter: tuple[str, ...]  # the published SPECTER ranking of the pool

    @property
    def key(self) -> str:
        return f"{self.query}_{self.facet}"


@cache
def load() -> tuple[dict[str, dict], tuple[Query, ...], dict]:
    data = json.loads(gzip.decompress(DATA.read_bytes()))
    queries = tuple(
        Query(q["query"], q["facet"], tuple(q["candidates"]), dict(zip(q["candidates"], q["grades"])), tuple(q["specter"]))
        for q in data["queries"]
    )
    return data["papers"], queries, data["splits"]


def arxiv_id(pid: str) -> str:
    """A made-up arXiv id (2101.NNNNN) for a CSFCube paper id, stable across runs."""
    _, queries, _ = load()
    return _ids()[pid]


@cache
def _ids() -> dict[str, str]:
    papers, _, _ = load()
    return {pid: f"2101.{n:05d}" for n, pid in enumerate(sorted(papers, key=int), 1)}


def paper(pid: str, announced: dt.date = dt.date(2021, 1, 4)) -> Paper:
    papers, _, _ = load()
    p = papers[pid]
    return Paper(id=_ids()[pid], title=p["title"], abstract=p["abstract"], authors=[], categories=["cs.CL"],
                 announced=announced)


def pid_of(arxiv: str) -> str:
    return _pids()[arxiv]


@cache
def _pids() -> dict[str, str]:
    return {a: p for p, a in _ids().items()}


# --- metrics -----------------------------------------------------------------------------


def _dcg(gains: Sequence[int], k: int) -> float:
    return sum(g if rank <= 2 else g / math.log2(rank) for rank, g in enumerate(gains[:k], 1))


def ndcg(gains: Sequence[int], k: int) -> float:
    best = _dcg(sorted(gains, reverse=True), k)
    return _dcg(gains, k) / best if best else 0.0


def average_precision(gains: Sequence[int]) -> float:
    hits, total = 0, 0.0
    for rank, g in enumerate(gains, 1):
        if g >= RELEVANT:
            hits += 1
            total += hits / rank
    return total / hits if hits else 0.0


def query_metrics(query: Query, ranked: Sequence[str]) -> dict[str, float]:
    """`ranked`: CSFCube ids best first; candidates left out follow in pool order."""
    seen = set(ranked)
    order = [p for p in ranked if p in query.grades] + [p for p in query.candidates if p not in seen]
    gains = [query.grades[p] for p in order]
    return {"ndcg@20": ndcg(gains, 20), "ndcg%20": ndcg(gains, int(0.2 * len(gains))), "map": average_precision(gains)}


def aggregate(per_query: dict[str, dict[str, float]], facet: str = "all") -> dict[str, float]:
    """CSFCube's test figure: the mean of the two test folds' means."""
    _, _, splits = load()
    folds = [splits[facet][f"fold{n}_test"] for n in (1, 2)]
    return {m: statistics.fmean(statistics.fmean(per_query[k][m] for k in fold) for fold in folds) for m in METRICS}


def evaluate(rank: Callable[[Query], Sequence[str]]) -> dict[str, dict[str, float]]:
    """{facet or "all": {metric: value}} of a ranking function over the 50 query-facet pairs."""
    _, queries, _ = load()
    per_query = {q.key: query_metrics(q, rank(q)) for q in queries}
    return {facet: aggregate(per_query, facet) for facet in ("all", *FACETS)}


# --- through the real service ------------------------------------------------------------

_CHANNEL = """<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0"><channel>
<title>cs.CL updates on arXiv.org</title><link>http://rss.arxiv.org/rss/cs.CL</link><description>cs.CL updates</description>
<pubDate>Mon, 27 Apr 2026 00:00:00 -0400</pubDate>{items}</channel></rss>"""
_ITEM = """<item><title>{title}</title><link>https://arxiv.org/abs/{id}</link>
<description>arXiv:{id}v1 Announce Type: new
Abstract: {abstract}</description><guid isPermaLink="false">oai:arXiv.org:{id}v1</guid>
<category>cs.CL</category><pubDate>Mon, 27 Apr 2026 00:00:00 -0400</pubDate><arxiv:announce_type>new</arxiv:announce_type>
<dc:creator>CSFCube</dc:creator></item>"""
_ENTRY = """<entry xmlns="http://www.w3.org/2005/Atom" xmlns:arxiv="http://arxiv.org/schemas/atom">
<id>http://arxiv.org/abs/{id}v1</id><updated>{year}-06-01T12:00:00Z</updated><published>{year}-06-01T12:00:00Z</published>
<title>{title}</title><summary>{abstract}</summary><author><name>CSFCube</name></author>
<arxiv:primary_category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/><category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/></entry>"""


def listing(pids: Sequence[str]) -> bytes:
    """An arXiv-shaped cs.CL listing holding these papers (a query's pool)."""
    from xml.sax.saxutils import escape

    papers, _, _ = load()
    items = "".join(_ITEM.format(id=_ids()[p], title=escape(papers[p]["title"]), abstract=escape(papers[p]["abstract"])) for p in pids)
    return _CHANNEL.format(items=items).encode()


def api_entry(pid: str):
    """The query paper as the query API answers it (the `like=` seed)."""
    import xml.etree.ElementTree as ET
    from xml.sax.saxutils import escape

    papers, _, _ = load()
    p = papers[pid]
    return ET.fromstring(_ENTRY.format(id=_ids()[pid], year=p["year"] or 2020, title=escape(p["title"]), abstract=escape(p["abstract"])))


def through_service(signal: type) -> tuple[dict[str, dict[str, float]], float]:
    """CSFCube through the real service with `signal` as the like= signal: for each query a fake
    arXiv (tests/fakearxiv.py on 127.0.0.1) lists its pool as the day's cs.CL listing and its
    query API serves the query paper; the app ranks `/feed?cat=cs.CL&like={query}` (JSON, up to
    500 items). Papers the feed does not list (below the similarity floor) follow in pool order.
    Returns the figures and the seconds the 50 requests took."""
    import time

    from core.ranking import registry as signals
    from tests.conftest import running_app
    from tests.fakearxiv import FakeArxiv

    _, queries, _ = load()
    registry = signals.REGISTRY
    signals.REGISTRY = tuple(signal if s.name == "like" else s for s in registry)  # type: ignore[assignment]
    fake = FakeArxiv().start()
    per_query: dict[str, dict[str, float]] = {}
    spent = 0.0
    try:
        for q in queries:
            fake.serve_xml(listing(q.candidates))
            fake.serve_api([api_entry(q.query)])
            with running_app(fake) as app:
                started = time.perf_counter()
                response = app.get(f"/feed?cat=cs.CL&like={_ids()[q.query]}&format=json&limit=500")
                spent += time.perf_counter() - started
            response.raise_for_status()
            ranked = [pid_of(item["id"].rsplit("/", 1)[-1].split("v")[0]) for item in response.json()["items"]]
            per_query[q.key] = query_metrics(q, ranked)
    finally:
        signals.REGISTRY = registry  # type: ignore[assignment]
        fake.stop()
    return {facet: aggregate(per_query, facet) for facet in ("all", *FACETS)}, spent
