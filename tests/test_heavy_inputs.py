"""Huge seeds and cold windows: what arXiv sends is bounded before it is stored, and decoding
it (a seed answer, a window of stored days) runs on the worker thread, never on the event loop."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET

import core.sources.arxiv.parse
import core.listings.store as store
from core.clock import ManualClock
from core.kv.memory import MemoryKV
from core.signals.seeds import MAX_ABSTRACT, MAX_TITLE, SEED_TTL
from tests.conftest import running_app
from tests.fakearxiv import A, FakeArxiv

SPLAT = "2604.14706"  # 04-17: "NG-GS: NeRF-Guided 3D Gaussian Splatting Segmentation"
HUGE = 750_000  # characters of a hostile abstract (arXiv's own are under 1,920)


def on_event_loop() -> bool:
    """Whether the calling thread is running an event loop (the server's)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def hostile(fake: FakeArxiv, arxiv_id: str) -> None:
    """The query API answers `arxiv_id` with a 750 KB abstract and a 100 KB title."""
    for entry in fake.api_entries:
        if (entry.findtext(f"{A}id") or "").rsplit("/", 1)[-1].startswith(arxiv_id):
            entry.find(f"{A}summary").text = ("gaussian splatting segmentation mesh " * (HUGE // 36))[:HUGE]  # type: ignore[union-attr]
            entry.find(f"{A}title").text = "splat " * 20_000  # type: ignore[union-attr]
            ET.SubElement(ET.SubElement(entry, f"{A}author"), f"{A}name").text = "A. Author " * 1_000
            return
    raise AssertionError(f"{arxiv_id} not served")


def test_a_huge_seed_is_stored_cut_to_sane_lengths_with_an_expiry_and_parsed_off_the_loop(monkeypatch):
    clock = ManualClock()
    kv = MemoryKV(clock)
    parsed_on: list[bool] = []
    parse = core.sources.arxiv.parse.parse_listing

    def spy(body: bytes):
        parsed_on.append(on_event_loop())
        return parse(body)

    monkeypatch.setattr(core.sources.arxiv.parse, "parse_listing", spy)
    fake = FakeArxiv().start()
    fake.serve_day("rss_cs.CV_2026-04-21.xml")
    fake.serve_api_from("rss_cs.CV_2026-04-17.xml")
    hostile(fake, SPLAT)
    try:
        with running_app(fake, kv=kv, clock=clock) as app:
            response = app.get(f"/feed?cat=cs.CV&like={SPLAT}&format=json&limit=5")
            assert response.status_code == 200 and response.json()["items"]
            assert "splat" in response.json()["items"][0]["_arxiv_feeds"]["explanation"]
    finally:
        fake.stop()
    value, expires = kv._data[f"seed:v1:{SPLAT}v1"]
    assert len(value) < MAX_TITLE + MAX_ABSTRACT + 40_000  # not the ~900 KB arXiv sent
    assert expires is not None and expires <= clock.monotonic() + SEED_TTL  # not kept for good
    assert parsed_on and not any(parsed_on)  # the listing and the seed answer: never on the loop


def test_a_cold_window_of_stored_days_is_decoded_off_the_event_loop(monkeypatch):
    """A new instance over a filled store decodes each stored day on the worker thread: the
    event loop keeps answering /health meanwhile (bench/heavy.py measures how well)."""
    kv = MemoryKV()
    fake = FakeArxiv().start()
    fake.serve_day("rss_cs.CV_2026-04-21.xml")
    try:
        with running_app(fake, kv=kv) as app:  # fetches and stores the day
            assert app.get("/feed?cat=cs.CV&q=splatting").status_code == 200
        adapter = store._papers_adapter()
        decoded_on: list[bool] = []

        class Spy:
            def validate_json(self, raw: bytes):
                decoded_on.append(on_event_loop())
                return adapter.validate_json(raw)

            def dump_json(self, papers):
                return adapter.dump_json(papers)

        monkeypatch.setattr(store, "_papers_adapter", Spy)
        with running_app(fake, kv=kv) as app:  # a new instance: nothing decoded yet
            assert app.get("/feed?cat=cs.CV&q=segmentation").status_code == 200
    finally:
        fake.stop()
    assert decoded_on and not any(decoded_on)
