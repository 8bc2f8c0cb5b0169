"""Bounded load test: feed readers polling cached feeds while a slow upstream is fetched.

Run from the repo root:

    python -m bench.load                       # about 25 s (20 s of load)
    python -m bench.load --duration 5 --concurrency 8
    python -m bench.load --help

Everything stays on 127.0.0.1 and stops by itself:

- a `tests.fakearxiv.FakeArxiv` (in this process) serves the 501-item cs.CV day plus the
  3-item cs.AI/cs.CL/cs.LG files; it answers the warm-up quickly (0.05 s), then takes
  `--delay` (1 s) to answer each request during the run;
- the real app (`api.index:app`) runs under uvicorn in a *separate process*, configured
  through the environment (SQLite store in a temporary directory, a temporary config with
  three profiles, `ARXIV_MIN_INTERVAL=0.05`); it is killed in all cases;
- after warming the feeds, `--concurrency` async httpx clients poll a mix of feeds
  (profile feeds in rss/atom/json and ad-hoc `/feed` queries) for `--duration` seconds,
  like feed readers: `If-None-Match` with the last ETag seen for that URL (304s), and
  now and then an unconditional poll (200);
- meanwhile, every `--background-every` seconds, one request asks for a feed of a
  category nobody asked for yet (cs.RO, eess.IV, ...), so the app fetches from the slow
  upstream while the readers poll. Those requests are reported separately.

Reported: reader throughput, p50/p90/p99 latency, 200 vs 304, errors, ETag changes, the
latency of the reader polls that overlapped an upstream fetch, and the upstream requests.
Table on stdout, JSON in bench/results/load-latest.json. Exit status 1 when a check fails
(see `checks`). `tests/test_load.py` runs the same code for a few seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

from tests.conftest import free_port
from tests.fakearxiv import FakeArxiv

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results" / "load-latest.json"
DAY_FILES = (
    "rss_cs.CV_2026-04-21.xml",  # the full 501-item cs.CV day
    "rss_cs.AI_2026-04-27_trimmed3.xml",
    "rss_cs.CL_2026-04-27_trimmed3.xml",
    "rss_cs.LG_2026-04-27_trimmed3.xml",
)

KEYWORDS: list = [
    {"term": "diffusion model", "weight": 2},
    "gaussian splatting",
    "video generation",
    {"term": "vision language model", "weight": 1.5, "aliases": ["VLM"]},
    "segmentation",
    "3D reconstruction",
    "object detection",
    {"term": "neural radiance field", "aliases": ["NeRF"]},
]
CONFIG = {
    "profiles": {
        "vision": {"title": "Vision", "categories": ["cs.CV"], "keywords": KEYWORDS, "max_items": 50},
        "llm": {
            "title": "LLM papers",
            "categories": ["cs.AI", "cs.CL", "cs.LG"],
            "keywords": [{"term": "large language model", "weight": 2, "aliases": ["LLM"]}, "agent", "reasoning"],
            "exclude": ["survey"],
        },
        "multi": {"title": "Vision+AI+LG+CL", "categories": ["cs.CV", "cs.AI", "cs.LG", "cs.CL"], "keywords": KEYWORDS},
    }
}


def _feed(query: dict[str, str]) -> str:
    return "/feed?" + "&".join(f"{k}={quote(v, safe=',')}" for k, v in query.items())


# What the readers poll. The warm-up fetches cs.CV (vision), then cs.AI+cs.CL+cs.LG in one
# combined request (llm); everything after that is served from the store and the caches.
READER_PATHS = [
    "/feeds/vision.rss",
    "/feeds/vision.atom",
    "/feeds/vision.json",
    "/feeds/llm.rss",
    "/feeds/llm.json",
    "/feeds/multi.atom",
    _feed({"cat": "cs.CV", "q": "diffusion segmentation"}),
    _feed({"cat": "cs.CV,cs.LG", "q": '"gaussian splatting"^2 nerf', "format": "json"}),
]

# Categories no profile or reader uses, each with items in the fake's pool: every
# background request is a cold fetch from the slow upstream (until the list wraps around).
BACKGROUND_CATEGORIES = [
    "cs.RO", "eess.IV", "cs.GR", "cs.MM", "cs.SD", "cs.IR", "eess.AS", "cs.CR", "eess.SP", "cs.HC",
    "math.NA", "cs.MA", "eess.SY", "stat.AP", "cs.CY", "physics.ao-ph", "cs.ET", "cs.AR", "cs.NE", "quant-ph",
]

# Variables the app reads that must not leak from the caller's environment into the server.
_APP_ENV_PREFIXES = ("ARXIV_", "KV_", "REDIS_", "UPSTASH_", "LLM_", "SUMMARY_", "CRON_")
_APP_ENV_NAMES = {"PUBLIC_BASE_URL", "HISTORY_DAYS"}


@dataclass
class LoadConfig:
    """One run. A reader poll that waited for an upstream fetch takes at least `delay`; the
    checks hold the readers' p99 under `p99_bound_ms` (default `delay`) and count the polls
    that took `delay` or more (want 0)."""

    duration: float = 20.0  # seconds of reader polling
    concurrency: int = 16  # concurrent reader clients
    delay: float = 1.0  # the fake arXiv's latency per request during the run, s
    warm_delay: float = 0.05  # ... during the warm-up (the cold fetches of the readers' feeds)
    background_every: float = 2.0  # one cold-category request every this many seconds
    background_first: float = 0.5  # ... the first one this long after the readers start
    unconditional_share: float = 0.05  # share of reader polls sent without If-None-Match
    think: float = 0.0  # pause between a reader's polls, s (0: closed loop, as fast as served)
    timeout: float = 10.0  # per reader request, s
    background_timeout: float = 30.0
    min_interval: float = 0.05  # ARXIV_MIN_INTERVAL for the app
    p99_bound_ms: float | None = None  # check: reader p99 under this (default: the upstream delay)
    min_304_share: float = 0.80  # check: at least this share of reader polls are 304
    seed: int = 1

    @property
    def p99_bound(self) -> float:
        return self.p99_bound_ms if self.p99_bound_ms is not None else self.delay * 1000


# --- the server ----------------------------------------------------------------------


def server_env(fake_url: str, workdir: Path, cfg: LoadConfig) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(_APP_ENV_PREFIXES) and k not in _APP_ENV_NAMES
    }
    config_path = workdir / "config.json"
    config_path.write_text(json.dumps(CONFIG, indent=2))
    env.update(
        {
            "ARXIV_RSS_URL": f"{fake_url}/rss",
            "ARXIV_HTML_URL": f"{fake_url}/html",
            "ARXIV_API_URL": f"{fake_url}/api/query",
            "ARXIV_MIN_INTERVAL": str(cfg.min_interval),
            "ARXIV_TIMEOUT": str(max(10.0, 2 * cfg.delay + 5)),
            "ARXIV_RETRIES": "1",
            "ARXIV_RETRY_BUDGET": "5",
            "KV_BACKEND": "sqlite",
            "KV_PATH": str(workdir / "kv.sqlite3"),
            "ARXIV_FEEDS_CONFIG": str(config_path),
            "PYTHONPATH": str(REPO_DIR) + os.pathsep + env.get("PYTHONPATH", ""),
        }
    )
    return env


@contextmanager
def app_server(fake_url: str, workdir: Path, cfg: LoadConfig) -> Iterator[tuple[str, Path, int]]:
    """`python -m uvicorn api.index:app` on 127.0.0.1 in a subprocess; yields (base URL, log file, pid).
    The process is terminated (then killed) however the block ends."""
    port = free_port()
    log_path = workdir / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.index:app", "--host", "127.0.0.1", "--port", str(port),
             "--log-level", "warning", "--no-access-log"],
            cwd=REPO_DIR, env=server_env(fake_url, workdir, cfg), stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the app exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                httpx.get(f"{url}/__load_ping", timeout=1)  # a 404 is fine: it is serving
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the app did not start:\n{log_path.read_text()[-3000:]}") from None
                time.sleep(0.05)
        yield url, log_path, proc.pid
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


# --- measuring -----------------------------------------------------------------------


@dataclass
class Poll:
    client: int
    path: str
    conditional: bool
    status: int | None
    start: float  # perf_counter
    end: float
    error: str | None = None
    etag_changed: bool = False  # a conditional poll got a 200 with a new ETag

    @property
    def ms(self) -> float:
        return (self.end - self.start) * 1000


def cpu_seconds(pid: int | None = None) -> float | None:
    """CPU time (user + system) used so far by process `pid` (Linux /proc), or by this process."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def latency(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50), 2),
        "p90_ms": round(percentile(values, 90), 2),
        "p99_ms": round(percentile(values, 99), 2),
        "max_ms": round(max(values), 2),
        "mean_ms": round(statistics.fmean(values), 2),
    }


