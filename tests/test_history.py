"""Gap-free history: backfill from the (fake) query API, the listing's authority over derived
days, and the integrity rules for stored days. Real app over HTTP, a fake arXiv on loopback
rendered from recorded fixtures with dates relative to "today", time moved by ManualClock."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from core.clock import ManualClock
from core.sources.arxiv.schedule import EASTERN, listing_day, listing_day_of_submission, weekdays_between
from tests.conftest import running_app
from tests.fakearxiv import A, Failure, history, rss_for_day

UTC = dt.timezone.utc
CATS = ["cs.AI", "cs.CL", "cs.LG", "cs.CV"]
CONFIG = {"profiles": {"week": {"title": "A week", "categories": CATS, "max_items": 500}}}
WEEK = [dt.date(2026, 11, d) for d in (23, 24, 25, 26, 27)]  # Monday to Friday


def at(iso: str) -> ManualClock:
    return ManualClock(dt.datetime.fromisoformat(iso).replace(tzinfo=UTC))


def feed(app, path: str = "/feeds/week.json"):
    response = app.get(path)
    assert response.status_code == 200, response.text
    return response, response.json()["items"]


def days_of(items: list[dict]) -> set[dt.date]:
    return {dt.datetime.fromisoformat(i["date_published"]).astimezone(EASTERN).date() for i in items}


def guids(items: list[dict]) -> list[str]:
    return [i["id"] for i in items]


def announced(entries, day: dt.date) -> list:
    return [e for e in entries if listing_day_of_submission(
        dt.datetime.fromisoformat(e.findtext(f"{A}updated").replace("Z", "+00:00"))) == day]


def test_first_start_on_a_saturday_lists_the_previous_week(fake_arxiv):
    fake_arxiv.serve_day()  # Saturday: arXiv's RSS is empty
    entries = history(dt.date(2026, 11, 27), CATS, per_day=2)
    fake_arxiv.serve_api(entries)
    with running_app(fake_arxiv, config=CONFIG) as app:
        app.services.listings.clock = at("2026-11-28T15:00:00")
        first, items = feed(app)  # the listing (empty on a Saturday) at once, saying what is missing
        assert not items and first.headers["Warning"].startswith("110")
        assert "history incomplete: 5 weekdays" in first.json()["_arxiv_feeds"]["note"]
        for category in CATS:
            wait_until_filled(app, category)
        response, items = feed(app)
        assert days_of(items) == set(WEEK)
        assert len(items) == len(set(guids(items))) == 5 * 4 * 3  # 2 new + 1 cross a category a day
        assert {i["_arxiv_feeds"]["source"] for i in items} == {"backfill"}
        kinds = [i["_arxiv_feeds"]["announce_type"] for i in items]
        assert kinds.count("new") == 40 and kinds.count("cross") == 20  # cross-lists from cs.RO
        assert "Warning" not in response.headers
        health = app.get("/health").json()["categories"]["cs.CV"]
        assert health["missing_weekdays"] == []
        assert {health["sources"][d.isoformat()] for d in WEEK} == {"backfill"}
        # replacements are there too, relative to the requested set
        _, cv = feed(app, "/feed?cat=cs.CV&format=json&type=new,cross,replace&limit=500")
        kinds = [i["_arxiv_feeds"]["announce_type"] for i in cv]
        assert kinds.count("cross") == 5 and kinds.count("replace") == 5 and kinds.count("new") == 10
        assert len(fake_arxiv.api_requests()) == 1


def wait_for_backfill(app, timeout: float = 15.0) -> None:
    """The background backfill a request started has ended (waits for work, not for time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        running = app.services.listings.backfiller._running
        if running is not None and running.done():
            return
        time.sleep(0.02)
    raise AssertionError("the background backfill did not end")


def wait_until_filled(app, category: str, timeout: float = 15.0) -> dict:
    """The background backfill a poll started has finished (waits for work, not for time)."""
    deadline = time.monotonic() + timeout
    while True:
        health = app.get("/health").json()["categories"][category]
        if not health["missing_weekdays"] or time.monotonic() > deadline:
            return health
        time.sleep(0.05)


def test_a_skipped_weekday_is_filled_by_the_next_poll_or_cron_run_without_duplicates(fake_arxiv):
    entries = history(dt.date(2026, 11, 30), CATS, per_day=2)
    fake_arxiv.serve_api(entries)
    fake_arxiv.serve_xml(rss_for_day(entries, dt.date(2026, 11, 24)))
    with running_app(fake_arxiv, config=CONFIG, cron_secret="s3cret") as app:
        clock = at("2026-11-24T12:00:00")  # Tuesday: polled
        app.services.listings.clock = clock
        feed(app)  # the listing at once, the earlier days in the background
        for category in CATS:
            wait_until_filled(app, category)
        _, tuesday = feed(app)
        assert days_of(tuesday) == {dt.date(2026, 11, d) for d in (18, 19, 20, 23, 24)}
        assert app.get("/health").json()["categories"]["cs.AI"]["sources"]["2026-11-24"] == "listing"

        clock.advance(2 * 86400)  # Thursday; nobody polled on Wednesday
        fake_arxiv.serve_xml(rss_for_day(entries, dt.date(2026, 11, 26)))
        _, first = feed(app)  # the poll gets Thursday at once and starts the backfill...
        assert dt.date(2026, 11, 26) in days_of(first)
        health = wait_until_filled(app, "cs.AI")
        assert health["missing_weekdays"] == [] and health["sources"]["2026-11-25"] == "backfill"
        _, thursday = feed(app)  # ...which the next poll shows
        assert dt.date(2026, 11, 25) in days_of(thursday)
        assert len(guids(thursday)) == len(set(guids(thursday)))
        assert health["sources"]["2026-11-26"] == "listing"
        in_window = [i["id"] for i in tuesday if i["date_published"] >= "2026-11-20"]
        assert in_window and set(in_window) <= set(guids(thursday))

        clock.advance(4 * 86400)  # Monday; nobody polled on Friday: the cron run fills it
        fake_arxiv.serve_xml(rss_for_day(entries, dt.date(2026, 11, 30)))
        cron = app.http.post("/api/cron/refresh", headers={"Authorization": "Bearer s3cret"})
        assert cron.status_code == 200, cron.text
        assert cron.json()["categories"]["cs.AI"]["missing_weekdays"] == []
        assert cron.json()["backfill"]["filled"]["cs.AI"] == ["2026-11-27"]
        _, monday = feed(app)
        assert days_of(monday) == {dt.date(2026, 11, d) for d in (24, 25, 26, 27, 30)}
        assert len(guids(monday)) == len(set(guids(monday))) == 5 * 4 * 3


def test_a_backfill_never_adds_again_a_paper_the_listing_gave_and_remembers_a_holiday(fake_arxiv):
    tuesday, monday, holiday = dt.date(2026, 11, 24), dt.date(2026, 11, 23), dt.date(2026, 11, 19)
    every = history(tuesday, CATS, per_day=2)
    gone = {e.findtext(f"{A}id") for e in announced(every, holiday)}
    entries = [e for e in every if e.findtext(f"{A}id") not in gone]
    fake_arxiv.serve_api(entries)
    # moderation held one of Monday's papers: the listing gave it on Tuesday, the query API dates it Monday
    held = copy.deepcopy(announced(entries, monday)[0])
    held.find(f"{A}updated").text = "2026-11-23T15:00:00Z"
    fake_arxiv.serve_xml(rss_for_day([*entries, held], tuesday))
    with running_app(fake_arxiv, config=CONFIG) as app:
        app.services.listings.clock = at("2026-11-24T12:00:00")
        feed(app)  # the listing first; the backfill after it
        health = wait_until_filled(app, "cs.AI")
        assert health["missing_weekdays"] == []  # Thursday the 19th had no papers: a holiday, not asked again
        assert holiday.isoformat() in health["empty_weekdays"] and health["backfill_error"] is None
        assert health["last_backfill"] and health["last_fetched"]  # /health says when the history was filled
        _, items = feed(app)
    held_id = held.findtext(f"{A}id").rsplit("/", 1)[-1].split("v")[0]
    copies = [i for i in items if i["_arxiv_feeds"]["arxiv_id"] == held_id]
    assert [(c["date_published"][:10], c["_arxiv_feeds"]["source"]) for c in copies] == [("2026-11-24", "listing")]
    assert len(guids(items)) == len(set(guids(items)))
    assert holiday not in days_of(items) and {dt.date(2026, 11, 18), dt.date(2026, 11, 20), monday} <= days_of(items)


@pytest.mark.parametrize("weekday", range(7), ids=["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
def test_a_fresh_start_on_any_day_serves_the_whole_window_at_once(fake_arxiv, weekday):
    now = dt.datetime(2026, 11, 23 + weekday, 15, 0, tzinfo=UTC)
    today = listing_day(now)
    announced_days = weekdays_between(today - dt.timedelta(days=13), today)
    entries = history(announced_days[0], CATS, per_day=1)  # only what arXiv has announced
    fake_arxiv.serve_api(entries)
    if today.weekday() < 5:
        fake_arxiv.serve_xml(rss_for_day(entries, today))
    else:
        fake_arxiv.serve_day()  # the weekend's empty listing
    with running_app(fake_arxiv, config=CONFIG) as app:
        app.services.listings.clock = ManualClock(now)
        started = time.monotonic()
        first, _ = feed(app)  # the listing at once; the window within a minute
        assert first.headers["Warning"].startswith("110")
        for category in CATS:
            wait_until_filled(app, category)
        response, items = feed(app)
        assert time.monotonic() - started < 60
        newest = announced_days[0]
        assert days_of(items) == set(weekdays_between(newest - dt.timedelta(days=6), newest))
        assert "Warning" not in response.headers
        assert len(items) == len(set(guids(items)))


def test_the_listing_replaces_a_backfilled_day_and_guids_stay(fake_arxiv):
    tuesday, monday = dt.date(2026, 11, 24), dt.date(2026, 11, 23)
    entries = history(tuesday, CATS, per_day=2)
    fake_arxiv.serve_api(entries)
    # moderation held one of Monday's papers: arXiv listed it on Tuesday
    held = copy.deepcopy(announced(entries, monday)[0])
    held.find(f"{A}updated").text = "2026-11-23T15:00:00Z"  # as if submitted on Monday morning
    fake_arxiv.serve_xml(rss_for_day([e for e in entries] + [held], tuesday))
    fake_arxiv.fail_next(*[Failure(503)] * 3)  # the first listing fetch fails: only the backfill answers
    with running_app(fake_arxiv, config=CONFIG) as app:
        clock = at("2026-11-24T12:00:00")
        app.services.listings.clock = clock
        failed = app.get("/feeds/week.json")  # no listing in hand, nothing stored: no waiting for history
        assert failed.status_code == 503 and "HTTP 503" in failed.json()["error"]
        wait_for_backfill(app)  # ...which goes on in the background
        first, before = feed(app)
        assert first.headers.get("Warning", "").startswith("110")
        assert {i["_arxiv_feeds"]["source"] for i in before} == {"backfill"}
        assert days_of(before) == {monday, tuesday} | {dt.date(2026, 11, d) for d in (18, 19, 20)}
        clock.advance(600)  # past the failure's back-off: the listing answers
        _, after = feed(app)
        assert sorted(guids(after)) == sorted(guids(before))  # no paper twice, no GUID changed
        by_id = {i["_arxiv_feeds"]["arxiv_id"]: i for i in after}
        on_tuesday = [i for i in after if i["date_published"].startswith("2026-11-24")]
        assert {i["_arxiv_feeds"]["source"] for i in on_tuesday} == {"listing"}
        held_id = held.findtext(f"{A}id").rsplit("/", 1)[-1].split("v")[0]
        assert by_id[held_id]["date_published"].startswith("2026-11-24")  # the listing's day wins
        assert by_id[held_id]["_arxiv_feeds"]["source"] == "listing"
        health = app.get("/health").json()["categories"]["cs.AI"]
        assert health["sources"]["2026-11-24"] == "listing" and health["sources"]["2026-11-23"] == "backfill"


def test_backfill_requests_are_few_spaced_and_bounded(fake_arxiv):
    fake_arxiv.serve_day()
    entries = history(dt.date(2026, 11, 27), CATS, per_day=2)
    fake_arxiv.serve_api(entries)
    with running_app(fake_arxiv, config=CONFIG, arxiv_min_interval=0.2, arxiv_backfill_max_requests=3,
                     cron_secret="s3cret") as app:
        app.services.listings.clock = at("2026-11-28T15:00:00")
        app.services.listings.backfiller.page_size = 20  # 80 papers in the window: 4+ pages
        feed(app)
        wait_for_backfill(app)
        response, items = feed(app)
        api = fake_arxiv.api_requests()
        assert len(api) == 3  # the bound per run
        queries = [parse_qs(urlsplit(r.path).query) for r in api]
        assert {q["search_query"][0] for q in queries} == {  # the submissions listed Mon 23 to Fri 27, GMT
            "(cat:cs.AI OR cat:cs.CL OR cat:cs.CV OR cat:cs.LG) AND lastUpdatedDate:[202611191900 TO 202611261900]"}
        assert [q["start"][0] for q in queries] == ["0", "20", "40"]
        assert all(q["sortBy"] == ["lastUpdatedDate"] for q in queries)
        gaps = [b.at - a.at for a, b in zip(api, api[1:])]
        assert min(gaps) >= 0.19, gaps  # ARXIV_MIN_INTERVAL between any two requests to the query API
        partial = days_of(items)
        assert partial and partial < set(WEEK)  # only the days the pages covered completely
        app.services.listings.clock.advance(3600)  # the next run (here the cron job) goes on from there
        cron = app.http.post("/api/cron/refresh", headers={"Authorization": "Bearer s3cret"})
        assert cron.status_code == 200 and cron.json()["backfill"]["requests"] <= 3
        _, items = feed(app)
        assert days_of(items) == set(WEEK) and len(items) == len(set(guids(items))) == 60
        assert len(fake_arxiv.api_requests()) <= 6


def test_a_body_cut_mid_way_is_rejected_whatever_its_last_bytes(fake_arxiv):
    fake_arxiv.serve_day("rss_cs.CV_2026-04-17.xml")
    with running_app(fake_arxiv) as app:
        clock = at("2026-04-17T12:00:00")
        app.services.listings.clock = clock
        _, before = feed(app, "/feed?cat=cs.CV&format=json&type=new,cross,replace,replace-cross&limit=500")
        assert len(before) == 186
        body = fake_arxiv.listing(["cs.CV"])
        cut = body[: len(body) // 2] + b"</channel></rss>"
        first_item = body.index(b"<item>")
        spliced = body[: body.index(b"</item>", first_item) + 7] + b"\x00garbage<<" + b"</channel></rss>"
        for bad in (cut, spliced):
            clock.advance(2 * 86400)
            fake_arxiv.fail_next(*[Failure(200, bad)] * 3)
            response, after = feed(app, "/feed?cat=cs.CV&format=json&type=new,cross,replace,replace-cross&limit=500")
            assert guids(after) == guids(before)
            assert response.headers.get("Warning", "").startswith("110")
        rejections = app.get("/health").json()["categories"]["cs.CV"]["rejections"]
        assert len(rejections) == 2 and all("malformed" in r["reason"] for r in rejections)


def test_a_far_future_item_is_not_stored_and_does_not_move_the_window(fake_arxiv):
    body = (fake_arxiv.listing(["cs.AI"]) if fake_arxiv.channel is not None else b"")
    poisoned = body.replace(b"<pubDate>Mon, 27 Apr 2026 00:00:00 -0400</pubDate>\n      <arxiv:announce_type>",
                            b"<pubDate>Thu, 01 Jan 2099 00:00:00 -0500</pubDate>\n      <arxiv:announce_type>", 1)
    assert poisoned != body
    listed = body.count(b"<item>")
    fake_arxiv.serve_xml(poisoned)
    with running_app(fake_arxiv) as app:
        app.services.listings.clock = at("2026-04-27T12:00:00")
        for days in (1, 3, 7):
            _, items = feed(app, f"/feed?cat=cs.AI&format=json&days={days}&limit=500")
            assert len(items) == listed - 1 and days_of(items) == {dt.date(2026, 4, 27)}
        health = app.get("/health").json()["categories"]["cs.AI"]
        assert health["latest_day"] == "2026-04-27" and "2099-01-01" not in health["days_held"]
        assert "2099-01-01" in health["rejections"][0]["reason"]
        fake_arxiv.serve_day("rss_cs.AI_2026-04-27_trimmed3.xml")  # the full good listing returns
        app.services.listings.clock.advance(86400)
        _, items = feed(app, "/feed?cat=cs.AI&format=json&days=1&limit=500")
        assert len(items) == listed


def test_a_shrunken_listing_for_a_stored_day_keeps_the_stored_papers(fake_arxiv):
    fake_arxiv.serve_day("rss_cs.CV_2026-04-17.xml")
    path = "/feed?cat=cs.CV&format=json&type=new,cross,replace,replace-cross&limit=500"
    with running_app(fake_arxiv) as app:
        clock = at("2026-04-17T12:00:00")
        app.services.listings.clock = clock
        _, before = feed(app, path)
        full = fake_arxiv.listing(["cs.CV"])
        head, _, rest = full.partition(b"<item>")
        items = [b"<item>" + chunk for chunk in rest.split(b"<item>")]
        shrunk = head + b"".join(items[:5]).split(b"</channel>")[0] + b"</channel></rss>"
        fake_arxiv.serve_xml(shrunk)
        clock.advance(86400)  # re-checked after the rebuild: the same day, 5 papers
        _, after = feed(app, path)
        assert sorted(guids(after)) == sorted(guids(before)) and len(after) == 186
        health = app.get("/health").json()
        assert health["status"] == "degraded"
        anomaly = health["categories"]["cs.CV"]["anomalies"][0]
        assert anomaly["day"] == "2026-04-17" and "5 papers" in anomaly["reason"] and "186" in anomaly["reason"]


TWENTY = ["cs.AI", "cs.AR", "cs.CC", "cs.CE", "cs.CG", "cs.CL", "cs.CR", "cs.CV", "cs.CY", "cs.DB",
          "cs.DC", "cs.DL", "cs.DM", "cs.DS", "cs.ET", "cs.FL", "cs.GL", "cs.GR", "cs.GT", "cs.HC"]


def test_twenty_slow_cold_categories_are_each_answered_within_the_budget(fake_arxiv):
    with running_app(fake_arxiv, request_budget_s=2.0, arxiv_retries=0, arxiv_max_queue=50) as app:
        assert feed(app, "/feed?cat=cs.AI&format=json")[1]  # one category already stored
        app.services.listings.clock = ManualClock(dt.datetime.now(UTC) + dt.timedelta(days=2))  # all due
        fake_arxiv.delay = 1.0
        results: dict[str, tuple[float, object]] = {}

        def get(category: str) -> None:
            started = time.monotonic()
            response = app.http.get(f"/feed?cat={category}&format=json")
            results[category] = (time.monotonic() - started, response)

        threads = [threading.Thread(target=get, args=(c,)) for c in TWENTY]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(results) == 20
        for category, (elapsed, response) in results.items():
            assert elapsed < 2.0 + 1.5, (category, elapsed)
            if category == "cs.AI":  # stored: served (first in the queue, so refreshed in time)
                assert response.status_code == 200 and response.json()["items"]
            else:
                assert response.status_code in (200, 503), response.text
                if response.status_code == 503:
                    assert int(response.headers["Retry-After"]) > 0
        # arXiv slower than the whole budget: a stored category is served as it was, within it
        before = app.get("/feed?cat=cs.AI&format=json").json()["items"]
        app.services.listings.clock.advance(2 * 86400)
        fake_arxiv.delay = 4.0
        started = time.monotonic()
        response = app.get("/feed?cat=cs.AI&format=json")
        assert time.monotonic() - started < 2.0 + 1.5
        assert response.status_code == 200 and response.json()["items"] == before
        assert response.headers["Warning"].startswith("110")
        fake_arxiv.delay = 0.0


def test_cli_backfill_fills_the_window_with_a_progress_bar(fake_arxiv, tmp_path):
    today = listing_day(dt.datetime.now(UTC))
    fake_arxiv.serve_api(history(today, CATS, per_day=1))
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"profiles": {**CONFIG["profiles"], "other": {"categories": ["math.AG"]}}}))
    env = {**os.environ, "ARXIV_FEEDS_CONFIG": str(config), "ARXIV_RSS_URL": f"{fake_arxiv.url}/rss",
           "ARXIV_API_URL": f"{fake_arxiv.url}/api/query", "ARXIV_MIN_INTERVAL": "0.05",
           "KV_BACKEND": "sqlite", "KV_PATH": str(tmp_path / "kv.sqlite3")}
    run = [sys.executable, "-m", "core", "backfill", "--days", "7", "--profile", "week"]
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(run, cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    weekdays = len(weekdays_between(today - dt.timedelta(days=6), today))
    assert f"] {weekdays}/{weekdays} backfill:" in result.stderr  # the bar reaches its end
    assert "1 requests to arXiv's query API" in result.stderr
    lines = dict(line.split("\t", 1) for line in result.stdout.splitlines())
    assert set(lines) == set(CATS)  # only the chosen profile's categories
    assert lines["cs.CV"] == f"missing {weekdays}\tfilled {weekdays}\tno papers 0"
    again = subprocess.run(run, cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and again.stdout == "" and "0 requests" in again.stderr  # nothing left
    bad = subprocess.run([*run[:4], "--profile", "nope"], cwd=root, env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown profile 'nope'" in bad.stderr


def test_the_schedule_gives_the_calendar_day_the_rss_gives_each_announcement():
    from core.sources.arxiv.parse import parse_listing
    from tests.fakearxiv import FIXTURES

    # Recorded: the RSS built at midnight Eastern starting Monday 2026-04-27 dates every item that
    # Monday; it holds Sunday evening's announcement, i.e. Thursday 14:00 to Friday 14:00 Eastern.
    rss = parse_listing((FIXTURES / "rss_cs.AI_2026-04-27_trimmed3.xml").read_bytes())
    assert rss.build_date == dt.date(2026, 4, 27) and {p.announced for p in rss.papers} == {rss.build_date}
    eastern = lambda *args: dt.datetime(*args, tzinfo=EASTERN)  # noqa: E731
    assert listing_day_of_submission(eastern(2026, 4, 23, 14, 1)) == dt.date(2026, 4, 27)
    assert listing_day_of_submission(eastern(2026, 4, 24, 14, 0)) == dt.date(2026, 4, 27)
    # Recorded: the query API asked on Thursday 2026-04-30 at 17:33 UTC holds nothing submitted after
    # Wednesday 13:59 Eastern: the API has announced papers only, and that last one went out on
    # Wednesday evening, in the RSS dated Thursday.
    api = parse_listing((FIXTURES / "api_query_cat-csLG-OR-csAI_max20_2026-04-30.xml").read_bytes())
    newest = max(api.papers, key=lambda p: p.announced)
    assert (newest.id, newest.announced) == ("2604.26951", dt.date(2026, 4, 30))
    # The rest of the week, by the same rule
    for submitted, listed in [
        (eastern(2026, 4, 27, 13, 59), dt.date(2026, 4, 28)),  # Monday before the cutoff: Tuesday
        (eastern(2026, 4, 27, 14, 1), dt.date(2026, 4, 29)),  # after it: Wednesday
        (eastern(2026, 4, 24, 14, 1), dt.date(2026, 4, 28)),  # Friday afternoon: Tuesday
        (eastern(2026, 4, 25, 9, 0), dt.date(2026, 4, 28)),  # the weekend: Tuesday
        (eastern(2026, 4, 30, 13, 0), dt.date(2026, 5, 1)),  # Thursday: Friday
    ]:
        assert listing_day_of_submission(submitted) == listed, submitted


def _service(fake_arxiv, **overrides):
    from core.kv.memory import MemoryKV
    from core.profiles import parse_config
    from core.services import Services
    from tests.conftest import make_settings

    return Services(make_settings(fake_arxiv, **overrides), config=parse_config(CONFIG), kv=MemoryKV())


def test_a_day_already_poisoned_in_the_store_does_not_move_the_window(fake_arxiv):
    import asyncio

    service = _service(fake_arxiv)
    service.listings.clock = at("2026-04-27T12:00:00")

    async def scenario() -> tuple[int, int]:
        meta = (await service.listings.ensure(["cs.AI"]))[0]
        good = await service.listings.papers([meta], 1)
        poison = good[0].model_copy(update={"id": "2604.99999", "announced": dt.date(2099, 1, 1)})
        await service.listings.store.merge(meta, dt.date(2099, 1, 1), [poison], service.clock.now())
        await service.listings.store.save_meta(meta)  # as a store written before these rules holds it
        meta = await service.listings.meta("cs.AI")
        assert meta.days[0] == dt.date(2099, 1, 1)
        return len(good), len(await service.listings.papers([meta], 1))

    before, after = asyncio.run(scenario())
    assert before == after > 0


def test_a_cron_backfill_starts_no_request_past_its_budget(fake_arxiv):
    import asyncio

    fake_arxiv.serve_day()
    fake_arxiv.serve_api(history(dt.date(2026, 11, 27), CATS, per_day=2))
    service = _service(fake_arxiv)
    service.listings.clock = at("2026-11-28T15:00:00")
    service.listings.backfiller.page_size = 20
    report = asyncio.run(service.cron.backfill(budget_s=0.0))
    assert report["requests"] == 1 and "out of time" in report["error"]
    assert len(fake_arxiv.api_requests()) == 1
    assert report["filled"]  # what the one request covered completely is kept
