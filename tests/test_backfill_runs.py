"""What one backfill run stores, reports and remembers, driven directly (no app): the real
`Backfiller` and `DayStore` over a MemoryKV, the real `ArxivUpstream` (its `history`) against the fake query API on
127.0.0.1, time moved by ManualClock. Fast enough for the mutation bench (bench/mutation.py) to
run per mutant; the same rules through the app are in test_history and test_lossless_backfill."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import pytest

from core.sources.arxiv import ARXIV
from core.errors import ParseError
from core.sources.arxiv.paging import PageNotWhole
from core.sources.arxiv.parse import parse_listing
from core.clock import ManualClock
from core.kv.memory import MemoryKV
from core.listings import freshness
from core.listings.backfill import BackfillReport, Backfiller
from core.listings.store import DayStore
from core.sources.arxiv.schedule import EASTERN, listing_day_of_submission
from tests.conftest import make_settings
from tests.fakearxiv import A, FakeArxiv, Failure, Quirk, api_entry, history, rss_for_day

UTC = dt.timezone.utc
CATS = ["cs.CL", "cs.CV"]
WEEK = [dt.date(2026, 11, d) for d in (23, 24, 25, 26, 27)]  # Monday to Friday
MON, TUE, WED, THU, FRI = WEEK
SATURDAY = dt.datetime(2026, 11, 28, 15, 0, tzinfo=UTC)  # the week is missing, nothing listed today
PER_CATEGORY = 4  # history(per_day=2): per category and day 2 new, 1 cross-list, 1 replacement
PAGE = 10  # 8 entries a day, newest change first: page 1 is Friday's 8 and 2 of Thursday's


def day_of(entry: ET.Element) -> dt.date:
    return listing_day_of_submission(dt.datetime.fromisoformat(entry.findtext(f"{A}updated").replace("Z", "+00:00")))


def categories_of(entry: ET.Element) -> set[str]:
    return {c.get("term") for c in entry.findall(f"{A}category")}


def week(without: tuple[tuple[str | None, dt.date], ...] = ()) -> list[ET.Element]:
    """The week's query-API entries, less every paper of (category, day) pairs (None: all)."""
    return [e for e in history(FRI, CATS, per_day=2)
            if not any(day_of(e) == day and (cat is None or cat in categories_of(e)) for cat, day in without)]


@dataclass
class Run:
    backfiller: Backfiller
    store: DayStore
    clock: ManualClock

    said: list[tuple[int, int, str]] = field(default_factory=list)  # the CLI's progress lines

    def __call__(self, budget_s: float | None = None) -> BackfillReport:
        self.said.clear()
        return asyncio.run(self.backfiller.run(CATS, 7, lambda *line: self.said.append(line), budget_s=budget_s))

    def meta(self, category: str):
        return asyncio.run(self.store.meta(category))

    def stored(self, category: str) -> dict[dt.date, list[str]]:
        meta = self.meta(category)
        return {d: sorted(f"{p.id}v{p.version}" for p in asyncio.run(self.store.load_day(meta, d))) for d in meta.days}

    def missing(self, category: str) -> list[dt.date]:
        return freshness.missing_days(self.meta(category), self.clock.now(), 7)


def backfill(fake: FakeArxiv, entries: list[ET.Element], max_requests: int = 10) -> Run:
    fake.serve_api(entries)
    clock = ManualClock(SATURDAY)
    settings = make_settings(fake, arxiv_backfill_max_requests=max_requests)
    kv = MemoryKV(clock)
    store = DayStore(kv, 14)
    backfiller = Backfiller(store, ARXIV.connect(settings, clock=clock, kv=kv), settings, clock)
    backfiller.page_size = PAGE
    return Run(backfiller, store, clock)


def iso(*days: dt.date) -> list[str]:
    return [d.isoformat() for d in days]


def test_a_run_reports_each_stored_day_and_paper_once_and_remembers_the_holiday(fake_arxiv):
    run = backfill(fake_arxiv, week(without=((None, WED),)))  # nobody announced on Wednesday
    run.clock.advance(600)
    started = run.clock.now()
    report = run()
    assert report.complete and report.error is None and report.requests == 4, report  # 32 entries, pages of 10
    assert report.missing == {c: iso(FRI, THU, WED, TUE, MON) for c in CATS}
    assert report.filled == {c: iso(FRI, THU, TUE, MON) for c in CATS}  # each day once, over four pages
    assert report.empty == {c: iso(WED) for c in CATS}
    assert report.papers == 4 * PER_CATEGORY * len(CATS) == sum(len(ids) for c in CATS for ids in run.stored(c).values())
    for category in CATS:
        meta = run.meta(category)
        assert {d: len(ids) for d, ids in run.stored(category).items()} == dict.fromkeys([FRI, THU, TUE, MON], PER_CATEGORY)
        assert meta.empty_days == [WED] and run.missing(category) == []
        # /health's last_fetched and last_backfill: this run's time, not the start of the test
        assert meta.fetched_at == meta.backfilled_at == started and meta.backfill_error is None