async def warm(url: str, fake: FakeArxiv) -> dict:
    """GET every reader URL once (the cold fetches happen here), then check each gives 304."""
    mark = len(fake.listing_requests())
    etags, ms = {}, {}
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        for path in READER_PATHS:
            t0 = time.perf_counter()
            response = await http.get(path)
            ms[path] = round((time.perf_counter() - t0) * 1000, 1)
            if response.status_code != 200 or "etag" not in response.headers:
                raise RuntimeError(f"warm-up GET {path}: HTTP {response.status_code} {response.text[:300]}")
            etags[path] = response.headers["etag"]
        for path in READER_PATHS:
            response = await http.get(path, headers={"If-None-Match": etags[path]})
            if response.status_code != 304:
                raise RuntimeError(f"warm-up: {path} with its ETag gave HTTP {response.status_code}, not 304")
    return {"etags": etags, "ms": ms, "upstream_paths": [r.path for r in fake.listing_requests()[mark:]]}


async def reader(i: int, http: httpx.AsyncClient, etags: dict[str, str], deadline: float,
                 cfg: LoadConfig, polls: list[Poll]) -> None:
    rng = random.Random(cfg.seed * 1000 + i)
    seen = dict(etags)  # a subscribed reader already holds each feed's ETag
    while time.perf_counter() < deadline:
        path = rng.choice(READER_PATHS)
        conditional = rng.random() >= cfg.unconditional_share and path in seen
        headers = {"If-None-Match": seen[path]} if conditional else {}
        start = time.perf_counter()
        try:
            response = await http.get(path, headers=headers)
        except httpx.HTTPError as exc:
            polls.append(Poll(i, path, conditional, None, start, time.perf_counter(), f"{type(exc).__name__}: {exc}"))
            continue
        poll = Poll(i, path, conditional, response.status_code, start, time.perf_counter())
        if response.status_code == 200:
            etag = response.headers.get("etag")
            if not response.content or not etag:
                poll.error = "200 without a body or an ETag"
            else:
                poll.etag_changed = conditional and etag != seen[path]
                seen[path] = etag
        elif response.status_code == 304:
            if not conditional:
                poll.error = "304 to an unconditional request"
        else:
            poll.error = f"HTTP {response.status_code}: {response.text[:200]}"
        polls.append(poll)
        if cfg.think:
            await asyncio.sleep(cfg.think)


