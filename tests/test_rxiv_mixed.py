"""A feed mixing arXiv with bioRxiv/medRxiv: each server's window on its own calendar, one item
per paper posted to two servers, the corresponding author's institution and the journal a
preprint is now published in, /health and failures per server. Through the real app over HTTP
with the fake arXiv and the fake api.biorxiv.org (tests/fakebiorxiv.py)."""

from __future__ import annotations

import datetime as dt

from core.clock import ManualClock
from core.sources.biorxiv import schedule
from tests.conftest import running_app
from tests.fakebiorxiv import FakeBiorxiv, derived_day

# Monday 08:00 US Eastern: arXiv's Monday listing (announced Sunday evening) is out, while
# bioRxiv's and medRxiv's last whole posting day is Sunday.
MONDAY = dt.datetime(2026, 4, 27, 12, 0, tzinfo=dt.UTC)


def _servers(feed: dict) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in feed["items"]:
        server = item["_arxiv_feeds"].get("server", "arxiv")
        counts[server] = counts.get(server, 0) + 1
    return counts


def test_each_server_counts_its_days_on_its_own_calendar(fake_arxiv):
    sunday = schedule.listing_day(MONDAY)
    assert sunday == dt.date(2026, 4, 26)
    fake = FakeBiorxiv().start()
    fake.serve("medrxiv", derived_day("medrxiv", sunday, 40))
    config = {"profiles": {"mix": {"title": "mix", "categories": ["cs.LG", "medrxiv"], "days": 1}}}
    try:
        with running_app(fake_arxiv, config=config, biorxiv_api_url=fake.url, clock=ManualClock(MONDAY)) as app:
            feed = app.get("/feeds/mix.json?limit=500&type=new,cross,replace,replace-cross").json()
            days = {i["date_published"][:10] for i in feed["items"]}
            counts = _servers(feed)
            # a window of one day holds arXiv's Monday and medRxiv's Sunday: neither is dropped
            assert set(counts) == {"arxiv", "medrxiv"} and counts["medrxiv"] == 40, counts
            assert days == {"2026-04-26", "2026-04-27"}, days
            alone = app.get("/feed?cat=cs.LG&days=1&format=json&limit=500").json()
            assert _servers(alone) == {"arxiv": counts["arxiv"]}
    finally:
        fake.stop()


def test_a_paper_posted_to_arxiv_and_medrxiv_is_one_item_with_both_links(fake_arxiv, tmp_path):
    import subprocess

    import feedparser
    import pybtex.database

    sunday = schedule.listing_day(MONDAY)
    fake = FakeBiorxiv().start()
    records = derived_day("medrxiv", sunday, 10)
    try:
        with running_app(fake_arxiv, biorxiv_api_url=fake.url, clock=ManualClock(MONDAY)) as app:
            arxiv = app.get("/feed?cat=cs.LG&format=json&limit=3").json()["items"][0]
            first = arxiv["authors"][0]["name"].split()
            # the same paper on medRxiv: its title in other case and punctuation, its authors as
            # medRxiv writes them (`Last, F.`), a DOI of its own and a journal's
            twin = dict(records[0], doi="10.1101/2026.04.26.99999999", title=arxiv["title"].upper().replace(" ", "  ") + ".",
                        authors=f"{first[-1]}, {first[0][0]}.; Roe, J.;", author_corresponding=" ".join(first),
                        author_corresponding_institution="Cold Spring Harbor Laboratory",
                        published="10.1038/s41586-026-00001-1", version="1")
            fake.serve("medrxiv", [*records, twin])
            url = "/feed?cat=cs.LG,medrxiv&days=2&limit=500&type=new,cross,replace,replace-cross"
            feed = app.get(f"{url}&format=json").json()
            by_id = {i["id"]: i for i in feed["items"]}
            twin_page = "https://www.medrxiv.org/content/10.1101/2026.04.26.99999999"
            assert twin_page not in by_id  # one item: arXiv's, which keeps its GUID
            item = by_id[arxiv["id"]]
            assert item["_arxiv_feeds"]["also"] == [{
                "server": "medrxiv", "id": "10.1101/2026.04.26.99999999", "version": 1,
                "url": f"{twin_page}v1", "pdf_url": f"{twin_page}v1.full.pdf"}]
            assert f'href="{twin_page}v1"' in item["content_html"]
            assert len(feed["items"]) == len(app.get("/feed?cat=cs.LG&days=2&limit=500&format=json&type=new,cross,replace,replace-cross").json()["items"]) + 10
            # the extra link and fields keep every format valid (JSON Feed schema, Atom's RELAX NG)
            from tests.fakearxiv import FIXTURES
            from tests.test_feed_validity import jsonfeed_validator

            assert not list(jsonfeed_validator().iter_errors(feed))
            (tmp_path / "mixed.atom").write_bytes(app.get(f"{url}&format=atom").content)
            jing = subprocess.run(["jing", "-c", str(FIXTURES / "atom.rnc"), str(tmp_path / "mixed.atom")],
                                  capture_output=True, text=True, timeout=60)
            assert [line for line in jing.stdout.splitlines() if "error" in line] == []
            atom = feedparser.parse(app.get(f"{url}&format=atom").content)
            assert not atom.bozo
            entry = next(e for e in atom.entries if e.id == arxiv["id"])
            assert [link.href for link in entry.links if link.get("type") == "text/html" and link.rel == "related"] == [f"{twin_page}v1"]
            assert f"{twin_page}v1" in app.get(f"{url}&format=rss").text
            assert f"**Also on medRxiv:** [10.1101/2026.04.26.99999999v1]({twin_page}v1)" in app.get(f"{url}&format=md").text
            bib = pybtex.database.parse_bytes(app.get(f"{url}&format=bib").content, "bibtex")
            assert not [k for k in bib.entries if "99999999" in k]
            csl = app.get(f"{url}&format=csl").json()
            assert len(csl) == len(feed["items"]) and not [c for c in csl if "99999999" in c.get("number", "")]
    finally:
        fake.stop()


