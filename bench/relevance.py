"""Relevance evaluation of the ranking: `python -m bench.relevance` (a few minutes, deterministic).

First, CSFCube (bench/csfcube.py): 50 query papers, each with a pool of 90-250 candidates
graded 0-3 by experts. For each query `like=` the query paper ranks its pool through the real
service (a fake arXiv on 127.0.0.1 lists the pool and serves the seed), today's `like=`
(bench/baseline_like.py, frozen) and the new one side by side, with NDCG@20, NDCG%20 and MAP as
CSFCube reports them, next to the SPECTER rankings the CSFCube repository publishes, scored the
same way. Then, secondary, the cross-lists:

Labelled sets from the recorded cs.CV days in tests/fixtures (2026-04-21: 501 papers,
2026-04-17: 186; every announce type, each paper once): relevant = the paper is also listed in a
category the query did not ask for (cs.RO, cs.CL, eess.IV, cs.GR, cs.LG inside cs.CV), and each
label has a term list a user would plausibly write. Each label is evaluated twice: candidates from
one day, `like=` seeds drawn from the relevant papers of the other day.

Methods: the seed bot's substring rule (case-insensitive substring; title +2, abstract +1), the
word-boundary matcher main had before issue 12 (bench/baseline_matching.py, frozen), the new
keyword signal (core.signals), like= with 1, 3 and 10 seeds (5 seeded draws each, averaged), and
q + like. Metrics: precision@20, R-precision (R = relevant papers in the pool) and average
precision (relevant papers never listed count as misses). Also: sub-word false matches (a match
that starts or ends inside a word, e.g. "RL" in "world"), stemmer speed, analysis and rank times.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import baseline_like, csfcube
from bench import baseline_matching as old
from core.sources.arxiv.parse import parse_listing
from core.matching import Matcher, parse_query
from core.papers import Paper
from core import signals as registry
from core.signals import make_pool, rank_pool
from core.signals import text as analysis
from core.signals.like import LikeSignal

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
DAYS = {"2026-04-21": "rss_cs.CV_2026-04-21.xml", "2026-04-17": "rss_cs.CV_2026-04-17.xml"}
LABELS = {
    "cs.RO": 'robot, manipulation, SLAM, RL, policy, "autonomous driving", navigation, grasping, embodied, locomotion, odometry, "motion planning"',
    "cs.CL": '"language model", LLM, VLM, "vision-language", text, caption, "question answering", multilingual, instruction, reasoning, token, translation',
    "eess.IV": '"image restoration", denoising, compression, "super-resolution", MRI, CT, "medical image", deblurring, "image quality", ultrasound, hyperspectral, "low-light"',
    "cs.GR": 'rendering, "gaussian splatting", mesh, NeRF, avatar, animation, "novel view synthesis", texture, "3D reconstruction", relighting, "neural rendering", geometry',
    "cs.LG": '"representation learning", "self-supervised", optimization, contrastive, federated, generalization, "continual learning", "domain adaptation", "graph neural network", "reinforcement learning", "out-of-distribution", "active learning"',
}
SEED_COUNTS = (1, 3, 10)
DRAWS = 5
K = 20


def load(day: str) -> list[Paper]:
    seen: dict[str, Paper] = {}
    for paper in parse_listing((FIXTURES / DAYS[day]).read_bytes()).papers:
        seen.setdefault(paper.id, paper)
    return list(seen.values())


# --- metrics ----------------------------------------------------------------------------


def metrics(ranked: Sequence[str], relevant: set[str]) -> tuple[float, float, float]:
    """(precision@20, R-precision, average precision) of a ranked list of ids."""
    r = len(relevant)
    p_at_k = sum(1 for i in ranked[:K] if i in relevant) / K
    r_prec = sum(1 for i in ranked[:r] if i in relevant) / r
    hits, total = 0, 0.0
    for n, paper_id in enumerate(ranked, 1):
        if paper_id in relevant:
            hits += 1
            total += hits / n
    return p_at_k, r_prec, total / r


def order(scores: dict[str, float], pool: list[Paper]) -> list[str]:
    """Papers scoring above 0, best first; ties keep the listing's order (what a feed shows)."""
    position = {p.id: n for n, p in enumerate(pool)}
    return sorted((i for i, s in scores.items() if s > 0), key=lambda i: (-scores[i], position[i]))