async def background(url: str, start: float, deadline: float, cfg: LoadConfig, done: list[dict]) -> None:
    """One request at a time for a category not fetched yet, every `background_every` s."""
    next_at = start + cfg.background_first
    async with httpx.AsyncClient(base_url=url, timeout=cfg.background_timeout) as http:
        for n in range(10_000):
            if next_at >= deadline:
                return
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            category = BACKGROUND_CATEGORIES[n % len(BACKGROUND_CATEGORIES)]
            path = _feed({"cat": category})
            t0 = time.perf_counter()
            entry: dict = {"category": category, "path": path, "start": t0}
            try:
                response = await http.get(path)
                entry.update(status=response.status_code, items=int(response.headers.get("x-items", -1)))
                if response.status_code != 200:
                    entry["error"] = f"HTTP {response.status_code}: {response.text[:200]}"
            except httpx.HTTPError as exc:
                entry.update(status=None, error=f"{type(exc).__name__}: {exc}")
            entry["end"] = time.perf_counter()
            entry["ms"] = round((entry["end"] - t0) * 1000, 1)
            done.append(entry)
            next_at = max(next_at + cfg.background_every, time.perf_counter())


async def run_load(url: str, fake: FakeArxiv, cfg: LoadConfig, server_pid: int | None = None) -> dict:
    warmed = await warm(url, fake)
    fake.delay = cfg.delay  # the slow upstream, from now on
    clients = [httpx.AsyncClient(base_url=url, timeout=cfg.timeout) for _ in range(cfg.concurrency)]
    polls: list[Poll] = []
    bg: list[dict] = []
    try:
        for http in clients:  # open every keep-alive connection before the clock starts
            await http.get("/__load_ping")
        mark = len(fake.listing_requests())
        cpu0 = cpu_seconds(server_pid), cpu_seconds()
        start = time.perf_counter()
        deadline = start + cfg.duration
        bg_task = asyncio.create_task(background(url, start, deadline, cfg, bg))
        await asyncio.gather(*(reader(i, http, warmed["etags"], deadline, cfg, polls) for i, http in enumerate(clients)))
        readers_end = time.perf_counter()
        cpu1 = cpu_seconds(server_pid), cpu_seconds()
        await bg_task
        upstream_paths = [r.path for r in fake.listing_requests()[mark:]]
    finally:
        for http in clients:
            await http.aclose()
    results = summarize(cfg, warmed, polls, bg, upstream_paths, readers_end - start, start)
    elapsed = readers_end - start
    results["cpu"] = {  # which side is the bottleneck: 1.0 = one core busy all the time
        "server_cores_busy": round((cpu1[0] - cpu0[0]) / elapsed, 2) if server_pid and None not in (cpu0[0], cpu1[0]) else None,
        "client_cores_busy": round((cpu1[1] - cpu0[1]) / elapsed, 2),
        "note": "the client process also runs the fake arXiv; the server has one event loop (plus parse threads)",
    }
    return results