def test_a_doi_joins_copies_and_the_first_registered_server_keeps_the_item():
    from core.papers import Paper
    from core.sources import REGISTRY
    from core.sources.same import one_per_paper

    day = dt.date(2026, 4, 27)
    arxiv = Paper(id="2604.00001", title="Cells", abstract="", authors=["A. Smith"], announced=day,
                  doi="10.1101/2026.04.20.111111")
    rxiv = Paper(id="10.1101/2026.04.20.111111", title="Other words", abstract="", authors=["B. Jones"],
                 announced=day, server="biorxiv")
    journal = Paper(id="2604.00002", title="X", abstract="", authors=["C. Doe"], announced=day, doi="10.1038/ABC")
    med = Paper(id="10.1101/2026.04.20.222222", title="Y", abstract="", authors=["D. Roe"], announced=day,
                server="medrxiv", doi="10.1038/abc")
    alone = Paper(id="10.1101/2026.04.20.333333", title="Cells", abstract="", authors=["E. Poe"], announced=day,
                  server="biorxiv")
    merged = one_per_paper([rxiv, med, arxiv, journal, alone], REGISTRY)
    assert [(p.id, [o.id for o in p.also]) for p in merged] == [
        ("2604.00001", ["10.1101/2026.04.20.111111"]), ("2604.00002", ["10.1101/2026.04.20.222222"]),
        ("10.1101/2026.04.20.333333", [])]  # the same title by another first author is another paper
    assert one_per_paper([arxiv, journal], REGISTRY) == [arxiv, journal]


def test_items_say_who_corresponds_from_where_and_the_journal_now_published_in(fake_arxiv):
    from lxml import etree

    sunday = schedule.listing_day(MONDAY)
    fake = FakeBiorxiv().start()
    records = derived_day("medrxiv", sunday, 7)
    published = records[6]  # a real record, now published in a journal, corresponding from a place
    published.update(authors="Verity, R.; Okell, L. C.;", author_corresponding="Robert Verity",
                     author_corresponding_institution="Imperial College London",
                     published="10.1371/journal.pbio.3000896")
    fake.serve("medrxiv", records)
    url = "/feed?cat=medrxiv&days=1&limit=500&type=new,replace"
    try:
        with running_app(fake_arxiv, biorxiv_api_url=fake.url, clock=ManualClock(MONDAY)) as app:
            items = app.get(f"{url}&format=json").json()["items"]
            item = next(i for i in items if i["id"].endswith(published["doi"]))
            extension = item["_arxiv_feeds"]
            assert extension["published_doi"] == "10.1371/journal.pbio.3000896"
            assert extension["corresponding"] == {"name": "Robert Verity", "institution": "Imperial College London"}
            assert item["authors"] == [{"name": "R. Verity", "_arxiv_feeds": {"affiliation": "Imperial College London"}},
                                       {"name": "L. C. Okell"}]
            assert extension["comment"] is None
            assert ('<b>Now published in:</b> <a href="https://doi.org/10.1371/journal.pbio.3000896">' in item["content_html"])
            assert "Corresponding author: Robert Verity (Imperial College London)" in item["content_html"]
            markdown = app.get(f"{url}&format=md").text
            assert "**Now published in:** [10.1371/journal.pbio.3000896]" in markdown
            assert "Corresponding author: Robert Verity (Imperial College London)" in markdown
            atom = etree.fromstring(app.get(f"{url}&format=atom").content)
            ns = {"a": "http://www.w3.org/2005/Atom", "arxiv": "http://arxiv.org/schemas/atom"}
            entry = next(e for e in atom.findall("a:entry", ns) if e.findtext("a:id", namespaces=ns).endswith(published["doi"]))
            assert [a.findtext("arxiv:affiliation", namespaces=ns) for a in entry.findall("a:author", ns)] == [
                "Imperial College London", None]
            csl = next(c for c in app.get(f"{url}&format=csl").json() if c["number"] == published["doi"])
            assert csl["DOI"] == "10.1371/journal.pbio.3000896"
    finally:
        fake.stop()


