"""Every performance figure of issue 14 in one run, printed as one table.

    python -m bench.perf                 # about 2-3 minutes
    python -m bench.perf --quick         # fewer samples, about 1 minute
    python -m bench.perf --profile       # also samples the warm path with pyinstrument

Everything runs on 127.0.0.1: a fake arXiv in this process (4 categories x ~500 items:
the real 501-item cs.CV day, copied with other ids as cs.AI, cs.LG and cs.CL, served from
memory and dated today's listing day; its query API holds the weeks before, so the window fills
in as on arXiv), and the app under `python -m uvicorn api.index:app` in its own process (a new one
for each cold figure), with a SQLite store in a temporary directory. The baseline is
`bench.bare`, a bare ASGI app on the same uvicorn answering with the very bytes and
headers the service sent. Readers speak raw HTTP/1.1 over keep-alive sockets, so the
client costs little next to the server.

The machine is shared and noisy: compare the ratios measured within one run. The original
Flask service cannot run here; its figures are the ones recorded in issue 14 (same kind of
fake upstream, 4 x ~500 items, 2-core machine) and are shown as such. Machines of this kind
differ by up to 1.7x from day to day, so the run also measures two anchors, older code of ours
taken from the git history, alternated with ours:
- the original's anchor, our main when issue 14 measured it beside the original (`ORIGINAL_ANCHOR`:
  its cold first feed took 1.61 s to the original's 1.64 s in that one run). The original's
  first feed on this run's machine is estimated at 1.64 s x (the anchor's now / 1.61 s). Both
  spent that cold start the same way (Python importing, then feedparser reading 2,000 items),
  so they slow down and speed up together: the closest same-run figure there is to the original.
- the import's anchor, issue 14's final code (`IMPORT_ANCHOR`: 0.267 s to import, compiled
  beforehand, by this very harness on 30 November): the 0.3 s import goal set on that day's
  machine is 0.3 s x (the anchor's import now / 0.267 s) on this one.
Both are compiled beforehand, their faster way, so the estimates err low and our ratios high.
Beside them, `bench.floor` (FastAPI with one route and no code of ours) is spawned and timed the
same way: the part of a cold first feed that no code of ours can remove on this machine.
Without the history (a shallow clone), or where an anchor does not import (what it needed
then: requirements-bench.txt), the recorded figures are used, and the table says why.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime as dt
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

from core.feeds import MAX_RANK_COST
from core.sources.arxiv.schedule import listing_day, previous_weekday
from tests.fakearxiv import FIXTURES, FakeArxiv, closed_url, history

REPO = Path(__file__).resolve().parent.parent
APP = REPO  # the checkout whose app is measured (--app: another one, e.g. an older commit's worktree)
RESULTS = REPO / "bench" / "results" / "perf-latest.json"
CATS = ["cs.CV", "cs.AI", "cs.LG", "cs.CL"]
CACHE_MAX_BYTES = 64_000_000  # the default, so the memory bound is the one users get
KEYWORDS: list[Any] = [
    {"term": "diffusion model", "weight": 2}, "gaussian splatting", "video generation",
    {"term": "vision language model", "weight": 1.5, "aliases": ["VLM"]}, "segmentation",
    "3D reconstruction", "object detection", {"term": "neural radiance field", "aliases": ["NeRF"]},
    "self-supervised", "autonomous driving",
]
CONFIG = {"profiles": {"bench": {"title": "Bench", "categories": CATS, "keywords": KEYWORDS, "max_items": 50, "days": 7}}}
ORIGINAL = {  # the original Flask service, as recorded in issue 14 (it cannot run here)
    "cold_empty_s": 1.64, "warm_p50_ms": 2.35, "throughput": 490.0, "burst_upstream": 32, "burst_s": 9.0,
}
# Older code of ours that puts recorded figures on this run's machine (see the module's docstring).
ORIGINAL_ANCHOR = {"rev": "6166810", "cold_empty_s": 1.61}  # measured in one run with the original's 1.64 s
IMPORT_ANCHOR = {"rev": "6f880ef", "import_compiled_s": 0.267}  # by this harness, 2026-11-30 03:01 UTC
IMPORT_GOAL_S = 0.3
# One- and two-letter terms and fragments: they pass every substring pre-check, so every paper
# is matched against every pattern (the worst case of the matcher).
SHORT = [a + b for a in "abcdefghilmnoprstuvw" for b in "aeioulnrst"] + list("abcdefghijklmnopqrstuvwxyz")
FRAGMENTS = [a + b for a in "qxzjk" for b in "qxzjkvw"]


# --- upstream -----------------------------------------------------------------------------


def today() -> dt.date:
    """The newest weekday arXiv has listed by now."""
    day = listing_day(dt.datetime.now(dt.UTC))
    return day if day.weekday() < 5 else previous_weekday(day)


def synthetic_day() -> list[bytes]:
    """4 categories x ~500 items: the real cs.CV day and three copies under other ids, dated
    today's listing day (the recorded one is 21 April 2026)."""
    cv = (FIXTURES / "rss_cs.CV_2026-04-21.xml").read_bytes().replace(b"Tue, 21 Apr 2026", f"{today():%a, %d %b %Y}".encode())
    bodies = [cv]
    for month, cat in zip(("2601", "2602", "2603"), CATS[1:]):
        copy = cv.replace(b"2604.", month.encode() + b".").replace(b"<category>cs.CV</category>", f"<category>{cat}</category>".encode())
        bodies.append(copy)
    return bodies