def test_a_category_with_no_papers_on_the_newest_or_oldest_day_seen_keeps_those_days_missing(fake_arxiv):
    # cs.CV has nothing on Friday and Monday, cs.CL has: those are not holidays (arXiv announced
    # that day), so cs.CV's Friday and Monday are asked again, never remembered as empty.
    run = backfill(fake_arxiv, week(without=(("cs.CV", FRI), ("cs.CV", MON), ("cs.CV", WED))))
    report = run()
    assert report.complete and report.error is None, report
    assert set(run.stored("cs.CL")) == set(WEEK) and run.missing("cs.CL") == []
    assert set(run.stored("cs.CV")) == {TUE, THU}
    assert run.meta("cs.CV").empty_days == [WED]  # between days that had papers: a holiday of cs.CV
    assert report.empty == {"cs.CV": iso(WED)}
    assert run.missing("cs.CV") == [FRI, MON]


def test_a_day_only_partly_paged_when_the_requests_run_out_stays_missing_until_the_next_run(fake_arxiv):
    run = backfill(fake_arxiv, week(), max_requests=1)  # one page: Friday whole, 2 of Thursday's 8
    report = run()
    assert report.requests == 1 and not report.complete, report
    for category in CATS:
        assert set(run.stored(category)) == {FRI}, category
        assert run.missing(category) == [THU, WED, TUE, MON]
    assert report.empty == {}
    run.backfiller.settings = make_settings(fake_arxiv, arxiv_backfill_max_requests=10)
    run.clock.advance(3600)
    report = run()
    assert report.complete and report.error is None, report
    for category in CATS:
        assert {d: len(ids) for d, ids in run.stored(category).items()} == dict.fromkeys(WEEK, PER_CATEGORY)


def test_a_run_out_of_time_keeps_the_whole_days_it_paged_and_says_why(fake_arxiv):
    run = backfill(fake_arxiv, week())
    report = run(budget_s=0.01)  # room for the first request only
    assert report.requests == 1 and not report.complete, report
    assert report.error == "out of time for this run; the next run goes on"
    for category in CATS:
        assert set(run.stored(category)) == {FRI}
        assert run.meta(category).backfill_error == report.error  # /health says why, and it is retried sooner


def test_a_failed_run_stores_nothing_keeps_last_fetched_and_shows_why_in_health_and_the_log(fake_arxiv, caplog):
    run = backfill(fake_arxiv, week())
    fake_arxiv.quirk_next(Quirk(keep=3))  # the first page short: nothing whole arrived
    run.clock.advance(600)
    started = run.clock.now()
    with caplog.at_level(logging.ERROR, logger="core.listings.backfill"):
        report = run()
    assert f"backfill of cs.CL+cs.CV: {report.error}" in caplog.messages
    assert not report.complete and "3 of 10 entries due" in report.error and report.filled == {}, report
    for category in CATS:
        meta = run.meta(category)
        assert meta.days == [] and meta.empty_days == []
        assert meta.fetched_at is None  # no stored day changed
        assert meta.backfilled_at == started and meta.backfill_error == report.error
        assert [e.reason for e in meta.rejections] == [f"backfill: {report.error}"]


def test_a_backfill_does_not_store_again_on_a_missed_day_a_paper_the_listing_gave(fake_arxiv):
    entries = week()
    thursday_paper = next(e for e in entries if day_of(e) == THU and "cs.CL" in categories_of(e)
                          and e.findtext(f"{A}id").endswith("v1"))
    listed_late = copy.deepcopy(thursday_paper)  # the listing put it on Friday (announced a day late)
    listed_late.find(f"{A}updated").text = next(e for e in entries if day_of(e) == FRI).findtext(f"{A}updated")
    listing = parse_listing(rss_for_day([listed_late], FRI))
    run = backfill(fake_arxiv, entries)
    meta = run.meta("cs.CL")
    asyncio.run(run.store.merge(meta, FRI, listing.papers, run.clock.now()))
    asyncio.run(run.store.save_meta(meta))
    (ref,) = [f"{p.id}v{p.version}" for p in listing.papers]
    report = run()
    assert report.complete and report.error is None, report
    stored = run.stored("cs.CL")
    assert ref in stored[FRI] and sum(ref in ids for ids in stored.values()) == 1, stored
    assert len(stored[THU]) == PER_CATEGORY - 1