def test_a_failing_server_is_named_and_health_reports_each_server(fake_arxiv):
    from tests.fakebiorxiv import Failure

    sunday = schedule.listing_day(MONDAY)
    clock = ManualClock(MONDAY)
    fake = FakeBiorxiv().start()
    fake.fail_next(*[Failure(status=503) for _ in range(6)])
    try:
        with running_app(fake_arxiv, biorxiv_api_url=fake.url, clock=clock, arxiv_retries=0) as app:
            refused = app.get("/feed?cat=medrxiv:oncology&days=1&format=json")
            assert refused.status_code == 503 and refused.headers["Retry-After"].isdigit()
            assert "medRxiv could not be reached and nothing is stored yet" in refused.text, refused.text
            assert "arXiv" not in refused.json()["error"].replace("medRxiv", "")
            fake.failures.clear()
            fake.serve("medrxiv", derived_day("medrxiv", sunday, 102))
            clock.advance(300)  # past the back-off after a failure
            served = app.get("/feed?cat=medrxiv:oncology,medrxiv:epidemiology&days=1&format=json&limit=500")
            assert served.status_code == 200 and "Warning" not in served.headers
            assert app.get("/feed?cat=medrxiv&days=1&format=json&limit=500").status_code == 200
            # the next day the server fails: what is stored is served, marked stale
            clock.advance(86400)
            fake.fail_next(*[Failure(status=503) for _ in range(6)])
            stale = app.get("/feed?cat=medrxiv:oncology,medrxiv:epidemiology&days=2&format=json&limit=500")
            assert stale.status_code == 200 and stale.headers["Warning"].startswith("110 ")
            assert {i["date_published"][:10] for i in stale.json()["items"]} == {sunday.isoformat()}
            assert stale.json()["_arxiv_feeds"]["note"] == (
                "history incomplete: 1 posting day (2026-04-27) missing in medrxiv:epidemiology, medrxiv:oncology; "
                "backfill is off (BIORXIV_HISTORY_MAX_REQUESTS=0), so they stay missing")
            health = app.get("/health").json()
            servers = health["upstream"]["servers"]
            assert servers["medrxiv"]["requests_made"] == len(fake.requests) and servers["biorxiv"]["requests_made"] == 0
            assert servers["arxiv"]["requests_made"] == health["upstream"]["requests_made"]
            assert servers["medrxiv"]["label"] == "medRxiv" and servers["medrxiv"]["history_max_requests"] == 0
            oncology = health["categories"]["medrxiv:oncology"]
            assert oncology["server"] == "medrxiv" and oncology["stale"] and "503" in oncology["last_error"]
            assert oncology["sources"] == {sunday.isoformat(): "listing"}
            assert oncology["history"]["state"] == "off"
            assert "BIORXIV_HISTORY_MAX_REQUESTS=0" in oncology["history"]["next"]
            assert health["categories"]["medrxiv"]["server"] == "medrxiv" and health["status"] == "degraded"
            missing = app.get("/feed?cat=medrxiv:foo")
            assert missing.status_code == 400 and "unknown category 'medrxiv:foo'" in missing.text
            assert "arXiv category" not in missing.text
            assert "closest" in app.get("/feed?cat=biorxiv:neuroscince").text
            empty = app.get("/feed?format=json")
            assert empty.status_code == 400 and "give at least one category" in empty.text
            assert "unknown category 'medrxiv:foo'" in app.get("/rss/medrxiv:foo").text
    finally:
        fake.stop()