def start_fake() -> FakeArxiv:
    fake = FakeArxiv().start()
    fake.serve_xml(*synthetic_day())
    fake.serve_api(history(previous_weekday(today()), CATS, per_day=3))  # what arXiv listed before today
    built: dict[tuple[str, ...], bytes] = {}
    make = fake.listing

    def listing(categories: list[str]) -> bytes:  # served from memory, like a CDN'd upstream
        key = tuple(categories)
        if key not in built:
            built[key] = make(categories)
        return built[key]

    fake.listing = listing  # type: ignore[method-assign]
    for n in range(1, len(CATS) + 1):  # every combination the app may ask for, built before timing
        for combo in _combinations(sorted(CATS), n):
            listing(list(combo))
    return fake


def _combinations(items: list[str], n: int) -> list[tuple[str, ...]]:
    import itertools

    return list(itertools.combinations(items, n))


# --- servers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(fake_url: str, kv_path: Path, config_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ARXIV_", "KV_", "REDIS_", "UPSTASH_", "LLM_", "SUMMARY_", "CRON_", "CACHE_"))}
    env.update({
        "ARXIV_RSS_URL": f"{fake_url}/rss", "ARXIV_API_URL": f"{fake_url}/api/query",
        "ARXIV_HTML_URL": f"{fake_url}/html", "ARXIV_MIN_INTERVAL": "0", "KV_BACKEND": "sqlite",
        "KV_PATH": str(kv_path), "ARXIV_FEEDS_CONFIG": str(config_path),
        "CACHE_MAX_BYTES": str(CACHE_MAX_BYTES), "PYTHONPATH": str(APP),
    })
    return env


@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    started: float  # perf_counter at spawn

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def server(target: str, env: dict[str, str], log: Path, wrap: list[str] | None = None, cwd: Path | None = None) -> Iterator[Server]:
    cwd = cwd or (REPO if target.startswith("bench.") else APP)  # the harness's bare app, or the measured one
    port = free_port()
    cmd = [*(wrap or [sys.executable]), "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port),
           "--log-level", "warning", "--no-access-log"]
    with open(log, "ab") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        yield Server(proc, port, started)
    finally:
        proc.send_signal(2)  # SIGINT: uvicorn shuts down (and pyinstrument writes its report)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- a raw HTTP/1.1 keep-alive client -------------------------------------------------------


class Conn:
    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self, deadline: float = 30.0) -> None:
        end = time.perf_counter() + deadline
        while True:
            try:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
                return
            except OSError:
                if time.perf_counter() > end:
                    raise
                await asyncio.sleep(0.003)

    async def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        assert self.reader and self.writer
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n{extra}\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        parsed = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                parsed[name.strip().lower()] = value.strip()
        body = await self.reader.readexactly(int(parsed.get("content-length", "0")))
        return status, parsed, body

    def close(self) -> None:
        if self.writer:
            self.writer.close()


