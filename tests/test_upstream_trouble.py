"""A first answer in about a second whatever arXiv's query API does, and API trouble remembered:
the listing and the query API on separate turns, a deadline for each whole answer, a back-off
shared through the store, messages that say unreachable / slow / rate-limited, and /health
`degraded` while history is failing. Real app over HTTP, a scripted arXiv on 127.0.0.1, time
moved by the injected ManualClock (the app's waits for its turn and its retries move it too)."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from core.clock import ManualClock
from core.sources.arxiv.schedule import weekdays_between
from tests.conftest import running_app
from tests.fakearxiv import Failure, closed_url, history, rss_for_day
from tests.test_history import CATS, CONFIG, days_of, guids, wait_for_backfill, wait_until_filled

UTC = dt.timezone.utc
FRIDAY = dt.date(2026, 11, 27)
WINDOW = set(weekdays_between(FRIDAY - dt.timedelta(days=6), FRIDAY))  # Mon 23 to Fri 27


def friday_world(fake):
    """arXiv on Friday 27 November 2026 (10:00 Eastern): the day's listing and the API's history."""
    entries = history(FRIDAY, CATS, per_day=1)
    fake.serve_api(entries)
    fake.serve_xml(rss_for_day(entries, FRIDAY))
    return ManualClock(dt.datetime(2026, 11, 27, 15, 0, tzinfo=UTC))


def note(response) -> str:
    return (response.json().get("_arxiv_feeds") or {}).get("note", "")


@pytest.mark.parametrize("api", ["refusing", "healthy", "off"])
def test_the_first_answer_of_a_fresh_instance_does_not_wait_for_history(fake_arxiv, api):
    clock = friday_world(fake_arxiv)
    overrides: dict = {"arxiv_min_interval": 3.0}  # arXiv's polite spacing, on the clock
    if api == "refusing":
        overrides["arxiv_api_url"] = closed_url("/api/query")
    if api == "off":
        overrides["arxiv_backfill_max_requests"] = 0
    with running_app(fake_arxiv, config=CONFIG, clock=clock, **overrides) as app:
        started, wall = clock.monotonic(), time.monotonic()
        first = app.get("/feeds/week.json")
        waited = clock.monotonic() - started
        assert first.status_code == 200, first.text
        assert waited < 1.0, f"the first answer waited {waited:.1f} s for arXiv's spacing or retries"
        assert time.monotonic() - wall < 5.0
        items = first.json()["items"]
        assert days_of(items) == {FRIDAY}  # the listing, in hand
        assert "history incomplete: 4 weekdays (2026-11-23, 2026-11-24, 2026-11-25, 2026-11-26)" in note(first)
        if api == "off":  # listing only, by choice: said, not flagged as stale
            assert "backfill is off" in note(first) and "Warning" not in first.headers
            return
        assert first.headers["Warning"].startswith("110")
        if api == "refusing":
            wait_for_backfill(app)
            again = app.get("/feeds/week.json")
            assert again.headers["Warning"].startswith("110")
            assert "query API is unreachable" in note(again) and "refused the connection" in note(again)
            page = app.get("/preview/week").text  # the feed's page says it too
            assert "This feed is incomplete: history incomplete: 4 weekdays" in page and "unreachable" in page
            assert [i["id"] for i in again.json()["items"]] == [i["id"] for i in items]  # nothing lost
            return
        for category in CATS:  # healthy: the window fills in behind the first answer
            wait_until_filled(app, category)
        assert clock.monotonic() - started < 60  # on arXiv's clock, spacing included
        response = app.get("/feeds/week.json")
        whole = response.json()["items"]
        assert days_of(whole) == WINDOW and "Warning" not in response.headers and not note(response)
        assert len(whole) == len(set(guids(whole))) == 5 * 4 * 2  # each paper once (new + cross)
        assert set(guids(items)) <= set(guids(whole))


def test_an_unreachable_listing_says_so_at_once_and_what_to_check(fake_arxiv):
    clock = ManualClock(dt.datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
    with running_app(fake_arxiv, clock=clock, arxiv_rss_url=closed_url("/rss"), arxiv_min_interval=3.0) as app:
        started = clock.monotonic()
        response = app.get("/feeds/llm.json")
        assert response.status_code == 503 and response.headers["Retry-After"]
        error = response.json()["error"]
        assert "listing (RSS) is unreachable" in error and "refused the connection" in error
        assert "check the network" in error and "ARXIV_RSS_URL" in error and "slow" not in error
        assert clock.monotonic() - started < 1.0  # a refused connection is not retried for seconds


def test_a_trickling_query_api_holds_up_neither_the_listing_nor_a_like_request(fake_arxiv):
    """Scenario 6: an API sending one byte every 0.2 s (each read well inside ARXIV_TIMEOUT)."""
    clock = friday_world(fake_arxiv)
    clock.set(dt.datetime(2026, 11, 26, 15, 0, tzinfo=UTC))  # Thursday first
    fake_arxiv.serve_xml(rss_for_day(fake_arxiv.api_entries, dt.date(2026, 11, 26)))
    with running_app(fake_arxiv, config=CONFIG, clock=clock, arxiv_timeout=1.0, request_budget_s=2.0) as app:
        app.get("/feeds/week.json")
        for category in CATS:
            wait_until_filled(app, category)
        before = app.get("/feeds/week.json").json()["items"]
        seed = before[0]["id"].rsplit("/", 1)[-1]
        thursday = {i["id"] for i in before if i["date_published"] >= "2026-11-23"}  # still in Friday's window

        clock.advance(86400)  # Friday: the listing is due, and a like= seed is not stored
        fake_arxiv.serve_xml(rss_for_day(fake_arxiv.api_entries, FRIDAY))
        fake_arxiv.fail_next(*[Failure(200, b"<feed>" + b" " * 60, trickle=0.2, api=True)] * 3)
        liked: dict = {}

        def like() -> None:
            started = time.monotonic()
            liked["response"] = app.http.get(f"/feed?cat=cs.AI&like={seed}v1")
            liked["seconds"] = time.monotonic() - started

        asker = threading.Thread(target=like)
        asker.start()
        deadline = time.monotonic() + 5
        while not fake_arxiv.api_requests()[-1:] or "id_list" not in fake_arxiv.api_requests()[-1].path:
            assert time.monotonic() < deadline, "the like= request never reached the API"
            time.sleep(0.01)
        started = time.monotonic()
        response = app.get("/feeds/week.json")  # while the API trickles
        assert time.monotonic() - started < 1.0
        items = response.json()["items"]
        assert FRIDAY in days_of(items) and thursday <= set(guids(items))  # the new day; nothing lost
        asker.join(10)
        assert liked["response"].status_code == 503 and liked["seconds"] < 2.0 + 0.5
        error = liked["response"].json()["error"]
        assert "query API is slow" in error and "ARXIV_TIMEOUT" in error
        health = app.get("/health").json()
        assert health["status"] == "degraded" and health["upstream"]["query_api"]["kind"] == "slow"
        asked = len(fake_arxiv.api_requests())
        assert app.get(f"/feed?cat=cs.AI&like={seed}v1").status_code == 503  # backing off, for every caller
        assert len(fake_arxiv.api_requests()) == asked


def test_slow_failures_of_the_query_api_do_not_hold_a_like_request_past_its_budget(fake_arxiv):
    """Scenario 6 without trickling: 503 after 1.5 s, 503 after 1.5 s, then 200 after 1.5 s."""
    clock = friday_world(fake_arxiv)
    with running_app(fake_arxiv, config=CONFIG, clock=clock, request_budget_s=2.0) as app:
        app.get("/feeds/week.json")
        wait_for_backfill(app)
        seed = app.get("/feeds/week.json").json()["items"][0]["id"].rsplit("/", 1)[-1]
        fake_arxiv.fail_next(Failure(503, delay=1.5, api=True), Failure(503, delay=1.5, api=True),
                             Failure(200, fake_arxiv.api_answer({"id_list": [seed]}), delay=1.5, api=True))
        started = time.monotonic()
        response = app.get(f"/feed?cat=cs.AI&like={seed}v1")
        assert time.monotonic() - started < 2.0 + 0.5
        assert response.status_code == 503 and int(response.headers["Retry-After"]) >= 30
        assert "query API is failing: HTTP 503" in response.json()["error"]
        assert len([r for r in fake_arxiv.api_requests() if "id_list" in r.path]) == 1  # no retry storm


def test_health_is_degraded_while_backfill_fails_and_says_what_since_when_and_what_next(fake_arxiv):
    """Scenario 7: the query API refuses connections; four weekdays are missing."""
    clock = friday_world(fake_arxiv)
    with running_app(fake_arxiv, config=CONFIG, clock=clock, arxiv_api_url=closed_url("/api/query")) as app:
        first = app.get("/feeds/week.json")
        wait_for_backfill(app)
        friday = first.json()["items"]
        health = app.get("/health").json()
        assert health["status"] == "degraded"
        history_ = health["categories"]["cs.CV"]["history"]
        assert history_["state"] == "failing"
        assert sorted(history_["missing_weekdays"]) == ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26"]
        assert history_["oldest_missing"] == "2026-11-23"
        assert "unreachable" in history_["error"] and "ARXIV_API_URL" in history_["error"]
        assert history_["failing_since"] == "2026-11-27T15:00:00+00:00"
        assert history_["next_attempt"] > "2026-11-27T15:00:00+00:00" and "asks arXiv's query API again" in history_["next"]
        assert health["upstream"]["query_api"]["kind"] == "unreachable"
        response = app.get("/feeds/week.json")
        assert response.headers["Warning"].startswith("110") and "unreachable" in note(response)

        app.services.settings.arxiv_api_url = f"{fake_arxiv.url}/api/query"  # the network is back
        clock.advance(300)  # past the back-off and the retry after a failed run
        app.get("/feeds/week.json")
        for category in CATS:
            wait_until_filled(app, category)
        health = app.get("/health").json()
        assert health["status"] == "ok", health
        assert {c["history"]["state"] for c in health["categories"].values()} == {"complete"}
        response = app.get("/feeds/week.json")
        items = response.json()["items"]
        assert "Warning" not in response.headers and days_of(items) == WINDOW
        assert set(guids(friday)) <= set(guids(items)) and len(items) == len(set(guids(items)))


def test_a_history_budget_lets_the_first_answer_wait_for_the_window(fake_arxiv):
    clock = friday_world(fake_arxiv)
    with running_app(fake_arxiv, config=CONFIG, clock=clock, history_budget_s=10.0) as app:
        response = app.get("/feeds/week.json")
        items = response.json()["items"]
        assert days_of(items) == WINDOW and "Warning" not in response.headers and not note(response)


def test_the_query_apis_back_off_is_shared_by_every_instance(fake_arxiv, tmp_path):
    from core.kv.sqlite import SQLiteKV

    clock = friday_world(fake_arxiv)
    store = tmp_path / "shared.sqlite3"
    shared = {"config": CONFIG, "clock": clock, "arxiv_backfill_max_requests": 0}
    with running_app(fake_arxiv, kv=SQLiteKV(store, clock), **shared) as one, \
            running_app(fake_arxiv, kv=SQLiteKV(store, clock), **shared) as two:
        seed = one.get("/feeds/week.json").json()["items"][0]["id"].rsplit("/", 1)[-1]
        fake_arxiv.fail_next(Failure(429, b"slow down", {"Retry-After": "600"}, api=True))
        limited = one.get(f"/feed?cat=cs.AI&like={seed}")
        assert limited.status_code == 503 and "rate-limiting us: HTTP 429" in limited.json()["error"]
        assert 590 <= int(limited.headers["Retry-After"]) <= 600  # arXiv's wish, longer than our back-off
        other = two.get(f"/feed?cat=cs.AI&like={seed}")  # another instance: no request, the same answer
        assert other.status_code == 503 and "rate-limiting us" in other.json()["error"]
        assert len(fake_arxiv.api_requests()) == 1
        assert two.get("/health").json()["upstream"]["query_api"]["kind"] == "rate-limited"
        clock.advance(601)
        assert two.get(f"/feed?cat=cs.AI&like={seed}").status_code == 200  # over: asked again, and it answers
        assert one.get("/health").json()["upstream"]["query_api"] is None


def test_a_trickling_backfill_holds_up_no_listing_and_is_cut_at_its_deadline(fake_arxiv):
    """Scenario 6 in the background: the backfill's answer trickles in (one byte every 0.2 s)."""
    clock = friday_world(fake_arxiv)
    fake_arxiv.fail_next(Failure(200, b"<feed>" + b" " * 60, trickle=0.2, api=True))
    with running_app(fake_arxiv, config=CONFIG, clock=clock, arxiv_timeout=1.0, request_budget_s=2.0) as app:
        first = app.get("/feeds/week.json")  # the listing; the backfill starts behind it and trickles
        deadline = time.monotonic() + 5
        while not fake_arxiv.api_requests():
            assert time.monotonic() < deadline, "the backfill never asked the API"
            time.sleep(0.01)
        trickling = time.monotonic()
        started = time.monotonic()
        other = app.get("/feed?cat=math.AG&format=json")  # never fetched: its listing, now
        assert other.status_code == 200 and time.monotonic() - started < 1.0
        wait_for_backfill(app)
        assert time.monotonic() - trickling < 1.0 + 0.5  # cut at ARXIV_TIMEOUT, not after the 61 bytes
        health = app.get("/health").json()
        assert health["status"] == "degraded" and health["upstream"]["query_api"]["kind"] == "slow"
        assert "query API is slow" in health["categories"]["cs.AI"]["history"]["error"]
        again = app.get("/feeds/week.json")
        assert again.headers["Warning"].startswith("110") and "query API is slow" in note(again)
        assert [i["id"] for i in again.json()["items"]] == [i["id"] for i in first.json()["items"]]  # nothing lost
