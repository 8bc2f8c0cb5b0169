"""AI summaries against a local OpenAI-compatible stub: cache, budget, failures,
sanitising, every feed format, cron auth, full text, and nothing at all without a key."""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import feedparser
import pytest

from core.clock import ManualClock
from core.kv.sqlite import SQLiteKV
from tests.conftest import TEST_CONFIG, running_app
from tests.llm_stub import LLMStub

ROOT = Path(__file__).resolve().parent.parent
CONFIG = {
    "profiles": {
        **TEST_CONFIG["profiles"],
        "llm": {**TEST_CONFIG["profiles"]["llm"], "summaries": {"enabled": True, "top_n": 2, "language": "en"}},
    }
}


@pytest.fixture
def llm():
    stub = LLMStub()
    yield stub
    stub.stop()


def with_llm(stub: LLMStub, **overrides) -> dict:
    return {"llm_base_url": stub.url, "llm_api_key": stub.token, "llm_model": "stub-1", "summary_budget_s": 5.0,
            "cron_secret": "s3cret", **overrides}


def summarised(app, path="/feeds/llm.json") -> dict[str, dict | None]:
    items = app.get(path).json()["items"]
    return {i["_arxiv_feeds"]["arxiv_id"]: i["_arxiv_feeds"]["summary"] for i in items}


def test_without_an_api_key_nothing_changes(fake_arxiv, llm):
    with running_app(fake_arxiv, config=CONFIG, llm_base_url=llm.url) as app:
        assert all(s is None for s in summarised(app).values())
        assert app.get("/health").json()["summaries"] == {"enabled": False, "profiles": {}}
    assert llm.calls == 0


def test_top_items_get_summaries_in_every_format(fake_arxiv, llm):
    with running_app(fake_arxiv, config=CONFIG, **with_llm(llm)) as app:
        got = summarised(app)
        top = list(got)[:2]
        assert all(got[i] and got[i]["model"] == "stub-1" for i in top)
        assert all(s is None for s in list(got.values())[2:])  # top_n is 2
        assert llm.calls == 2
        assert "It measures 42%" in got[top[0]]["markdown"] and "<li>" in got[top[0]]["html"]
        rss = feedparser.parse(app.get("/feeds/llm.rss").content)
        assert "AI summary" in rss.entries[0].description and "It measures 42%" in rss.entries[0].description
        atom = feedparser.parse(app.get("/feeds/llm.atom").content)
        assert "It measures 42%" in atom.entries[0].content[0].value
        assert "**AI summary** (stub-1)" in app.get("/feeds/llm.md").text
        assert llm.calls == 2  # every format came from the cache


def test_cached_summaries_make_no_llm_call_even_in_another_instance(fake_arxiv, llm, tmp_path):
    store = tmp_path / "s.sqlite3"
    with running_app(fake_arxiv, config=CONFIG, kv=SQLiteKV(store), **with_llm(llm)) as app:
        first = summarised(app)
    with running_app(fake_arxiv, config=CONFIG, kv=SQLiteKV(store), **with_llm(llm)) as app:
        assert summarised(app) == first
    assert llm.calls == 2


def test_a_new_model_makes_new_summaries(fake_arxiv, llm, tmp_path):
    store = tmp_path / "s.sqlite3"
    with running_app(fake_arxiv, config=CONFIG, kv=SQLiteKV(store), **with_llm(llm)) as app:
        summarised(app)
    with running_app(fake_arxiv, config=CONFIG, kv=SQLiteKV(store), **with_llm(llm, llm_model="stub-2")) as app:
        got = summarised(app)
    assert llm.calls == 4 and llm.models[-1] == "stub-2"
    assert {s["model"] for s in got.values() if s} == {"stub-2"}


def test_the_budget_holds_and_late_summaries_arrive_later(fake_arxiv, llm):
    llm.delay = 2.0
    with running_app(fake_arxiv, config=CONFIG, **with_llm(llm, summary_budget_s=0.3)) as app:
        started = time.monotonic()
        got = summarised(app)
        assert time.monotonic() - started < 1.8
        assert all(s is None for s in got.values())
        time.sleep(2.5)  # the calls finish in the background of this long-running server
        assert sum(1 for s in summarised(app).values() if s) == 2
        assert llm.calls == 2  # not asked again while the first calls were running