def test_the_progress_lines_count_the_weekdays_covered_so_far_and_sum_up_the_run(fake_arxiv):
    run = backfill(fake_arxiv, week())
    run()
    assert run.said == [
        (0, 5, "backfill: 5 weekdays missing in cs.CL, cs.CV"),
        (1, 5, f"backfill: request 1, back to {THU}"),  # Friday whole, Thursday begun
        (2, 5, f"backfill: request 2, back to {WED}"),
        (3, 5, f"backfill: request 3, back to {TUE}"),
        (5, 5, "backfill: 40 papers on 10 category-days from 4 requests"),  # the fourth page was the last
    ]
    # newest change first, as paging back to the oldest missing day needs
    assert all("sortBy=lastUpdatedDate&sortOrder=descending" in r.path for r in fake_arxiv.api_requests())


def test_a_budget_of_exactly_one_more_worst_case_request_lets_the_run_go_on(fake_arxiv):
    run = backfill(fake_arxiv, week())
    settings = run.backfiller.settings
    report = run(budget_s=settings.arxiv_min_interval + settings.arxiv_timeout)  # the first request took no time
    assert report.requests == 2 and "out of time" in report.error, report  # the second one spaced 50 ms later
    assert run.said[-1][2].endswith(f"from 2 requests; stopped: {report.error}")


def test_a_run_stopped_midway_keeps_the_days_its_pages_completed(fake_arxiv):
    run = backfill(fake_arxiv, week())

    class Stopped(Exception):
        """What ends a run between two pages unannounced: a store that fails, the process stopping."""

    def stop_after_the_first_page(done: int, total: int, line: str) -> None:
        if line.startswith("backfill: request 1,"):
            raise Stopped
    started = run.clock.now()
    try:
        asyncio.run(run.backfiller.run(CATS, 7, stop_after_the_first_page))
    except Stopped:
        pass
    for category in CATS:
        assert set(run.stored(category)) == {FRI} and run.meta(category).backfilled_at == started, category


def test_an_unreachable_api_stops_the_run_and_health_and_the_log_say_why(fake_arxiv, caplog):
    run = backfill(fake_arxiv, week())
    fake_arxiv.fail_next(Failure(503, api=True))
    with caplog.at_level(logging.ERROR, logger="core.listings.backfill"):
        report = run()
    assert report.error and "503" in report.error and not report.complete and report.filled == {}, report
    assert all(run.meta(c).backfill_error == report.error for c in CATS)
    assert f"backfill of cs.CL+cs.CV stopped: {report.error}" in caplog.messages


def edge(when: dt.datetime, n: int, categories: list[str]) -> ET.Element:
    template = history(FRI, CATS, per_day=2)[0]
    return api_entry(template, f"2611.{90000 + n:05d}", 1, when, when, categories)


def test_entries_dated_outside_the_asked_range_are_ignored_and_reported_with_their_dates(fake_arxiv, caplog):
    run = backfill(fake_arxiv, week())
    strays = [edge(dt.datetime(2099, 1, 1, 10, 0, tzinfo=EASTERN), 1, ["cs.CL"]),  # announced 2099-01-02
              edge(dt.datetime(2026, 10, 1, 10, 0, tzinfo=EASTERN), 2, ["cs.CL"])]  # and 2026-10-02
    fake_arxiv.quirk_next(*[Quirk(extra=strays)] * 5)  # in every answer: 42 entries, a stray first and last
    with caplog.at_level(logging.WARNING, logger="core.listings.backfill"):
        report = run()
    reason = "2 query-API entries dated outside the asked range (2026-10-02, 2099-01-02): ignored"
    assert report.rejected == [reason], report
    assert f"backfill of cs.CL+cs.CV: {reason}" in caplog.messages
    assert all(e.reason == f"backfill: {reason}" for c in CATS for e in run.meta(c).rejections)
    assert not {"2611.90001v1", "2611.90002v1"} & {ref for c in CATS for ids in run.stored(c).values() for ref in ids}