async def one(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    conn = Conn(port)
    await conn.open()
    try:
        return await conn.get(path, headers)
    finally:
        conn.close()


async def closed_loop(port: int, path: str, readers: int, seconds: float, headers: dict[str, str] | None = None) -> dict:
    """`readers` connections asking `path` back to back for `seconds`: latency and throughput."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    conns = [Conn(port) for _ in range(readers)]
    for conn in conns:
        await conn.open()
        await conn.get(path, headers)  # the connection is warm before timing
    end = time.perf_counter() + seconds

    async def reader(conn: Conn) -> None:
        while time.perf_counter() < end:
            t = time.perf_counter()
            status, _, _ = await conn.get(path, headers)
            latencies.append(time.perf_counter() - t)
            statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(reader(c) for c in conns))
    elapsed = time.perf_counter() - started
    for conn in conns:
        conn.close()
    return {"p50_ms": statistics.median(latencies) * 1000, "rps": len(latencies) / elapsed, "n": len(latencies), "statuses": statuses}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --- the figures ------------------------------------------------------------------------------


@dataclass
class Run:
    args: argparse.Namespace
    fake: FakeArxiv
    work: Path
    config_path: Path
    figures: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    anchor_problems: list[str] = field(default_factory=list)  # why an anchor was not measured

    def env(self, kv_path: Path) -> dict[str, str]:
        return app_env(self.fake.url, kv_path, self.config_path)

    def check(self, ok: bool, message: str) -> None:
        if not ok:
            self.problems.append(message)


async def cold_first_feed(run: Run, kv_path: Path, compiled: bool = False, app: Path | None = None) -> tuple[float, int]:
    """Spawn a new app process from a copy of what a deployment ships (see `shipped`; `app`:
    another such copy, the anchor's); seconds until its first /rss answer has arrived, and the
    upstream requests it made."""
    before = len(run.fake.listing_requests())
    app = app or shipped(run, compiled)
    env = {**run.env(kv_path), "PYTHONPATH": str(app), "PYTHONDONTWRITEBYTECODE": "1"}
    elapsed = await _first_rss(run, "api.index:app", env, app, "cold /rss")
    return elapsed, len(run.fake.listing_requests()) - before


async def framework_floor(run: Run) -> float:
    """Seconds from spawning `bench.floor` (FastAPI, one route, no code of ours) to its first
    /rss answer: the part of a cold first feed no code of ours can remove on this machine."""
    return await _first_rss(run, "bench.floor:app", run.env(run.work / "floor.sqlite3"), None, "bench.floor's /rss")


async def _first_rss(run: Run, target: str, env: dict[str, str], cwd: Path | None, what: str) -> float:
    """Seconds from spawning `target` until the whole body of its first /rss has arrived."""
    with server(target, env, run.work / "server.log", cwd=cwd) as srv:
        conn = Conn(srv.port)
        await conn.open()
        status, _, body = await conn.get("/rss")
        elapsed = time.perf_counter() - srv.started
        conn.close()
    run.check(status == 200 and len(body) > 1000, f"{what} answered {status}")
    return elapsed


FIRST_CASES = {
    "refusing": "(a) query API refusing connections",
    "healthy": "(b) query API healthy, 3 s spacing",
    "listing": "(c) listing only (backfill off)",
}


async def history_complete(port: int, timeout: float) -> float | None:
    """Seconds until /health says every category holds its whole window; None if not in `timeout`."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        _, _, body = await one(port, "/health")
        categories = json.loads(body)["categories"]
        if categories and all(_complete(c) for c in categories.values()):
            return time.perf_counter() - started
        await asyncio.sleep(0.02)
    return None


def _complete(category: dict) -> bool:
    """/health says the category holds its whole window (apps before its `history` block: no
    weekday missing)."""
    if "history" in category:
        return category["history"]["state"] == "complete"
    return not category.get("missing_weekdays")


def stored_window(kv_path: Path) -> dict[str, list[str]]:
    """Per category, the ids stored on the window's days (read from the SQLite store)."""
    import sqlite3

    ids: dict[str, list[str]] = {}
    with sqlite3.connect(kv_path) as db:
        for key, value in db.execute("SELECT key, value FROM kv WHERE key LIKE 'listing:v1:%:____-__-__'"):
            category, day = key.split(":")[2:4]
            if dt.date.fromisoformat(day) > today() - dt.timedelta(days=7):
                ids.setdefault(category, []).extend(p["id"] for p in json.loads(value))
    return ids


async def first_feed(run: Run, case: str, n: int, compiled: bool = False) -> dict:
    """A fresh instance with an empty store and arXiv's default 3 s spacing: seconds from its
    spawn to its first /rss answer, of that request alone, and for (b) until the whole window
    is held (then each paper stored once per category). `compiled`: our bytecode compiled
    beforehand, as the README's deploy recipes ship it (see `shipped`)."""
    kv = run.work / f"first-{case}-{n}{'-compiled' if compiled else ''}.sqlite3"
    app = shipped(run, compiled)
    env = {**run.env(kv), "PYTHONPATH": str(app), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("ARXIV_MIN_INTERVAL")
    if case == "refusing":
        env["ARXIV_API_URL"] = closed_url("/api/query")
    if case == "listing":
        env["ARXIV_BACKFILL_MAX_REQUESTS"] = "0"
    result: dict[str, Any] = {}
    with server("api.index:app", env, run.work / "first.log", cwd=app) as srv:
        conn = Conn(srv.port)
        await conn.open()
        started = time.perf_counter()
        status, headers, body = await conn.get("/rss")
        result["request_s"] = time.perf_counter() - started
        result["first_s"] = time.perf_counter() - srv.started
        result["warning"] = headers.get("warning")
        conn.close()
        run.check(status == 200 and len(body) > 1000, f"{case}: the first /rss answered {status}")
        if case == "healthy":
            result["window_s"] = await history_complete(srv.port, 60.0)
    if case == "healthy":
        run.check(result["window_s"] is not None, "(b): the window was not held within 60 s of the first answer")
        stored = stored_window(kv)
        twice = {c: len(v) - len(set(v)) for c, v in stored.items() if len(v) != len(set(v))}
        run.check(not twice, f"(b): papers stored twice in a category's window: {twice}")
        result["window_papers"] = {c: len(set(v)) for c, v in stored.items()}
    return result


def shipped(run: Run, compiled: bool = False) -> Path:
    """A copy of what a deployment ships (api/, core/, config.json) with no bytecode of ours,
    never written: the repository's __pycache__ (which some test subprocesses write, and which
    goes stale with every edit) would make the figures depend on what ran before. The installed
    packages keep their bytecode, as pip installs them. `compiled`: our bytecode compiled
    beforehand, as the README's Lambda recipes and Vercel's VERCEL_PYTHON_COMPILEALL do."""
    app = run.work / ("app-compiled" if compiled else "app")
    if not app.exists():
        for part in ("api", "core"):
            shutil.copytree(APP / part, app / part, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(APP / "config.json", app / "config.json")
        if compiled:
            subprocess.run([sys.executable, "-m", "compileall", "-q", "-f", "--invalidation-mode", "checked-hash", str(app)],
                           check=True, capture_output=True)
    return app


def anchor_app(run: Run, rev: str) -> Path | None:
    """Our app at `rev` from this repository's history, compiled beforehand as ours is as
    deployed; None (and why, in `run.anchor_problems`) where the history does not hold it (a
    shallow clone) or it cannot be imported here (its requirements: requirements-bench.txt)."""
    app = run.work / f"anchor-{rev}"
    if app.exists():
        return app
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "api", "core", "config.json"], capture_output=True)
    if archive.returncode != 0:
        run.anchor_problems.append(f"{rev} is not in this repository's history")
        return None
    app.mkdir()
    subprocess.run(["tar", "-x", "-C", str(app)], input=archive.stdout, check=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-f", "--invalidation-mode", "checked-hash", str(app)],
                   check=True, capture_output=True)
    env = {**run.env(run.work / f"anchor-{rev}.sqlite3"), "PYTHONPATH": str(app), "PYTHONDONTWRITEBYTECODE": "1"}
    tried = subprocess.run([sys.executable, "-c", "import api.index"], cwd=app, env=env, capture_output=True, text=True)
    if tried.returncode != 0:
        last = (tried.stderr.strip().splitlines() or ["?"])[-1]
        run.anchor_problems.append(f"{rev} does not import here ({last}; pip install -r requirements-bench.txt)")
        return None
    return app


def original_now(run: Run) -> tuple[float, float, str]:
    """The original's first feed and the import goal on this run's machine (see the module's
    docstring), and where they come from ("this run", or "recorded" without the anchors)."""
    anchors = run.figures.get("anchors")
    if not anchors:
        return ORIGINAL["cold_empty_s"], IMPORT_GOAL_S, "recorded"
    return (ORIGINAL["cold_empty_s"] * anchors["cold_empty_s"] / ORIGINAL_ANCHOR["cold_empty_s"],
            IMPORT_GOAL_S * anchors["import_compiled_s"] / IMPORT_ANCHOR["import_compiled_s"], "this run")


def import_time(run: Run, compiled: bool = False, app: Path | None = None) -> float:
    """`import api.index` in the shipped copy (see `shipped`; `app`: another, the anchor's)."""
    app = app or shipped(run, compiled)
    env = {**run.env(run.work / "import.sqlite3"), "PYTHONPATH": str(app), "PYTHONDONTWRITEBYTECODE": "1"}
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import api.index"], cwd=app, env=env,
                         capture_output=True, text=True, check=True).stderr
    last = [line for line in out.splitlines() if line.rstrip().endswith("| api.index")][-1]
    return int(last.split("|")[1]) / 1e6


def heavy_path(rng: random.Random, fmt: str = "json") -> str:
    terms = rng.sample(SHORT, 50)
    exclude = rng.sample(FRAGMENTS, 35) + rng.sample(SHORT[-26:], 15)
    return (f"/feed?cat={','.join(CATS)}&q={quote(' '.join(terms))}&exclude={quote(','.join(exclude))}"
            f"&limit=500&days=14&format={fmt}")


async def health_under_heavy(run: Run, srv: Server) -> dict:
    """/health latency alone, then while four clients send the heaviest accepted query
    (terms shuffled each time, so no cache helps)."""
    async def poll(seconds: float) -> list[float]:
        conn = Conn(srv.port)
        await conn.open()
        times = []
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            t = time.perf_counter()
            status, _, _ = await conn.get("/health")
            times.append(time.perf_counter() - t)
            run.check(status == 200, f"/health answered {status}")
            await asyncio.sleep(0.01)
        conn.close()
        return times

    idle = await poll(2 if run.args.quick else 3)
    rng = random.Random(14)
    heavy_times: list[float] = []
    heavy_status: dict[int, int] = {}
    stop = asyncio.Event()

    async def heavy() -> None:
        conn = Conn(srv.port)
        await conn.open()
        while not stop.is_set():
            t = time.perf_counter()
            status, _, _ = await conn.get(heavy_path(rng))
            heavy_times.append(time.perf_counter() - t)
            heavy_status[status] = heavy_status.get(status, 0) + 1
        conn.close()

    cpu0 = srv.cpu_s()
    clients = [asyncio.create_task(heavy()) for _ in range(4)]
    await asyncio.sleep(0.5)  # all four are in flight
    loaded = await poll(6 if run.args.quick else 12)
    stop.set()
    await asyncio.gather(*clients)
    cpu = srv.cpu_s() - cpu0
    run.check(set(heavy_status) == {200}, f"heavy queries answered {heavy_status}")
    _, headers, _ = await one(srv.port, heavy_path(random.Random(1)))
    status, _, body = await one(srv.port, heavy_path(random.Random(2)).replace("days=14", "days=14&cat=cs.RO"))
    return {
        "idle_p99_ms": pct(idle, 0.99) * 1000, "p50_ms": statistics.median(loaded) * 1000,
        "p99_ms": pct(loaded, 0.99) * 1000, "max_ms": max(loaded) * 1000, "n": len(loaded),
        "heavy_requests": len(heavy_times), "heavy_p50_s": statistics.median(heavy_times) if heavy_times else None,
        "heavy_cpu_s_each": cpu / max(1, len(heavy_times)), "heavy_items": headers.get("x-items"),
        "cost": 2000 * 100, "cost_limit": MAX_RANK_COST,
    }


async def memory_after_heavy_urls(run: Run, srv: Server, idle_mb: float) -> dict:
    """200 distinct URLs with big bodies (500-item JSON and Atom over 4 categories)."""
    count = 60 if run.args.quick else 200
    rng = random.Random(7)
    conns = [Conn(srv.port) for _ in range(2)]
    for conn in conns:
        await conn.open()
    peak = idle_mb
    sizes = []

    async def worker(conn: Conn, indexes: range) -> None:
        nonlocal peak
        for i in indexes:
            terms = " ".join(rng.sample(["model", "learning", "image", "network", "data", "video", "3D", "neural"], 4))
            fmt = ("json", "atom", "rss")[i % 3]
            path = f"/feed?cat={','.join(CATS)}&q={quote(terms)}&limit={300 + i}&days=14&format={fmt}&min_score=0"
            status, _, body = await conn.get(path)
            run.check(status == 200, f"{path} answered {status}")
            sizes.append(len(body))
            peak = max(peak, srv.rss_mb())

    await asyncio.gather(worker(conns[0], range(0, count, 2)), worker(conns[1], range(1, count, 2)))
    for conn in conns:
        conn.close()
    after = srv.rss_mb()
    bound = idle_mb + CACHE_MAX_BYTES / 1e6 + 30
    return {"urls": count, "idle_mb": idle_mb, "after_mb": after, "peak_mb": peak, "bound_mb": bound,
            "bodies_mb": sum(sizes) / 1e6}


async def burst_of_cold_readers(run: Run, readers: int = 8) -> dict:
    before = len(run.fake.listing_requests())
    kv = run.work / "burst.sqlite3"
    with server("api.index:app", run.env(kv), run.work / "server.log") as srv:
        conns = [Conn(srv.port) for _ in range(readers)]
        for conn in conns:
            await conn.open()
            await conn.get("/__ping")  # serving, nothing fetched yet
        pinger = Conn(srv.port)
        await pinger.open()
        await pinger.get("/__ping")
        done = asyncio.Event()
        pings: list[float] = []

        async def ping() -> None:  # how long the server stops answering anyone meanwhile
            while not done.is_set():
                t0 = time.perf_counter()
                await pinger.get("/__ping")
                pings.append(time.perf_counter() - t0)
                await asyncio.sleep(0.005)

        t = time.perf_counter()
        pinging = asyncio.create_task(ping())

        async def read(conn: Conn) -> tuple:
            return await conn.get("/rss")

        answers = await asyncio.gather(*(read(c) for c in conns))
        elapsed = time.perf_counter() - t
        done.set()
        await pinging
        pinger.close()
        # The first answers are the listing alone (Warning: 110); once the window has filled in
        # behind them the feed has changed: readers revalidate against what it is now.
        run.check(await history_complete(srv.port, 60.0) is not None, "the burst's window never filled")
        etag = (await conns[0].get("/rss"))[1].get("etag")
        conditional = await asyncio.gather(*(c.get("/rss", {"If-None-Match": etag or ""}) for c in conns))
        for conn in conns:
            conn.close()
    statuses = [a[0] for a in answers]
    run.check(statuses == [200] * readers, f"cold readers got {statuses}")
    run.check(len({a[1].get('etag') for a in answers}) == 1, "cold readers got different ETags")
    upstream = len(run.fake.listing_requests()) - before
    run.check(upstream == 1, f"{readers} cold readers made {upstream} upstream requests")
    not_modified = sum(1 for c in conditional if c[0] == 304)
    run.check(not_modified == readers, f"{not_modified}/{readers} conditional requests got 304")
    return {"readers": readers, "upstream": upstream, "seconds": elapsed, "not_modified": not_modified,
            "ping_max_ms": max(pings) * 1000 if pings else None, "ping_p99_ms": pct(pings, 0.99) * 1000 if pings else None}


async def warm_vs_bare(run: Run, srv: Server) -> dict:
    """Warm /rss against the bare ASGI app serving the same bytes: 8 readers, rounds alternated.
    The share of bare is the median of each round's ours / the bare round right after it: rounds
    on this machine move by 15-25 % from one to the next, more than the figure they measure (the
    medians of each side, taken apart, read 71-99 % of bare in four runs of one hour). Each
    server's own CPU per request (utime + stime from /proc) moves far less, and says what the
    share would be were the servers, not the machine, the limit."""
    status, headers, body = await one(srv.port, "/rss")
    saved = run.work / "bare.json"
    keep = {k: v for k, v in headers.items() if k not in ("date", "server", "content-length")}
    saved.write_text(json.dumps({"body": base64.b64encode(body).decode(), "headers": keep}))
    env = dict(os.environ, BARE_RESPONSE=str(saved), PYTHONPATH=str(REPO))
    rounds = 3 if run.args.quick else 7
    seconds = 1.5 if run.args.quick else 2.0
    ours, bare, ours304, bare304 = [], [], [], []
    with server("bench.bare:app", env, run.work / "bare.log") as base:
        check = await one(base.port, "/rss")
        run.check(check[2] == body, "the bare app does not serve the same bytes")
        for _ in range(rounds):
            for app_server, samples in ((srv, ours), (base, bare)):
                cpu = app_server.cpu_s()
                sample = await closed_loop(app_server.port, "/rss", 8, seconds)
                sample["cpu_us"] = (app_server.cpu_s() - cpu) / sample["n"] * 1e6  # (its 8 warm-up requests included)
                samples.append(sample)
        cond = {"If-None-Match": headers["etag"]}
        ours304.append(await closed_loop(srv.port, "/rss", 8, seconds, cond))
        bare304.append(await closed_loop(base.port, "/rss", 8, seconds, cond))
    run.check(set(ours304[0]["statuses"]) == {304}, f"conditional warm polls got {ours304[0]['statuses']}")

    def med(samples: list[dict], key: str) -> float:
        return statistics.median(s[key] for s in samples)

    return {
        "ours_p50_ms": med(ours, "p50_ms"), "bare_p50_ms": med(bare, "p50_ms"),
        "ours_rps": med(ours, "rps"), "bare_rps": med(bare, "rps"),
        "share_of_bare": statistics.median(o["rps"] / b["rps"] for o, b in zip(ours, bare)),
        "ours_cpu_us": med(ours, "cpu_us"), "bare_cpu_us": med(bare, "cpu_us"),
        "ours_304_p50_ms": ours304[0]["p50_ms"], "bare_304_p50_ms": bare304[0]["p50_ms"],
        "ours_304_rps": ours304[0]["rps"], "body_bytes": len(body), "rounds": rounds, "seconds_each": seconds,
    }


async def routed_warm(run: Run, srv: Server) -> dict:
    """Warm /rss with the warm answers off (WARM_CACHE_S=0): every poll goes through FastAPI's
    routing, the query model, the middleware and a store read; for the record."""
    seconds = 2.0 if run.args.quick else 3.0
    return await closed_loop(srv.port, "/rss", 8, seconds)


async def profile_warm(run: Run, kv_path: Path) -> str:
    """The warm /rss path sampled by pyinstrument in the server process."""
    session = run.work / "warm.pyisession"
    wrap = [sys.executable, "-m", "pyinstrument", "-r", "session", "-o", str(session), "-i", "0.0002"]
    with server("api.index:app", run.env(kv_path), run.work / "profile.log", wrap=wrap) as srv:
        await one(srv.port, "/rss")
        await closed_loop(srv.port, "/rss", 8, 6.0)
    if not session.exists():
        return "(no profile written; see profile.log)"
    views = []
    for options in (["-p", "flat=true"], ["-p", "time=percent_of_total"]):
        views.append(subprocess.run([sys.executable, "-m", "pyinstrument", "--load", str(session), "-r", "text", *options],
                                    capture_output=True, text=True).stdout)
    flat = "\n".join(views[0].splitlines()[:45])
    return f"Self time by function (top):\n{flat}\n\nCall tree:\n{views[1]}"


async def main(args: argparse.Namespace) -> int:
    global APP
    APP = args.app.resolve()
    with tempfile.TemporaryDirectory(prefix="bench-perf-") as tmp:
        work = Path(tmp)
        config_path = work / "config.json"
        config_path.write_text(json.dumps(CONFIG))
        fake = start_fake()
        run = Run(args, fake, work, config_path)
        samples = 2 if args.quick else 3
        try:
            anchor_cold, anchor_import = anchor_app(run, ORIGINAL_ANCHOR["rev"]), anchor_app(run, IMPORT_ANCHOR["rev"])
            anchored = anchor_cold is not None and anchor_import is not None
            imports, imports_compiled, imports_anchor = [], [], []
            for _ in range(samples + 2):  # alternated: every kind sees the same load
                imports.append(import_time(run))
                imports_compiled.append(import_time(run, compiled=True))
                if anchored:
                    imports_anchor.append(import_time(run, app=anchor_import))
            cold: dict[str, list[float]] = {"empty": [], "filled": [], "empty_compiled": [], "filled_compiled": [], "anchor": [],
                                            "floor": []}
            upstream_empty, upstream_filled = [], []
            for i in range(samples):
                for compiled, suffix in ((False, ""), (True, "_compiled")):  # alternated, as the imports
                    kv = work / f"cold{i}{suffix}.sqlite3"
                    seconds, made = await cold_first_feed(run, kv, compiled)
                    cold["empty" + suffix].append(seconds)
                    upstream_empty.append(made)
                    seconds, made = await cold_first_feed(run, kv, compiled)  # a new instance, the store filled
                    cold["filled" + suffix].append(seconds)
                    upstream_filled.append(made)
                if anchored:
                    seconds, _ = await cold_first_feed(run, work / f"anchor{i}.sqlite3", app=anchor_cold)
                    cold["anchor"].append(seconds)
                cold["floor"].append(await framework_floor(run))
            if anchored:
                run.figures["anchors"] = {"cold_empty_s": statistics.median(cold["anchor"]),
                                          "import_compiled_s": statistics.median(imports_anchor)}
            run.check(upstream_empty == [1] * 2 * samples, f"cold feeds made {upstream_empty} upstream requests")
            run.check(upstream_filled == [0] * 2 * samples, f"filled-store feeds made {upstream_filled} upstream requests")
            first: dict[str, list[dict]] = {case: [] for case in FIRST_CASES}
            first_compiled: dict[str, list[dict]] = {case: [] for case in FIRST_CASES}
            for i in range(samples):
                for case in FIRST_CASES:  # alternated: every case, from source and compiled, sees the same load
                    first[case].append(await first_feed(run, case, i))
                    first_compiled[case].append(await first_feed(run, case, i, compiled=True))
            burst = await burst_of_cold_readers(run)
            with server("api.index:app", run.env(work / "cold0.sqlite3"), work / "server.log") as srv:
                await one(srv.port, "/rss")
                run.check(await history_complete(srv.port, 60.0) is not None, "the warm store's window never filled")
                warm = await warm_vs_bare(run, srv)
                idle_mb = srv.rss_mb()
                health = await health_under_heavy(run, srv)
            routed_env = {**run.env(work / "cold0.sqlite3"), "WARM_CACHE_S": "0"}
            with server("api.index:app", routed_env, work / "server.log") as srv:
                await one(srv.port, "/rss")
                routed = await routed_warm(run, srv)
            with server("api.index:app", run.env(work / "cold0.sqlite3"), work / "server.log") as srv:
                await one(srv.port, "/rss")
                await one(srv.port, f"/feed?cat={','.join(CATS)}&limit=10")
                memory = await memory_after_heavy_urls(run, srv, srv.rss_mb())
            profile = await profile_warm(run, work / "cold0.sqlite3") if args.profile else None
        finally:
            fake.stop()
            log = (work / "server.log").read_text(errors="replace") if (work / "server.log").exists() else ""
            first_log = (work / "first.log").read_text(errors="replace") if (work / "first.log").exists() else ""
        if re.search(r"Traceback|ERROR", log):
            run.problems.append("errors in the server log:\n" + log[-2000:])
        if "Traceback" in first_log:  # (a) logs its refused backfill as an ERROR, as it should
            run.problems.append("a traceback in the first-feed log:\n" + first_log[-2000:])
        run.figures |= {
            "import_s": statistics.median(imports), "import_min_s": min(imports),
            "import_compiled_s": statistics.median(imports_compiled), "cold_empty_s": statistics.median(cold["empty"]),
            "cold_filled_s": statistics.median(cold["filled"]), "cold_empty_compiled_s": statistics.median(cold["empty_compiled"]),
            "cold_filled_compiled_s": statistics.median(cold["filled_compiled"]), "floor_s": statistics.median(cold["floor"]),
            "first": summarize_first(run, first),
            "first_compiled": summarize_first(run, first_compiled, "compiled beforehand"), "burst": burst, "warm": warm, "routed": routed, "health": health, "memory": memory,
        }
        run.check(run.figures["warm"]["share_of_bare"] >= 0.9,
                  f"warm /rss: {run.figures['warm']['share_of_bare']:.0%} of the bare app's throughput (paired rounds), under 90 %")
        _, import_goal, basis = original_now(run)
        run.check(run.figures["import_compiled_s"] <= import_goal,
                  f"importing the app, compiled beforehand: {run.figures['import_compiled_s']:.3f} s, over the 0.3 s goal ({import_goal:.3f} s, {basis})")
        print_table(run)
        if profile:
            print("\nWarm /rss, sampled by pyinstrument in the server (8 readers, 6 s):\n")
            print(profile)
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "machine": machine(), "app": measured_app(),
            "figures": run.figures, "original": ORIGINAL, "anchors": {"original": ORIGINAL_ANCHOR, "import": IMPORT_ANCHOR},
            "original_now": dict(zip(("cold_empty_s", "import_goal_s", "basis"), original_now(run))), "problems": run.problems, "profile": profile,
        }, indent=2, default=str))
        return 1 if run.problems else 0