def test_a_failure_affects_one_paper_and_is_backed_off(fake_arxiv, llm):
    with running_app(fake_arxiv, config=CONFIG) as app:  # no LLM key: just learn the top paper
        llm.fail_titles = {app.get("/feeds/llm.json").json()["items"][0]["title"]}
    clock = ManualClock()
    with running_app(fake_arxiv, config=CONFIG, clock=clock, **with_llm(llm)) as app:
        app.services.summarizer.client.policy = replace(app.services.summarizer.client.policy, retries=0)
        got = summarised(app)
        ids = list(got)
        assert got[ids[0]] is None and got[ids[1]] is not None
        calls = llm.calls
        for _ in range(3):
            summarised(app)
        assert llm.calls == calls  # backed off: not retried on every request
        counts = app.get("/health").json()["summaries"]["profiles"]["llm"]
        assert counts == {"cached": 1, "pending": 0, "failed": 1}
        clock.advance(15 * 60 + 1)  # the first back-off is over: tried again (and failing again)
        summarised(app)
        assert llm.calls == calls + 1
        clock.advance(15 * 60 + 1)  # the back-off doubled to 30 minutes
        summarised(app)
        assert llm.calls == calls + 1
        clock.advance(15 * 60)
        summarised(app)
        assert llm.calls == calls + 2


@pytest.mark.parametrize("mode", ["500", "garbage", "empty", "filtered", "slow"])
def test_bad_llm_answers_never_break_the_feed(fake_arxiv, llm, mode):
    llm.mode = mode
    with running_app(fake_arxiv, config=CONFIG, **with_llm(llm, summary_budget_s=1.0, llm_timeout=0.5)) as app:
        app.services.summarizer.client.policy = replace(app.services.summarizer.client.policy, retries=0)
        response = app.get("/feeds/llm.json")
        assert response.status_code == 200
        assert all(i["_arxiv_feeds"]["summary"] is None for i in response.json()["items"])


def test_rate_limited_llm_is_retried(fake_arxiv, llm):
    llm.fail_once = [429, 503]
    clock = ManualClock()
    with running_app(fake_arxiv, config=CONFIG, clock=clock, **with_llm(llm)) as app:
        started = clock.time()
        assert sum(1 for s in summarised(app).values() if s) == 2
        assert clock.time() - started >= 2 * 0.5  # two backoffs of at least 0.5 s, on the clock: no real waiting


def test_hostile_model_output_is_sanitised_everywhere(fake_arxiv, llm):
    llm.mode = "hostile"
    with running_app(fake_arxiv, config=CONFIG, **with_llm(llm)) as app:
        bodies = {
            "json": "".join(i["content_html"] + (i["_arxiv_feeds"]["summary"] or {}).get("html", "")
                            for i in app.get("/feeds/llm.json").json()["items"]),
            "rss": "".join(e.findtext("description") for e in ET.fromstring(app.get("/feeds/llm.rss").content).iter("item")),
            "atom": "".join(e.text or "" for e in ET.fromstring(app.get("/feeds/llm.atom").content).iter("{http://www.w3.org/2005/Atom}content")),
        }
        for name, body in bodies.items():
            assert "alert" in body, name  # the summary is there, as text
            lowered = body.lower()
            assert "<script" not in lowered and "<img" not in lowered, name
            assert 'href="javascript:' not in lowered, name
            assert " onerror=" not in lowered.replace("&lt;img src=x onerror=", ""), name
        md = app.get("/feeds/llm.md").text
        assert "<script" not in md and "(javascript:" not in md


def test_ad_hoc_feeds_ask_for_summaries_with_a_parameter(fake_arxiv, llm):
    with running_app(fake_arxiv, config=CONFIG, **with_llm(llm)) as app:
        plain = summarised(app, "/feed?cat=cs.AI,cs.CL,cs.LG&format=json")
        assert all(s is None for s in plain.values()) and llm.calls == 0
        asked = summarised(app, "/feed?cat=cs.AI,cs.CL,cs.LG&format=json&summaries=1")
        assert sum(1 for s in asked.values() if s) == min(5, len(asked))
        off = summarised(app, "/feeds/llm.json?summaries=0")
        assert all(s is None for s in off.values())


