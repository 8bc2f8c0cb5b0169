"""Query-API answers that would lose papers (issue 18, scenarios 1-5): short or empty pages,
wrong totals, `start=` ignored, a cut body, stray dates, an empty answer for a seed. A day is
stored only when every page covering it arrived whole; anything else leaves it missing, says why
in /health and is asked again later. Real app over HTTP, a scripted fake query API on loopback,
time moved by ManualClock."""

from __future__ import annotations

import copy
import datetime as dt
from collections import Counter
from collections.abc import Iterator

import pytest

from core.clock import ManualClock
from core.profiles import parse_config
from core.sources.arxiv.schedule import EASTERN, listing_day_of_submission
from tests.conftest import TEST_CONFIG, App, running_app
from tests.fakearxiv import A, FakeArxiv, Quirk, api_entry, history, rss_for_day

UTC = dt.timezone.utc
CATS = ["cs.AI", "cs.CL", "cs.LG", "cs.CV"]
CONFIG = {"profiles": {"week": {"title": "A week", "categories": CATS, "max_items": 500}}}
WEEK = [dt.date(2026, 11, d) for d in (23, 24, 25, 26, 27)]  # Monday to Friday
SECRET = "s3cret"
PER_DAY = 12  # history(per_day=2) in the default new,cross feed: 4 categories x (2 new + 1 cross)


def at(iso: str) -> ManualClock:
    return ManualClock(dt.datetime.fromisoformat(iso).replace(tzinfo=UTC))


def cron(app: App) -> dict:
    """The next scheduled run: refresh the listings, backfill what is missing (awaited)."""
    response = app.http.post("/api/cron/refresh", headers={"Authorization": f"Bearer {SECRET}"})
    assert response.status_code == 200, response.text
    return response.json()


def items_of(app: App, path: str = "/feeds/week.json") -> list[dict]:
    response = app.get(path)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert len({i["id"] for i in items}) == len(items)  # each paper once
    return items


def per_day(items: list[dict]) -> Counter:
    return Counter(dt.datetime.fromisoformat(i["date_published"]).astimezone(EASTERN).date() for i in items)


def health(app: App) -> dict:
    return app.get("/health").json()["categories"]


def updated(entry) -> dt.datetime:
    return dt.datetime.fromisoformat(entry.findtext(f"{A}updated").replace("Z", "+00:00"))


def on_day(entries, day: dt.date) -> list:
    return [e for e in entries if listing_day_of_submission(updated(e)) == day]


def arxiv_id(entry) -> str:
    return entry.findtext(f"{A}id").rsplit("/", 1)[-1].split("v")[0]


def saturday_app(fake: FakeArxiv, **overrides) -> Iterator[App]:
    """A fresh instance on Saturday 2026-11-28: arXiv's listing is empty, the week is missing."""
    fake.serve_day()
    return running_app(fake, config=CONFIG, cron_secret=SECRET, **overrides)


def assert_whole_days_only(app: App) -> set[dt.date]:
    """Every day the feed shows has all its papers; every other weekday is still missing."""
    shown = per_day(items_of(app))
    assert all(count == PER_DAY for count in shown.values()), shown
    for category, state in health(app).items():
        assert set(state["missing_weekdays"]) == {d.isoformat() for d in WEEK} - {d.isoformat() for d in shown}, category
        assert state["empty_weekdays"] == [], category
    return set(shown)


def assert_filled_on_the_next_run(app: App, fake: FakeArxiv) -> None:
    fake.quirks.clear()  # the API answers properly again
    app.services.listings.clock.advance(3600)
    report = cron(app)["backfill"]
    assert report["complete"] and report["error"] is None, report
    items = items_of(app)
    assert per_day(items) == {day: PER_DAY for day in WEEK}
    assert all(state["missing_weekdays"] == [] for state in health(app).values())


PAGE = 18  # 80 entries in the week, newest change first: page 1 is Friday's 16 and 2 of Thursday's