def summarize_first(run: Run, first: dict[str, list[dict]], kind: str = "from source") -> dict:
    """Medians per case, the ratios the issue asks for, and their checks (`kind`: how our code
    was shipped, for the messages)."""
    out: dict[str, Any] = {}
    for case, samples in first.items():
        out[case] = {
            "first_s": statistics.median(s["first_s"] for s in samples),
            "request_s": statistics.median(s["request_s"] for s in samples),
            "warning": samples[-1]["warning"],
        }
    healthy = first["healthy"]
    windows = [s["window_s"] for s in healthy if s.get("window_s") is not None]
    out["healthy"]["window_s"] = max(windows) if windows else None
    out["healthy"]["window_papers"] = healthy[-1].get("window_papers")
    listing = out["listing"]
    for case in ("refusing", "healthy"):
        for key in ("first_s", "request_s"):
            out[case][f"{key}_vs_listing"] = out[case][key] / listing[key]
        run.check(out[case]["first_s"] <= 1.5 * listing["first_s"],
                  f"{FIRST_CASES[case]} ({kind}): first feed {out[case]['first_s']:.2f} s, over 1.5x the listing-only {listing['first_s']:.2f} s")
        original, _, basis = original_now(run)
        run.check(out[case]["first_s"] <= 0.5 * original,
                  f"{FIRST_CASES[case]} ({kind}): first feed {out[case]['first_s']:.2f} s, over 0.5x the original's {original:.2f} s ({basis})")
    return out


