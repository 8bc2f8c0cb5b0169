"""Ingest through the real app over HTTP against a fake arXiv: dedup, announce types,
the history window, politeness, coalescing, and serving old data when arXiv fails."""

import datetime as dt
import threading

import pytest

from core.clock import ManualClock
from tests.conftest import running_app
from tests.fakearxiv import Failure

UTC = dt.timezone.utc


class Clock(ManualClock):
    def __init__(self, iso: str):
        super().__init__(dt.datetime.fromisoformat(iso).replace(tzinfo=UTC))

    def advance(self, seconds: float = 0.0, **delta) -> None:
        super().advance(seconds + dt.timedelta(**delta).total_seconds())


def use_clock(app, iso: str) -> Clock:
    clock = Clock(iso)
    app.services.listings.clock = clock
    return clock


def items(app, path: str) -> list[dict]:
    response = app.get(path)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def ids(app, path: str) -> list[str]:
    return [i["_arxiv_feeds"]["arxiv_id"] for i in items(app, path)]


def test_cold_multi_category_profile_costs_one_upstream_request(app):
    assert app.get("/feeds/llm.rss").status_code == 200
    listing = app.fake.listing_requests()
    assert [r.path for r in listing] == ["/rss/cs.AI+cs.CL+cs.LG"]


def test_other_profiles_and_queries_reuse_stored_categories(app):
    app.get("/feeds/llm.json")
    app.get("/feed?cat=cs.LG&q=agent&format=json")
    app.get("/feed?cat=cs.AI,cs.CL&format=atom")
    app.get("/rss/cs.CL")
    assert len(app.fake.listing_requests()) == 1


def test_paper_in_several_requested_categories_appears_once(app):
    got = ids(app, "/feed?cat=cs.AI,cs.LG,cs.CL&format=json&limit=500")
    assert len(got) == len(set(got))
    assert "2604.21935" in got  # listed in cs.AI and cs.LG


def test_announce_type_is_relative_to_the_requested_set(fake_arxiv):
    fake_arxiv.serve_day("rss_cs.CV_2026-04-21.xml")
    with running_app(fake_arxiv) as app:
        use_clock(app, "2026-04-21T12:00:00")
        cross = items(app, "/feed?cat=cs.CV&type=cross&format=json&limit=500")
        assert len(cross) == 48
        assert all(i["_arxiv_feeds"]["primary_category"] != "cs.CV" for i in cross)
        assert "2604.16331" in {i["_arxiv_feeds"]["arxiv_id"] for i in cross}  # primary cs.RO
        with_ro = {i["_arxiv_feeds"]["arxiv_id"]: i["_arxiv_feeds"]["announce_type"]
                   for i in items(app, "/feed?cat=cs.CV,cs.RO&type=new,cross&format=json&limit=500")}
        assert with_ro["2604.16331"] == "new"  # primary now in the set
        # The fetch for cs.RO was its own request; cs.CV came from the store.
        assert [r.path for r in app.fake.listing_requests()] == ["/rss/cs.CV", "/rss/cs.RO"]


def test_announce_type_filter_defaults_to_new_and_cross(fake_arxiv):
    fake_arxiv.serve_day("rss_cs.CV_2026-04-21.xml")
    with running_app(fake_arxiv) as app:
        use_clock(app, "2026-04-21T12:00:00")
        default = items(app, "/feed?cat=cs.CV&format=json&limit=500")
        assert {i["_arxiv_feeds"]["announce_type"] for i in default} == {"new", "cross"}
        assert len(default) == 276 + 48
        replaced = items(app, "/feed?cat=cs.CV&type=replace&format=json&limit=500")
        assert len(replaced) == 138


def test_weekend_empty_feed_keeps_the_weeks_papers(fake_arxiv):
    fake_arxiv.serve_day("rss_cs.CV_2026-04-17.xml")
    with running_app(fake_arxiv) as app:
        clock = use_clock(app, "2026-04-17T12:00:00")
        friday = ids(app, "/feed?cat=cs.CV&format=json&limit=500")
        assert len(friday) == 95 + 19
        fake_arxiv.serve_day()  # Saturday and Sunday: HTTP 200, zero items
        clock.advance(days=2)
        assert sorted(ids(app, "/feed?cat=cs.CV&format=json&limit=500")) == sorted(friday)
        assert len(app.fake.listing_requests()) == 2  # it did ask, and the empty answer changed nothing
        health = app.get("/health").json()["categories"]["cs.CV"]
        assert health["latest_day"] == "2026-04-17" and health["last_error"] is None


def test_days_window_counts_back_from_the_newest_day(fake_arxiv):
    fake_arxiv.serve_day("rss_cs.CV_2026-04-17.xml")
    with running_app(fake_arxiv) as app:
        clock = use_clock(app, "2026-04-17T12:00:00")
        app.get("/feed?cat=cs.CV")
        fake_arxiv.serve_day("rss_cs.CV_2026-04-21.xml")
        clock.advance(days=4)
        tuesday_only = items(app, "/feed?cat=cs.CV&format=json&limit=500&days=1")
        assert {i["date_published"][:10] for i in tuesday_only} == {"2026-04-21"}
        week = items(app, "/feed?cat=cs.CV&format=json&limit=500&days=7")
        assert {i["date_published"][:10] for i in week} == {"2026-04-17", "2026-04-21"}
        assert len({i["id"] for i in week}) == len(week)  # one item per paper across days