def summarize(cfg: LoadConfig, warmed: dict, polls: list[Poll], bg: list[dict], upstream_paths: list[str],
              elapsed: float, start: float) -> dict:
    ok = [p for p in polls if p.error is None]
    errors = [p for p in polls if p.error is not None]
    n200 = sum(p.status == 200 for p in ok)
    n304 = sum(p.status == 304 for p in ok)
    intervals = [(b["start"], b["end"]) for b in bg]
    overlapping = [p for p in ok if any(p.start < e and p.end > s for s, e in intervals)]
    during_ids = {id(p) for p in overlapping}
    others = [p for p in ok if id(p) not in during_ids]
    all_ms = [p.ms for p in ok]
    lat = latency(all_ms)
    categories = [b["category"] for b in bg]
    expected_upstream = sorted({f"/rss/{c}" for c in categories})
    slowest = sorted(ok, key=lambda p: p.ms, reverse=True)[:5]
    return {
        "readers": {
            "polls": len(polls),
            "throughput_rps": round(len(polls) / elapsed, 1) if elapsed else None,
            "elapsed_s": round(elapsed, 2),
            "latency": lat,
            "latency_200": latency([p.ms for p in ok if p.status == 200]),
            "latency_304": latency([p.ms for p in ok if p.status == 304]),
            "status_200": n200,
            "status_304": n304,
            "share_304": round(n304 / len(polls), 4) if polls else 0.0,
            "conditional_sent": sum(p.conditional for p in polls),
            "conditional_answered_304": round(sum(p.conditional and p.status == 304 for p in ok) / max(1, sum(p.conditional for p in polls)), 4),
            "errors": len(errors),
            "error_samples": [f"{p.path}: {p.error}" for p in errors[:5]],
            "etag_changes": sum(p.etag_changed for p in ok),
            "slower_than_upstream_delay": sum(p.ms >= cfg.delay * 1000 for p in ok) if cfg.delay else None,
            "by_path": {
                path: {"polls": sum(p.path == path for p in polls), **latency([p.ms for p in ok if p.path == path])}
                for path in READER_PATHS
            },
            "during_upstream_fetch": latency([p.ms for p in overlapping]),
            "outside_upstream_fetch": latency([p.ms for p in others]),
            "slowest": [
                {"path": p.path, "ms": round(p.ms, 1), "status": p.status, "at_s": round(p.start - start, 3),
                 "during_upstream_fetch": id(p) in during_ids}
                for p in slowest
            ],
        },
        "background": {
            "requests": len(bg),
            "categories": categories,
            "statuses": sorted({str(b.get("status")) for b in bg}),
            "errors": [f"{b['category']}: {b['error']}" for b in bg if "error" in b],
            "latency": latency([b["ms"] for b in bg]),
            "items": {b["category"]: b.get("items") for b in bg},
            "upstream_busy_share": (  # share of the reader phase with a background fetch in flight
                round(sum(max(0.0, min(e, start + elapsed) - s) for s, e in intervals) / elapsed, 3) if elapsed else None
            ),
        },
        "upstream": {
            "warmup_paths": warmed["upstream_paths"],
            "during_run": len(upstream_paths),
            "during_run_paths": upstream_paths,
            "expected_during_run": len(expected_upstream),
            "expected_paths": expected_upstream,
        },
        "warmup_ms": warmed["ms"],
        "ratios": {
            "share_304": round(n304 / len(polls), 4) if polls else 0.0,
            "p99_over_p50": round(lat["p99_ms"] / lat["p50_ms"], 2) if ok and lat["p50_ms"] else None,
            "p99_over_upstream_delay": round(lat["p99_ms"] / (cfg.delay * 1000), 3) if ok and cfg.delay else None,
            "p99_during_over_outside_upstream_fetch": (
                round(percentile([p.ms for p in overlapping], 99) / percentile([p.ms for p in others], 99), 2)
                if overlapping and others else None
            ),
        },
    }


