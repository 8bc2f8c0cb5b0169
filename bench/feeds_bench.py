"""End-to-end feed benchmark: the real app (uvicorn) against a fake arXiv, all on 127.0.0.1.

Run from the repo root:

    python -m bench.feeds_bench            # ~15-30 s
    python -m bench.feeds_bench --help

It measures, in one run, and reports mostly as ratios (absolute times are
printed too, but they move a lot between machines and runs):

  a) cold first feed vs warm feed        (fresh app + empty MemoryKV per cold sample)
  b) 200 vs 304                          (If-None-Match with the previous ETag)
  c) upstream requests for 1 and 8 concurrent cold readers, and for a cold
     4-category profile (which should cost a single combined request)
  d) scoring throughput of `core.feeds.rank` (500 papers x 30 terms)

Results go to stdout as a table and to bench/results/latest.json. The exit
status is 1 when a correctness check fails (e.g. concurrent cold readers
causing more than one upstream request), else 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from pathlib import Path

import httpx

from core.sources.arxiv.parse import parse_listing
from core.feeds import FeedSpec, _compiled, rank
from core.kv.memory import MemoryKV
from core.ranking.matching import Matcher
from core.profiles import Profile, parse_config
from core.web import create_app
from tests.conftest import make_settings, serve
from tests.fakearxiv import FIXTURES, FakeArxiv

BENCH_DIR = Path(__file__).resolve().parent
RESULTS = BENCH_DIR / "results" / "latest.json"
DAY = "rss_cs.CV_2026-04-21.xml"  # a full 501-item cs.CV day
MULTI = ["cs.CV", "cs.AI", "cs.LG", "cs.CL"]

KEYWORDS: list = [  # ~10 keywords, a realistic computer-vision profile
    {"term": "diffusion model", "weight": 2},
    "gaussian splatting",
    "video generation",
    {"term": "vision language model", "weight": 1.5, "aliases": ["VLM"]},
    "segmentation",
    "3D reconstruction",
    "object detection",
    {"term": "neural radiance field", "aliases": ["NeRF"]},
    "self-supervised",
    "autonomous driving",
]
CONFIG = parse_config(
    {
        "profiles": {
            "vision": {"title": "Vision", "categories": ["cs.CV"], "keywords": KEYWORDS, "max_items": 50},
            "multi": {"title": "Vision+AI+LG+CL", "categories": MULTI, "keywords": KEYWORDS, "max_items": 50},
        }
    }
)
FEED = "/feeds/vision.rss"
FEED_ATOM = "/feeds/vision.atom"
MULTI_FEED = "/feeds/multi.rss"

SCORING_TERMS = [  # 30 terms for the scoring micro-benchmark
    "diffusion model", "gaussian splatting", "video generation", "vision language model", "segmentation",
    "3D reconstruction", "object detection", "neural radiance field", "self-supervised", "autonomous driving",
    "transformer", "contrastive learning", "point cloud", "depth estimation", "pose estimation",
    "image editing", "text-to-image", "optical flow", "super-resolution", "medical imaging",
    "remote sensing", "few-shot", "domain adaptation", "knowledge distillation", "visual question answering",
    "open-vocabulary", "tracking", "benchmark", "foundation model", "mixture of experts",
]


# --- helpers ------------------------------------------------------------------


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "median_ms": round(median(values), 3),
        "min_ms": round(min(values), 3) if values else None,
        "max_ms": round(max(values), 3) if values else None,
    }


@contextmanager
def fresh_app(fake: FakeArxiv, min_interval: float) -> Iterator[tuple[object, str]]:
    """A new app with an empty MemoryKV (and no compiled matchers cached in-process)."""
    _compiled.cache_clear()  # the matcher cache is process-wide; a real cold start has none
    app = create_app(make_settings(fake, arxiv_min_interval=min_interval), config=CONFIG, kv=MemoryKV())
    with serve(app) as url:
        yield app, url


def connected_client(url: str) -> httpx.Client:
    """A keep-alive client whose TCP connection is already open (so we time the request, not the connect)."""
    client = httpx.Client(base_url=url, timeout=30)
    client.get("/__bench_ping")  # a cheap 404; opens the connection
    return client


def timed_get(client: httpx.Client, path: str, headers: dict[str, str] | None = None) -> tuple[float, httpx.Response]:
    t0 = time.perf_counter()
    response = client.get(path, headers=headers)
    response.read()
    return (time.perf_counter() - t0) * 1000, response


def upstream_since(fake: FakeArxiv, mark: int) -> list[str]:
    return [r.path for r in fake.listing_requests()[mark:]]


# --- a) cold vs warm, b) 200 vs 304 ---------------------------------------------


def bench_cold(fake: FakeArxiv, samples: int, min_interval: float) -> dict:
    cold, rerender, first_warm, upstream = [], [], [], []
    for _ in range(samples):
        with fresh_app(fake, min_interval) as (_app, url), closing(connected_client(url)) as client:
            mark = len(fake.listing_requests())
            ms, response = timed_get(client, FEED)
            assert response.status_code == 200, (response.status_code, response.text[:300])
            cold.append(ms)
            upstream.append(len(upstream_since(fake, mark)))
            ms, response = timed_get(client, FEED_ATOM)  # data stored, render cache miss
            assert response.status_code == 200, response.status_code
            rerender.append(ms)
            ms, response = timed_get(client, FEED)
            first_warm.append(ms)
    return {
        "cold": summary(cold),
        "rerender_other_format": summary(rerender),
        "first_warm": summary(first_warm),
        "upstream_per_cold_sample": upstream,
        "items": int(response.headers.get("x-items", 0)),
    }


def bench_warm_and_304(fake: FakeArxiv, n: int, min_interval: float) -> dict:
    warm, not_modified, etags, statuses_304 = [], [], set(), []
    with fresh_app(fake, min_interval) as (_app, url), closing(connected_client(url)) as client:
        _, response = timed_get(client, FEED)  # prime
        etag = response.headers["etag"]
        size = len(response.content)
        mark = len(fake.listing_requests())
        for _ in range(n):  # interleaved, so drift in machine load hits both equally
            ms, response = timed_get(client, FEED)
            warm.append(ms)
            etags.add(response.headers.get("etag"))
            etag = response.headers.get("etag", etag)
            ms, response = timed_get(client, FEED, {"If-None-Match": etag})
            not_modified.append(ms)
            statuses_304.append(response.status_code)
        upstream = len(upstream_since(fake, mark))
    return {
        "warm_200": summary(warm),
        "conditional_304": summary(not_modified),
        "body_bytes": size,
        "etag_stable": len(etags) == 1,
        "all_304": all(s == 304 for s in statuses_304),
        "upstream_during_warm": upstream,
    }


# --- c) upstream requests for concurrent cold readers ------------------------------


def concurrent_cold(fake: FakeArxiv, paths: list[str], min_interval: float) -> dict:
    """len(paths) readers, released together on a fresh app; what reached 'arXiv'."""
    n = len(paths)
    with fresh_app(fake, min_interval) as (app, url):
        clients = [connected_client(url) for _ in range(n)]
        barrier = threading.Barrier(n)

        def one(job: tuple[httpx.Client, str]) -> tuple[float, int, str | None]:
            client, path = job
            barrier.wait()
            ms, response = timed_get(client, path)
            return ms, response.status_code, response.headers.get("etag")

        mark = len(fake.listing_requests())
        made_before = app.state.services.upstreams["arxiv"].requests_made
        with ThreadPoolExecutor(n) as pool:
            results = list(pool.map(one, zip(clients, paths)))
        for client in clients:
            client.close()
        upstream = upstream_since(fake, mark)
        made = app.state.services.upstreams["arxiv"].requests_made - made_before
    etags_by_path: dict[str, set] = {}
    for path, (_, _, etag) in zip(paths, results):
        etags_by_path.setdefault(path, set()).add(etag)
    return {
        "readers": n,
        "feeds": sorted(set(paths)),
        "upstream_requests": len(upstream),
        "upstream_paths": upstream,
        "client_requests_made": made,
        "statuses": sorted({s for _, s, _ in results}),
        "one_etag_per_feed": all(len(e) == 1 for e in etags_by_path.values()),
        "latency": summary([ms for ms, _, _ in results]),
    }


def bench_upstream(fake: FakeArxiv, trials: int, min_interval: float) -> dict:
    return {
        "single_1_reader": concurrent_cold(fake, [FEED], min_interval),
        "single_8_readers": [concurrent_cold(fake, [FEED] * 8, min_interval) for _ in range(trials)],
        "multi4_1_reader": concurrent_cold(fake, [MULTI_FEED], min_interval),
        "multi4_8_readers": [concurrent_cold(fake, [MULTI_FEED] * 8, min_interval) for _ in range(trials)],
        # informational: overlapping profiles cold at once (cs.CV alone + the 4-category set)
        "overlap_4_plus_4": concurrent_cold(fake, [FEED, MULTI_FEED] * 4, min_interval),
    }


def bench_stall(fake: FakeArxiv, min_interval: float) -> dict:
    """How long other requests wait while a cold feed is fetched and parsed (is the event loop blocked?)."""
    with fresh_app(fake, min_interval) as (_app, url), closing(connected_client(url)) as pinger:
        idle = [timed_get(pinger, "/__bench_ping")[0] for _ in range(10)]
        done = threading.Event()

        def reader() -> None:
            with closing(connected_client(url)) as client:
                timed_get(client, FEED)
            done.set()

        thread = threading.Thread(target=reader)
        thread.start()
        during = []
        while not done.is_set():
            during.append(timed_get(pinger, "/__bench_ping")[0])
            time.sleep(0.005)
        thread.join()
    return {
        "idle_ping": summary(idle),
        "ping_during_cold_fetch": summary(during),
        "max_stall_ms": round(max(during) - median(idle), 1) if during else None,
    }


# --- d) scoring ----------------------------------------------------------------------


def bench_scoring(seconds: float = 1.0) -> dict:
    t0 = time.perf_counter()
    papers = parse_listing((FIXTURES / DAY).read_bytes()).papers
    parse_ms = (time.perf_counter() - t0) * 1000
    papers = papers[:500]
    profile = Profile(
        categories=["cs.CV"],
        keywords=SCORING_TERMS,
        announce_types=["new", "cross", "replace", "replace-cross"],  # score every paper
        max_items=500,
    )
    t0 = time.perf_counter()
    Matcher(profile.terms())
    compile_ms = (time.perf_counter() - t0) * 1000
    spec = FeedSpec.from_profile("bench", profile)
    rank(papers, spec)  # warm-up
    runs, start = 0, time.perf_counter()
    while runs < 3 or time.perf_counter() - start < seconds:
        ranked, considered = rank(papers, spec)
        runs += 1
    elapsed = time.perf_counter() - start
    return {
        "papers": len(papers),
        "considered": considered,
        "matched": len(ranked),
        "terms": len(SCORING_TERMS),
        "runs": runs,
        "ms_per_rank": round(elapsed / runs * 1000, 3),
        "papers_per_second": round(considered * runs / elapsed),
        "matcher_compile_ms": round(compile_ms, 3),
        "parse_501_items_ms": round(parse_ms, 3),
    }


# --- report --------------------------------------------------------------------------


def checks(results: dict) -> list[str]:
    problems = []
    up = results["upstream"]
    for name in ("single_1_reader", "multi4_1_reader"):
        if up[name]["upstream_requests"] != 1:
            problems.append(f"{name}: {up[name]['upstream_requests']} upstream requests (want 1): {up[name]['upstream_paths']}")
    for name in ("single_8_readers", "multi4_8_readers"):
        for i, trial in enumerate(up[name]):
            if trial["upstream_requests"] != 1:
                problems.append(
                    f"{name} trial {i}: {trial['upstream_requests']} upstream requests (want 1): {trial['upstream_paths']}"
                )
            if trial["statuses"] != [200]:
                problems.append(f"{name} trial {i}: statuses {trial['statuses']}")
            if not trial["one_etag_per_feed"]:
                problems.append(f"{name} trial {i}: readers got different ETags for the same feed")
    if up["overlap_4_plus_4"]["statuses"] != [200]:
        problems.append(f"overlap_4_plus_4: statuses {up['overlap_4_plus_4']['statuses']}")
    cold = results["cold_warm"]
    if any(n != 1 for n in cold["upstream_per_cold_sample"]):
        problems.append(f"cold samples made {cold['upstream_per_cold_sample']} upstream requests (want 1 each)")
    cond = results["conditional"]
    if not cond["all_304"]:
        problems.append("If-None-Match with the current ETag did not always give 304")
    if not cond["etag_stable"]:
        problems.append("the ETag changed between identical warm requests")
    if cond["upstream_during_warm"]:
        problems.append(f"warm requests reached upstream {cond['upstream_during_warm']} times")
    return problems


def report(results: dict, out: Path) -> None:
    cw, cond, up, sc, r = results["cold_warm"], results["conditional"], results["upstream"], results["scoring"], results["ratios"]
    cfg = results["config"]
    print(f"\narxiv-feeds bench  ({cfg['fixture']}, upstream delay {cfg['fake_delay_s']} s, "
          f"min_interval {cfg['arxiv_min_interval_s']} s, {results['elapsed_s']} s total)\n")
    rows = [
        ("cold first feed (new app, empty store)", f"{cw['cold']['median_ms']:.1f} ms", f"n={cw['cold']['n']}"),
        ("  other format, data stored (rank+render)", f"{cw['rerender_other_format']['median_ms']:.1f} ms", f"n={cw['rerender_other_format']['n']}"),
        ("warm 200 (same feed again)", f"{cond['warm_200']['median_ms']:.2f} ms", f"n={cond['warm_200']['n']}"),
        ("conditional 304 (If-None-Match)", f"{cond['conditional_304']['median_ms']:.2f} ms", f"n={cond['conditional_304']['n']}"),
        ("", "", ""),
        ("RATIO cold / warm", f"{r['cold_over_warm']:.1f}x", ""),
        ("RATIO (cold - upstream delay) / warm", f"{r['cold_minus_delay_over_warm']:.1f}x", "local work only"),
        ("RATIO 200 / 304", f"{r['warm200_over_304']:.2f}x", f"body {cond['body_bytes']} B"),
        ("", "", ""),
        ("upstream reqs, 1 cold reader", str(up["single_1_reader"]["upstream_requests"]), "want 1"),
        ("upstream reqs, 8 concurrent cold readers", "/".join(str(t["upstream_requests"]) for t in up["single_8_readers"]), "want 1 (per trial)"),
        ("upstream reqs, 4-category profile, 1 reader", str(up["multi4_1_reader"]["upstream_requests"]), ", ".join(up["multi4_1_reader"]["upstream_paths"])),
        ("upstream reqs, 4-category profile, 8 readers", "/".join(str(t["upstream_requests"]) for t in up["multi4_8_readers"]), "want 1 (per trial)"),
        ("upstream reqs, cs.CV + 4-cat overlap, 4+4 (info)", str(up["overlap_4_plus_4"]["upstream_requests"]), ", ".join(up["overlap_4_plus_4"]["upstream_paths"])),
        ("other requests stalled during a cold fetch, max", f"{results['stall']['max_stall_ms']:.0f} ms",
         f"404 ping: idle {results['stall']['idle_ping']['median_ms']:.1f} ms, worst {results['stall']['ping_during_cold_fetch']['max_ms']:.0f} ms"),
        ("8 cold readers, median / max latency", f"{median([t['latency']['median_ms'] for t in up['single_8_readers']]):.0f} / "
         f"{max(t['latency']['max_ms'] for t in up['single_8_readers']):.0f} ms", ""),
        ("", "", ""),
        (f"scoring {sc['papers']} papers x {sc['terms']} terms", f"{sc['papers_per_second']:,} papers/s", f"{sc['ms_per_rank']:.1f} ms per rank()"),
        ("  matcher compile / parse 501-item listing", f"{sc['matcher_compile_ms']:.1f} / {sc['parse_501_items_ms']:.0f} ms", ""),
    ]
    width = max(len(a) for a, _, _ in rows)
    for a, b, c in rows:
        print(f"  {a:<{width}}  {b:>14}  {c}" if a else "")
    print()
    if results["problems"]:
        print("CHECKS FAILED:")
        for p in results["problems"]:
            print("  - " + p)
    else:
        print("checks: all passed (one upstream request per cold feed, 304s, stable ETags)")
    try:
        shown = out.relative_to(BENCH_DIR.parent)
    except ValueError:
        shown = out
    print(f"\nresults written to {shown}")


def git_head() -> str | None:
    """The checked-out commit, read from .git (best effort; informational)."""
    try:
        git = BENCH_DIR.parent / ".git"
        head = (git / "HEAD").read_text().strip()
        if head.startswith("ref: "):
            ref = head[5:]
            path = git / ref
            if path.exists():
                return path.read_text().strip()
            for line in (git / "packed-refs").read_text().splitlines():
                if line.endswith(" " + ref):
                    return line.split()[0]
            return None
        return head
    except OSError:
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.feeds_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cold", type=int, default=4, help="cold samples, each a new app (default 4)")
    parser.add_argument("--warm", type=int, default=30, help="warm 200 and 304 requests each (default 30)")
    parser.add_argument("--trials", type=int, default=3, help="trials of 8 concurrent cold readers (default 3)")
    parser.add_argument("--delay", type=float, default=0.2, help="fake arXiv latency per request, s (default 0.2)")
    parser.add_argument("--min-interval", type=float, default=0.05, help="arxiv_min_interval for the app, s (default 0.05)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    fake = FakeArxiv().start()
    try:
        fake.serve_day(DAY)
        fake.delay = args.delay
        results: dict = {
            "when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "commit": git_head(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "config": {
                "fixture": DAY,
                "fixture_items": len(fake.items),
                "fake_delay_s": args.delay,
                "arxiv_min_interval_s": args.min_interval,
                "keywords": len(KEYWORDS),
                "cold_samples": args.cold,
                "warm_samples": args.warm,
                "concurrency_trials": args.trials,
            },
        }
        results["cold_warm"] = bench_cold(fake, args.cold, args.min_interval)
        results["conditional"] = bench_warm_and_304(fake, args.warm, args.min_interval)
        results["upstream"] = bench_upstream(fake, args.trials, args.min_interval)
        results["stall"] = bench_stall(fake, args.min_interval)
        results["scoring"] = bench_scoring()
    finally:
        fake.stop()

    cold = results["cold_warm"]["cold"]["median_ms"]
    warm = results["conditional"]["warm_200"]["median_ms"]
    nm = results["conditional"]["conditional_304"]["median_ms"]
    results["ratios"] = {
        "cold_over_warm": round(ratio(cold, warm), 2),
        "cold_minus_delay_over_warm": round(ratio(cold - args.delay * 1000, warm), 2),
        "warm200_over_304": round(ratio(warm, nm), 3),
        "rerender_over_warm": round(ratio(results["cold_warm"]["rerender_other_format"]["median_ms"], warm), 2),
    }
    results["problems"] = checks(results)
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    report(results, args.out.resolve())
    return 1 if results["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