def test_fresh_listing_is_not_refetched_until_the_next_rebuild(app):
    clock = use_clock(app, "2026-04-27T12:00:00")
    app.get("/feeds/llm.rss")
    clock.advance(hours=11)  # 23:00 UTC, before midnight Eastern
    app.get("/feeds/llm.rss")
    assert len(app.fake.listing_requests()) == 1
    clock.advance(hours=6)  # past 00:10 Eastern
    app.get("/feeds/llm.rss")
    assert len(app.fake.listing_requests()) == 2


def test_single_category_recheck_is_conditional(app):
    clock = use_clock(app, "2026-04-27T12:00:00")
    app.get("/rss/cs.AI")
    clock.advance(days=1)
    assert app.get("/rss/cs.AI").status_code == 200
    second = app.fake.listing_requests()[-1]
    assert second.headers.get("If-None-Match")


def test_user_agent_names_the_service_and_a_contact(fake_arxiv):
    with running_app(fake_arxiv, arxiv_contact="me@example.org") as app:
        app.get("/feeds/llm.rss")
        agent = app.fake.listing_requests()[0].headers["User-Agent"]
        assert agent.startswith("arxiv-feeds/") and "me@example.org" in agent


def test_requests_are_spaced_and_one_at_a_time(fake_arxiv):
    fake_arxiv.delay = 0.6  # each answer takes longer than the interval
    with running_app(fake_arxiv, arxiv_min_interval=0.5) as app:
        threads = [threading.Thread(target=app.get, args=(f"/rss/{c}",)) for c in ("cs.AI", "cs.CL", "cs.LG")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        times = sorted(r.at for r in app.fake.listing_requests())
        assert len(times) == 3
        gaps = [b - a for a, b in zip(times, times[1:])]
        # Spaced by at least the interval, and never overlapping: each waits for the previous answer.
        assert min(gaps) >= 0.6 - 0.02, gaps


def test_concurrent_cold_readers_make_one_upstream_request(fake_arxiv):
    fake_arxiv.delay = 0.3
    with running_app(fake_arxiv) as app:
        results = []
        threads = [threading.Thread(target=lambda: results.append(app.get("/feeds/llm.atom").status_code)) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [200] * 8
        assert len(app.fake.listing_requests()) == 1


@pytest.mark.parametrize(
    "failure",
    [Failure(429, b"slow down", {"Retry-After": "0"}), Failure(503, b"busy"), Failure(200, b"Rate exceeded."),
     Failure(200, b"", delay=0, reset=True), Failure(502, b"<html>bad gateway</html>")],
    ids=["429", "503", "rate-exceeded", "reset", "502"],
)
def test_transient_failures_are_retried(app, failure):
    app.fake.fail_next(failure)
    response = app.get("/feeds/llm.json")
    assert response.status_code == 200
    assert response.json()["items"]
    assert len(app.fake.listing_requests()) == 2


def test_upstream_timeout_is_retried(fake_arxiv):
    with running_app(fake_arxiv, arxiv_timeout=0.3) as app:
        app.fake.fail_next(Failure(200, b"", delay=1.0))
        assert app.get("/feeds/llm.json").status_code == 200


@pytest.mark.parametrize("failure", [Failure(503, b"down"), Failure(429, b"no"), Failure(200, b"Rate exceeded."), Failure(200, b"<rss><channel><item>")])
def test_upstream_failure_serves_what_was_fetched_before(app, failure):
    clock = use_clock(app, "2026-04-27T12:00:00")
    before = app.get("/feeds/llm.json").json()["items"]
    clock.advance(days=1)
    app.fake.fail_next(*[failure] * 10)
    response = app.get("/feeds/llm.json")
    assert response.status_code == 200
    assert response.json()["items"] == before
    assert response.headers.get("Warning", "").startswith("110")
    health = app.get("/health").json()
    assert health["status"] == "degraded"
    assert health["categories"]["cs.AI"]["stale"] is True
    assert health["categories"]["cs.AI"]["last_error"]


def test_failure_backs_off_instead_of_hammering_arxiv(app):
    clock = use_clock(app, "2026-04-27T12:00:00")
    app.get("/feeds/llm.json")
    clock.advance(days=1)
    app.fake.fail_next(*[Failure(503, b"down")] * 10)
    app.get("/feeds/llm.json")
    made = len(app.fake.listing_requests())
    for _ in range(5):
        app.get("/feeds/llm.json")
    assert len(app.fake.listing_requests()) == made  # within the back-off window: no new attempts
    app.fake.failures.clear()
    clock.advance(minutes=10)
    app.get("/feeds/llm.json")
    assert len(app.fake.listing_requests()) == made + 1
    assert app.get("/health").json()["status"] == "ok"  # recovered by itself


def test_cold_failure_is_a_503_with_a_message_not_a_500(fake_arxiv):
    with running_app(fake_arxiv, arxiv_retries=1) as app:
        app.fake.fail_next(*[Failure(503, b"down")] * 5)
        response = app.get("/feeds/llm.rss")
        assert response.status_code == 503
        assert response.headers["Retry-After"]
        assert "arXiv could not be reached" in response.json()["error"]
        assert "Traceback" not in response.text


def test_bad_category_upstream_400_is_not_retried(app):
    app.fake.fail_next(Failure(400, b"bad category"))
    response = app.get("/feed?cat=cs.AI")
    assert response.status_code == 503
    assert len(app.fake.listing_requests()) == 1