def test_full_text_source_reads_arxivs_html_rendering(fake_arxiv, llm):
    with running_app(fake_arxiv, config=CONFIG, **with_llm(llm)) as app:
        first, second = list(summarised(app))[:2]
    llm.prompts.clear()
    fake_arxiv.html_pages[f"{first}v1"] = (
        b"<html><head><script>var tracking=1;</script></head><body><nav>menu</nav>"
        b"<article><h1>Title</h1><p>" + b"The full text says the agents reach 97% accuracy. " * 400 +
        b"</p></article></body></html>")
    with running_app(fake_arxiv, config=CONFIG, **with_llm(llm, summary_source="fulltext", summary_input_tokens=500)) as app:
        summarised(app)
    assert llm.calls == 2
    full = [p for p in llm.prompts if "97% accuracy" in p]
    assert len(full) == 1, "the HTML text reached the model"
    assert "var tracking" not in full[0] and "menu" not in full[0]
    assert len(full[0]) < 500 * 4 + 2000  # cut to the token budget (plus the prompt itself)
    other = next(p for p in llm.prompts if p is not full[0])
    assert "Abstract:" in other  # the paper without an HTML rendering falls back to its abstract


def test_full_text_comes_from_each_papers_own_server_and_biorxiv_papers_use_their_abstract(fake_arxiv, llm):
    """SUMMARY_SOURCE=fulltext asks each paper's own server (`Upstream.full_text`): arXiv's HTML
    rendering for an arXiv paper; bioRxiv's upstream has none, so a bioRxiv paper is summarised
    from its abstract and arXiv is never asked about it."""
    import datetime as dt

    from core.sources.biorxiv import schedule
    from tests.fakebiorxiv import FakeBiorxiv, recorded_day

    now = dt.datetime(2026, 4, 28, 12, 0, tzinfo=dt.UTC)  # the day after the recorded listings' day
    rxiv = FakeBiorxiv().start()
    rxiv.serve("biorxiv", recorded_day("biorxiv", on=schedule.listing_day(now)))
    config = {"profiles": {"mixed": {
        "title": "Mixed", "categories": ["cs.LG", "biorxiv:neuroscience"],
        "keywords": [{"term": "learning", "weight": 2}, "neurons"],
        "summaries": {"enabled": True, "top_n": 12, "language": "en"}}}}
    overrides = with_llm(llm, summary_source="fulltext", summary_input_tokens=500, biorxiv_api_url=rxiv.url)
    try:
        with running_app(fake_arxiv, config=config, clock=ManualClock(now), **overrides) as app:
            items = app.get("/feeds/mixed.json").json()["items"][:12]
    finally:
        rxiv.stop()
    servers = {i["_arxiv_feeds"]["arxiv_id"]: i["_arxiv_feeds"].get("server", "arxiv") for i in items}
    assert all(i["_arxiv_feeds"]["summary"] for i in items)
    assert set(servers.values()) == {"arxiv", "biorxiv"}, servers  # both servers among the summarised
    html = {r.path.removeprefix("/html/") for r in fake_arxiv.requests if r.path.startswith("/html/")}
    assert html == {f"{i}v1" for i, server in servers.items() if server == "arxiv"}  # arXiv's papers only
    assert llm.calls == len(items) and all("Abstract:" in p for p in llm.prompts)  # no HTML page served