def checks(results: dict, cfg: LoadConfig) -> list[str]:
    r, b, u = results["readers"], results["background"], results["upstream"]
    problems = []
    if r["polls"] == 0:
        problems.append("no reader polls were made")
    if r["errors"]:
        problems.append(f"{r['errors']} reader errors, e.g. {r['error_samples']}")
    if r["share_304"] <= cfg.min_304_share:
        problems.append(f"304 share {r['share_304']:.1%} (want > {cfg.min_304_share:.0%})")
    if r["etag_changes"]:
        problems.append(f"{r['etag_changes']} conditional polls got a new ETag although no data changed")
    if r["polls"] and not r["latency"]["p99_ms"] < cfg.p99_bound:
        problems.append(f"reader p99 {r['latency']['p99_ms']:.0f} ms (want < {cfg.p99_bound:.0f} ms)")
    if r["slower_than_upstream_delay"]:
        problems.append(f"{r['slower_than_upstream_delay']} reader polls took the upstream delay ({cfg.delay:g} s) or more")
    if b["requests"] == 0:
        problems.append("no background (upstream) request was made")
    if b["errors"]:
        problems.append(f"background errors: {b['errors']}")
    if sorted(u["during_run_paths"]) != u["expected_paths"]:
        problems.append(
            f"upstream during the run: {u['during_run_paths']} (want each background category once: {u['expected_paths']})"
        )
    if results.get("server_log_errors"):
        problems.append(f"the server logged errors: {results['server_log_errors'][:3]}")
    return problems


def run(cfg: LoadConfig) -> dict:
    """Start the fake arXiv and the app, run the load, stop both; the results with `problems`."""
    started = time.perf_counter()
    fake = FakeArxiv().start()
    try:
        fake.serve_day(*DAY_FILES)
        fake.delay = cfg.warm_delay
        with tempfile.TemporaryDirectory(prefix="arxiv-feeds-load-") as tmp:
            with app_server(fake.url, Path(tmp), cfg) as (url, log_path, pid):
                results = asyncio.run(run_load(url, fake, cfg, pid))
            log_lines = log_path.read_text(errors="replace").splitlines()
    finally:
        fake.stop()
    results["server_log_errors"] = [line for line in log_lines if "ERROR" in line or "Traceback" in line]
    results["cpus"] = os.cpu_count()
    results["config"] = {**asdict(cfg), "fixtures": list(DAY_FILES), "fixture_items": len(fake.items),
                         "reader_paths": READER_PATHS, "server": "python -m uvicorn api.index:app (subprocess)"}
    results["problems"] = checks(results, cfg)
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    return results


# --- report --------------------------------------------------------------------------