# --- methods ----------------------------------------------------------------------------


def substring_rule(pool: list[Paper], q: str) -> dict[str, float]:
    terms = [t.text.lower() for t in parse_query(q)]
    return {p.id: sum(2.0 * (t in p.title.lower()) + 1.0 * (t in p.abstract.lower()) for t in terms) for p in pool}


def old_matcher(pool: list[Paper], q: str) -> dict[str, float]:
    matcher = old.Matcher([old.Term(**t.model_dump(exclude={"exact"})) for t in parse_query(q)])
    return {p.id: s.score for p in pool if (s := matcher.score(p)) is not None}


def signals(pool: list[Paper], q: str | None, like: Sequence[Paper] = (), like_signal: type = LikeSignal) -> dict[str, float]:
    matchers = [Matcher(parse_query(q))] if q else []
    saved = registry.REGISTRY
    registry.REGISTRY = tuple(like_signal if s.name == "like" else s for s in saved)  # type: ignore[assignment]
    try:
        # the exact sum orders papers whose shown scores tie, as core.feeds.rank does
        return {s.paper.id: s.score + s.exact * 1e-9 for s in rank_pool(make_pool(pool, matchers, like))}
    finally:
        registry.REGISTRY = saved  # type: ignore[assignment]


# --- sub-word false matches -------------------------------------------------------------

_WORD = re.compile(r"[^\W_]")  # "_" separates words (random_text), as in the matcher


def subword_substring(pool: list[Paper], q: str) -> int:
    """Papers the substring rule credits with a term found only inside longer words."""
    count = 0
    for term in (t.text.lower() for t in parse_query(q)):
        for paper in pool:
            text = f"{paper.title} {paper.abstract}".lower()
            starts = [m.start() for m in re.finditer(re.escape(term), text)]
            if starts and not any(_boundary(text, s, s + len(term)) for s in starts):
                count += 1
    return count


def subword_signal(pool: list[Paper], q: str) -> int:
    """Matches of the keyword signal whose highlighted span starts or ends inside a word."""
    matcher = Matcher(parse_query(q))
    count = 0
    for scored in rank_pool(make_pool(pool, [matcher])):
        for field in ("title", "abstract"):
            text = getattr(scored.paper, field)
            terms = {h.term for h in scored.hits if h.field == field}
            count += sum(1 for s, e in matcher.spans(text, terms, "any") if not _boundary(text, s, e))
    return count


def _boundary(text: str, start: int, end: int) -> bool:
    before = start == 0 or not _WORD.match(text[start - 1])
    after = end >= len(text) or not _WORD.match(text[end])
    return before and after


# --- the run ----------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    day: str
    pool: int
    relevant: int
    results: dict[str, tuple[float, float, float]]
    subword: dict[str, int]
    seeds_available: int  # relevant papers on the other day


def seed_draws(candidates: list[Paper], k: int) -> list[list[Paper]]:
    if len(candidates) <= k:
        return [candidates]
    return [random.Random(draw).sample(candidates, k) for draw in range(DRAWS)]


