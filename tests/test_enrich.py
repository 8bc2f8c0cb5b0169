"""Enrichment: arXiv's comments, journal references and DOIs fetched for stored days in
`id_list` batches, off the reader's path, and the venue=/has= filters, boosts and profile fields
built on them. Real app over HTTP, the fake arXiv answering with the real comments of the
recorded cs.CV day (tests/fixtures/real_comments.jsonl)."""

from __future__ import annotations

import datetime as dt
import math
import time
import xml.etree.ElementTree as ET

import pytest

from core.clock import ManualClock
from tests.conftest import FIXTURES, running_app
from tests.fakearxiv import FakeArxiv, Quirk, real_comments

CV_DAY = "rss_cs.CV_2026-04-21.xml"  # 501 items, 278 of them with a real comment
CVPR_MAIN = "2604.17082"  # "Accepted to CVPR 2026. Project page: https://zju3dv.github.io/d-prism/"
CVPR_FINDINGS = "2604.17286"  # "Accepted to CVPR 2026 Findings" (code in the abstract)
CVPR_WORKSHOP = "2604.16482"  # "Accepted at the Women in Computer Vision (WiCV) Workshop at CVPR 2026"
SUBMITTED = "2604.18250"  # "Submitted to MICCAI 2026"
PUBLISHED = "2604.18208"  # "Published Open-Access in IJCV, see https://link.springer.com/..."
# Real journal references and DOIs (tests/fixtures/api_query_all-AI_max15_2026-03-21.xml) for two papers of the day
JOURNAL = {"journal_ref": "AI and Ethics (2022)", "doi": "10.1007/s43681-022-00167-3"}
ALL_TYPES = ["new", "cross", "replace", "replace-cross"]
CONFIG = {"profiles": {
    "vision": {"categories": ["cs.CV"], "max_items": 500, "announce_types": ALL_TYPES},
    "cvpr": {"categories": ["cs.CV"], "venue": ["CVPR", "CVPR Findings"], "has": ["code^2"], "max_items": 500,
             "announce_types": ALL_TYPES},
}}
TYPES = "type=new,cross,replace,replace-cross"


def metadata() -> dict[str, dict[str, str]]:
    found = real_comments()
    found[PUBLISHED] = {**found[PUBLISHED], **JOURNAL}
    return found


def listed_ids() -> list[str]:
    root = ET.parse(FIXTURES / CV_DAY).getroot()
    return [(i.findtext("link") or "").rsplit("/", 1)[-1] for i in root.iter("item")]


@pytest.fixture
def cv_fake(fake_arxiv: FakeArxiv) -> FakeArxiv:
    fake_arxiv.serve_day(CV_DAY)
    fake_arxiv.serve_api_from(CV_DAY, metadata=metadata())
    return fake_arxiv


def wait_enriched(app, timeout: float = 20.0) -> None:
    """The background enrichment a request started has finished (waits for work, not for time)."""
    deadline = time.monotonic() + timeout
    while True:
        task = app.services.listings.enricher._running
        if (task is not None and task.done()) or time.monotonic() > deadline:
            assert task is not None and task.done(), "no enrichment ran"
            assert task.exception() is None
            return
        time.sleep(0.02)


def items(app, path: str) -> dict[str, dict]:
    response = app.get(path)
    assert response.status_code == 200, response.text
    return {i["_arxiv_feeds"]["arxiv_id"]: i for i in response.json()["items"]}


def enriched_app(fake: FakeArxiv, **overrides):
    # no backfill of the other weekdays: every query-API request counted here is enrichment's
    return running_app(fake, config=CONFIG, enrich_max_requests=10, enrich_batch=200, arxiv_backfill_max_requests=0,
                       **overrides)


def test_a_stored_listing_is_enriched_in_the_background_in_one_request_per_200_papers(cv_fake):
    cv_fake.api_gate.clear()  # arXiv's API hangs: the reader must not wait for it
    with enriched_app(cv_fake) as app:
        first = items(app, "/feeds/vision.json")
        assert len(first) == 500  # a feed holds at most 500 of the day's 501
        assert not any(i["_arxiv_feeds"]["comment"] for i in first.values())
        assert not first[CVPR_MAIN]["_arxiv_feeds"]["enriched"]
        cv_fake.api_gate.set()
        wait_enriched(app)
        after = items(app, "/feeds/vision.json")
    unique = len(set(listed_ids()))
    assert len(cv_fake.api_requests()) == math.ceil(unique / 200) == 3
    assert all(i["_arxiv_feeds"]["enriched"] for i in after.values())
    with_comment = {k for k, i in after.items() if i["_arxiv_feeds"]["comment"]}
    assert with_comment == set(after) & set(real_comments()) and len(with_comment) >= 277
    paper = after[CVPR_MAIN]["_arxiv_feeds"]
    assert paper["comment"].startswith("Accepted to CVPR 2026")
    assert paper["venue"]["label"] == "CVPR 2026" and paper["venue"]["name"] == "CVPR"
    assert "https://zju3dv.github.io/d-prism" in paper["code"]
    assert after[PUBLISHED]["_arxiv_feeds"]["doi"] == JOURNAL["doi"]


