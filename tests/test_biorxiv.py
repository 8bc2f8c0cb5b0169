"""bioRxiv and medRxiv as sources: taxonomy, schedule, ids, records -> Paper, and the polite
client over HTTP against tests/fakebiorxiv.py serving recorded records (whole real days:
bioRxiv's 149 records of 2021-06-01, medRxiv's of 2021-06-01 to 06-05): pagination past 100
records at either page size, `no posts found`, errors, short and inconsistent pages, the page
budget, DOI lookups with versions."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

from core.clock import ManualClock
from core.errors import ParseError, UpstreamError
from core.settings import Settings
from core.sources.biorxiv import BIORXIV, MEDRXIV, ids, schedule, taxonomy
from core.sources.biorxiv.client import BiorxivClient
from core.sources.biorxiv.records import parse_answer, split_authors, to_preprint
from tests.fakebiorxiv import FIXTURES, Failure, FakeBiorxiv, Quirk, recorded_day, recorded_days

DAY = dt.date(2021, 6, 1)  # the recorded bioRxiv day (149 records) and medRxiv's first (73)
NOW = dt.datetime(2021, 6, 2, 14, 0, tzinfo=dt.UTC)
BIO_DAY = 149


@pytest.fixture
def fake() -> Iterator[FakeBiorxiv]:
    server = FakeBiorxiv().start()
    yield server
    server.stop()


def settings(fake: FakeBiorxiv, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(biorxiv_api_url=fake.url, arxiv_min_interval=3.0, arxiv_retries=2,
                                  arxiv_retry_budget=60.0, arxiv_timeout=5.0, arxiv_contact="ops@example.org")
    return Settings(**{**values, **overrides})


def run(coro_fn, fake: FakeBiorxiv, **overrides: Any):
    """Run `coro_fn(client)` with a client on a manual clock; (result, client)."""
    clock = ManualClock(NOW)
    client = BiorxivClient(settings(fake, **overrides), clock=clock)

    async def main():
        try:
            return await coro_fn(client)
        finally:
            await client.close()

    return asyncio.run(main()), client


def answer(name: str):
    return parse_answer((FIXTURES / name).read_bytes())


# --- taxonomy ----------------------------------------------------------------------------------


def test_every_collection_of_each_server_with_names_and_slugs():
    assert len(taxonomy.COLLECTIONS["biorxiv"]) == 27 and len(taxonomy.COLLECTIONS["medrxiv"]) == 51
    assert taxonomy.name("medrxiv:infectious-diseases") == "Infectious Diseases (except HIV/AIDS)"
    assert taxonomy.name("medrxiv:hiv-aids") == "HIV/AIDS"
    assert taxonomy.name("biorxiv:genomics") == "Genomics"
    assert taxonomy.name("biorxiv") == "bioRxiv"


@pytest.mark.parametrize("value, canonical", [
    ("biorxiv:genomics", "biorxiv:genomics"), ("bioRxiv:Genomics", "biorxiv:genomics"),
    ("medrxiv:Infectious Diseases (except HIV/AIDS)", "medrxiv:infectious-diseases"),
    (" MEDRXIV ", "medrxiv"), ("medrxiv:genomics", None), ("biorxiv:nope", None), ("cs.LG", None),
])
def test_categories_normalise_to_server_and_slug(value, canonical):
    assert taxonomy.normalize(value) == canonical


def test_records_spellings_of_a_collection_map_to_its_slug():
    for spelled in ("Genomics ", "genomics", "  GENOMICS"):
        assert taxonomy.category_of("biorxiv", spelled) == "biorxiv:genomics"
    assert taxonomy.category_of("medrxiv", "infectious diseases") == "medrxiv:infectious-diseases"
    assert taxonomy.category_of("medrxiv", "Endocrinology (including Diabetes Mellitus and Metabolic Disease)") \
        == "medrxiv:endocrinology"


def test_a_server_alone_holds_every_collection_and_nothing_of_the_other():
    assert BIORXIV.taxonomy.members("biorxiv") == list(taxonomy.COLLECTIONS["biorxiv"])
    assert BIORXIV.taxonomy.members("biorxiv:genomics") == ["biorxiv:genomics"]
    assert BIORXIV.taxonomy.contains("biorxiv:genomics", {"biorxiv"})
    assert not MEDRXIV.taxonomy.contains("medrxiv:oncology", {"biorxiv"})
    assert MEDRXIV.taxonomy.normalize("biorxiv:genomics") is None  # each source its own server only


def test_unknown_collections_get_the_closest_valid_names():
    assert taxonomy.closest("medrxiv:infectious") == ["medrxiv:infectious-diseases"]
    assert taxonomy.closest("biorxiv:genomic")[0] == "biorxiv:genomics"
    assert "biorxiv:neuroscience" in taxonomy.closest("neurosceince")


# --- schedule and ids ----------------------------------------------------------------------------


def test_both_servers_post_every_day_weekends_included():
    assert schedule.posting_days(dt.date(2026, 12, 4), dt.date(2026, 12, 7)) == [
        dt.date(2026, 12, 7), dt.date(2026, 12, 6), dt.date(2026, 12, 5), dt.date(2026, 12, 4)]


def test_the_listing_is_the_last_whole_day_and_moves_at_midnight_eastern():
    before = dt.datetime(2026, 12, 7, 5, 29, tzinfo=dt.UTC)  # 00:29 Eastern: the grace has not passed
    after = dt.datetime(2026, 12, 7, 5, 31, tzinfo=dt.UTC)
    assert schedule.listing_day(before) == dt.date(2026, 12, 5)
    assert schedule.listing_day(after) == dt.date(2026, 12, 6)  # a Sunday's listing on Monday
    assert schedule.next_update(before) == dt.datetime(2026, 12, 7, 5, 30, tzinfo=dt.UTC)
    assert schedule.next_update(after) == dt.datetime(2026, 12, 8, 5, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize("text, found", [
    ("10.1101/2024.05.08.593085", ("10.1101/2024.05.08.593085", None)),
    ("https://www.biorxiv.org/content/10.1101/2024.05.08.593085v2.full.pdf", ("10.1101/2024.05.08.593085", 2)),
    ("doi:10.1101/19000430", ("10.1101/19000430", None)),
    ("https://doi.org/10.64898/2026.07.31.741992", ("10.64898/2026.07.31.741992", None)),
    ("10.1101/2020.03.09.20033357v3", ("10.1101/2020.03.09.20033357", 3)),
])
def test_dois_are_found_with_or_without_version(text, found):
    assert ids.split_ref(text) == found


def test_an_id_is_a_doi_alone():
    assert ids.is_id("10.1101/641381v2") and ids.is_id("doi:10.1101/641381")
    assert not ids.is_id("2604.21935") and not ids.is_id("10.1101/641381 and more")
    for text in ("2604.21935", "10.1101/1234567890", "10.1101/2024.05.08.5930851234"):  # no prefix of a longer number
        with pytest.raises(ValueError):
            ids.split_id(text)


# --- records -> Paper ----------------------------------------------------------------------------


def test_versions_of_one_doi_are_one_paper_new_then_replace():
    v1, v2 = (to_preprint(r, "biorxiv") for r in answer("doi_biorxiv_10.1101_641381.json").records)
    assert (v1.paper.id, v1.paper.version, v1.paper.announce_type) == ("10.1101/641381", 1, "new")
    assert (v2.paper.id, v2.paper.version, v2.paper.announce_type) == ("10.1101/641381", 2, "replace")
    assert v2.paper.announced == dt.date(2019, 10, 13)
    assert v1.paper.authors[:2] == ["H. Tachiwana", "M. Dacher"]
    assert v1.paper.categories == ["biorxiv:biochemistry"] and v1.paper.server == "biorxiv"
    assert v1.institution == "Japanese Foundation for Cancer Research"
    assert v1.paper.comment is None  # the servers have no comments: who corresponds has its fields
    assert (v1.paper.corresponding, v1.paper.institution) == ("Hiroaki Tachiwana", "Japanese Foundation for Cancer Research")
    assert v1.paper.license == "http://creativecommons.org/licenses/by-nc-nd/4.0/"
    assert v1.paper.doi is None and v1.paper.enriched


def test_links_and_citation_come_from_the_server():
    paper = to_preprint(answer("doi_biorxiv_10.1101_641381.json").records[1], "biorxiv").paper
    links = BIORXIV.links(paper)
    assert links.abs == "https://www.biorxiv.org/content/10.1101/641381v2"
    assert links.pdf == "https://www.biorxiv.org/content/10.1101/641381v2.full.pdf"
    assert links.id == "https://www.biorxiv.org/content/10.1101/641381"  # one GUID for every version
    cite = BIORXIV.citation(paper)
    assert (cite.key, cite.publisher, cite.doi, cite.url) == (
        "bioRxiv:10.1101.641381", "bioRxiv", "10.1101/641381", "https://www.biorxiv.org/content/10.1101/641381")


def test_a_published_preprint_cites_the_journal_doi():
    record = answer("doi_biorxiv_10.1101_2020.03.20.001008.json").records[1]
    preprint = to_preprint(record, "biorxiv")
    assert preprint.journal_doi == preprint.paper.doi == "10.1371/journal.pbio.3000896"
    assert BIORXIV.citation(preprint.paper).doi == "10.1371/journal.pbio.3000896"
    assert preprint.paper.abstract.startswith("The ongoing COVID-19 pandemic") and "\n" not in preprint.paper.abstract
    assert len(preprint.paper.authors) == 12 and preprint.paper.authors[1] == "M.-L. Huang"


def test_a_medrxiv_record():
    preprint = to_preprint(answer("doi_medrxiv_10.1101_2020.03.09.20033357.json").records[0], "medrxiv")
    assert preprint.paper.categories == ["medrxiv:epidemiology"] and preprint.paper.server == "medrxiv"
    assert preprint.paper.authors == ["R. Verity", "L. C. Okell", "I. Dorigatti", "A. Ghani", "N. Ferguson"]
    assert preprint.institution is None and preprint.paper.corresponding == "Azra Ghani" and preprint.paper.comment is None
    assert MEDRXIV.links(preprint.paper).abs == "https://www.medrxiv.org/content/10.1101/2020.03.09.20033357v1"


def test_counts_as_strings_and_the_newer_doi_prefix():
    page = answer("details_biorxiv_2026-08-01_2026-08-02_0.json")
    assert (page.message.status, page.message.cursor, page.message.count, page.message.total) == ("ok", 0, 30, 109)
    paper = to_preprint(page.records[0], "biorxiv").paper
    assert paper.id == "10.64898/2026.07.31.741992" and paper.categories == ["biorxiv:animal-behavior-and-cognition"]


def test_both_author_formats():
    assert split_authors("Sinha, A. K.; Lee, C.;") == ["A. K. Sinha", "C. Lee"]
    assert split_authors("Jane Doe; John Q. Public") == ["Jane Doe", "John Q. Public"]
    assert split_authors("Smith, John, Jr.; van der Berg, A.") == ["John Smith Jr.", "A. van der Berg"]


def test_recorded_records_with_stray_spaces_and_first_last_authors():
    """Records as the API gave them in 2013 and 2019 (saved through medrxivr, see the fixtures'
    README): collections with a trailing space, `First Last;` authors ending in `;`."""
    bio = answer("medrxivr_biorxiv_2013-11-07.json").records
    assert bio[0].category == "Evolutionary Biology " and bio[0].authors.endswith("Sweigart;")
    paper = to_preprint(bio[0], "biorxiv").paper
    assert paper.categories == ["biorxiv:evolutionary-biology"]
    assert paper.authors == ["Yaniv Brandvain", "Amanda M Kenney", "Lex Fagel", "Graham Coop", "Andrea L Sweigart"]
    assert paper.doi == "10.1371/journal.pgen.1004410" and paper.id == "10.1101/000109"
    categories = {to_preprint(r, "biorxiv").paper.categories[0] for r in bio}
    assert {"biorxiv:genomics", "biorxiv:cancer-biology"} <= categories
    med = to_preprint(answer("medrxivr_medrxiv_2019-06-25.json").records[0], "medrxiv").paper
    assert med.id == "10.1101/19000109" and med.authors[:2] == ["Daniel Costa", "Nuria Bonet"]
    assert med.categories == ["medrxiv:genetic-and-genomic-medicine"]


@pytest.mark.parametrize("server", ["biorxiv", "medrxiv"])
def test_every_recorded_day_reads_whole(server):
    records = [r for day in recorded_days(server) for r in recorded_day(server, day)]
    body = json.dumps({"messages": [{"status": "ok", "total": str(len(records))}], "collection": records}).encode()
    papers = [to_preprint(r, server).paper for r in parse_answer(body).records]
    assert len(papers) == len(records) and all(p.categories[0].startswith(f"{server}:") for p in papers)
    assert {p.announce_type for p in papers} == {"new", "replace"} and any(p.doi for p in papers)
    assert all(p.id.startswith("10.1101/") and p.title and p.abstract and p.authors for p in papers)


@pytest.mark.parametrize("body", [b"", b"<html>Service Unavailable</html>", b'{"messages": []}',
                                  b'{"messages":[{"status":"error"}],"collection":[]}',
                                  b'{"messages":[{"status":"ok"}],"collection":[{"doi":"10.1101/1","title":"t","date":"x"}]}'])
def test_what_is_not_an_answer_is_a_parse_error(body):
    with pytest.raises(ParseError):
        parse_answer(body)


def test_no_posts_found_is_an_empty_answer():
    page = answer("no_posts_found.json")
    assert page.no_posts and page.records == []


# --- the client over HTTP --------------------------------------------------------------------------


@pytest.mark.parametrize("page_size, requests", [(100, 2), (30, 5)])
def test_a_real_day_of_149_records_is_paged_whole(fake, page_size, requests):
    fake.page_size = page_size
    fake.serve("biorxiv", recorded_day("biorxiv", DAY))
    records, client = run(lambda c: c.window("biorxiv", DAY, DAY), fake)
    assert len(records) == BIO_DAY and len({(r.doi, r.version) for r in records}) == BIO_DAY
    assert client.requests_made == requests == len(fake.requests)
    cursors = [r.path.split("/")[5] for r in fake.requests]
    assert cursors == [str(n * page_size) for n in range(requests)]  # the next cursor is what arrived


def test_requests_are_spaced_and_say_who_asks(fake):
    first, second = recorded_days("medrxiv")[:2]
    fake.serve("medrxiv", recorded_day("medrxiv", first) + recorded_day("medrxiv", second))
    records, client = run(lambda c: c.window("medrxiv", first, second), fake)
    assert len(records) == 73 + 43 and client.requests_made == 2  # a two-day window past 100 records
    assert client.clock.now() - NOW >= dt.timedelta(seconds=3.0)  # two requests, 3 s apart
    agent = fake.requests[0].headers["User-Agent"]
    assert agent.startswith("arxiv-feeds/") and "mailto:ops@example.org" in agent


def test_counts_of_every_shape_are_read():
    from core.sources.biorxiv.records import Message

    message = Message.model_validate({"status": " OK ", "cursor": "100", "count": 30, "total": " 109 "})
    assert (message.status, message.cursor, message.count, message.total) == ("ok", 100, 30, 109)
    assert Message.model_validate({"status": "ok", "total": "many"}).total is None


def test_counts_as_strings_are_read(fake):
    fake.serve("biorxiv", recorded_day("biorxiv", DAY))
    fake.quirk_next(Quirk(strings=True), Quirk(strings=True))
    records, _ = run(lambda c: c.window("biorxiv", DAY, DAY), fake)
    assert len(records) == BIO_DAY


def test_a_day_without_posts_costs_one_request(fake):
    fake.serve("medrxiv", recorded_day("medrxiv", recorded_days("medrxiv")[-1]))  # other days only
    before = DAY - dt.timedelta(days=1)
    records, client = run(lambda c: c.window("medrxiv", before, before), fake)
    assert records == [] and client.requests_made == 1


@pytest.mark.parametrize("page_size, quirk, why", [
    (100, Quirk(keep=40, only="/100/"), "40 of 49 records due"),
    (100, Quirk(total=300, only="/100/"), "total 300, 149 on the first page"),
    (30, Quirk(ignore_cursor=True, only="/30/"), "30 of its 30 records already on an earlier page"),
])
def test_a_page_that_is_not_whole_spoils_the_window(fake, page_size, quirk, why):
    fake.page_size = page_size
    fake.serve("biorxiv", recorded_day("biorxiv", DAY))
    fake.quirk_next(quirk)
    with pytest.raises(ParseError, match=why):
        run(lambda c: c.window("biorxiv", DAY, DAY), fake)


def test_a_short_last_page_is_whole(fake):
    fake.serve("biorxiv", recorded_day("biorxiv", DAY))
    records, client = run(lambda c: c.window("biorxiv", DAY, DAY), fake)
    assert len(records) == BIO_DAY and client.requests_made == 2  # 100, then the last 49


def test_a_window_past_the_page_budget_is_refused_after_the_budget(fake):
    fake.page_size = 30  # 149 records: five pages
    fake.serve("biorxiv", recorded_day("biorxiv", DAY))
    with pytest.raises(UpstreamError, match="more than 2 pages"):
        run(lambda c: c.window("biorxiv", DAY, DAY), fake, biorxiv_max_pages=2)
    assert len(fake.requests) == 2


@pytest.mark.parametrize("failure", [Failure(503), Failure(200, b""), Failure(429, headers={"Retry-After": "5"}),
                                     Failure(reset=True)])
def test_passing_trouble_is_retried(fake, failure):
    fake.serve("biorxiv", recorded_day("biorxiv", DAY)[:10])
    fake.fail_next(failure)
    records, client = run(lambda c: c.window("biorxiv", DAY, DAY), fake)
    assert len(records) == 10 and client.requests_made == 2


def test_a_trickling_answer_is_cut_at_the_deadline_and_retried(fake):
    fake.serve("biorxiv", recorded_day("biorxiv", DAY)[:3])
    fake.fail_next(Failure(200, json.dumps({"messages": [{"status": "ok"}]}).encode() * 20, trickle=0.05))
    records, client = run(lambda c: c.window("biorxiv", DAY, DAY), fake, arxiv_timeout=0.3)
    assert len(records) == 3 and client.requests_made == 2


def test_an_error_that_lasts_is_an_upstream_error(fake):
    fake.fail_next(*[Failure(500)] * 3)
    with pytest.raises(UpstreamError, match="HTTP 500") as caught:
        run(lambda c: c.window("biorxiv", DAY, DAY), fake)
    assert caught.value.kind == "failing" and len(fake.requests) == 3  # the first try and 2 retries


def test_a_client_error_is_not_retried(fake):
    fake.fail_next(Failure(404, b"Not Found"))
    with pytest.raises(UpstreamError, match="HTTP 404"):
        run(lambda c: c.window("biorxiv", DAY, DAY), fake)
    assert len(fake.requests) == 1


def test_doi_lookup_gives_every_version(fake):
    fake.serve_fixture("doi_biorxiv_10.1101_641381.json", "doi_medrxiv_10.1101_2020.03.09.20033357.json")
    versions, _ = run(lambda c: c.versions("biorxiv", "10.1101/641381"), fake)
    assert [r.version for r in versions] == [1, 2]
    assert fake.requests[0].path == "/details/biorxiv/10.1101/641381/na/json"
    unknown, _ = run(lambda c: c.versions("biorxiv", "10.1101/2020.03.09.20033357"), fake)  # medRxiv's
    assert unknown == []


# --- the Upstream ---------------------------------------------------------------------------------


def upstream_run(source, coro_fn, fake: FakeBiorxiv, **overrides: Any):
    upstream = source.connect(settings(fake, **overrides), clock=ManualClock(NOW))

    async def main():
        try:
            return await coro_fn(upstream)
        finally:
            await upstream.close()

    return asyncio.run(main()), upstream


def test_the_listing_is_yesterdays_whole_day_split_by_collection(fake):
    fake.serve("biorxiv", recorded_day("biorxiv", DAY))
    answer_, upstream = upstream_run(BIORXIV, lambda u: u.listing(["biorxiv:genomics", "biorxiv:zoology"]), fake)
    assert answer_.build_date == DAY and upstream.requests_made == 2  # one request per 100 records
    assert {p.categories[0] for p in answer_.papers} == {"biorxiv:genomics", "biorxiv:zoology"}
    assert len(answer_.papers) == 12 + 2  # of the day's 149 records over 23 collections
    assert "category=" not in fake.requests[0].path
    every, _ = upstream_run(BIORXIV, lambda u: u.listing(["biorxiv"]), fake)
    assert len(every.papers) == BIO_DAY
    # the day after (today, still posting) stays out: medRxiv has both days recorded
    fake.serve("medrxiv", recorded_day("medrxiv", DAY) + recorded_day("medrxiv", DAY + dt.timedelta(days=1)))
    medrxiv, _ = upstream_run(MEDRXIV, lambda u: u.listing(["medrxiv"]), fake)
    assert len(medrxiv.papers) == 73 and {p.announced for p in medrxiv.papers} == {DAY}


def test_one_collection_alone_is_asked_with_its_name(fake):
    fake.serve("medrxiv", recorded_day("medrxiv", DAY))
    answer_, upstream = upstream_run(MEDRXIV, lambda u: u.listing(["medrxiv:infectious-diseases"]), fake)
    assert "category=Infectious+Diseases" in fake.requests[-1].path and upstream.requests_made == 1
    assert answer_.papers and all(p.categories == ["medrxiv:infectious-diseases"] for p in answer_.papers)


def test_history_covers_whole_days_within_the_request_budget(fake):
    fake.page_size = 30
    days = recorded_days("medrxiv")[2::-1]  # 59, 43 and 73 records: 2, 2 and 3 pages of 30
    for day in days:
        fake.serve("medrxiv", recorded_day("medrxiv", day))

    async def collect(upstream):
        return [page async for page in upstream.history(["medrxiv"], days, max_requests=4)]

    pages, upstream = upstream_run(MEDRXIV, collect, fake)
    assert [p.covered for p in pages] == [[days[0]], [days[1]]] and upstream.requests_made == 4
    assert all(p.origin == "backfill" for page in pages for p in page.papers)


def test_lookup_takes_the_newest_or_the_asked_version(fake):
    fake.serve_fixture("doi_biorxiv_10.1101_641381.json", "doi_biorxiv_10.1101_2020.03.20.001008.json")
    papers, _ = upstream_run(BIORXIV, lambda u: u.lookup(
        ["10.1101/641381", "https://www.biorxiv.org/content/10.1101/2020.03.20.001008v1", "10.1101/2099.01.01.000001"]), fake)
    assert [(p.id, p.version) for p in papers] == [("10.1101/641381", 2), ("10.1101/2020.03.20.001008", 1)]
