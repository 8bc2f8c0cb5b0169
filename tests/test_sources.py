"""The source seam: a second preprint server (tests/fakesource.py, one module and one registry
entry) served in one feed beside arXiv, through the real app over HTTP."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from core.clock import ManualClock
from core.sources import REGISTRY, SourceEntry, normalize_category, source_of_category
from core.sources.arxiv import ARXIV
from tests import fakesource
from tests.conftest import running_app

MIXED = {
    "profiles": {
        "mixed": {
            "title": "Agents everywhere",
            "categories": ["cs.LG", "fakerxiv:chemistry"],
            "keywords": [{"term": "large language model", "weight": 2}, "agent", "reasoning"],
        },
    }
}


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch):
    """The one registry entry a new source needs."""
    monkeypatch.setitem(REGISTRY, fakesource.NAME, SourceEntry(fakesource.NAME, "tests.fakesource:FAKE"))
    monkeypatch.setattr(fakesource.FakeUpstream, "asked", [])
    return fakesource.FAKE


def test_categories_say_their_source(registered):
    assert normalize_category("FakeRxiv:Chemistry") == "fakerxiv:chemistry"
    assert normalize_category("fakerxiv") == "fakerxiv"
    assert normalize_category("fakerxiv:astrology") is None
    assert source_of_category("fakerxiv:ecology") is registered
    assert source_of_category("cs.LG") is ARXIV and normalize_category("CS.lg") == "cs.LG"


def test_unregistered_source_categories_are_unknown():
    assert normalize_category("fakerxiv:chemistry") is None


def test_a_profile_mixing_arxiv_and_another_source_serves_both(fake_arxiv, registered):
    with running_app(fake_arxiv, config=MIXED) as app:
        feed = app.get("/feeds/mixed.json?limit=500").json()
        servers = {item["_arxiv_feeds"].get("server", "arxiv") for item in feed["items"]}
        assert servers == {"arxiv", "fakerxiv"}
        fake = {item["_arxiv_feeds"]["arxiv_id"]: item for item in feed["items"] if item["_arxiv_feeds"].get("server")}
        # ranked with arXiv's papers by the same keywords; ecology was not asked for
        assert list(fake) == ["fx.0001"] and fake["fx.0001"]["_arxiv_feeds"]["score"] > 0
        assert fake["fx.0001"]["url"] == "https://fakerxiv.example/p/fx.0001v1"
        assert fake["fx.0001"]["external_url"] == "https://fakerxiv.example/p/fx.0001v1.pdf"
        arxiv_item = next(i for i in feed["items"] if "server" not in i["_arxiv_feeds"])
        assert arxiv_item["url"].startswith("https://arxiv.org/abs/")
        # one listing request for the other source, one for arXiv: each through its own upstream
        assert [r.path for r in app.fake.listing_requests()] == ["/rss/cs.LG"]
        assert fakesource.FakeUpstream.asked == [("listing", ("fakerxiv:chemistry",))]

        rss = app.get("/feeds/mixed.rss").text
        assert "<guid isPermaLink=\"true\">https://fakerxiv.example/p/fx.0001</guid>" in rss
        assert "<link>https://fakerxiv.example/p/fx.0001v1</link>" in rss
        assert fake["fx.0001"]["id"] == "https://fakerxiv.example/p/fx.0001"  # one GUID for every version
        bib = app.get("/feeds/mixed.bib").text
        entry = bib[bib.index("@misc{fakerxiv:fx.0001,"):].split("\n}\n")[0]
        assert "doi = {10.5555/fx.0001}" in entry and "url = {https://fakerxiv.example/p/fx.0001}" in entry
        assert "eprint" not in entry and "archivePrefix" not in entry
        csl = {item["id"]: item for item in app.get("/feeds/mixed.csl.json").json()}
        assert csl["fakerxiv:fx.0001"]["publisher"] == "FakeRxiv" and csl["arXiv:" + arxiv_item["_arxiv_feeds"]["arxiv_id"]]["publisher"] == "arXiv"
        assert "https://fakerxiv.example/p/fx.0001v1.pdf" in app.get("/feeds/mixed.md").text
        assert app.get("/feeds/mixed.atom").status_code == 200

        # a query feed over the group and an arXiv category
        adhoc = app.get("/feed?cat=fakerxiv,cs.LG&q=agent&format=json&limit=500").json()
        assert {"fx.0001", "fx.0003"} <= {i["_arxiv_feeds"]["arxiv_id"] for i in adhoc["items"]}
        assert app.get("/feed?cat=fakerxiv:astrology").status_code == 400


def test_store_keys_are_qualified_for_other_sources_and_bare_for_arxiv(fake_arxiv, registered):
    with running_app(fake_arxiv, config=MIXED) as app:
        assert app.get("/feeds/mixed.json").status_code == 200
        meta = json.loads(_get(app, "listing:v1:fakerxiv:chemistry:meta"))
        assert meta["days"] == ["2026-04-27"]
        stored = json.loads(_get(app, "listing:v1:fakerxiv:chemistry:2026-04-27"))
        assert [(p["id"], p["server"], p["source"]) for p in stored] == [("fx.0001", "fakerxiv", "listing"),
                                                                         ("fx.0002", "fakerxiv", "listing")]
        arxiv_day = json.loads(_get(app, "listing:v1:cs.LG:2026-04-27"))
        assert arxiv_day and all("server" not in p for p in arxiv_day)  # stored as before: no new field


def test_other_sources_history_fills_their_posting_days(fake_arxiv, registered):
    """History through `Upstream.history`: every day of the window (this source posts daily),
    a covered day without papers remembered as empty; arXiv's backfill is not asked."""
    clock = ManualClock(dt.datetime(2026, 4, 27, 15, tzinfo=dt.UTC))
    config = {"profiles": {"fx": {"title": "FX", "categories": ["fakerxiv:ecology"], "keywords": ["agent"]}}}
    with running_app(fake_arxiv, config=config, clock=clock, arxiv_backfill_max_requests=3, history_budget_s=5) as app:
        feed = app.get("/feeds/fx.json?days=3&min_score=0&limit=100").json()
        assert fakesource.FakeUpstream.asked == [("listing", ("fakerxiv:ecology",)), ("history", ("fakerxiv:ecology",))]
        meta = json.loads(_get(app, "listing:v1:fakerxiv:ecology:meta"))
        assert meta["days"] == ["2026-04-27", "2026-04-26"] and meta["empty_days"] == ["2026-04-25"]
        assert meta["sources"] == {"2026-04-27": "listing", "2026-04-26": "backfill"}
        assert app.fake.api_requests() == []
        assert [i["_arxiv_feeds"]["arxiv_id"] for i in feed["items"]] == ["fx.0003"]  # the one with "agent"
        everything = app.get("/feed?cat=fakerxiv:ecology&days=3&format=json").json()["items"]
        assert [(i["_arxiv_feeds"]["arxiv_id"], i["_arxiv_feeds"]["source"]) for i in everything] == [
            ("fx.0003", "listing"), ("fx.1010", "backfill")]


