"""Calibrate the cost units (core/ranking/cost.py, like= in core/ranking/signals/like.py): CPU of a unit for keyword terms and for like= seeds.

    python -m bench.like_cost             # about a minute
    python -m bench.like_cost --n 3000    # like= candidates (default 3,000)

In this process, no server: the recorded cs.CV day (501 papers) copied under other ids into a
pool, analysed text memo at the service's share of the default CACHE_MAX_BYTES (16 MB) and
emptied before each ranking (the heaviest requests find little of their pool analysed). Figures,
CPU seconds (time.process_time) of `core.feeds.rank`:

- keyword: 16 terms found in most papers (nothing skimmed) over 30,000 papers, its units
  (terms x papers) and CPU per unit: the unit everything else is costed in;
- like=: 2 and 40 seeds (half like=, half unlike=) over `--n` candidates; from the two, CPU per
  byte of candidate text and per (candidate, seed) pair, and the constants of like.py that make
  a like= unit cost what a keyword unit costs; then what the current constants say.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from core.sources.arxiv.parse import parse_listing
from core.cache import ANALYSIS_SHARE
from core.feeds import MAX_RANK_COST, FeedSpec, FeedWishes, rank
from core.profiles import Profile
from core.ranking import text
from core.ranking.cost import costs
from core.ranking.signals.like import LIKE_BYTES_PER_UNIT, LIKE_PAIRS_PER_UNIT, LikeInputs, Seeds
from core.ranking.types import Work
from tests.fakearxiv import FIXTURES

TERMS = "model,learning,data,method,network,results,performance,task,training,image,approach,propose,based,using,show,framework"


def papers(n: int) -> list:
    template = parse_listing((FIXTURES / "rss_cs.CV_2026-04-21.xml").read_bytes()).papers
    day = dt.date(2026, 4, 21)
    return [template[i % len(template)].model_copy(update={"id": f"2604.{i:05d}", "version": 1, "announced": day})
            for i in range(n)]


def seeds(n: int) -> list:
    return parse_listing((FIXTURES / "rss_cs.CV_2026-04-17.xml").read_bytes()).papers[:n]


def spec(q: str = "") -> FeedSpec:
    return FeedSpec.from_profile("bench", Profile(title="b", categories=["cs.CV"], keywords=[], days=14),
                                 FeedWishes(q=q, limit=50, min_score=0))


def cpu(fn) -> float:
    text.forget()
    t = time.process_time()
    fn()
    return time.process_time() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=3000, help="like= candidates")
    args = parser.parse_args()
    text.set_budget(64_000_000 // ANALYSIS_SHARE)

    pool = papers(30_000)
    kw = spec(TERMS.replace(",", " "))
    terms = sum(len(m.terms) for m in kw.matchers)
    units = terms * len(pool)
    kw_s = cpu(lambda: rank(pool, kw))
    unit_us = kw_s / units * 1e6
    print(f"keyword: {terms} terms x {len(pool):,} papers = {units:,} units: {kw_s:.2f} s CPU, {unit_us:.2f} us a unit")

    like_pool = pool[: args.n]
    text_bytes = sum(len(p.title) + len(p.abstract) for p in like_pool)
    found = {}
    for k in (2, 40):
        s = seeds(k)
        found[k] = cpu(lambda: rank(like_pool, spec(), {"like": Seeds(like=s[: k // 2], unlike=s[k // 2:])}))
        print(f"like=: {k} seeds x {args.n:,} candidates ({text_bytes / 1e6:.1f} MB of text): {found[k]:.2f} s CPU")
    per_pair = (found[40] - found[2]) / (38 * args.n)
    per_byte = (found[2] - 2 * args.n * per_pair) / text_bytes
    print(f"  {per_byte * 1e9:.0f} ns a byte of text ({per_byte * 1500 * 1e6:.0f} us a 1.5 KB paper), {per_pair * 1e6:.1f} us a pair")
    print(f"  at {unit_us:.2f} us a unit: LIKE_BYTES_PER_UNIT ~ {unit_us / 1e6 / per_byte:.1f}, "
          f"LIKE_PAIRS_PER_UNIT ~ {unit_us / 1e6 / per_pair:.2f} (a unit is {1 / (per_pair / (unit_us / 1e6)):.2f} pairs)")
    work = Work(candidates=args.n, text_bytes=text_bytes, terms=0)
    forty = LikeInputs.model_construct(like=[f"2604.{n:05d}" for n in range(40)], unlike=[], like_author="")
    now = sum(cost.units for cost in costs(work, {"like": forty}))
    print(f"  like.py now ({LIKE_BYTES_PER_UNIT} bytes, {LIKE_PAIRS_PER_UNIT} pairs a unit): 40 seeds x {args.n:,} = {now:,} units, "
          f"{found[40] / now * 1e6:.2f} us a unit (keyword {unit_us:.2f}); MAX_RANK_COST {MAX_RANK_COST:,} would take "
          f"{found[40] / now * MAX_RANK_COST:.2f} s (keyword {unit_us * MAX_RANK_COST / 1e6:.2f} s)")


if __name__ == "__main__":
    main()