def report(results: dict, out: Path | None) -> None:
    r, b, u, cfg, ratios = results["readers"], results["background"], results["upstream"], results["config"], results["ratios"]
    lat, during, outside = r["latency"], r["during_upstream_fetch"], r["outside_upstream_fetch"]

    def ms(summary: dict, key: str) -> str:
        return f"{summary[key]:.1f}" if summary.get("n") else "-"

    print(f"\narxiv-feeds load  ({cfg['concurrency']} readers for {cfg['duration']} s, upstream delay {cfg['delay']} s "
          f"(warm-up {cfg['warm_delay']} s), "
          f"1 cold category every {cfg['background_every']} s; {results['elapsed_s']} s total)\n")
    rows = [
        ("reader polls", f"{r['polls']}", f"{r['throughput_rps']:.0f} req/s"),
        ("  200 / 304", f"{r['status_200']} / {r['status_304']}", f"304 share {r['share_304']:.1%}"),
        ("  errors", str(r["errors"]), "; ".join(r["error_samples"][:2])),
        ("  ETag changes on conditional polls", str(r["etag_changes"]), "want 0"),
        ("  polls as slow as the upstream delay or slower", str(r["slower_than_upstream_delay"]), "want 0"),
        ("reader latency p50 / p90 / p99 / max (ms)",
         f"{ms(lat, 'p50_ms')} / {ms(lat, 'p90_ms')} / {ms(lat, 'p99_ms')} / {ms(lat, 'max_ms')}", ""),
        ("  304 only, p50 / p99", f"{ms(r['latency_304'], 'p50_ms')} / {ms(r['latency_304'], 'p99_ms')}", ""),
        ("  200 only, p50 / p99", f"{ms(r['latency_200'], 'p50_ms')} / {ms(r['latency_200'], 'p99_ms')}", ""),
        ("  during an upstream fetch, p50 / p99", f"{ms(during, 'p50_ms')} / {ms(during, 'p99_ms')}", f"n={during.get('n', 0)}"),
        ("  otherwise, p50 / p99", f"{ms(outside, 'p50_ms')} / {ms(outside, 'p99_ms')}", f"n={outside.get('n', 0)}"),
        ("", "", ""),
        ("RATIO 304 share", f"{ratios['share_304']:.1%}", (f"{cfg['unconditional_share']:.0%} of polls unconditional; "
         f"{r['conditional_answered_304']:.1%} of conditional polls got 304")),
        ("RATIO p99 / p50", f"{ratios['p99_over_p50']}x" if ratios["p99_over_p50"] else "-", ""),
        ("RATIO p99 / upstream delay", f"{ratios['p99_over_upstream_delay']}" if ratios["p99_over_upstream_delay"] else "-",
         "a poll stuck behind upstream would be >= 1"),
        ("RATIO p99 during / outside upstream fetch", f"{ratios['p99_during_over_outside_upstream_fetch']}x"
         if ratios["p99_during_over_outside_upstream_fetch"] else "-", ""),
        ("", "", ""),
        ("background cold-category requests", str(b["requests"]),
         f"median {ms(b['latency'], 'p50_ms')} ms, max {ms(b['latency'], 'max_ms')} ms, statuses {','.join(b['statuses'])}"),
        ("  share of the run with an upstream fetch in flight", f"{b['upstream_busy_share']:.0%}" if b["upstream_busy_share"] is not None else "-", ""),
        ("CPU cores busy during the run: server / client",
         f"{results['cpu']['server_cores_busy']} / {results['cpu']['client_cores_busy']}", f"{results['cpus']} CPUs" if results.get("cpus") else ""),
        ("upstream requests: warm-up", str(len(u["warmup_paths"])), ", ".join(u["warmup_paths"])),
        ("upstream requests: during the run", str(u["during_run"]), f"want {u['expected_during_run']} (one per background category)"),
    ]
    width = max(len(a) for a, _, _ in rows)
    for a, value, note in rows:
        print(f"  {a:<{width}}  {value:>24}  {note}" if a else "")
    print()
    if results["problems"]:
        print("CHECKS FAILED:")
        for p in results["problems"]:
            print("  - " + p)
    else:
        print("checks: all passed (no reader errors, mostly 304s, p99 bounded, one upstream request per new category)")
    if out is not None:
        try:
            shown = out.relative_to(REPO_DIR)
        except ValueError:
            shown = out
        print(f"\nresults written to {shown}")


def main(argv: list[str] | None = None) -> int:
    d = LoadConfig()
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=d.duration, help=f"seconds of reader polling (default {d.duration:g})")
    parser.add_argument("--concurrency", type=int, default=d.concurrency, help=f"concurrent readers (default {d.concurrency})")
    parser.add_argument("--delay", type=float, default=d.delay, help=f"fake arXiv latency per request, s (default {d.delay:g})")
    parser.add_argument("--background-every", type=float, default=d.background_every,
                        help=f"one cold-category request every S seconds (default {d.background_every:g})")
    parser.add_argument("--unconditional", type=float, default=d.unconditional_share,
                        help=f"share of reader polls without If-None-Match (default {d.unconditional_share:g})")
    parser.add_argument("--think", type=float, default=d.think, help="pause between a reader's polls, s (default 0)")
    parser.add_argument("--p99-bound", type=float, default=None, help="check: reader p99 below this, ms (default: the upstream delay)")
    parser.add_argument("--seed", type=int, default=d.seed)
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    args = parser.parse_args(argv)
    if not 0 < args.duration <= 600 or not 1 <= args.concurrency <= 256:
        parser.error("--duration must be in (0, 600] and --concurrency in [1, 256]")
    cfg = LoadConfig(
        duration=args.duration, concurrency=args.concurrency, delay=args.delay, background_every=args.background_every,
        unconditional_share=args.unconditional, think=args.think, p99_bound_ms=args.p99_bound, seed=args.seed,
    )
    results = {
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        **run(cfg),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    report(results, args.out.resolve())
    return 1 if results["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