@pytest.mark.parametrize(
    "quirks,reason",
    [
        ([Quirk(), Quirk(keep=0)], "0 of 18 entries"),  # page 2 empty, the same totalResults
        ([Quirk(), Quirk(keep=5)], "5 of 18 entries"),  # page 2 short
        ([Quirk(keep=8)], "8 of 18 entries"),  # the first page short
        ([Quirk(), Quirk(total=15)], "totalResults 15"),  # lower than the entries already seen
        ([Quirk(total=10)], "totalResults 10"),  # lower than the entries on the page
        ([Quirk()] + [Quirk(ignore_start=True)] * 4, "already on an earlier page"),  # start= ignored
    ],
    ids=["empty-page-2", "short-page-2", "short-page-1", "lower-total", "total-below-page", "start-ignored"],
)
def test_a_day_is_stored_only_when_every_page_covering_it_arrived_whole(fake_arxiv, quirks, reason):
    fake_arxiv.serve_api(history(dt.date(2026, 11, 27), CATS, per_day=2))
    with saturday_app(fake_arxiv) as app:
        app.services.listings.clock = at("2026-11-28T15:00:00")
        app.services.listings.backfiller.page_size = PAGE
        fake_arxiv.quirk_next(*quirks)
        report = cron(app)["backfill"]
        assert not report["complete"] and reason in report["error"], report
        shown = assert_whole_days_only(app)
        assert shown <= {dt.date(2026, 11, 27)}  # at most Friday, wholly on the first page
        for category, state in health(app).items():
            assert any(reason in r["reason"] for r in state["rejections"]), (category, state["rejections"])
        assert_filled_on_the_next_run(app, fake_arxiv)


def test_a_malformed_api_page_is_rejected_and_recorded(fake_arxiv):
    fake_arxiv.serve_api(history(dt.date(2026, 11, 27), CATS, per_day=2))
    with saturday_app(fake_arxiv) as app:
        app.services.listings.clock = at("2026-11-28T15:00:00")
        fake_arxiv.quirk_next(Quirk(cut_at=0.6))  # cut at 60 % with </feed> appended
        report = cron(app)["backfill"]
        assert "malformed" in report["error"] and report["filled"] == {}, report
        assert assert_whole_days_only(app) == set()
        for state in health(app).values():
            assert any("malformed" in r["reason"] for r in state["rejections"])
        assert_filled_on_the_next_run(app, fake_arxiv)


def test_stray_dates_never_mark_real_weekdays_empty(fake_arxiv):
    entries = history(dt.date(2026, 11, 27), CATS, per_day=2)
    friday = on_day(entries, dt.date(2026, 11, 27))
    fake_arxiv.serve_api(friday)  # the API has only Friday's papers yet...
    template = friday[0]
    strays = [api_entry(template, f"9901.0000{n}", 1, when, when, ["cs.AI"]) for n, when in
              enumerate((dt.datetime(2099, 1, 1, 12, tzinfo=UTC), dt.datetime(2020, 6, 3, 12, tzinfo=UTC)))]
    with saturday_app(fake_arxiv) as app:
        app.services.listings.clock = at("2026-11-28T15:00:00")
        fake_arxiv.quirk_next(Quirk(extra=strays))  # ...and answers two entries far outside the range
        cron(app)
        assert assert_whole_days_only(app) == {dt.date(2026, 11, 27)}  # Monday to Thursday stay missing
        for category, state in health(app).items():
            assert "2099-01-01" not in state["days_held"] and state["latest_day"] == "2026-11-27"
        assert any("outside" in r["reason"] for r in health(app)["cs.AI"]["rejections"])
        fake_arxiv.serve_api(entries)  # the API catches up: the next run fills the week
        assert_filled_on_the_next_run(app, fake_arxiv)


