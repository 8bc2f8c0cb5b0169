"""The fault matrix: for each injected fault, what the reader gets, what /health says,
that the last good data is served, and that recovery needs no one.

Every scenario: warm the feed, move past arXiv's next rebuild so the data is due,
inject the fault persistently, read, remove the fault, move past the back-off, read."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from tests.conftest import TEST_CONFIG, running_app
from tests.fakearxiv import Failure
from tests.llm_stub import LLMStub
from tests.test_caching import SwitchableKV
from tests.test_ingest import use_clock


@dataclass
class Scenario:
    name: str
    failures: list[Failure] = field(default_factory=list)
    empty_day: bool = False
    store_down: bool = False
    llm_down: bool = False
    health_status: str = "degraded"
    error_contains: str = ""


SCENARIOS = [
    Scenario("upstream-timeout", [Failure(200, b"", delay=1.0)], error_contains="is slow: "),
    Scenario("connection-reset", [Failure(200, b"", reset=True)], error_contains="Error"),
    Scenario("429-with-retry-after", [Failure(429, b"slow down", {"Retry-After": "0"})], error_contains="HTTP 429"),
    Scenario("429-without-retry-after", [Failure(429, b"slow down")], error_contains="HTTP 429"),
    Scenario("503", [Failure(503, b"busy")], error_contains="HTTP 503"),
    Scenario("rate-exceeded-body", [Failure(200, b"Rate exceeded.")], error_contains="Rate exceeded"),
    Scenario("html-error-page", [Failure(200, b"<html><body>oops</body></html>")], error_contains="not an RSS"),
    Scenario("empty-feed-on-a-weekday", empty_day=True, health_status="ok"),
    Scenario("kv-store-down", store_down=True, error_contains="connection refused"),
    Scenario("llm-failing", llm_down=True, health_status="ok"),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_fault(fake_arxiv, scenario: Scenario):
    store = SwitchableKV()
    llm = LLMStub()
    config = {"profiles": {**TEST_CONFIG["profiles"],
                           "llm": {**TEST_CONFIG["profiles"]["llm"], "summaries": {"enabled": True, "top_n": 1}}}}
    try:
        with running_app(fake_arxiv, config=config, kv=store, arxiv_timeout=0.3, arxiv_retries=1,
                         llm_base_url=llm.url, llm_api_key=llm.token, summary_budget_s=2.0) as app:
            app.services.summarizer.client.policy = replace(app.services.summarizer.client.policy, retries=0)
            clock = use_clock(app, "2026-04-27T12:00:00")  # a Monday
            good = app.get("/feeds/llm.json").json()["items"]
            ids = [i["id"] for i in good]
            assert good and good[0]["_arxiv_feeds"]["summary"]

            clock.advance(days=1)  # Tuesday: due again
            if scenario.failures:
                fake_arxiv.fail_next(*scenario.failures * 10)
            if scenario.empty_day:
                fake_arxiv.serve_day()
            store.down = scenario.store_down
            if scenario.llm_down:
                llm.mode = "500"

            during = app.get("/feeds/llm.json")
            assert during.status_code == 200, during.text
            assert [i["id"] for i in during.json()["items"]] == ids  # the last good data
            health = app.get("/health").json()
            assert health["status"] == scenario.health_status, health
            if scenario.store_down:
                assert health["kv"]["ok"] is False and scenario.error_contains in health["kv"]["error"]
            elif scenario.failures:
                assert scenario.error_contains in (health["categories"]["cs.AI"]["last_error"] or "")
                assert during.headers.get("Warning", "").startswith("110")

            # The fault goes away; nobody does anything; time passes.
            fake_arxiv.failures.clear()
            fake_arxiv.serve_day("rss_cs.AI_2026-04-27_trimmed3.xml", "rss_cs.CL_2026-04-27_trimmed3.xml",
                                 "rss_cs.LG_2026-04-27_trimmed3.xml")
            store.down = False
            llm.mode = "ok"
            clock.advance(hours=2)
            fetched_before = len(fake_arxiv.listing_requests())
            after = app.get("/feeds/llm.json")
            assert after.status_code == 200
            assert [i["id"] for i in after.json()["items"]] == ids
            assert "Warning" not in after.headers
            recovered = app.get("/health").json()
            assert recovered["status"] == "ok", recovered
            assert recovered["kv"]["ok"] is True
            if scenario.failures:
                assert len(fake_arxiv.listing_requests()) > fetched_before  # it asked arXiv again by itself
    finally:
        llm.stop()