def test_the_cron_run_enriches_what_is_stored_and_reports_its_requests(cv_fake):
    with enriched_app(cv_fake, cron_secret="s3cret") as app:
        app.services.listings.enricher.settings.enrich_max_requests = 0  # no background run: only the cron's
        assert items(app, "/feeds/vision.json")[CVPR_MAIN]["_arxiv_feeds"]["comment"] is None
        app.services.listings.enricher.settings.enrich_max_requests = 10
        report = app.http.post("/api/cron/refresh", headers={"Authorization": "Bearer s3cret"}).json()
        assert report["enrich"]["requests"] == 3 and report["enrich"]["enriched"] == 501
        assert items(app, "/feeds/vision.json")[CVPR_MAIN]["_arxiv_feeds"]["venue"]["label"] == "CVPR 2026"
        again = app.http.post("/api/cron/refresh", headers={"Authorization": "Bearer s3cret"}).json()
        assert again["enrich"]["requests"] == 0  # nothing is asked twice
    assert len(cv_fake.api_requests()) == 3


def test_a_damaged_answer_stops_the_run_changes_no_day_and_the_next_run_asks_again(cv_fake):
    """An answer that parses only by recovering from a flaw may lack entries: the papers missing
    from it are not marked enriched (they would never be asked again)."""
    with enriched_app(cv_fake, cron_secret="s3cret") as app:
        app.services.listings.enricher.settings.enrich_max_requests = 0  # no background run: only the cron's
        items(app, "/feeds/vision.json")
        app.services.listings.enricher.settings.enrich_max_requests = 10
        cv_fake.quirk_next(Quirk(cut_at=0.6, only="id_list="))  # cut at 60 % with </feed> appended
        cron = {"Authorization": "Bearer s3cret"}
        report = app.http.post("/api/cron/refresh", headers=cron).json()["enrich"]
        assert report["error"].startswith("malformed answer: ") and report["requests"] == 1, report
        assert report["enriched"] == report["days_updated"] == 0 and report["left"] == report["pending"] == 501
        assert not any(i["_arxiv_feeds"]["enriched"] for i in items(app, "/feeds/vision.json").values())
        again = app.http.post("/api/cron/refresh", headers=cron).json()["enrich"]
        assert again["error"] is None and again["enriched"] == 501 and again["requests"] == 3, again
    assert len(cv_fake.api_requests()) == 4


def test_venue_filters_take_any_year_one_year_or_a_track_and_has_filters_links(cv_fake):
    with enriched_app(cv_fake) as app:
        items(app, "/feeds/vision.json")
        wait_enriched(app)
        cvpr = items(app, "/feed?cat=cs.CV&format=json&type=new,cross,replace,replace-cross&venue=CVPR&limit=500")
        assert CVPR_MAIN in cvpr and CVPR_FINDINGS not in cvpr and CVPR_WORKSHOP not in cvpr
        assert {i["_arxiv_feeds"]["venue"]["label"] for i in cvpr.values()} == {"CVPR 2026"}
        assert items(app, "/feed?cat=cs.CV&format=json&type=new,cross,replace,replace-cross&venue=CVPR2026&limit=500").keys() == cvpr.keys()
        assert items(app, "/feed?cat=cs.CV&format=json&type=new,cross,replace,replace-cross&venue=CVPR%202026&limit=500").keys() == cvpr.keys()
        assert not items(app, "/feed?cat=cs.CV&format=json&type=new,cross,replace,replace-cross&venue=CVPR%202025&limit=500")
        findings = items(app, "/feed?cat=cs.CV&format=json&type=new,cross,replace,replace-cross&venue=CVPR%20Findings&limit=500")
        assert CVPR_FINDINGS in findings and CVPR_MAIN not in findings
        workshops = items(app, "/feed?cat=cs.CV&format=json&type=new,cross,replace,replace-cross&venue=CVPRW&limit=500")
        assert CVPR_WORKSHOP in workshops and {i["_arxiv_feeds"]["venue"]["track"] for i in workshops.values()} == {"Workshops"}
        both = items(app, "/feed?cat=cs.CV&format=json&type=new,cross,replace,replace-cross&venue=CVPR,ICLR&limit=500")
        assert set(cvpr) < set(both) and any(i["_arxiv_feeds"]["venue"]["name"] == "ICLR" for i in both.values())
        assert SUBMITTED not in items(app, "/feed?cat=cs.CV&format=json&type=new,cross,replace,replace-cross&venue=MICCAI&limit=500")
        code = items(app, "/feed?cat=cs.CV&format=json&type=new,cross,replace,replace-cross&has=code&limit=500")
        assert code and all(i["_arxiv_feeds"]["code"] for i in code.values())
        assert items(app, "/feed?cat=cs.CV&format=json&type=new,cross,replace,replace-cross&has=doi,journal&limit=500").keys() == {PUBLISHED}
        assert set(items(app, "/feed?cat=cs.CV&format=json&type=new,cross,replace,replace-cross&venue=CVPR&has=code&limit=500")) <= set(cvpr)