def measured_app() -> str:
    """The checkout measured and its commit (`--app`)."""
    rev = subprocess.run(["git", "-C", str(APP), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    return f"{APP} @ {rev or 'unknown'}"


def machine() -> str:
    cpus = os.cpu_count()
    model = ""
    try:
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{platform.system()} {platform.machine()}, {cpus} CPUs ({model}), Python {platform.python_version()}, load {load:.1f}"


def print_table(run: Run) -> None:
    f = run.figures
    w, h, m, b, r, fi = f["warm"], f["health"], f["memory"], f["burst"], f["routed"], f["first"]
    o = ORIGINAL
    original, import_goal, basis = original_now(run)
    an = f.get("anchors")
    first_rows = []
    if an:
        first_rows.append((f"anchor {ORIGINAL_ANCHOR['rev']} (measured beside the original): cold first feed", f"{ORIGINAL_ANCHOR['cold_empty_s']:.2f} s (recorded)",
                           f"{an['cold_empty_s']:.2f} s (compiled beforehand)", "", "(scales the original to this run)"))
        first_rows.append(("the original's first feed, estimated for this run", f"{o['cold_empty_s']:.2f} s (recorded)",
                           f"{original:.2f} s ({o['cold_empty_s']:.2f} x {an['cold_empty_s']:.2f} / {ORIGINAL_ANCHOR['cold_empty_s']:.2f})", "", ""))
        first_rows.append((f"anchor {IMPORT_ANCHOR['rev']} (issue 14's final code): import, compiled", f"{IMPORT_ANCHOR['import_compiled_s']:.3f} s (recorded)",
                           f"{an['import_compiled_s']:.3f} s", "", "(scales the 0.3 s import goal)"))
    else:
        first_rows.append(("anchors (older code from the git history)", "", "not measured: " + "; ".join(run.anchor_problems), "", "(the recorded figures are used)"))
    for case, label in FIRST_CASES.items():
        x = fi[case]
        vs = "" if case == "listing" else f", {x['first_s_vs_listing']:.2f}x (c); request {x['request_s_vs_listing']:.2f}x (c)"
        first_rows.append((f"first feed, fresh instance, empty store: {label}", f"{original:.2f} s ({basis})" if case == "healthy" else "",
                           f"{x['first_s']:.2f} s ({x['first_s'] / original:.2f}x orig.{vs}); request alone {x['request_s'] * 1000:.0f} ms",
                           "", "" if case == "listing" else "<= 1.5x (c), <= 0.5x original"))
    fc = f["first_compiled"]
    for case, label in FIRST_CASES.items():
        x = fc[case]
        vs = "" if case == "listing" else f", {x['first_s_vs_listing']:.2f}x (c)"
        first_rows.append((f"  the same, our bytecode compiled beforehand: {label[:3]}", "",
                           f"{x['first_s']:.2f} s ({x['first_s'] / original:.2f}x orig.{vs}); request alone {x['request_s'] * 1000:.0f} ms",
                           "", "(as deployed per the README)"))
    hw = fi["healthy"]
    papers = hw.get("window_papers") or {}
    first_rows.append(("  (b) the whole window held after the first answer", "",
                       f"{hw['window_s']:.2f} s; {sum(papers.values())} papers in {len(papers)} categories, each once" if hw["window_s"] is not None else "not within 60 s",
                       "", "<= 60 s, each paper once"))
    rows = [*first_rows,
        ("first feed, cold process, empty store", f"{original:.2f} s ({basis})", f"{f['cold_empty_s']:.2f} s ({f['cold_empty_s'] / original:.2f}x)", "", "<= 0.5x original"),
        ("  the same, our bytecode compiled beforehand", "", f"{f['cold_empty_compiled_s']:.2f} s ({f['cold_empty_compiled_s'] / original:.2f}x)", "", "(as deployed per the README)"),
        ("  FastAPI alone (bench.floor: one route, no code of ours): first answer", "", f"{f['floor_s']:.2f} s ({f['floor_s'] / original:.2f}x orig.; "
         f"{f['floor_s'] / (0.5 * original):.0%} of the 0.5x budget)", "", "(the framework's floor)"),
        ("first feed, cold process, filled store", "", f"{f['cold_filled_s']:.2f} s", "", ""),
        ("  the same, our bytecode compiled beforehand", "", f"{f['cold_filled_compiled_s']:.2f} s", "", ""),
        ("importing the app (python -X importtime)", "", f"{f['import_s']:.3f} s (min {f['import_min_s']:.3f})", "", ""),
        ("  the same, our bytecode compiled beforehand", "", f"{f['import_compiled_s']:.3f} s ({f['import_compiled_s'] / import_goal:.2f}x the goal)", "",
         f"<= 0.3 s as deployed ({import_goal:.3f} s {'on this run' if basis == 'this run' else 'recorded'})"),
        ("warm /rss p50, 8 readers", f"{o['warm_p50_ms']:.2f} ms (recorded)", f"{w['ours_p50_ms']:.2f} ms (+{w['ours_p50_ms'] - w['bare_p50_ms']:.2f})", f"{w['bare_p50_ms']:.2f} ms", "within 0.3 ms of bare"),
        ("warm /rss throughput, 8 readers", f"{o['throughput']:.0f} req/s (recorded)", f"{w['ours_rps']:.0f} req/s ({w['share_of_bare']:.0%} of bare, paired rounds)", f"{w['bare_rps']:.0f} req/s", ">= 90 % of bare"),
        ("  server CPU a request (both processes' own, /proc)", "", f"{w['ours_cpu_us']:.0f} us ({w['ours_cpu_us'] / w['bare_cpu_us']:.2f}x bare)", f"{w['bare_cpu_us']:.0f} us", "(what the share would be, server-bound)"),
        ("  the same, warm answers off (WARM_CACHE_S=0)", "", f"{r['p50_ms']:.2f} ms, {r['rps']:.0f} req/s ({r['rps'] / w['bare_rps']:.0%} of bare)", "", "(routed every time)"),
        ("304 p50 / throughput, 8 readers", "", f"{w['ours_304_p50_ms']:.2f} ms / {w['ours_304_rps']:.0f} req/s", f"{w['bare_304_p50_ms']:.2f} ms", "all 304"),
        ("/health p99 alone", "", f"{h['idle_p99_ms']:.1f} ms", "", ""),
        ("/health p50 / p99 / max, 4 heaviest clients", "", f"{h['p50_ms']:.1f} / {h['p99_ms']:.1f} / {h['max_ms']:.0f} ms (n={h['n']})", "", "p99 < 100 ms"),
        ("  heaviest accepted query (each)", "", f"{h['heavy_p50_s']:.2f} s p50, {h['heavy_cpu_s_each']:.2f} s CPU, cost {h['cost']:,} of {h['cost_limit']:,}", "", ""),
        (f"memory after {m['urls']} distinct heavy URLs", "", f"{m['after_mb']:.0f} MB (peak {m['peak_mb']:.0f})", "", f"<= {m['bound_mb']:.0f} MB (idle {m['idle_mb']:.0f} + 64 + 30)"),
        (f"{b['readers']} cold readers at once: upstream requests / time", f"{o['burst_upstream']} / {o['burst_s']:.1f} s (recorded)", f"{b['upstream']} / {b['seconds']:.2f} s", "", "1"),
        ("  meanwhile, a 404 every 5 ms: p99 / worst", "", f"{b['ping_p99_ms']:.1f} / {b['ping_max_ms']:.0f} ms", "", "(the loop keeps serving)"),
        ("  then conditional requests answered 304", "", f"{b['not_modified']}/{b['readers']}", "", "all"),
    ]
    widths = [max(len(r[i]) for r in rows + [("figure", "original", "ours", "bare ASGI", "goal")]) for i in range(5)]
    header = ("figure", "original", "ours", "bare ASGI", "goal")
    print(" | ".join(c.ljust(widths[i]) for i, c in enumerate(header)))
    print("-+-".join("-" * x for x in widths))
    for row in rows:
        print(" | ".join(c.ljust(widths[i]) for i, c in enumerate(row)))
    print(f"\nApp: {measured_app()}. {machine()}; {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC. Warm: {w['rounds']} alternated rounds of "
          f"{w['seconds_each']:g} s each side, body {w['body_bytes']:,} bytes. Memory: {m['bodies_mb']:.0f} MB of bodies served.")
    if run.problems:
        print("\nCHECKS FAILED:\n- " + "\n- ".join(run.problems))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer samples and shorter phases")
    parser.add_argument("--profile", action="store_true", help="also profile the warm path (pyinstrument)")
    parser.add_argument("--app", type=Path, default=REPO,
                        help="measure the app of another checkout (e.g. `git worktree add /tmp/old REV`) with this harness")
    parser.add_argument("--out", default=str(RESULTS), help="JSON results file")
    sys.exit(asyncio.run(main(parser.parse_args())))