def _get(app, key: str) -> bytes:
    import asyncio

    raw = asyncio.run(app.service.kv.get(key))
    assert raw is not None, key
    return raw


def test_arxiv_upstream_lists_and_looks_up_through_the_protocol(fake_arxiv):
    """arXiv's `Upstream` against the fake arXiv over HTTP: a combined listing, a lookup by id."""
    import asyncio

    from core.clock import SYSTEM_CLOCK
    from tests.conftest import make_settings

    fake_arxiv.serve_api_from("rss_cs.AI_2026-04-27_trimmed3.xml")
    wanted = next(iter(fake_arxiv.api_entries)).findtext("{http://www.w3.org/2005/Atom}id").rsplit("/", 1)[1]

    async def scenario():
        upstream = ARXIV.connect(make_settings(fake_arxiv), clock=SYSTEM_CLOCK)
        try:
            answer = await upstream.listing(["cs.AI", "cs.LG"])
            found = await upstream.lookup([wanted])
            return answer, found, upstream.requests_made
        finally:
            await upstream.close()

    answer, found, requests = asyncio.run(scenario())
    assert answer.build_date == dt.date(2026, 4, 27) and answer.papers and not answer.truncated
    assert {p.server for p in answer.papers} == {"arxiv"}
    assert [f"{p.id}v{p.version}" for p in found] == [wanted] and requests == 2
    assert [r.path for r in fake_arxiv.listing_requests()] == ["/rss/cs.AI+cs.LG"]