@pytest.mark.parametrize("query, named", [
    ("has=code,pdf,stars", "'pdf', 'stars'"), ("has=code^x", "weight"), ("venue=<script>", "not a venue"),
])
def test_unknown_has_values_and_bad_venues_are_400s_naming_them(app, query, named):
    response = app.get(f"/feed?cat=cs.AI&{query}")
    assert response.status_code == 400
    assert named in response.json()["error"]


def test_a_weighted_venue_or_code_adds_to_the_score_and_says_why(cv_fake):
    with enriched_app(cv_fake) as app:
        items(app, "/feeds/vision.json")
        wait_enriched(app)
        ranked = items(app, "/feed?cat=cs.CV&format=json&type=new,cross,replace,replace-cross&venue=CVPR^5&has=code^1&limit=500")
        paper = ranked[CVPR_MAIN]["_arxiv_feeds"]
        assert "accepted at CVPR 2026 +5" in paper["explanation"]
        assert "code (zju3dv.github.io/d-prism) +1" in paper["explanation"]
        assert {h["signal"] for h in paper["hits"]} >= {"venue"}
        assert len(ranked) > len(items(app, "/feed?cat=cs.CV&format=json&type=new,cross,replace,replace-cross&venue=CVPR&limit=500"))  # a boost filters nothing
        top = list(ranked.values())[0]["_arxiv_feeds"]
        assert top["venue"] and top["venue"]["name"] == "CVPR"


def test_profile_venue_and_has_fields_filter_and_boost_like_the_query(cv_fake):
    with enriched_app(cv_fake) as app:
        items(app, "/feeds/vision.json")
        wait_enriched(app)
        profile = items(app, "/feeds/cvpr.json")
        assert CVPR_MAIN in profile and CVPR_FINDINGS in profile and CVPR_WORKSHOP not in profile
        assert profile[CVPR_MAIN]["_arxiv_feeds"]["score"] == 2  # its code
        assert items(app, "/feeds/cvpr.json?venue=CVPR%20Findings").keys() == {
            k for k, i in profile.items() if i["_arxiv_feeds"]["venue"]["track"] == "Findings"}


def test_a_listing_fetched_again_keeps_the_stored_comments(cv_fake):
    with enriched_app(cv_fake) as app:
        items(app, "/feeds/vision.json")
        wait_enriched(app)
        listing_requests = len(cv_fake.listing_requests())
        app.services.listings.clock = _later(app)
        after = items(app, "/feeds/vision.json")
        assert len(cv_fake.listing_requests()) > listing_requests, "the listing was not fetched again"
        assert after[CVPR_MAIN]["_arxiv_feeds"]["comment"].startswith("Accepted to CVPR 2026")
        assert len(cv_fake.api_requests()) == 3  # nothing fetched twice


def _later(app) -> ManualClock:
    """A day later: the listing is due again."""
    return ManualClock(dt.datetime.now(dt.UTC) + dt.timedelta(days=1))