def test_a_backfilled_new_paper_stays_on_its_day_when_its_v2_is_listed(fake_arxiv):
    entries = history(dt.date(2026, 11, 27), CATS, per_day=2)
    monday, friday = dt.date(2026, 11, 23), dt.date(2026, 11, 27)
    first = on_day(entries, monday)[0]  # a cs.AI paper announced new on Monday
    paper = arxiv_id(first)
    fake_arxiv.serve_api(entries)
    fake_arxiv.serve_xml(rss_for_day(entries, dt.date(2026, 11, 26)))
    with running_app(fake_arxiv, config=CONFIG, cron_secret=SECRET) as app:
        clock = at("2026-11-26T12:00:00")  # Thursday: a fresh start, Monday to Wednesday backfilled
        app.services.listings.clock = clock
        cron(app)
        before = {i["_arxiv_feeds"]["arxiv_id"]: i for i in items_of(app)}
        assert before[paper]["_arxiv_feeds"]["source"] == "backfill"
        assert before[paper]["date_published"].startswith("2026-11-23")
        # Friday's listing has its v2 as a replacement
        v2 = copy.deepcopy(first)
        v2.find(f"{A}id").text = f"http://arxiv.org/abs/{paper}v2"
        v2.find(f"{A}updated").text = "2026-11-26T15:00:00Z"  # Thursday 10:00 Eastern: Friday's listing
        fake_arxiv.serve_xml(rss_for_day(entries + [v2], friday))
        clock.advance(86400)
        after = {i["_arxiv_feeds"]["arxiv_id"]: i for i in items_of(app)}
        assert {p for p, i in before.items() if i["date_published"] >= "2026-11-23"} <= set(after)  # nothing lost
        assert after[paper]["date_published"].startswith("2026-11-23")
        assert after[paper]["_arxiv_feeds"]["announce_type"] == "new"
        replaced = items_of(app, "/feed?cat=cs.AI&format=json&type=replace&limit=500")
        assert any(i["_arxiv_feeds"]["arxiv_id"] == paper and i["date_published"].startswith("2026-11-27")
                   for i in replaced)


def test_a_replacement_on_a_missed_day_is_backfilled(fake_arxiv):
    entries = history(dt.date(2026, 11, 27), CATS, per_day=2)
    monday, wednesday = dt.date(2026, 11, 23), dt.date(2026, 11, 25)
    first = on_day(entries, monday)[0]
    paper = arxiv_id(first)
    fake_arxiv.serve_api(entries)
    fake_arxiv.serve_xml(rss_for_day(entries, monday))
    with running_app(fake_arxiv, config=CONFIG, cron_secret=SECRET) as app:
        clock = at("2026-11-23T12:00:00")  # Monday: polled, the paper listed new
        app.services.listings.clock = clock
        cron(app)
        assert {i["_arxiv_feeds"]["arxiv_id"]: i for i in items_of(app)}[paper]["_arxiv_feeds"]["source"] == "listing"
        # Tuesday and Wednesday nobody polls; the paper's v2 is announced on Wednesday
        v2 = copy.deepcopy(first)
        v2.find(f"{A}id").text = f"http://arxiv.org/abs/{paper}v2"
        v2.find(f"{A}updated").text = "2026-11-24T15:00:00Z"  # Tuesday 10:00 Eastern: Wednesday's listing
        fake_arxiv.serve_api([e for e in entries if e is not first] + [v2])  # the API holds the latest version
        fake_arxiv.serve_xml(rss_for_day(entries, dt.date(2026, 11, 26)))
        clock.advance(3 * 86400)  # Thursday
        report = cron(app)["backfill"]
        assert "2026-11-25" in report["filled"]["cs.AI"]
        replaced = items_of(app, "/feed?cat=cs.AI&format=json&type=replace&limit=500")
        assert any(i["_arxiv_feeds"]["arxiv_id"] == paper and i["date_published"].startswith(wednesday.isoformat())
                   and i["_arxiv_feeds"]["source"] == "backfill" for i in replaced)
        new = {i["_arxiv_feeds"]["arxiv_id"]: i for i in items_of(app)}
        assert new[paper]["date_published"].startswith("2026-11-23")  # still listed new on Monday


