"""bioRxiv and medRxiv beside arXiv in one feed, through the real app over HTTP, with the fake
api.biorxiv.org serving real recorded days (tests/fakebiorxiv.py), dated the recorded arXiv
listing's day so that one window serves all three servers."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.clock import ManualClock
from core.sources.biorxiv import schedule
from tests.conftest import running_app
from tests.fakebiorxiv import FakeBiorxiv, recorded_day, recorded_days

MIXED = {
    "profiles": {
        "mixed": {
            "title": "Across preprint servers",
            "categories": ["cs.LG", "biorxiv:neuroscience", "medrxiv"],
            "keywords": [{"term": "chromatin", "weight": 2}, "learning", "COVID-19"],
        },
    }
}


NOW = dt.datetime(2026, 4, 28, 12, 0, tzinfo=dt.UTC)  # the day after the recorded arXiv listings' day
DAY = dt.date(2026, 4, 27)


@pytest.fixture
def fake_rxiv() -> Iterator[FakeBiorxiv]:
    fake = FakeBiorxiv().start()
    day = schedule.listing_day(NOW)
    assert day == DAY  # both servers' last whole day is arXiv's listing day: one window for all
    fake.serve("biorxiv", recorded_day("biorxiv", on=day))  # 149 real records: two pages
    fake.serve("medrxiv", recorded_day("medrxiv", on=day))  # 73: one page
    yield fake
    fake.stop()


def test_a_profile_mixing_three_servers_serves_all_three(fake_arxiv, fake_rxiv):
    with running_app(fake_arxiv, config=MIXED, biorxiv_api_url=fake_rxiv.url, clock=ManualClock(NOW)) as app:
        feed = app.get("/feeds/mixed.json?limit=500").json()
        servers = {item["_arxiv_feeds"].get("server", "arxiv") for item in feed["items"]}
        assert servers == {"arxiv", "biorxiv", "medrxiv"}
        rxiv = [i for i in feed["items"] if i["_arxiv_feeds"].get("server") == "biorxiv"]
        assert rxiv and all(i["url"].startswith("https://www.biorxiv.org/content/10.1101/") for i in rxiv)
        # one collection alone is asked by name; a whole server's day costs one request per 100 records
        assert sorted(r.path for r in fake_rxiv.requests) == [
            "/details/biorxiv/2026-04-27/2026-04-27/0/json?category=Neuroscience",
            "/details/medrxiv/2026-04-27/2026-04-27/0/json"]
        assert app.get("/feed?cat=biorxiv&format=json&limit=500").status_code == 200
        assert [r.path for r in fake_rxiv.requests[2:]] == [
            "/details/biorxiv/2026-04-27/2026-04-27/0/json", "/details/biorxiv/2026-04-27/2026-04-27/100/json"]
        for fmt in ("rss", "atom", "md", "bib", "csl.json"):
            assert app.get(f"/feeds/mixed.{fmt}").status_code == 200, fmt
        assert app.get("/feed?cat=medrxiv:infectious-diseases,cs.LG&format=json").status_code == 200
        readme = (Path(__file__).parent.parent / "README.md").read_text().split("### bioRxiv and medRxiv", 1)[1]
        examples = re.findall(r"`(/feed\?[^`]+)`", readme.split("\n## ", 1)[0].split("\n### ", 1)[0])
        assert len(examples) == 2 and all(app.get(url).status_code == 200 for url in examples), examples
        refused = app.get("/feed?cat=medrxiv:infectious")
        assert refused.status_code == 400
        assert "unknown category 'medrxiv:infectious' (closest: medrxiv:infectious-diseases)" in refused.text


def test_every_format_of_the_mixed_feed_passes_the_validators(fake_arxiv, fake_rxiv, tmp_path):
    import subprocess

    import feedparser
    import pybtex.database

    from tests.fakearxiv import FIXTURES
    from tests.test_citations import bibliography
    from tests.test_feed_validity import jsonfeed_validator

    with running_app(fake_arxiv, config=MIXED, biorxiv_api_url=fake_rxiv.url, clock=ManualClock(NOW)) as app:
        feed = app.get("/feeds/mixed.json?limit=500").json()
        assert not list(jsonfeed_validator().iter_errors(feed))
        count = len(feed["items"])
        for fmt in ("rss", "atom"):
            parsed = feedparser.parse(app.get(f"/feeds/mixed.{fmt}?limit=500").content)
            assert not parsed.bozo and len(parsed.entries) == count, fmt
            rxiv_ids = {i["id"] for i in feed["items"] if i["_arxiv_feeds"].get("server")}
            assert {e.id for e in parsed.entries} >= rxiv_ids
            assert all(re.fullmatch(r"https://www\.(bio|med)rxiv\.org/content/10\.1101/[\d.]+", i) for i in rxiv_ids)
        atom = tmp_path / "mixed.atom"
        atom.write_bytes(app.get("/feeds/mixed.atom?limit=500").content)
        proc = subprocess.run(["jing", "-c", str(FIXTURES / "atom.rnc"), str(atom)], capture_output=True, text=True,
                              timeout=60)
        assert [line for line in proc.stdout.splitlines() if "error" in line] == []
        bib = pybtex.database.parse_bytes(app.get("/feeds/mixed.bib?limit=500").content, "bibtex")
        rxiv_keys = [key for key in bib.entries if key.startswith(("bioRxiv:", "medRxiv:"))]
        assert rxiv_keys and all(bib.entries[key].fields["doi"].startswith("10.") for key in rxiv_keys)
        assert {bib.entries[key].fields["publisher"] for key in rxiv_keys} == {"bioRxiv", "medRxiv"}
        assert all(bib.entries[key].fields["howpublished"] == bib.entries[key].fields["publisher"] for key in rxiv_keys)
        assert not [key for key in bib.entries if "publisher" in bib.entries[key].fields and key.startswith("arXiv:")]
        assert feed["description"] == "arXiv, bioRxiv, medRxiv papers in cs.LG, biorxiv:neuroscience, medrxiv, filtered and ranked"
        rss = app.get("/feeds/mixed.rss?limit=500").text
        assert "bioRxiv:10.1101/" in rss and "medRxiv:10.1101/" in rss and "arXiv:10.1101" not in rss
        csl = app.get("/feeds/mixed.csl.json?limit=500").json()
        assert {item.get("publisher") for item in csl} == {"arXiv", "bioRxiv", "medRxiv"}
        assert len(bibliography(csl)) == count


def test_a_fresh_deploy_fills_the_window_and_health_says_which_days_came_from_where(fake_arxiv):
    fake = FakeBiorxiv().start()
    days = [DAY - dt.timedelta(days=n) for n in range(5)]  # Thursday to Monday: weekends are posting days
    for day, recorded in zip(days, reversed(recorded_days("medrxiv")), strict=True):  # 2021-06-05 .. 06-01
        fake.serve("medrxiv", recorded_day("medrxiv", recorded, on=day))
    config = {"profiles": {"med": {"title": "med", "categories": ["medrxiv:oncology", "medrxiv:epidemiology"]}}}
    try:
        with running_app(fake_arxiv, config=config, biorxiv_api_url=fake.url, clock=ManualClock(NOW),
                         arxiv_backfill_max_requests=0, biorxiv_history_max_requests=10, history_budget_s=5) as app:
            feed = app.get("/feeds/med.json?days=5&limit=500&type=new,replace").json()
            dates = {i["date_published"][:10] for i in feed["items"]}
            assert dates == {d.isoformat() for d in days}, dates
            health = app.get("/health").json()["categories"]["medrxiv:oncology"]
            assert health["sources"] == {days[0].isoformat(): "listing", **{d.isoformat(): "backfill" for d in days[1:]}}
            # one request a day for both collections asked (each day's 39 to 73 records fit a page), on
            # the servers' own budget (BIORXIV_HISTORY_MAX_REQUESTS; arXiv's backfill is off here)
            assert len(fake.requests) == 5, [r.path for r in fake.requests]
    finally:
        fake.stop()