def average(runs: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    return tuple(statistics.fmean(r[i] for r in runs) for i in range(3))  # type: ignore[return-value]


def evaluate(label: str, q: str, day: str, other: str, days: dict[str, list[Paper]]) -> Row:
    pool = days[day]
    relevant = {p.id for p in pool if label in p.categories}
    seeds_from = [p for p in days[other] if label in p.categories]
    results: dict[str, tuple[float, float, float]] = {}
    methods: dict[str, Callable[[], dict[str, float]]] = {
        "substring rule (seed bot)": lambda: substring_rule(pool, q),
        "word-boundary matcher (before)": lambda: old_matcher(pool, q),
        "keyword signal (new)": lambda: signals(pool, q),
    }
    for name, method in methods.items():
        results[name] = metrics(order(method(), pool), relevant)
    for k in SEED_COUNTS:
        draws = seed_draws(seeds_from, k)  # all of them when the other day has fewer than k
        for tag, cls in (("", LikeSignal), (" (today's)", baseline_like.LikeSignal)):
            name = f"{k} seed{'s' if k > 1 else ''}{tag}"
            results[f"like= {name}"] = average([metrics(order(signals(pool, None, s, cls), pool), relevant) for s in draws])
            results[f"q + like= {name}"] = average([metrics(order(signals(pool, q, s, cls), pool), relevant) for s in draws])
    subword = {"substring rule (seed bot)": subword_substring(pool, q), "keyword signal (new)": subword_signal(pool, q)}
    return Row(label, day, len(pool), len(relevant), results, subword, len(seeds_from))


def timings(days: dict[str, list[Paper]]) -> list[str]:
    import Stemmer

    pool = days["2026-04-21"]
    words = [t for p in pool for t, _, _ in analysis.tokens_with_spans(f"{p.title} {p.abstract}") if analysis.is_word(t)]
    c = Stemmer.Stemmer("english")
    c.maxCacheSize = 0
    started = time.perf_counter()
    b = c.stemWords(words)
    t_c = time.perf_counter() - started
    try:
        import snowballstemmer.english_stemmer as pure_snowball
    except ImportError:  # not installed: the comparison is skipped, not the run
        lines = [f"stemming the {len(words):,} words of the 2026-04-21 day: PyStemmer (C) {t_c * 1000:.0f} ms "
                 "(snowballstemmer not installed: no pure-Python comparison)"]
    else:
        pure = pure_snowball.EnglishStemmer()
        started = time.perf_counter()
        a = [pure.stemWord(w) for w in words]
        t_pure = time.perf_counter() - started
        lines = [f"stemming the {len(words):,} words of the 2026-04-21 day: snowballstemmer (pure Python) "
                 f"{t_pure * 1000:.0f} ms, PyStemmer (C) {t_c * 1000:.0f} ms ({t_pure / t_c:.0f}x), "
                 f"{sum(x != y for x, y in zip(a, b))} different stems"]
    analysis.forget()
    started = time.perf_counter()
    for p in pool:
        analysis.analyse(p)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    for p in pool:
        analysis.analyse(p)
    warm = time.perf_counter() - started
    lines.append(f"analysing the day's {len(pool)} papers: first time {cold * 1000:.0f} ms, again (memoised) {warm * 1000:.1f} ms")
    q = LABELS["cs.RO"]
    seeds = [p for p in days["2026-04-17"] if "cs.LG" in p.categories][:10]
    for name, run in (("keyword signal, 12 terms", lambda: signals(pool, q)), ("like= 10 seeds", lambda: signals(pool, None, seeds)),
                      ("like= 10 seeds, today's (before issue 24)", lambda: signals(pool, None, seeds, baseline_like.LikeSignal)),
                      ("q + like= 10 seeds", lambda: signals(pool, q, seeds))):
        run()
        started = time.perf_counter()
        for _ in range(3):
            run()
        lines.append(f"ranking the {len(pool)} papers, {name}: {(time.perf_counter() - started) / 3 * 1000:.0f} ms")
    return lines


def table(rows: list[Row]) -> str:
    names = list(rows[0].results)
    out = ["| set (candidates; relevant) | method | P@20 | R-prec | AP |", "| --- | --- | ---: | ---: | ---: |"]
    for row in rows:
        for n, name in enumerate(names):
            p, r, ap = row.results[name]
            head = f"{row.label} in cs.CV {row.day} ({row.pool}; {row.relevant}; {row.seeds_available} seeds to draw from)" if n == 0 else ""
            out.append(f"| {head} | {name} | {p:.2f} | {r:.2f} | {ap:.2f} |")
    return "\n".join(out)


def summary(rows: list[Row]) -> str:
    names = list(rows[0].results)
    out = ["| method | mean P@20 | mean R-prec | mean AP |", "| --- | ---: | ---: | ---: |"]
    for name in names:
        values = [row.results[name] for row in rows]
        out.append(f"| {name} | " + " | ".join(f"{statistics.fmean(v[i] for v in values):.2f}" for i in range(3)) + " |")
    return "\n".join(out)


def goals(rows: list[Row]) -> list[str]:
    lines = []
    for row in rows:
        seed = row.results["substring rule (seed bot)"][1]
        new = row.results["keyword signal (new)"][1]
        q_alone = row.results["keyword signal (new)"]
        deltas = [(v[1] - q_alone[1], v[2] - q_alone[2]) for name, v in row.results.items() if name.startswith("q + like") and "today" not in name]
        worst = min(min(d) for d in deltas)
        lines.append(
            f"{row.label} {row.day}: R-prec new - seed rule = {new - seed:+.2f} ({'met' if new - seed >= 0.10 else 'NOT met'}); "
            f"sub-word matches: substring rule {row.subword['substring rule (seed bot)']}, new {row.subword['keyword signal (new)']}; "
            f"q + like - q alone (R-prec, AP; 1/3/10 seeds): {', '.join(f'{r:+.2f}/{a:+.2f}' for r, a in deltas)} "
            f"({'never worse' if worst > -1e-9 else 'worse by up to ' + f'{-worst:.2f}'})"
        )
    return lines


def like_summary(rows: list[Row]) -> str:
    out = ["| like= | P@20 | R-prec | AP |", "| --- | ---: | ---: | ---: |"]
    for tag, label in (("", "new"), (" (today's)", "today's")):
        values = [v for row in rows for name, v in row.results.items() if name.startswith("like= ") and name.endswith(tag) and (tag or "today" not in name)]
        out.append(f"| {label} | " + " | ".join(f"{statistics.fmean(v[i] for v in values):.3f}" for i in range(3)) + " |")
    return "\n".join(out)


def csfcube_report() -> str:
    """CSFCube: today's and the new like= through the service, the published SPECTER rankings."""
    today, t_today = csfcube.through_service(baseline_like.LikeSignal)
    new, t_new = csfcube.through_service(LikeSignal)
    _, queries, _ = csfcube.load()
    specter = csfcube.evaluate(lambda q: q.specter)
    pool_order = csfcube.evaluate(lambda q: q.candidates)
    rows = [("SPECTER (the CSFCube repository's published rankings, scored here)", specter),
            ("today's like= (TF-IDF, nearest seed), through the service", today),
            ("new like= (TF-IDF + word pairs + pseudo-relevance feedback), through the service", new),
            ("the pool's own order (reference)", pool_order)]
    out = ["## CSFCube (expert-graded; test folds as CSFCube reports them; x100)",
           "| ranking | NDCG@20 | NDCG%20 | MAP | background NDCG@20 / MAP | method NDCG@20 / MAP | result NDCG@20 / MAP |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, f in rows:
        a = f["all"]
        facets = " | ".join(f"{100 * f[x]['ndcg@20']:.2f} / {100 * f[x]['map']:.2f}" for x in csfcube.FACETS)
        out.append(f"| {name} | {100 * a['ndcg@20']:.2f} | {100 * a['ndcg%20']:.2f} | {100 * a['map']:.2f} | {facets} |")
    gain = 100 * (new["all"]["ndcg@20"] - today["all"]["ndcg@20"])
    out.append("")
    out.append(f"- new - today's, NDCG@20: {gain:+.2f}; MAP: {100 * (new['all']['map'] - today['all']['map']):+.2f} "
               f"({len(queries)} query-facet pairs, {sum(len(q.candidates) for q in queries):,} candidates)")
    out.append(f"- the {len(queries)} feed requests took {t_today:.1f} s (today's) and {t_new:.1f} s (new) in all")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="also write the report (Markdown) here")
    parser.add_argument("--only", choices=["csfcube", "crosslists"], help="one of the two parts")
    args = parser.parse_args(argv)
    cube = csfcube_report() if args.only != "crosslists" else ""
    print(cube, flush=True)
    if args.only == "csfcube":
        if args.out:
            args.out.write_text(cube + "\n", encoding="utf-8")
        return
    days = {day: load(day) for day in DAYS}
    rows = []
    for label, q in LABELS.items():
        rows.append(evaluate(label, q, "2026-04-21", "2026-04-17", days))
        rows.append(evaluate(label, q, "2026-04-17", "2026-04-21", days))
    report = "\n\n".join(part for part in [
        cube,
        "## Cross-lists: summary (mean over the sets)", summary(rows),
        "## Cross-lists: like= alone, new vs today's (mean over the sets and 1/3/10 seeds)", like_summary(rows),
        "## Goals per set", "\n".join(f"- {line}" for line in goals(rows)),
        "## Per set", table(rows),
        "## Speed (one run)", "\n".join(f"- {line}" for line in timings(days)),
    ] if part)
    print(report)
    if args.out:
        args.out.write_text(report + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