def test_entries_at_the_edge_minutes_of_the_search_are_answers_and_the_oldest_edge_ends_the_paging(fake_arxiv):
    # arXiv reads [from TO until] to the minute: an entry in until's minute is announced after
    # the week (next Monday), one at from's very second the Friday before the week. Neither is a
    # stray; the first entry older than the oldest missing day ends the paging.
    after = [edge(dt.datetime(2026, 11, 26, 14, 0, 30, tzinfo=EASTERN), 0, ["cs.CL"])]
    before = [edge(dt.datetime(2026, 11, 19, 14, 0, 0, tzinfo=EASTERN), n, ["cs.CV"]) for n in range(1, 11)]
    run = backfill(fake_arxiv, after + week() + before)  # 51 entries: the fifth page holds 9 of `before`
    report = run()
    assert report.complete and report.error is None and report.rejected == [], report
    assert report.requests == 5, report  # no sixth page for the tenth
    for category in CATS:
        assert {d: len(ids) for d, ids in run.stored(category).items()} == dict.fromkeys(WEEK, PER_CATEGORY)


def test_a_replacement_in_the_missed_week_also_stores_its_v1_as_new_on_its_first_day(fake_arxiv):
    entries = week()
    first = next(e for e in entries if day_of(e) == MON and "cs.CL" in categories_of(e) and e.findtext(f"{A}id").endswith("v1"))
    arxiv_id = first.findtext(f"{A}id").rsplit("/", 1)[-1].removesuffix("v1")
    v2 = copy.deepcopy(first)  # the API gives only the newest version, replaced in Friday's listing
    v2.find(f"{A}id").text = f"http://arxiv.org/abs/{arxiv_id}v2"
    v2.find(f"{A}updated").text = "2026-11-26T15:00:00Z"
    run = backfill(fake_arxiv, [e for e in entries if e is not first] + [v2])
    run()
    meta = run.meta("cs.CL")
    monday = {p.id: p for p in asyncio.run(run.store.load_day(meta, MON))}
    friday = {p.id: p for p in asyncio.run(run.store.load_day(meta, FRI))}
    assert (monday[arxiv_id].version, monday[arxiv_id].announce_type) == (1, "new")
    assert (friday[arxiv_id].version, friday[arxiv_id].announce_type) == (2, "replace")


AGAIN = "; the days it covers stay missing and are asked again later"


@pytest.mark.parametrize("answers,why,kept", [
    ([Quirk(keep=3)], "start=0 not whole: 3 of 10 entries due (totalResults 40)", []),
    ([Quirk(), Quirk(keep=0)], "start=10 not whole: 0 of 10 entries due (totalResults 40)", [FRI]),
    ([Quirk(), Quirk(), Quirk(), Quirk(keep=9)], "start=30 not whole: 9 of 10 entries due (totalResults 40)", [WED, THU, FRI]),
    ([Quirk(), Quirk(total=15)], "start=10 not whole: totalResults 15, 40 on the first page", [FRI]),
    ([Quirk(total=45), Quirk()], "start=10 not whole: totalResults 40, 45 on the first page", [FRI]),
    ([Quirk(total=5)], "start=0 not whole: 10 entries where totalResults 5 leaves 5", []),
    ([Quirk(), Quirk(ignore_start=True)],
     "start=10 not whole: 10 of its 10 entries already on an earlier page (start= ignored)", [FRI]),
    ([Failure(200, rss_for_day([], FRI), api=True)], "start=0 not whole: not a query-API answer (no totalResults)", []),
], ids=["short-first", "empty-second", "short-last", "lower-total", "higher-first-total", "total-below-page",
        "start-ignored", "rss-answer"])
def test_a_page_that_is_not_whole_stops_the_run_and_health_says_exactly_which_page_and_why(fake_arxiv, answers, why, kept):
    """The reason /health and the log give, word for word: the page's start, what was due and
    what came; the whole pages before it keep their whole days."""
    run = backfill(fake_arxiv, week())
    fake_arxiv.quirk_next(*[a for a in answers if isinstance(a, Quirk)])
    fake_arxiv.fail_next(*[a for a in answers if isinstance(a, Failure)])
    report = run()
    assert report.error == f"query-API page at {why}{AGAIN}", report
    assert not report.complete and report.requests == len(answers), report
    for category in CATS:
        assert sorted(run.stored(category)) == kept, category
        assert run.meta(category).backfill_error == report.error


def test_a_cut_page_is_malformed_and_says_where_it_was_cut(fake_arxiv):
    run = backfill(fake_arxiv, week())
    fake_arxiv.quirk_next(Quirk(), Quirk(cut_at=0.6))  # cut at 60 % with </feed> appended
    report = run()
    assert report.error.startswith("query-API page at start=10 not whole: malformed (SAXParseException: "), report
    assert report.error.endswith(f": mismatched tag){AGAIN}"), report
    assert [sorted(run.stored(c)) for c in CATS] == [[FRI], [FRI]]


