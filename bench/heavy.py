"""The figures of issue 19 items 2 and 3: heavy like= requests, huge seeds, cold windows.

    python -m bench.heavy                    # this checkout, about 2 minutes
    python -m bench.heavy --app DIR          # the same bench against another checkout's api/ and core/
    python -m bench.heavy --quick            # fewer distinct URLs

Everything runs on 127.0.0.1. A SQLite store is filled beforehand with 20 categories x 10
weekdays x 150 papers (30,000 papers: the recorded 501-paper cs.CV day under other ids), every
category fresh, so no listing is fetched; a fake arXiv in this process answers the query API
for like= seeds (the recorded 2026-04-17 cs.CV day; for the huge-seed figure, 20 of them with
750 KB abstracts). The app runs as `python -m uvicorn api.index:app` in a new process for each
figure, on a copy of the filled store, with the default CACHE_MAX_BYTES (64 MB).

Figures: CPU seconds of the server per distinct heavy like= URL (20 seeds + 20 unlike seeds over
the 30,000 papers) and its answer; the heaviest like= request accepted (categories dropped until
one is), its CPU per cost unit, the heaviest keyword request accepted (16 common terms) and its
CPU per unit, and the server's RSS after them and a few more accepted heavy requests, against idle + 64 + 30 MB; a request with 20 huge seeds and the worst /health latency
meanwhile (/health every 10 ms); the first request of a profile over the cold 30,000-paper
window (a profile's feed is never refused) and the worst /health meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.perf import Conn, app_env, machine, server
from core.feeds import MAX_RANK_COST
from core.ranking.cost import costs
from core.ranking.signals.like import LikeInputs
from core.ranking.types import Work
from core.kv.sqlite import SQLiteKV
from core.listings.freshness import window_days
from core.listings.store import CategoryMeta, DayStore
from core.sources.arxiv.parse import parse_listing
from tests.fakearxiv import A, FIXTURES, FakeArxiv

REPO = Path(__file__).resolve().parent.parent
CACHE_MAX_BYTES = 64_000_000
CATS = ["cs.AI", "cs.CL", "cs.CV", "cs.LG", "cs.RO", "cs.CR", "cs.DS", "cs.IR", "cs.NE", "cs.SE",
        "cs.DB", "cs.DC", "cs.HC", "cs.IT", "cs.MA", "cs.NI", "cs.PL", "cs.SD", "cs.SY", "cs.GR"]
PER_DAY = 150
HUGE = 750_000
CONFIG = {"profiles": {
    "bench": {"title": "Bench", "categories": ["cs.AI"], "keywords": ["model"], "days": 14},
    "wide": {"title": "Wide", "categories": CATS, "keywords": ["segmentation"], "days": 14},  # never refused
}}
KEYWORDS = "+".join(["model", "learning", "data", "method", "network", "results", "performance", "task", "training",
                     "image", "approach", "propose", "based", "using", "show", "framework"])
TEXT_BYTES: list[int] = []  # title + abstract bytes of the papers of one category's window


async def fill_store(path: Path) -> int:
    """20 categories x the window's 10 weekdays x 150 papers, every category fresh."""
    template = parse_listing((FIXTURES / "rss_cs.CV_2026-04-21.xml").read_bytes()).papers
    now = dt.datetime.now(dt.UTC)
    days = window_days(now, 14)
    kv = SQLiteKV(path)
    store = DayStore(kv, history_days=30)
    serial = 0

    async def fill() -> int:
        nonlocal serial
        for cat in CATS:
            meta = CategoryMeta(category=cat)
            for day in days:
                papers = []
                for n in range(PER_DAY):
                    serial += 1
                    base = template[serial % len(template)]
                    papers.append(base.model_copy(update={
                        "id": f"{day:%y%m}.{serial:05d}", "version": 1, "categories": [cat], "announced": day,
                        "announce_type": "new", "source": "listing"}))
                await store._write_day(meta, day, papers)
                if cat == CATS[0]:
                    TEXT_BYTES.append(sum(len(p.title) + len(p.abstract) for p in papers))
            meta.checked_at = meta.fetched_at = meta.backfilled_at = now
            meta.fresh_until = now + dt.timedelta(days=2)
            await store.save_meta(meta, ttl=None)
        await kv.close()
        return serial

    total = await fill()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return total


