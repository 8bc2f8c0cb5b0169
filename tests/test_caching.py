"""Caching across layers: shared store between instances, unchanged data keeps its
validators, Cache-Control for the CDN, RSS ttl/skipDays, and a failing store."""

import datetime as dt
import email.utils
import re
import threading
import time
import xml.etree.ElementTree as ET

from core.errors import KVError
from core.kv.memory import MemoryKV
from core.kv.sqlite import SQLiteKV
from tests.conftest import running_app
from tests.test_ingest import use_clock


def max_age(header: str, name: str) -> int:
    return int(re.search(rf"(?:^|[ ,]){name}=(\d+)", header).group(1))


def test_two_instances_sharing_a_store_fetch_once(fake_arxiv, tmp_path):
    fake_arxiv.delay = 0.5
    store = tmp_path / "shared.sqlite3"
    with running_app(fake_arxiv, kv=SQLiteKV(store)) as one, running_app(fake_arxiv, kv=SQLiteKV(store)) as two:
        results = []
        threads = [threading.Thread(target=lambda a=a: results.append(a.get("/feeds/llm.json").status_code))
                   for a in (one, two, one, two)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [200] * 4
        assert len(fake_arxiv.listing_requests()) == 1
        assert one.get("/feeds/llm.json").json()["items"] == two.get("/feeds/llm.json").json()["items"]


def test_a_second_instance_serves_the_same_bytes_from_the_store(fake_arxiv, tmp_path):
    store = tmp_path / "shared.sqlite3"
    base = {"public_base_url": "https://feeds.example.org"}
    with running_app(fake_arxiv, kv=SQLiteKV(store), **base) as one:
        first = one.get("/feeds/llm.rss")
    time.sleep(1.1)  # another instance, later: nothing time-dependent may enter the body
    with running_app(fake_arxiv, kv=SQLiteKV(store), **base) as two:
        second = two.get("/feeds/llm.rss", headers={"If-None-Match": first.headers["etag"]})
        assert second.status_code == 304  # a reader moving between instances keeps its 304s
    assert len(fake_arxiv.listing_requests()) == 1


def test_refetch_with_the_same_papers_keeps_etag_and_last_modified(app):
    clock = use_clock(app, "2026-04-27T12:00:00")
    first = app.get("/feeds/llm.atom")
    clock.advance(days=1)  # due again; arXiv answers with the same items (new ETag upstream)
    second = app.get("/feeds/llm.atom")
    assert len(app.fake.listing_requests()) == 2
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["last-modified"] == first.headers["last-modified"]


def test_new_papers_change_the_validators(app):
    clock = use_clock(app, "2026-04-27T12:00:00")
    first = app.get("/feeds/llm.atom")
    app.fake.serve_day("rss_cs.CV_2026-04-21.xml", "rss_cs.AI_2026-04-27_trimmed3.xml")
    clock.advance(days=1)
    second = app.get("/feeds/llm.atom", headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200
    assert second.headers["etag"] != first.headers["etag"]


def test_feeds_are_cacheable_by_the_cdn_until_the_next_rebuild(app):
    response = app.get("/feeds/llm.rss")
    header = response.headers["cache-control"]
    assert header.startswith("public")
    assert "stale-while-revalidate=" in header
    assert 60 <= max_age(header, "s-maxage") <= 86400
    assert max_age(header, "max-age") <= 600
    not_modified = app.get("/feeds/llm.rss", headers={"If-None-Match": response.headers["etag"]})
    again = not_modified.headers["cache-control"]
    # s-maxage counts down with the wall clock: the two answers may straddle a second
    assert re.sub(r"s-maxage=\d+", "", again) == re.sub(r"s-maxage=\d+", "", header)
    assert 0 <= max_age(header, "s-maxage") - max_age(again, "s-maxage") <= 1


def test_the_cdn_holds_a_feed_exactly_until_the_next_rebuild_on_the_service_clock(app):
    use_clock(app, "2026-04-27T12:00:00")  # a Monday, 08:00 in New York
    header = app.get("/feeds/llm.rss").headers["cache-control"]
    assert max_age(header, "s-maxage") == (16 * 60 + 10) * 60  # to midnight US Eastern, plus 10 minutes


def test_admin_and_error_responses_are_not_stored(app):
    for path in ("/health", "/config", "/feed?cat=cs.XX", "/feeds/missing.rss"):
        assert app.get(path).headers["cache-control"] == "no-store", path


def test_rss_declares_ttl_and_skips_weekend_days(app):
    root = ET.fromstring(app.get("/feeds/llm.rss").content)
    channel = root.find("channel")
    assert 15 <= int(channel.findtext("ttl")) <= 1440
    assert sorted(d.text for d in channel.find("skipDays")) == ["Saturday", "Sunday"]


def test_stale_feed_is_cached_briefly(app):
    clock = use_clock(app, "2026-04-27T12:00:00")
    app.get("/feeds/llm.rss")
    clock.advance(days=1)
    from tests.fakearxiv import Failure
    app.fake.fail_next(*[Failure(503, b"down")] * 10)
    response = app.get("/feeds/llm.rss")
    assert response.status_code == 200
    assert max_age(response.headers["cache-control"], "s-maxage") == 300


class SwitchableKV(MemoryKV):
    """A store that can be made to fail, like a Redis going away and coming back."""

    name = "switchable"

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.calls = 0

    def _check(self) -> None:
        self.calls += 1
        if self.down:
            raise KVError("connection refused")

    async def get(self, key):
        self._check()
        return await super().get(key)

    async def set(self, key, value, ttl=None):
        self._check()
        await super().set(key, value, ttl)

    async def add(self, key, value, ttl=None):
        self._check()
        return await super().add(key, value, ttl)

    async def delete(self, key):
        self._check()
        await super().delete(key)


def test_store_failure_degrades_to_memory_and_recovers(fake_arxiv):
    store = SwitchableKV()
    with running_app(fake_arxiv, kv=store) as app:
        before = app.get("/feeds/llm.json").json()
        store.down = True
        during = app.get("/feeds/llm.json")
        assert during.status_code == 200 and during.json() == before
        health = app.get("/health").json()
        assert health["status"] == "degraded" and health["kv"]["ok"] is False
        assert "connection refused" in health["kv"]["error"]
        calls = store.calls
        for _ in range(5):
            assert app.get("/feeds/llm.json").status_code == 200
        assert store.calls == calls  # cool-down: a dead store is not asked on every request
        store.down = False
        health = app.get("/health").json()
        assert health["kv"]["ok"] is True
        assert app.get("/feeds/llm.json").status_code == 200
        assert len(fake_arxiv.listing_requests()) == 1


def test_store_down_from_the_start_still_serves_feeds(fake_arxiv):
    store = SwitchableKV()
    store.down = True
    with running_app(fake_arxiv, kv=store) as app:
        assert app.get("/feeds/llm.rss").status_code == 200
        assert app.get("/feeds/llm.atom").status_code == 200
        assert len(fake_arxiv.listing_requests()) == 1  # the in-process copy serves the second


def test_corrupt_stored_values_are_ignored_not_fatal(fake_arxiv):
    store = MemoryKV()
    with running_app(fake_arxiv, kv=store) as app:
        app.get("/feeds/llm.rss")
        for key in list(store._data):
            if key.endswith(":meta") or re.search(r":\d{4}-\d\d-\d\d$", key):
                store._data[key] = (b"\x00not json{", None)
        app.services.feeds.cache.clear()
        response = app.get("/feeds/llm.rss")
        assert response.status_code == 200  # metadata unreadable: treated as never fetched, fetched again
        assert len(fake_arxiv.listing_requests()) == 2


def test_while_one_request_refreshes_a_stored_day_the_others_serve_it(fake_arxiv):
    import time

    with running_app(fake_arxiv) as app:
        clock = use_clock(app, "2026-04-27T12:00:00")
        before = app.get("/feeds/llm.json").json()["items"]
        clock.advance(days=1)  # due again
        fake_arxiv.delay = 1.5
        timings: dict[str, float] = {}

        def poll(name: str, path: str) -> None:
            started = time.monotonic()
            assert app.get(path).status_code == 200
            timings[name] = time.monotonic() - started

        first = threading.Thread(target=poll, args=("refresher", "/feeds/llm.json"))
        first.start()
        time.sleep(0.3)  # the refresh is under way
        others = [threading.Thread(target=poll, args=(f"reader{i}", "/feeds/llm.rss")) for i in range(3)]
        for t in others:
            t.start()
        for t in [first, *others]:
            t.join()
        assert timings["refresher"] >= 1.5
        assert max(timings[f"reader{i}"] for i in range(3)) < 1.0, timings  # did not wait for arXiv
        assert len(fake_arxiv.listing_requests()) == 2
        assert app.get("/feeds/llm.json").json()["items"] == before


def test_another_instance_refreshing_does_not_hold_up_a_warm_one(fake_arxiv, tmp_path):
    import time

    store = tmp_path / "shared.sqlite3"
    with running_app(fake_arxiv, kv=SQLiteKV(store)) as one, running_app(fake_arxiv, kv=SQLiteKV(store)) as two:
        clock_one = use_clock(one, "2026-04-27T12:00:00")
        one.get("/feeds/llm.json")
        clock_one.advance(days=1)
        use_clock(two, "2026-04-28T12:00:00")
        fake_arxiv.delay = 2.0
        refresher = threading.Thread(target=one.get, args=("/feeds/llm.json",))
        refresher.start()
        time.sleep(0.4)  # instance one holds the store lock and is fetching
        started = time.monotonic()
        assert two.get("/feeds/llm.json").status_code == 200
        assert time.monotonic() - started < 1.5  # served the stored days, did not wait 2 s
        refresher.join()
        assert len(fake_arxiv.listing_requests()) == 2


def test_parameters_that_do_not_change_the_feed_make_no_new_cache_entries(app):
    first = app.get("/feeds/llm.rss?min_score=0")
    entries = app.services.feeds.cache.keys()
    for extra in ["utm_source=a", "utm_medium=b&utm_campaign=c", "_=123", "_=456&utm_content=x", "utm_term=%E2%9C%93"]:
        response = app.get(f"/feeds/llm.rss?min_score=0&{extra}")
        assert response.status_code == 200
        assert response.content == first.content  # the self link is the URL without them
        assert response.headers["etag"] == first.headers["etag"]
    assert app.services.feeds.cache.keys() == entries
    assert b"utm_" not in first.content


def test_the_caches_stay_within_their_byte_budget(fake_arxiv):
    from core.ranking import text

    budget = 2_000_000
    fake_arxiv.serve_day("rss_cs.CV_2026-04-21.xml")
    with running_app(fake_arxiv, cache_max_bytes=budget) as app:
        sizes = []
        for n in range(1, 13):
            response = app.get(f"/feed?cat=cs.CV&limit={n * 40}&format=json")
            assert response.status_code == 200
            sizes.append(len(response.content))
            # warm answers, analysed text and decoded papers share it
            held = app.services.feeds.cache.bytes + app.app.repeat_polls.entries.bytes + text.analysed_bytes()
            assert held + app.services.listings.store.decoded.bytes <= budget
        assert sum(sizes) > 3 * budget  # the budget really was exceeded many times over
        assert 0 < len(app.services.feeds.cache) < 24
        again = app.get("/feed?cat=cs.CV&limit=480&format=json")  # the newest entry is still there
        assert again.content == app.get("/feed?cat=cs.CV&limit=480&format=json").content


def test_cold_readers_of_one_feed_arriving_together_rank_and_render_it_once(fake_arxiv, monkeypatch):
    """Eight identical requests on a cold instance share one upstream fetch, one ranking and
    one rendering: the ones that arrive while the feed is being made wait for it."""
    import core.pipeline as pipeline

    readers = 8
    entered = threading.Condition()
    counts = {"result": 0, "rank": 0, "render": 0}
    real_result, real_rank, real_render = pipeline.FeedPipeline.result, pipeline.rank, pipeline._render

    async def result(self, *args, **kwargs):
        with entered:
            counts["result"] += 1
            entered.notify_all()
        return await real_result(self, *args, **kwargs)

    def rank(*args, **kwargs):
        with entered:  # hold the first ranking until every reader is past the cache lookup
            entered.wait_for(lambda: counts["result"] >= readers, timeout=10)
            counts["rank"] += 1
        return real_rank(*args, **kwargs)

    def render(*args, **kwargs):
        counts["render"] += 1
        return real_render(*args, **kwargs)

    monkeypatch.setattr(pipeline.FeedPipeline, "result", result)
    monkeypatch.setattr(pipeline, "rank", rank)
    monkeypatch.setattr(pipeline, "_render", render)
    with running_app(fake_arxiv) as app:
        answers: list = [None] * readers

        def read(i: int) -> None:
            answers[i] = app.get("/feeds/llm.rss")

        threads = [threading.Thread(target=read, args=(i,)) for i in range(readers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [a.status_code for a in answers] == [200] * readers
        assert len({a.content for a in answers}) == 1
        assert counts == {"result": readers, "rank": 1, "render": 1}
        assert len(fake_arxiv.listing_requests()) == 1
        assert app.get("/feeds/llm.rss").content == answers[0].content  # from the cache: no new work
        assert counts["rank"] == 1 and counts["render"] == 1


def test_papers_just_stored_are_the_papers_another_instance_reads_back(fake_arxiv, tmp_path):
    """The instance that fetched a day keeps what it wrote instead of reading it back: that
    must be exactly what a reader of the store decodes."""
    import asyncio

    store = tmp_path / "shared.sqlite3"

    def pool(app) -> list:
        listings = app.services.listings
        categories = app.services.config.profiles["llm"].categories
        return asyncio.run(listings.papers(asyncio.run(listings._metas(categories)), 7))

    with running_app(fake_arxiv, kv=SQLiteKV(store)) as one:
        assert one.get("/feeds/llm.json").status_code == 200
        kept = pool(one)
    with running_app(fake_arxiv, kv=SQLiteKV(store)) as two:
        read = pool(two)
    assert len(kept) > 5
    assert kept == read
    assert not {id(p) for p in kept} & {id(p) for p in read}


def since(app, path: str, last_modified: str):
    """A reader that sends only If-Modified-Since (no ETag), as some feed readers do."""
    return app.get(path, headers={"If-Modified-Since": last_modified})


def test_summaries_arriving_move_last_modified_so_a_date_only_reader_gets_them(fake_arxiv):
    from tests.llm_stub import LLMStub
    from tests.test_summaries import CONFIG, with_llm

    llm = LLMStub()
    llm.delay = 0.3  # longer than a request waits: the first answer has no summaries
    try:
        with running_app(fake_arxiv, config=CONFIG, **with_llm(llm, summary_budget_s=0.01)) as app:
            first = app.get("/feeds/llm.json")
            assert not any(i["_arxiv_feeds"]["summary"] for i in first.json()["items"])
            assert since(app, "/feeds/llm.json", first.headers["last-modified"]).status_code == 304
            refreshed = app.http.post("/api/cron/refresh", headers={"Authorization": "Bearer s3cret"})
            assert refreshed.json()["summaries"]["llm"]["cached"] == 2
            later = since(app, "/feeds/llm.json", first.headers["last-modified"])
            assert later.status_code == 200, "the summaries arrived but If-Modified-Since got a 304"
            assert sum(1 for i in later.json()["items"] if i["_arxiv_feeds"]["summary"]) == 2
            assert later.headers["etag"] != first.headers["etag"]
            moved = email.utils.parsedate_to_datetime(later.headers["last-modified"])
            assert moved > email.utils.parsedate_to_datetime(first.headers["last-modified"])
            assert since(app, "/feeds/llm.json", later.headers["last-modified"]).status_code == 304
    finally:
        llm.stop()


def test_a_profile_changed_across_a_restart_moves_last_modified_and_an_unchanged_one_keeps_it(fake_arxiv, tmp_path):
    from tests.conftest import TEST_CONFIG

    store = tmp_path / "store.sqlite3"
    changed = {"profiles": {**TEST_CONFIG["profiles"], "llm": {**TEST_CONFIG["profiles"]["llm"], "keywords": ["agent"]}}}
    site = {"public_base_url": "https://feeds.example.org"}  # the same URL after the restart
    with running_app(fake_arxiv, kv=SQLiteKV(store), **site) as app:
        first = app.get("/feeds/llm.atom")
    for config, changes in ((changed, True), (changed, False)):
        with running_app(fake_arxiv, config=config, kv=SQLiteKV(store), **site) as app:
            again = since(app, "/feeds/llm.atom", first.headers["last-modified"])
            assert (again.status_code == 200) is changes, (changes, again.status_code)
            if changes:
                assert again.headers["last-modified"] != first.headers["last-modified"]
                first = again