def test_a_search_with_no_answers_at_all_is_a_whole_page_and_a_complete_run(fake_arxiv):
    """totalResults 0 with no entries is whole (nothing was due), not a short page: the run is
    complete and says nothing went wrong; with no paper seen, no day can be called a holiday."""
    run = backfill(fake_arxiv, [])
    report = run()
    assert (report.complete, report.error, report.requests, report.papers, report.empty) == (True, None, 1, 0, {}), report
    for category in CATS:
        assert run.stored(category) == {} and run.meta(category).backfill_error is None
        assert run.missing(category) == [FRI, THU, WED, TUE, MON]


# --- the seam itself: `ArxivUpstream.history`, what the Backfiller consumes ---------------------

def history_pages(fake: FakeArxiv, entries: list[ET.Element], days: list[dt.date], max_requests: int = 10) -> list:
    """Every page `ArxivUpstream.history` yields (pages of PAGE entries) and the error it
    stopped on, if any."""
    fake.serve_api(entries)
    clock = ManualClock(SATURDAY)
    upstream = ARXIV.connect(make_settings(fake), clock=clock, kv=MemoryKV(clock))
    pages: list = []

    async def page_through() -> None:
        try:
            async for page in upstream.history(CATS, days, max_requests, PAGE):
                pages.append(page)
        except ParseError as exc:
            pages.append(exc)
        finally:
            await upstream.close()

    asyncio.run(page_through())
    return pages


def listed(page) -> list[tuple[str, int, dt.date]]:
    return [(p.id, p.version, p.announced) for p in page.papers if p.announced in WEEK]


def test_arxiv_history_yields_whole_pages_newest_first_each_saying_which_asked_days_it_completed(fake_arxiv):
    entries = week(without=((None, WED),))  # 32 entries, pages of 10: four requests
    pages = history_pages(fake_arxiv, entries, WEEK)
    # Friday's 8 and 2 of Thursday's; Thursday's 6 and 4 of Tuesday's (Wednesday, with nothing
    # before Tuesday's, is covered too); Tuesday's 4 and 6 of Monday's; Monday's last 2: the end.
    assert [p.covered for p in pages] == [[FRI], [WED, THU, FRI], [TUE, WED, THU, FRI], WEEK]
    assert [p.complete for p in pages] == [False, False, False, True]
    assert [p.seen for p in pages] == [(THU, FRI), (TUE, FRI), (MON, FRI), (MON, FRI)]
    got = [ref for page in pages for ref in listed(page)]
    due = [(ref.split("v")[0], int(ref.split("v")[1]), day_of(e))
           for e in entries if day_of(e) in WEEK for ref in [e.findtext(f"{A}id").rsplit("/", 1)[-1]]]
    assert sorted(got) == sorted(due) and len(set(got)) == 32  # every entry once, on its listing day
    assert [d for _, _, d in got] == sorted((d for _, _, d in got), reverse=True)  # newest first
    assert [p.rejected for p in pages] == [[]] * 4 and [p.strays for p in pages] == [[]] * 4
    assert len(fake_arxiv.requests) == 4


def test_arxiv_history_stops_at_a_page_that_is_not_whole_after_yielding_the_whole_ones(fake_arxiv):
    fake_arxiv.quirk_next(Quirk(), Quirk(keep=0))
    pages = history_pages(fake_arxiv, week(), WEEK)
    assert [p.covered for p in pages[:-1]] == [[FRI]]
    assert isinstance(pages[-1], PageNotWhole)
    assert str(pages[-1]) == "query-API page at start=10 not whole: 0 of 10 entries due (totalResults 40)"


def test_arxiv_history_sets_aside_entries_dated_outside_the_asked_days(fake_arxiv):
    strays = [edge(dt.datetime(2099, 1, 1, 10, 0, tzinfo=EASTERN), 1, ["cs.CL"]),
              edge(dt.datetime(2026, 10, 1, 10, 0, tzinfo=EASTERN), 2, ["cs.CL"])]
    fake_arxiv.quirk_next(*[Quirk(extra=strays)] * 5)
    pages = history_pages(fake_arxiv, week(), WEEK)
    assert pages[-1].complete and {p.id for page in pages for p in page.strays} == {"2611.90001", "2611.90002"}
    assert not {"2611.90001", "2611.90002"} & {p.id for page in pages for p in page.papers}
