"""Golden feeds: every format of every profile and a set of query feeds, byte for byte.

The safety net of issue 20 (moving code without changing what a user sees): the real app runs
over HTTP (uvicorn on 127.0.0.1) against the fake arXiv serving recorded listings, with a
`ManualClock` set to fixed instants and the `Host` header pinned to `golden.test`, so the self
links and ETags do not depend on the port. Nothing else is normalised: each record under
`tests/golden/` is the request, the status, the headers that matter (KEPT_HEADERS:
Content-Type, ETag, Warning, the cache headers) and the body exactly as served (decompressed).

The store fills the way it does in production, in four steps of the clock:
  1. 2026-04-17 12:00 UTC, cs.CV's recorded listing of that day;
  2. 2026-04-21 12:00 UTC, cs.CV's listing of that day (the store now holds two days, so
     `days=` means something), enriched from the fake query API with arXiv's real comments
     (`venue=`, `has=`); the cs.CV feeds are recorded;
  3. 2026-04-27 12:00 UTC, the cs.AI/cs.CL/cs.LG listings of that day (plus the cs.CV day's
     cross-lists); the cs.AI/cs.CL/cs.LG feeds are recorded;
  4. 2026-04-28 12:00 UTC, arXiv answers listing requests with 503s: a few stale feeds
     (Warning: 110) are recorded.
`like=`/`unlike=` seeds come from the fake query API, `like_author=` from its author feed.
Backfill is off (the recorded listings are the whole history) and there is no LLM key.

Profiles: the suite's TEST_CONFIG (`llm`, `vision`) and the shipped config.json (as
`shipped-llm`, `shipped-vision`), each in every format of core/render/formats.py.

To regenerate after an intended change of output, review the diff it shows first, then:
    GOLDEN_UPDATE=1 python -m pytest -q tests/test_golden.py
and commit tests/golden/ with the change that explains it. A default run compares and, on a
mismatch, fails with a short unified diff of the first differing record.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from core.clock import ManualClock
from core.kv.memory import MemoryKV
from core.profiles import parse_config
from core.render.formats import REGISTRY
from tests.conftest import TEST_CONFIG, running_app
from tests.fakearxiv import Failure, FakeArxiv, real_comments

GOLDEN = Path(__file__).parent / "golden"
ROOT = Path(__file__).resolve().parent.parent
HOST = "golden.test"
UPDATE = os.environ.get("GOLDEN_UPDATE") == "1"
# What a reader or a cache sees besides the body (not Date, Server, or the gzip body's length).
KEPT_HEADERS = ("content-type", "etag", "last-modified", "cache-control", "vary", "warning", "x-items")

SPLAT = "2604.14706"  # cs.CV 04-17: "NG-GS: NeRF-Guided 3D Gaussian Splatting Segmentation"
DEEPFAKE = "2604.14570"  # cs.CV 04-17: "Deepfake Detection Generalization with Diffusion Noise"
AUTHOR = "doe_j_1"
AI_DAY = ("rss_cs.AI_2026-04-27_trimmed3.xml", "rss_cs.CL_2026-04-27_trimmed3.xml", "rss_cs.LG_2026-04-27_trimmed3.xml")
JOURNAL = {"journal_ref": "AI and Ethics (2022)", "doi": "10.1007/s43681-022-00167-3"}  # real ones, for has=doi,journal
PUBLISHED = "2604.18208"  # cs.CV 04-21: "Published Open-Access in IJCV"

SHIPPED = json.loads((ROOT / "config.json").read_text())["profiles"]
CONFIG = {"profiles": {**TEST_CONFIG["profiles"], **{f"shipped-{name}": p for name, p in SHIPPED.items()}}}


def _profile_feeds(*profiles: str) -> list[str]:
    return [f"/feeds/{name}.{fmt.extension}" for name in profiles for fmt in REGISTRY.values()]


def _q(value: str) -> str:
    return quote(value, safe=",^:")


# Recorded while the store's newest day is cs.CV's 2026-04-21 (step 2).
CV_FEEDS = _profile_feeds("vision", "shipped-vision") + [
    "/feed?cat=cs.CV&format=json&limit=12",
    "/feed?cat=cs.CV&days=1&q=diffusion&format=rss&limit=10",
    "/feed?cat=cs.CV&days=5&q=diffusion&format=rss&limit=10",
    "/feed?cat=cs.CV&format=json&type=new,cross,replace,replace-cross&venue=CVPR&limit=20",
    "/feed?cat=cs.CV&format=atom&venue=CVPR%202026,ICLR&limit=20",
    "/feed?cat=cs.CV&format=md&venue=CVPRW&limit=20",
    "/feed?cat=cs.CV&format=json&venue=CVPR^5&has=code^1&limit=15",
    "/feed?cat=cs.CV&format=bib&has=code&limit=10",
    "/feed?cat=cs.CV&format=csl&has=doi,journal&type=new,cross,replace,replace-cross",
    f"/feed?cat=cs.CV&format=json&like={SPLAT}&limit=10",
    f"/feed?cat=cs.CV&format=atom&like={SPLAT},{DEEPFAKE}&unlike=2604.14268&limit=10",
    f"/feed?cat=cs.CV&format=json&like_author={AUTHOR}&limit=10",
    f"/feeds/vision.json?like={DEEPFAKE}&limit=8",
    f"/feeds/vision.rss?q={_q('+segmentation')}&sort=date&limit=8",
    "/feeds/vision.md?days=1&min_score=1",
]

# Recorded while the store's newest day is 2026-04-27 (step 3).
AI_FEEDS = _profile_feeds("llm", "shipped-llm") + [
    "/rss?cat=cs.AI",
    "/feed?cat=cs.AI,cs.CL,cs.LG&q=" + _q('"large language model" agent -survey') + "&format=json",
    f"/feed?cat=cs.AI&cat=cs.LG&q={_q('+reasoning ti:agent^2 abs:benchmark')}&format=atom",
    f"/feed?cat=cs.AI,cs.LG&q={_q('=LLMs au:Zhang')}&format=md",
    "/feed?cat=cs.AI,cs.CL&author=Michael%20Cooper&format=json",
    "/feed?cat=cs.AI,cs.LG&q=agent&exclude=survey,benchmark&format=rss",
    "/feed?cat=cs.AI,cs.LG&type=cross,replace&format=json&limit=10",
    "/feed?cat=cs.AI,cs.LG&type=new&format=bib&limit=5",
    "/feed?cat=cs.AI,cs.CL&q=agent,reasoning&min_score=2&format=csl",
    "/feed?cat=cs.LG&sort=date&limit=7&format=json",
    "/feed?cat=cs.LG&sort=score&limit=7&format=json&summaries=0",
    "/feed?cat=cs.AI&q=agent&format=rss&utm_source=golden&_=123",
    "/feeds/llm.json?cat=cs.CL&q=benchmark&limit=5",
    "/feeds/llm.atom?type=new,cross&min_score=0.5&limit=6",
    "/feeds/shipped-llm.json?days=1&limit=4",
]

# Recorded a day later (step 4) while arXiv answers every listing request with a 503: stale
# feeds, served with a Warning.
STALE_FEEDS = ["/feeds/llm.rss?limit=3", "/feed?cat=cs.AI,cs.LG&format=json&limit=3"]


def _record(response) -> bytes:
    head = [f"{response.request.method} {response.request.url.raw_path.decode()}", f"status: {response.status_code}"]
    head += [f"{name}: {response.headers[name]}" for name in KEPT_HEADERS if name in response.headers]
    return ("\n".join(head) + "\n\n").encode() + response.content


def _name(path: str) -> str:
    """A file name for a request path, readable and unique."""
    safe = "".join(c if c.isalnum() or c in "-_.,=^" else "_" for c in path.strip("/"))
    return safe[:150] + ".txt"


def _wait_enrichment(app, timeout: float = 20.0) -> None:
    """The background enrichment a request started has finished (waits for work, not time)."""
    deadline = time.monotonic() + timeout
    while True:
        task = app.service.listings.enricher._running
        if task is None or task.done():
            assert task is None or task.exception() is None
            return
        assert time.monotonic() < deadline, "enrichment did not finish"
        time.sleep(0.01)


def _load(app, clock: ManualClock, when: str, paths: list[str]) -> None:
    """Move the clock to `when`, let the store fetch the day through these feeds, enrich it, and
    set the clock back to `when` (the paced requests of loading moved it by how many they were)."""
    instant = dt.datetime.fromisoformat(when).replace(tzinfo=dt.timezone.utc)
    clock.set(instant)
    for path in paths:
        assert app.get(path).status_code == 200
    _wait_enrichment(app)
    clock.set(instant)


@pytest.fixture(scope="module")
def served() -> dict[str, bytes]:
    """Every golden request's record, from one app filled in three steps of the clock."""
    fake = FakeArxiv().start()
    comments = real_comments()
    comments[PUBLISHED] = {**comments[PUBLISHED], **JOURNAL}
    fake.serve_api_from("rss_cs.CV_2026-04-17.xml", "rss_cs.CV_2026-04-21.xml", metadata=comments)
    fake.authors[AUTHOR] = [SPLAT, DEEPFAKE]
    clock = ManualClock(dt.datetime(2026, 4, 17, 12, tzinfo=dt.timezone.utc))
    records: dict[str, bytes] = {}
    try:
        with running_app(fake, parse_config(CONFIG), kv=MemoryKV(clock), clock=clock,
                         arxiv_backfill_max_requests=0, enrich_max_requests=10, enrich_batch=200) as app:
            app.http.headers["Host"] = HOST
            app.http.headers["Accept-Encoding"] = "gzip"  # not httpx's default, which depends on what is installed
            fake.serve_day("rss_cs.CV_2026-04-17.xml")
            _load(app, clock, "2026-04-17T12:00:00", ["/feeds/vision.json"])
            fake.serve_day("rss_cs.CV_2026-04-21.xml")
            _load(app, clock, "2026-04-21T12:00:00", ["/feeds/vision.json"])
            records.update((path, _record(app.get(path))) for path in CV_FEEDS)
            fake.serve_day(*AI_DAY, "rss_cs.CV_2026-04-21.xml")
            _load(app, clock, "2026-04-27T12:00:00", ["/feeds/llm.json", "/feed?cat=cs.AI,cs.CL,cs.LG"])
            records.update((path, _record(app.get(path))) for path in AI_FEEDS)
            fake.fail_next(*[Failure(503, b"down") for _ in range(20)])
            clock.set(dt.datetime(2026, 4, 28, 12, tzinfo=dt.timezone.utc))
            records.update((path, _record(app.get(path))) for path in STALE_FEEDS)
    finally:
        fake.stop()
    return records