def test_a_paper_replaced_later_in_a_missed_week_is_backfilled_new_on_its_first_day(fake_arxiv):
    entries = history(dt.date(2026, 11, 27), CATS, per_day=2)
    first = on_day(entries, dt.date(2026, 11, 23))[0]  # announced new on Monday...
    paper = arxiv_id(first)
    v2 = copy.deepcopy(first)
    v2.find(f"{A}id").text = f"http://arxiv.org/abs/{paper}v2"
    v2.find(f"{A}updated").text = "2026-11-26T15:00:00Z"  # ...and replaced in Friday's listing
    fake_arxiv.serve_api([e for e in entries if e is not first] + [v2])  # the API gives only v2
    with saturday_app(fake_arxiv) as app:
        app.services.listings.clock = at("2026-11-28T15:00:00")
        cron(app)
        items = items_of(app)
        assert per_day(items) == {day: PER_DAY for day in WEEK}
        mine = next(i for i in items if i["_arxiv_feeds"]["arxiv_id"] == paper)
        assert mine["date_published"].startswith("2026-11-23") and mine["_arxiv_feeds"]["announce_type"] == "new"
        replaced = items_of(app, "/feed?cat=cs.AI&format=json&type=replace&limit=500")
        assert any(i["_arxiv_feeds"]["arxiv_id"] == paper and i["date_published"].startswith("2026-11-27")
                   for i in replaced)


# --- like= seeds (scenario 5) -------------------------------------------------------------

from tests.test_like import SPLAT, cv  # noqa: E402,F401 -- the recorded cs.CV world with a like= seed profile


def test_a_seed_the_api_returned_nothing_for_once_is_asked_again(cv):
    cv.fake.quirk_next(Quirk(keep=0, total=0, only="id_list="))  # HTTP 200, totalResults 0, once
    first = cv.get("/feeds/splats.json")
    assert first.status_code in (200, 503), first.text  # never "arXiv does not know" for one empty answer
    for _ in range(2):
        response = cv.get("/feeds/splats.json")
        assert response.status_code == 200, response.text
        assert all("closest to" in i["_arxiv_feeds"]["explanation"] for i in response.json()["items"])


def test_a_cut_seed_answer_is_neither_stored_nor_taken_for_unknown_ids(cv):
    cv.fake.quirk_next(Quirk(cut_at=0.6, only="id_list="))  # cut in the entry, </feed> appended
    response = cv.get(f"/feed?cat=cs.CV&like={SPLAT}")
    assert response.status_code == 503 and "Retry-After" in response.headers, response.text
    assert cv.get(f"/feed?cat=cs.CV&like={SPLAT}").status_code == 200  # asked again, and known


def test_like_with_an_id_and_its_v1_keeps_the_newest_version_as_the_id(cv):
    from tests.fakearxiv import _ref

    latest = next(e for e in cv.fake.api_entries if _ref(e)[0] == SPLAT)
    v1 = copy.deepcopy(latest)
    v1.find(f"{A}title").text = "An entirely different first version about protein folding"
    v1.find(f"{A}summary").text = "Proteins fold; we study folding kinetics of enzymes in solution."
    v1.find(f"{A}updated").text = "2026-03-01T12:00:00Z"
    latest = copy.deepcopy(latest)
    latest.find(f"{A}id").text = f"http://arxiv.org/abs/{SPLAT}v2"
    cv.fake.serve_api([e for e in cv.fake.api_entries if _ref(e)[0] != SPLAT] + [latest])
    cv.fake.old_versions[f"{SPLAT}v1"] = v1
    assert cv.get(f"/feed?cat=cs.CV&like={SPLAT},{SPLAT}v1&format=json").status_code == 200
    items = cv.get(f"/feed?cat=cs.CV&like={SPLAT}&format=json&limit=5").json()["items"]  # from the store
    assert items and all(f"closest to {SPLAT}v2 " in i["_arxiv_feeds"]["explanation"] for i in items)