def seeds_fake(huge: bool) -> tuple[FakeArxiv, list[str]]:
    fake = FakeArxiv().start()
    fake.serve_day("rss_cs.CV_2026-04-21.xml")  # never asked: every category is fresh
    fake.serve_api_from("rss_cs.CV_2026-04-17.xml")
    ids = [(e.findtext(f"{A}id") or "").rsplit("/", 1)[-1].split("v")[0] for e in fake.api_entries][:40]
    if huge:
        for entry in fake.api_entries[:20]:
            entry.find(f"{A}summary").text = ("gaussian splatting segmentation mesh " * (HUGE // 36))[:HUGE]  # type: ignore[union-attr]
    return fake, ids


class Probe:
    """/health every 10 ms on its own connection: the worst latency is how long the event loop
    stopped answering while something else ran."""

    def __init__(self, port: int):
        self.port = port
        self.times: list[float] = []
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def __aenter__(self) -> Probe:
        conn = Conn(self.port)
        await conn.open()
        await conn.get("/health")

        async def poll() -> None:
            while not self._stop.is_set():
                t = time.perf_counter()
                await conn.get("/health")
                self.times.append(time.perf_counter() - t)
                await asyncio.sleep(0.01)
            conn.close()

        self._task = asyncio.create_task(poll())
        return self

    async def __aexit__(self, *exc: Any) -> None:
        self._stop.set()
        assert self._task is not None
        await self._task

    @property
    def worst_ms(self) -> float:
        return max(self.times) * 1000 if self.times else float("nan")


async def timed(srv, path: str) -> dict:
    """One request: status, seconds, server CPU seconds, RSS after, the error if any."""
    conn = Conn(srv.port)
    await conn.open()
    cpu0, t = srv.cpu_s(), time.perf_counter()
    status, _, body = await conn.get(path)
    conn.close()
    out = {"status": status, "s": time.perf_counter() - t, "cpu_s": srv.cpu_s() - cpu0, "rss_mb": srv.rss_mb()}
    if status != 200:
        out["error"] = json.loads(body).get("error", "")[:300] if body.startswith(b"{") else body[:300].decode(errors="replace")
    return out


def like_path(cats: list[str], ids: list[str], limit: int, extra: str = "") -> str:
    return (f"/feed?cat={','.join(cats)}&days=14&like={','.join(ids[:20])}&unlike={','.join(ids[20:40])}"
            f"&limit={limit}&format=json{extra}")


async def heavy_like(args: argparse.Namespace, work: Path, store: Path) -> dict:
    fake, ids = seeds_fake(huge=False)
    kv = work / "like.sqlite3"
    shutil.copy(store, kv)
    env = app_path(args, app_env(fake.url, kv, work / "config.json"))
    try:
        with server("api.index:app", env, work / "server.log", cwd=Path(args.app)) as srv:
            await Conn(srv.port).open()
            await timed(srv, "/health")
            idle = srv.rss_mb()
            urls = 1 if args.quick else 2
            heavy = []
            async with Probe(srv.port) as probe:
                for n in range(urls):  # distinct URLs: no cache helps
                    heavy.append(await timed(srv, like_path(CATS, ids, 50 + n)))
            accepted, refused = None, []
            for k in (20, 16, 12, 8, 6, 4, 3, 2, 1):  # the heaviest like= request accepted
                got = await timed(srv, like_path(CATS[:k], ids, 60))
                if got["status"] == 200:
                    accepted = {"categories": k, **got}
                    break
                refused.append({"categories": k, **got})
            keyword = None
            for k in (20, 16, 12, 11, 10, 8, 6, 4, 2, 1):  # the heaviest keyword request accepted, same terms as bench.like_cost
                got = await timed(srv, f"/feed?cat={','.join(CATS[:k])}&days=14&q={KEYWORDS}&limit=60&format=json")
                if got["status"] == 200:
                    keyword = {"categories": k, **got}
                    break
            more = []
            if accepted:
                k = accepted["categories"]
                for extra in ("&sort=date", "&min_score=0&type=new,cross,replace", "&q=segmentation"):
                    more.append(await timed(srv, like_path(CATS[:k], ids, 61) + extra))
                more.append(await timed(srv, f"/feed?cat={','.join(CATS[:k])}&days=14&q=segmentation,mesh&limit=500&format=json"))
                more.append(await timed(srv, f"/feed?cat={','.join(CATS[:k])}&days=14&like={ids[0]}&limit=100&format=json"))
            after = srv.rss_mb()
    finally:
        fake.stop()
    return {"idle_mb": idle, "heavy": heavy, "health_worst_ms": probe.worst_ms, "accepted": accepted, "refused": refused, "more": more, "keyword": keyword,
            "after_mb": after, "bound_mb": idle + CACHE_MAX_BYTES / 1e6 + 30}


async def huge_seeds(args: argparse.Namespace, work: Path, store: Path) -> dict:
    fake, ids = seeds_fake(huge=True)
    kv = work / "huge.sqlite3"
    shutil.copy(store, kv)
    env = app_path(args, app_env(fake.url, kv, work / "config.json"))
    try:
        with server("api.index:app", env, work / "server.log", cwd=Path(args.app)) as srv:
            await Conn(srv.port).open()
            await timed(srv, "/feed?cat=cs.AI&days=1&limit=5")  # the small window decoded
            async with Probe(srv.port) as probe:
                first = await timed(srv, f"/feed?cat=cs.AI&days=1&like={','.join(ids[:20])}&limit=20&format=json")
                again = await timed(srv, f"/feed?cat=cs.AI&days=1&like={','.join(ids[:20])}&limit=21&format=json")
    finally:
        fake.stop()
    with sqlite3.connect(kv) as db:
        rows = db.execute("SELECT length(value), expires FROM kv WHERE key LIKE 'seed:v1:%' AND key NOT LIKE '%:unknown'").fetchall()
    return {"first": first, "again": again, "health_worst_ms": probe.worst_ms, "seed_bytes": sum(r[0] for r in rows),
            "seed_keys": len(rows), "seed_keys_expiring": sum(1 for r in rows if r[1] is not None)}


async def cold_window(args: argparse.Namespace, work: Path, store: Path) -> dict:
    fake = FakeArxiv().start()
    fake.serve_day("rss_cs.CV_2026-04-21.xml")
    kv = work / "cold.sqlite3"
    shutil.copy(store, kv)
    env = app_path(args, app_env(fake.url, kv, work / "config.json"))
    try:
        with server("api.index:app", env, work / "server.log", cwd=Path(args.app)) as srv:
            await Conn(srv.port).open()
            await timed(srv, "/health")
            async with Probe(srv.port) as probe:
                first = await timed(srv, "/feeds/wide.json")  # a profile's 30,000-paper window, cold
            second = await timed(srv, "/feeds/wide.json?limit=49")
            after = srv.rss_mb()
            upstream = len(fake.listing_requests())
    finally:
        fake.stop()
    return {"first": first, "second": second, "after_mb": after, "health_worst_ms": probe.worst_ms,
            "health_polls": len(probe.times), "upstream": upstream}


def app_path(args: argparse.Namespace, env: dict[str, str]) -> dict[str, str]:
    return {**env, "PYTHONPATH": str(Path(args.app).resolve())}


async def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="bench-heavy-") as tmp:
        work = Path(tmp)
        (work / "config.json").write_text(json.dumps(CONFIG))
        store = work / "filled.sqlite3"
        papers = await fill_store(store)
        figures = {"papers": papers, "categories": len(CATS), "app": str(Path(args.app).resolve()),
                   "text_bytes_per_category": sum(TEXT_BYTES)}
        figures["like"] = await heavy_like(args, work, store)
        figures["huge_seeds"] = await huge_seeds(args, work, store)
        figures["cold_window"] = await cold_window(args, work, store)
        log = (work / "server.log").read_text(errors="replace") if (work / "server.log").exists() else ""
        figures["server_errors"] = bool(re.search(r"Traceback|ERROR", log))
        if figures["server_errors"]:
            figures["log_tail"] = log[-2000:]
    report(figures)
    if args.out:
        Path(args.out).write_text(json.dumps({"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                                              "machine": machine(), "figures": figures}, indent=2, default=str))
    return 1 if figures["server_errors"] else 0


def report(f: dict) -> None:
    like, huge, cold = f["like"], f["huge_seeds"], f["cold_window"]

    def req(r: dict | None) -> str:
        if not r:
            return "-"
        text = f"{r['status']} in {r['s']:.2f} s, {r['cpu_s']:.2f} s CPU, RSS {r['rss_mb']:.0f} MB"
        return text + (f" ({r['error'][:120]})" if r.get("error") else "")

    print(f"{f['papers']:,} papers in {f['categories']} categories x 10 weekdays; app from {f['app']}")
    for n, r in enumerate(like["heavy"]):
        print(f"like= 20 + unlike= 20 seeds over all 20 categories, URL {n + 1}: {req(r)}")
    print(f"  /health worst meanwhile: {like['health_worst_ms']:.0f} ms")
    for r in like["refused"]:
        print(f"like= 20 + unlike= 20 over {r['categories']} categories: {req(r)}")
    acc = like["accepted"]
    print(f"heaviest like= 20 + unlike= 20 accepted: {acc['categories'] if acc else 0} categories: {req(acc)}")
    if acc:
        k = acc["categories"]
        forty = LikeInputs.model_construct(like=[f"2604.{n:05d}" for n in range(40)], unlike=[], like_author="")
        units = sum(cost.units for cost in costs(Work(candidates=k * PER_DAY * 10, text_bytes=k * f["text_bytes_per_category"],
                                                      terms=0), {"like": forty}))
        print(f"  its cost {units:,} units (MAX_RANK_COST {MAX_RANK_COST:,}): {acc['cpu_s'] / units * 1e6:.1f} us of CPU a unit")
    kw = like["keyword"]
    print(f"heaviest keyword request accepted (16 common terms): {kw['categories'] if kw else 0} categories: {req(kw)}")
    if kw:
        units = 16 * kw["categories"] * PER_DAY * 10
        print(f"  its cost {units:,} units: {kw['cpu_s'] / units * 1e6:.1f} us of CPU a unit")
    for r in like["more"]:
        print(f"  then another accepted heavy URL: {req(r)}")
    print(f"RSS idle {like['idle_mb']:.0f} MB, after {like['after_mb']:.0f} MB (bound idle + 64 + 30 = {like['bound_mb']:.0f} MB)")
    print(f"20 seeds with 750 KB abstracts, first request: {req(huge['first'])}; again: {req(huge['again'])}")
    print(f"  /health worst meanwhile: {huge['health_worst_ms']:.0f} ms; seeds stored: {huge['seed_keys']} keys, "
          f"{huge['seed_bytes'] / 1e6:.2f} MB, {huge['seed_keys_expiring']} with an expiry")
    print(f"cold 30,000-paper window of a profile (20 categories x 14 days), first request: {req(cold['first'])}")
    print(f"  again, another URL: {req(cold['second'])}; RSS after {cold['after_mb']:.0f} MB")
    print(f"  /health worst meanwhile: {cold['health_worst_ms']:.0f} ms over {cold['health_polls']} polls; upstream listing requests {cold['upstream']}")
    print(machine())
    if f["server_errors"]:
        print("ERRORS in the server log:\n" + f["log_tail"])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app", default=str(REPO), help="the checkout whose api/ and core/ are served")
    parser.add_argument("--quick", action="store_true", help="one heavy URL instead of two")
    parser.add_argument("--out", default="", help="JSON results file")
    sys.exit(asyncio.run(main(parser.parse_args())))