def _diff(name: str, expected: bytes, actual: bytes, lines: int = 40) -> str:
    diff = difflib.unified_diff(expected.decode(errors="replace").splitlines(), actual.decode(errors="replace").splitlines(),
                                f"golden/{name}", "served", n=2, lineterm="")
    return "\n".join(list(diff)[:lines])


def test_every_feed_is_byte_identical_to_its_golden_record(served: dict[str, bytes]):
    assert len({_name(p) for p in served}) == len(served), "two requests share a golden file name"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        for old in GOLDEN.glob("*.txt"):
            old.unlink()
        for path, record in served.items():
            (GOLDEN / _name(path)).write_bytes(record)
        pytest.skip(f"GOLDEN_UPDATE=1: wrote {len(served)} records to {GOLDEN}")
    stale = sorted({p.name for p in GOLDEN.glob("*.txt")} - {_name(p) for p in served})
    assert not stale, f"golden records no request makes (regenerate with GOLDEN_UPDATE=1): {stale}"
    mismatched = []
    for path, record in served.items():
        file = GOLDEN / _name(path)
        expected = file.read_bytes() if file.exists() else b""
        if record != expected:
            mismatched.append((path, file.name, expected, record))
    if mismatched:
        path, name, expected, record = mismatched[0]
        pytest.fail(f"{len(mismatched)} of {len(served)} feeds differ from tests/golden/; first: {path}\n"
                    f"{_diff(name, expected, record)}\n(intended? GOLDEN_UPDATE=1 python -m pytest tests/test_golden.py)",
                    pytrace=False)


def test_the_golden_set_covers_every_format_and_profile_and_every_query_parameter(served: dict[str, bytes]):
    """So that a format, profile or parameter added later is added here too."""
    from core.web.params import FeedQuery

    profiles = parse_config(CONFIG).profiles
    for name in profiles:
        for fmt in REGISTRY.values():
            assert f"/feeds/{name}.{fmt.extension}" in served
    used = {part.split("=", 1)[0] for path in served if "?" in path for part in path.split("?", 1)[1].split("&")}
    assert set(FeedQuery.model_fields) <= used, set(FeedQuery.model_fields) - used
    assert all(b"\nstatus: 200\n" in record.split(b"\n\n", 1)[0] + b"\n" for record in served.values()), \
        [p for p, r in served.items() if not r.startswith(b"GET") or b"status: 200" not in r.split(b"\n\n", 1)[0]]