def test_like_takes_biorxiv_and_medrxiv_dois_looked_up_and_kept_like_arxiv_seeds(fake_arxiv):
    from core.kv.memory import MemoryKV
    from core.seeds import LATEST_TTL, SEED_TTL
    from tests.fakebiorxiv import Failure

    clock = ManualClock(MONDAY)
    kv = MemoryKV(clock)
    fake = FakeBiorxiv().start()
    fake.serve_fixture("doi_medrxiv_10.1101_2020.03.09.20033357.json", "doi_biorxiv_10.1101_641381.json")
    med = "10.1101/2020.03.09.20033357"
    try:
        with running_app(fake_arxiv, kv=kv, biorxiv_api_url=fake.url, clock=clock) as app:
            liked = app.get(f"/feed?cat=cs.LG&like=doi:{med}&format=json&limit=5")
            assert liked.status_code == 200, liked.text
            assert f"closest to {med}" in liked.json()["items"][0]["_arxiv_feeds"]["explanation"]
            # the DOI endpoint, bioRxiv first (it answers `no posts found`), then medRxiv
            assert [r.path for r in fake.requests] == [f"/details/biorxiv/{med}/na/json", f"/details/medrxiv/{med}/na/json"]
            # kept like an arXiv seed: the version 30 days, the versionless ref (newest) a week
            assert kv._data[f"seed:v1:{med}v1"][1] == clock.monotonic() + SEED_TTL
            assert kv._data[f"seed:v1:{med}"][1] == clock.monotonic() + LATEST_TTL
            assert app.get(f"/feed?cat=cs.LG&like={med.upper()}&format=json").status_code == 200
            assert len(fake.requests) == 2  # from the store
            # a page or PDF URL names a version; unlike= takes DOIs too
            page = "https://www.biorxiv.org/content/10.1101/641381v1.full.pdf"
            both = app.get(f"/feed?cat=cs.LG&like={page}&unlike=https://doi.org/{med}&format=json")
            assert both.status_code == 200, both.text
            assert [r.path for r in fake.requests[2:]] == ["/details/biorxiv/10.1101/641381/na/json"]
            assert "seed:v1:10.1101/641381v1" in kv._data and "seed:v1:10.1101/641381" not in kv._data
            # an unknown DOI is a 400, remembered for an hour (no second request)
            unknown = "10.1101/2099.01.01.000001"
            for _ in range(2):
                refused = app.get(f"/feed?cat=cs.LG&like={unknown}&format=json")
                assert refused.status_code == 400 and f"bioRxiv and medRxiv do not know {unknown}" in refused.text
            assert len(fake.requests) == 5
            bad = app.get("/feed?cat=cs.LG&like=10.1234/xyz&format=json")
            assert bad.status_code == 400 and "or a bioRxiv/medRxiv DOI" in bad.text
            # the servers failing with the seed not stored: a 503 naming the server, nothing remembered
            fake.fail_next(*[Failure(status=503) for _ in range(3)])
            failed = app.get("/feed?cat=cs.LG&like=10.1101/2020.03.20.001008&format=json")
            assert failed.status_code == 503 and failed.headers["Retry-After"].isdigit()
            assert "bioRxiv's API could not be reached for 10.1101/2020.03.20.001008" in failed.text
            assert "seed:v1:10.1101/2020.03.20.001008:unknown" not in kv._data
    finally:
        fake.stop()


def test_a_slow_biorxiv_seed_is_a_503_naming_biorxiv_not_arxiv_and_its_fetch_goes_on(fake_arxiv):
    """The request budget's 503 names the server asked for the seeds (and the signal), not arXiv."""
    from tests.fakebiorxiv import Failure

    fake = FakeBiorxiv().start()
    fake.serve_fixture("doi_biorxiv_10.1101_641381.json")
    try:
        with running_app(fake_arxiv, biorxiv_api_url=fake.url, clock=ManualClock(MONDAY), request_budget_s=1.0) as app:
            app.get("/feed?cat=cs.LG&format=json")  # the listing stored: only the seed is slow
            fake.fail_next(Failure(200, b'{"collection": []}' + b" " * 40, trickle=0.1))
            slow = app.get("/feed?cat=cs.LG&like=10.1101/641381&format=json")
            assert slow.status_code == 503 and int(slow.headers["Retry-After"]) >= 5
            error = slow.json()["error"]
            assert error.startswith("like: bioRxiv or medRxiv is slow: no answer for 10.1101/641381 within REQUEST_BUDGET_S (1 s)")
            assert "arXiv" not in error
    finally:
        fake.stop()