def test_cron_requires_the_secret(fake_arxiv, llm):
    with running_app(fake_arxiv, config=CONFIG, **with_llm(llm)) as app:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}, {"Authorization": "Bearer s3cret2"}):
            response = app.http.post("/api/cron/refresh", headers=headers)
            assert response.status_code == 401, headers
            assert response.headers["cache-control"] == "no-store"
        assert len(fake_arxiv.listing_requests()) == 0 and llm.calls == 0  # did nothing
        ok = app.http.get("/api/cron/refresh", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200
        report = ok.json()
        assert report["categories"]["cs.AI"]["latest_day"] == "2026-04-27"
        assert report["summaries"]["llm"] == {"cached": 2, "pending": 0, "failed": 0}
        assert len(fake_arxiv.listing_requests()) == 1  # all profiles' categories in one request
        assert app.http.post("/api/cron/refresh", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_cron_without_a_configured_secret_is_closed(fake_arxiv):
    with running_app(fake_arxiv) as app:
        response = app.http.post("/api/cron/refresh", headers={"Authorization": "Bearer x"})
        assert response.status_code == 401
        assert "CRON_SECRET is not set" in response.json()["error"]


def test_a_refused_cron_call_reads_what_to_send_and_is_never_kept(fake_arxiv):
    """The whole 401 a caller reads: what to send (or that the server has no secret), the
    Bearer challenge, and no-store so no proxy keeps a refusal for the real cron call."""
    expected_headers = {"cache-control": "no-store", "www-authenticate": 'Bearer realm="cron"'}
    with running_app(fake_arxiv, cron_secret="s3cret") as app:
        response = app.http.post("/api/cron/refresh", headers={"Authorization": "Bearer wrong"})
        assert (response.status_code, response.json()) == (
            401, {"error": "send Authorization: Bearer <CRON_SECRET>", "status": 401})
        assert {k: response.headers.get(k) for k in expected_headers} == expected_headers
    with running_app(fake_arxiv) as app:
        response = app.http.get("/api/cron/refresh", headers={"Authorization": "Bearer x"})
        assert (response.status_code, response.json()) == (
            401, {"error": "CRON_SECRET is not set on the server: set it to enable this endpoint", "status": 401})
        assert {k: response.headers.get(k) for k in expected_headers} == expected_headers
    assert len(fake_arxiv.listing_requests()) == 0


def test_old_bot_api_key_env_is_honoured(fake_arxiv, llm, monkeypatch):
    monkeypatch.setenv("MY_DASHSCOPE_KEY", llm.token)
    legacy = {"categories": ["cs.AI"], "keywords": ["reasoning", "agent"],
              "ai_summary": {"enabled": True, "top_n": 1, "api_key_env": "MY_DASHSCOPE_KEY", "model": "qwen-long"}}
    with running_app(fake_arxiv, config=legacy, llm_base_url=llm.url) as app:
        got = summarised(app, "/feeds/default.json")
        assert sum(1 for s in got.values() if s) == 1
        assert llm.models == ["qwen-long"]
        assert llm.token not in app.get("/config").text and llm.token not in app.get("/health").text


def test_cli_refresh_shows_progress_and_makes_summaries(fake_arxiv, llm, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG))
    env = {**os.environ, "ARXIV_FEEDS_CONFIG": str(config), "ARXIV_RSS_URL": f"{fake_arxiv.url}/rss",
           "ARXIV_API_URL": f"{fake_arxiv.url}/api/query",
           "ARXIV_MIN_INTERVAL": "0.05", "KV_BACKEND": "sqlite", "KV_PATH": str(tmp_path / "kv.sqlite3"),
           "LLM_BASE_URL": llm.url, "LLM_API_KEY": llm.token, "LLM_MODEL": "stub-1"}
    result = subprocess.run([sys.executable, "-m", "core", "refresh"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "summaries: llm" in result.stderr and "'cached': 2" in result.stderr
    assert "[" + "#" * 20 + "] 3/3" in result.stderr  # the bar reaches its end
    assert llm.calls == 2


def test_public_requests_cannot_run_up_the_llm_bill(fake_arxiv, llm):
    clock = ManualClock()
    with running_app(fake_arxiv, config=CONFIG, clock=clock, **with_llm(llm, summary_rate_per_hour=3)) as app:
        for query in ("q=agent", "q=reasoning", "q=model", "q=learning", ""):
            app.get(f"/feed?cat=cs.AI,cs.CL,cs.LG&format=json&summaries=1&{query}")
        assert llm.calls == 3  # the hourly allowance, however many feeds were asked for
        clock.advance(3601)  # a new hour: a new allowance for the feeds still without summaries
        for query in ("q=agent", "q=reasoning", "q=model", "q=learning", ""):
            app.get(f"/feed?cat=cs.AI,cs.CL,cs.LG&format=json&summaries=1&{query}")
        assert llm.calls > 3
        ok = app.http.post("/api/cron/refresh", headers={"Authorization": "Bearer s3cret"})
        assert ok.json()["summaries"]["llm"]["cached"] == 2  # the authenticated cron is not limited