def test_pages_show_venue_code_and_doi_badges_and_the_builder_writes_the_filters_into_the_feed_url(cv_fake):
    import lxml.html

    with enriched_app(cv_fake) as app:
        items(app, "/feeds/vision.json")
        wait_enriched(app)
        page = app.get(f"/preview?cat=cs.CV&{TYPES}&venue=CVPR,IJCV&limit=500")
        assert page.status_code == 200
        html = lxml.html.fromstring(page.text)
        paper = html.get_element_by_id(f"paper-{CVPR_MAIN}")
        assert [b.text_content() for b in paper.find_class("badge")] == ["CVPR 2026", "code"]
        assert "https://zju3dv.github.io/d-prism" in [a.get("href") for a in paper.iter("a")]
        published = html.get_element_by_id(f"paper-{PUBLISHED}")
        assert "https://doi.org/10.1007/s43681-022-00167-3" in [a.get("href") for a in published.iter("a")]
        assert "Comments: Published Open-Access in IJCV" in published.text_content()
        builder = lxml.html.fromstring(app.get("/").text)
        assert builder.get_element_by_id("venue").get("name") == "venue"
        assert {i.get("value") for i in builder.xpath("//input[@name='has']")} == {"code", "doi", "journal"}
        digest = app.get(f"/feed?cat=cs.CV&{TYPES}&venue=CVPR&format=md&limit=500").text
        assert "**Venue:** CVPR 2026 · **Code:** [zju3dv.github.io/d-prism](https://zju3dv.github.io/d-prism)" in digest
        live = app.get("/api/preview.html?cat=cs.CV&venue=CVPR+2026&has=code&has=doi")
        assert live.status_code == 200 and "venue=CVPR+2026&amp;has=code,doi" in live.text


def test_a_profile_with_an_unknown_has_value_or_a_bad_venue_stops_the_start_naming_it():
    from core.errors import ConfigError
    from core.profiles import parse_config

    with pytest.raises(ConfigError, match=r"profiles\.x\.has: unknown value 'stars'"):
        parse_config({"profiles": {"x": {"categories": ["cs.CV"], "has": ["code", "stars"]}}})
    with pytest.raises(ConfigError, match=r"profiles\.x\.venue: .*not a venue"):
        parse_config({"profiles": {"x": {"categories": ["cs.CV"], "venue": ["CVPR", "<b>"]}}})


def test_a_listed_copy_keeps_what_the_query_api_gave_its_backfilled_copy_until_a_new_version():
    import asyncio

    from core.kv.memory import MemoryKV
    from core.listings.store import DayStore

    async def run() -> list:
        store = DayStore(MemoryKV(), 14)
        meta = await store.meta("cs.CV")
        day, now = dt.date(2026, 4, 21), dt.datetime(2026, 4, 21, 12, tzinfo=dt.UTC)
        from core.sources.arxiv.parse import parse_listing

        listed = parse_listing((FIXTURES / CV_DAY).read_bytes()).papers[:2]
        backfilled = [p.model_copy(update={"origin": "backfill", "enriched": True, "comment": "Accepted to CVPR 2026",
                                           "doi": "10.1/x"}) for p in listed]
        await store.merge(meta, day, backfilled, now)
        await store.merge(meta, day, [listed[0], listed[1].model_copy(update={"version": listed[1].version + 1})], now)
        return sorted(await store.load_day(meta, day), key=lambda p: p.id)

    same, newer = sorted(asyncio.run(run()), key=lambda p: p.version)
    assert (same.origin, same.enriched, same.comment, same.doi) == ("listing", True, "Accepted to CVPR 2026", "10.1/x")
    assert (newer.origin, newer.enriched, newer.comment) == ("listing", False, None)  # enriched again later


def test_two_instances_sharing_a_store_enrich_once(cv_fake):
    import asyncio

    from core.kv.memory import MemoryKV
    from core.profiles import parse_config
    from core.services import Services
    from tests.conftest import make_settings

    async def run() -> list:
        kv = MemoryKV()
        settings = make_settings(cv_fake, enrich_max_requests=10, arxiv_backfill_max_requests=0)
        one, two = (Services(settings, config=parse_config(CONFIG), kv=kv) for _ in range(2))
        await one.listings.refresh(["cs.CV"])
        reports = await asyncio.gather(one.listings.enrich(["cs.CV"]), two.listings.enrich(["cs.CV"]))
        await one.close()
        await two.close()
        return reports

    reports = asyncio.run(run())
    assert sorted(r.requests for r in reports) == [0, 3]
    assert "another instance" in next(r.skipped for r in reports if r.requests == 0)
    assert len(cv_fake.api_requests()) == 3
