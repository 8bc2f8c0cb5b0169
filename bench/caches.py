"""How often each in-process cache answers, and what its misses cost, under one realistic
workload at the default CACHE_MAX_BYTES: the split now (`core.cache.CacheBudgets.split`)
against the limits the caches had before they became `ByteLRU`s (4015860^: derived fields
50,000 papers, embedding vectors 20,000, feed URLs 512, all outside the budget) and the split
that change made (a 32nd each; vectors held as lists of floats), in one run.

    python -m bench.caches          # about a minute

In this process: the bench's fake arXiv (bench.perf: 4 categories x ~500 items, today's listing
only), the LLM stub of the tests answering /embeddings with 1536 dimensions (as
text-embedding-3-small), a SQLite store, and the app with `EMBEDDINGS_MODEL` set, the perf
profile (4 categories, 10 keywords) and these readers, three rounds each:

- the profile's feed (RSS, JSON); four query feeds (one term; two terms with `has=code`; a
  phrase with a `venue=` boost; an author); three like= feeds over the 4 categories (~1,300
  candidates, embeddings), with different seeds;
- round 1 cold, round 2 the same URLs (readers polling), round 3 each with `limit=` changed
  (new readers of the same feeds: ranked again over the same pool, the memos' case).

Per cache, hits / lookups; per round, what was computed again: papers analysed, derived fields
parsed, embedding vectors read back from the store (and asked of the endpoint); the wall time
spent getting vectors and decoding stored days, as a share of the round's CPU; and the CPU of
the round (this process: server and readers) against the same round before ByteLRU.
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import core.extract
from core import extract
from core.cache import ByteLRU, CacheBudgets
from core.embeddings import Embedder
from core.kv.sqlite import SQLiteKV
from core.listings.store import DayStore
from core.profiles import parse_config
from core.ranking import text
from bench.perf import CACHE_MAX_BYTES, CATS, CONFIG, start_fake
from tests.conftest import running_app
from tests.llm_stub import LLMStub

DIMS = 1536
SPLIT = CacheBudgets.split  # the split now (run() replaces it on the class for a variant)
ALL = ",".join(CATS)
SEEDS = ("2604.14706", "2604.14570", "2604.14314")  # recorded cs.CV papers of 17 April the fake's query API knows
URLS = [
    "/feeds/bench.rss", "/feeds/bench.json",
    "/feed?cat=cs.CV&q=diffusion", "/feed?cat=cs.CV,cs.AI&q=segmentation+detection&has=code",
    '/feed?cat=cs.LG,cs.CL&q="language+model"&venue=CVPR^2', "/feed?cat=cs.AI&author=Wang",
    f"/feed?cat={ALL}&like={SEEDS[0]}&format=json", f"/feed?cat={ALL}&like={SEEDS[1]}&format=json",
    f"/feed?cat={ALL}&like={SEEDS[0]},{SEEDS[2]}&unlike={SEEDS[1]}&format=json",
]
ROUNDS = {"1 cold": "", "2 polled": "", "3 limit=": "limit=37"}


def before_bytelru(total: int, warm_on: bool, embeddings_on: bool = False) -> CacheBudgets:
    """4015860^: warm, analysis and papers as now, results what they left; the other three
    counted entries, outside the budget (here: their entry limits at what an entry weighs)."""
    now = SPLIT(total, warm_on)
    return CacheBudgets(results=total - now.repeat_polls - now.analysis - now.papers, repeat_polls=now.repeat_polls, analysis=now.analysis,
                        papers=now.papers, info=50_000 * 2_300, embeddings=20_000 * (612 + 32 * DIMS), urls=512 * 12_000)


def last_session(total: int, warm_on: bool, embeddings_on: bool = False) -> CacheBudgets:
    """4015860: a 32nd each for derived fields, embedding vectors and feed URLs."""
    warm = total // 8 if warm_on else 0
    analysis, papers = total // 4, int(total // (8 / 3))
    info = embeddings = urls = total // 32
    return CacheBudgets(total - warm - analysis - papers - 3 * info, warm, analysis, papers, info, embeddings, urls)


def as_lists(self: Embedder, key: str, vector: list[float], room: list[int]) -> list[float]:
    """How the memo held a vector before: a list of Python floats (8 + 24 bytes a dimension),
    every one kept (least recently used out first)."""
    self._memo.put(key, vector, 100 + 32 * len(vector))
    return vector


# name -> (the split, how the embeddings memo holds a vector: None as now)
VARIANTS: dict[str, tuple[Callable[..., CacheBudgets], Callable | None]] = {
    "before ByteLRU": (before_bytelru, as_lists), "4015860": (last_session, as_lists), "now": (SPLIT, None),
}


class Lookups:
    """Every ByteLRU.get in the process, counted per cache as (hits, lookups)."""

    def __init__(self) -> None:
        self.counts: dict[int, list[int]] = collections.defaultdict(lambda: [0, 0])

    @contextmanager
    def counting(self) -> Iterator[None]:
        real = ByteLRU.get
        counts = self.counts

        def get(cache: ByteLRU, key: Any) -> Any:
            found = real(cache, key)
            entry = counts[id(cache)]
            entry[0] += found is not None
            entry[1] += 1
            return found

        ByteLRU.get = get  # type: ignore[method-assign]
        try:
            yield
        finally:
            ByteLRU.get = real  # type: ignore[method-assign]


def _timing(method: Callable, spent: dict[str, float], name: str) -> Callable:
    async def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return await method(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - start

    return timed


def run(variant: str, split: Callable[..., CacheBudgets], remember: Callable | None, fake, llm: LLMStub,
        tmp: Path) -> dict[str, dict]:
    text.forget()
    extract._memo.clear()
    derived = [0]
    real_derive = core.extract.derive

    def derive(paper):
        derived[0] += 1
        return real_derive(paper)

    core.extract.derive = derive
    real_split, real_remember = CacheBudgets.__dict__["split"], Embedder._remember
    CacheBudgets.split = staticmethod(split)  # type: ignore[method-assign, assignment]
    Embedder._remember = remember or real_remember  # type: ignore[method-assign]
    lookups = Lookups()
    rounds: dict[str, dict] = {}
    spent = {"vectors": 0.0, "decode": 0.0}  # wall seconds in Embedder.vectors and DayStore._decode
    timed = {(Embedder, "vectors"): "vectors", (DayStore, "_decode"): "decode"}
    originals = {target: getattr(*target) for target in timed}
    for (owner, attr), name in timed.items():
        setattr(owner, attr, _timing(originals[owner, attr], spent, name))
    try:
        kv = SQLiteKV(tmp / f"{variant.replace(' ', '_')}.sqlite")
        with running_app(fake, parse_config(CONFIG), kv=kv, cache_max_bytes=CACHE_MAX_BYTES, warm_cache_s=10,
                         arxiv_backfill_max_requests=0, embeddings_model="bench-embed", llm_base_url=llm.url,
                         llm_api_key="test-key") as app, lookups.counting():
            services = app.app.state.services
            caches = {
                "ranked results, bodies": services.feeds.cache, "warm answers": app.app.repeat_polls.entries,
                "decoded days": services.listings.store.decoded, "analysed text": text._analysed,
                "derived fields": extract._memo, "embedding vectors": services.embedder._memo,
                "feed URLs": app.app.state.feed_specs,
            }
            for name, extra in ROUNDS.items():
                before = {key: list(value) for key, value in lookups.counts.items()}
                spent_before = dict(spent)
                analyses, derives, requests = text.analyses(), derived[0], services.embedder.requests_made
                cpu = time.process_time()
                for url in URLS:
                    response = app.get(url + (("&" if "?" in url else "?") + extra if extra else ""))
                    assert response.status_code == 200, (url, response.status_code, response.text[:300])
                cpu = time.process_time() - cpu
                counts = {cache: [a - b for a, b in zip(lookups.counts[id(c)], before.get(id(c), [0, 0]))]
                          for cache, c in caches.items()}
                rounds[name] = {
                    "cpu_s": cpu, "counts": counts, **{f"{k}_s": spent[k] - spent_before[k] for k in spent},
                    "analysed": text.analyses() - analyses, "derived": derived[0] - derives,
                    "vectors_from_store": counts["embedding vectors"][1] - counts["embedding vectors"][0],
                    "embedding_requests": services.embedder.requests_made - requests,
                    "days_decoded": counts["decoded days"][1] - counts["decoded days"][0],
                    "held": {cache: (len(c), c.bytes, c.max_bytes) for cache, c in caches.items()},
                }
    finally:
        core.extract.derive = real_derive
        CacheBudgets.split = real_split  # type: ignore[method-assign]
        for (owner, attr), original in originals.items():
            setattr(owner, attr, original)
        Embedder._remember = real_remember  # type: ignore[method-assign]
    return rounds


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    fake = start_fake()
    fake.serve_api_from("rss_cs.CV_2026-04-17.xml")  # the like= seeds
    llm = LLMStub()
    llm.dims = DIMS
    results: dict[str, dict] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for variant, (split, remember) in VARIANTS.items():
                results[variant] = run(variant, split, remember, fake, llm, Path(tmp))
    finally:
        fake.stop()
        llm.stop()
    print(f"CACHE_MAX_BYTES {CACHE_MAX_BYTES:,}; {len(URLS)} URLs a round; embeddings of {DIMS} dimensions")
    names = list(next(iter(results.values()))["1 cold"]["counts"])
    for variant, rounds in results.items():
        last = rounds[list(ROUNDS)[-1]]["held"]
        print(f"\n{variant}: at the end, MB held of the budget (entries): "
              + "; ".join(f"{n} {last[n][1] / 1e6:.1f} of {last[n][2] / 1e6:.1f} ({last[n][0]:,})" for n in names))
        print(f"  {'round':<10}" + "".join(f"{n[:14]:>16}" for n in names)
              + f"{'analysed':>10}{'derived':>9}{'vec<-KV':>9}{'embed rq':>9}{'vectors':>9}{'decode':>8}{'CPU':>8}")
        base = results[list(VARIANTS)[0]]
        for name, r in rounds.items():
            cells = "".join(f"{(f'{h}/{n} ' + (f'{h / n:.0%}' if n else '-')):>16}" for h, n in r["counts"].values())
            cpu = r["cpu_s"] / base[name]["cpu_s"]
            print(f"  {name:<10}{cells}{r['analysed']:>10,}{r['derived']:>9,}{r['vectors_from_store']:>9,}"
                  f"{r['embedding_requests']:>9,}{r['vectors_s'] / r['cpu_s']:>9.0%}{r['decode_s'] / r['cpu_s']:>8.0%}{cpu:>7.2f}x")
    print("\nvectors, decode: wall time in Embedder.vectors (memo, store, endpoint) and in decoding stored days, "
          "as a share of the round's CPU;\nCPU: of the round against the same round of 'before ByteLRU' (this process: "
          "app and readers, one run; the machine is shared).")


if __name__ == "__main__":
    main()
