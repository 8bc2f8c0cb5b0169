"""MAX_RANK_COST: what a request's own terms and seeds cost to score, every signal counted, is
bounded; beyond it a 400 says what to narrow, before any scoring. A profile's own feed is never
refused. And what ranking keeps afterwards (analysed text) is bounded in bytes."""

from dataclasses import replace

import pytest

import core.feeds
from core.profiles import parse_config
from core.ranking.cost import costs
from core.ranking.signals.like import LikeInputs, Seeds
from core.ranking.types import Work
from tests.conftest import FIXTURES, TEST_CONFIG, running_app
from tests.fakearxiv import FakeArxiv


def test_a_too_costly_query_is_refused_with_what_to_narrow(app, monkeypatch):
    assert app.get("/feed?cat=cs.AI&q=agent").status_code == 200  # fetched and stored
    monkeypatch.setattr(core.feeds, "MAX_RANK_COST", 1)
    response = app.get("/feed?cat=cs.AI&q=agent+reasoning&days=3")
    assert response.status_code == 400
    message = response.json()["error"]
    assert "too costly" in message and "days=" in message and "cat=" in message
    assert app.get("/feeds/llm.rss?q=agent").status_code == 400  # the request's own terms
    assert app.get("/feeds/llm.rss").status_code == 200  # the operator's profile alone
    assert app.get("/feeds/llm.json?min_score=0").status_code == 200


def test_queries_within_the_limit_are_served(app):
    many = "+".join(f"t{i}" for i in range(40))
    response = app.get(f"/feed?cat=cs.AI,cs.CL,cs.LG&q={many}&exclude=zz,qq&limit=500&days=14")
    assert response.status_code == 200


SPLAT = "2604.14706"  # a recorded cs.CV paper: a like= seed the fake query API knows


@pytest.fixture
def cv():
    fake = FakeArxiv().start()
    fake.serve_day("rss_cs.CV_2026-04-21.xml")
    fake.serve_api_from("rss_cs.CV_2026-04-17.xml")
    config = {"profiles": {**TEST_CONFIG["profiles"], "splats": {"categories": ["cs.CV"], "like": [SPLAT]}}}
    with running_app(fake, parse_config(config)) as app:
        yield app
    fake.stop()


def test_like_seeds_are_costed_and_a_too_costly_like_request_is_refused_before_fetching_them(cv, monkeypatch):
    assert cv.get("/feed?cat=cs.CV&q=segmentation").status_code == 200  # 501 papers stored
    # Between what one term costs over the pool (~500) and what similarity to a seed costs (~12,000).
    monkeypatch.setattr(core.feeds, "MAX_RANK_COST", 5_000)
    assert cv.get("/feed?cat=cs.CV&q=segmentation&limit=7").status_code == 200
    response = cv.get(f"/feed?cat=cs.CV&like={SPLAT}&unlike=2604.14570")
    assert response.status_code == 400
    message = response.json()["error"]
    assert "too costly" in message and "2 like=/unlike= seeds" in message
    assert "fewer seeds (like=, unlike=)" in message and "days=" in message and "cat=" in message
    assert cv.get(f"/feeds/vision.json?like={SPLAT}").status_code == 400  # the request's own seeds
    assert [r for r in cv.fake.api_requests() if "id_list" in r.path] == []  # refused before any seed was fetched
    assert cv.get("/feeds/splats.json").status_code == 200  # the operator's own seeds: never refused


def test_costs_grow_with_every_input_of_every_signal():
    base = Work(candidates=1_000, text_bytes=1_500_000, terms=3)
    assert [c.units for c in costs(base, {})] == [3_000]
    ten = LikeInputs(like=[f"2604.{n:05d}" for n in range(10)])
    liked = costs(base, {"like": ten})
    assert [c.said.split()[1] for c in liked] == ["terms", "like=/unlike="]
    for work, given in ((replace(base, candidates=2_000), ten), (replace(base, text_bytes=3_000_000), ten),
                        (base, ten.model_copy(update={"unlike": ["2604.99999"]})), (base, ten.model_copy(update={"like_author": "a_b_1"}))):
        assert costs(work, {"like": given})[1].units > liked[1].units, (work, given)


def test_an_accepted_like_request_keeps_analysed_text_within_its_share_of_cache_max_bytes():
    """The text-analysis memo is bounded in bytes (half of CACHE_MAX_BYTES), not in papers:
    ranking 501 papers by similarity used to keep ~13 MB of analysed text for good."""
    import tracemalloc

    from core.ranking import text

    budget = 1_000_000
    fake = FakeArxiv().start()
    # The recorded day under ids of its own: no earlier test in this process analysed these.
    fake.serve_xml((FIXTURES / "rss_cs.CV_2026-04-21.xml").read_bytes().replace(b"2604.", b"2697."))
    fake.serve_api_from("rss_cs.CV_2026-04-17.xml")
    try:
        with running_app(fake, cache_max_bytes=budget) as app:
            # The day fetched and stored, nothing analysed: no paper can hold the term (skimmed).
            assert app.get("/feed?cat=cs.CV&q=qqzzqq").status_code == 200
            tracemalloc.start()
            try:
                before = tracemalloc.get_traced_memory()[0]
                response = app.get(f"/feed?cat=cs.CV&like={SPLAT}&limit=20&format=json")
                grown = tracemalloc.get_traced_memory()[0] - before
            finally:
                tracemalloc.stop()
            assert response.status_code == 200 and response.json()["items"]
            assert text.analysed_bytes() <= budget // 2
    finally:
        fake.stop()
    # What stays: the analysed text within its share, the ranked result and body within theirs,
    # the seed and the words of the day new to the stem table; 501 analysed papers were ~7 MB more.
    assert grown < budget + 3_000_000, grown


def test_a_window_too_large_to_decode_is_refused_before_decoding_and_a_profile_never(monkeypatch):
    """A request's own window may hold at most half of CACHE_MAX_BYTES of decoded papers (16 MB
    at least): told from the stored bytes before any day is decoded."""
    import core.listings.store as store
    import core.pipeline

    monkeypatch.setattr(core.pipeline, "MIN_WINDOW_BYTES", 0)
    decoded = []
    real = store.DayStore._decode

    async def spy(self, meta, day, raw):
        decoded.append(day)
        return await real(self, meta, day, raw)

    monkeypatch.setattr(store.DayStore, "_decode", spy)
    fake = FakeArxiv().start()
    fake.serve_day("rss_cs.CV_2026-04-21.xml")  # 501 papers, ~1.9 MB decoded
    try:
        with running_app(fake, cache_max_bytes=3_000_000) as app:  # the window may hold 1.5 MB: not 1.9
            assert app.get("/feeds/vision.json").status_code == 200  # the operator's profile: served
            decoded.clear()
            response = app.get("/feed?cat=cs.CV&q=segmentation")
            assert response.status_code == 400
            message = response.json()["error"]
            assert "too large a window" in message and "days=" in message and "cat=" in message
            assert decoded == []  # refused from the stored bytes alone
    finally:
        fake.stop()


def _day_of(papers: int) -> bytes:
    from tests.fakearxiv import cs_ai_listing

    return cs_ai_listing([{"n": n, "title": f"Paper {n}", "abstract": "a method", "authors": "Ada Lovelace"}
                          for n in range(1, papers + 1)])


def test_forty_terms_over_twenty_thousand_papers_are_refused_and_exactly_the_limit_is_served(fake_arxiv, monkeypatch):
    from tests.conftest import running_app
    from tests.fakearxiv import Failure

    terms = lambda n: "+".join(f"zq{i}" for i in range(n))  # noqa: E731 -- words no paper has: scoring is cheap
    with running_app(fake_arxiv) as app:
        fake_arxiv.fail_next(Failure(200, _day_of(20_000)))
        assert len(app.get("/feed?cat=cs.AI&format=json&limit=1").json()["items"]) == 1  # fetched and stored
        refused = app.get(f"/feed?cat=cs.AI&q={terms(40)}")  # 40 x 20,000 = 800,000 > 500,000
        assert refused.status_code == 400 and "too costly" in refused.json()["error"], refused.text
        assert app.get(f"/feed?cat=cs.AI&q={terms(26)}").status_code == 400  # 520,000
        assert app.get(f"/feed?cat=cs.AI&q={terms(25)}").status_code == 200  # 500,000: at most, so served
        monkeypatch.setattr(core.feeds, "MAX_RANK_COST", 20_000)  # one term costs its papers, no more
        assert app.get("/feed?cat=cs.AI&q=zq0").status_code == 200
        assert app.get("/feed?cat=cs.AI&q=zq0+zq1").status_code == 400


QUERIES = {  # q, like= and unlike= seeds each, the most one ranking may hold at once
    # 4 seeds: the pool held its 648 analyses; 17.5 MB measured before, 9.2 MB after.
    "like": ("", 2, 12_000_000),
    # 16 terms found in most papers: the pool held every analysis and every candidate's ~20
    # hits; 12.5 MB measured before, 1.4 MB after (only the top `limit` scored papers).
    "common terms": ("model learning data method network results performance task training image "
                     "approach propose based using show framework", 0, 5_000_000),
}


@pytest.mark.parametrize("kind", QUERIES)
def test_a_ranking_holds_neither_every_analysis_nor_every_scored_paper_at_once(kind):
    """A pool keeps only its candidates' lengths and matches (like= reads their words again from
    the memo, bounded in bytes, or recounts them), and a feed only its top `limit` scored papers:
    what one ranking holds at once no longer grows ~14 KB (an analysis) and ~20 hits a paper."""
    import tracemalloc

    from core.feeds import FeedSpec, FeedWishes, rank
    from core.sources.arxiv.parse import parse_listing
    from core.profiles import Profile
    from core.ranking import text

    q, seeds, bound = QUERIES[kind]
    day = parse_listing((FIXTURES / "rss_cs.CV_2026-04-21.xml").read_bytes()).papers
    papers = [p.model_copy(update={"id": f"2698.{n:05d}"}) for n, p in enumerate(day + day)]  # never analysed
    liked = parse_listing((FIXTURES / "rss_cs.CV_2026-04-17.xml").read_bytes()).papers[: 2 * seeds]
    spec = FeedSpec.from_profile("t", Profile(title="t", categories=["cs.CV"], keywords=[], days=14), FeedWishes(q=q, limit=20))
    text.set_budget(500_000)
    try:
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        ranked, considered = rank(papers, spec, {"like": Seeds(like=liked[:seeds], unlike=liked[seeds:])})
        peak = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.stop()
    finally:
        text.set_budget(text.ANALYSED_BYTES)
        text.forget()
    assert considered == 648 and len(ranked) == 20 and ranked[0].hits  # new and cross-listed papers, twice
    # Now: the memo's 0.5 MB, the pool's lengths and matches, the top 20, with like= its
    # vocabulary (IDF weights of 39,000 words and word pairs, 4.5 MB) and one candidate's vectors.
    assert peak < bound, peak


def _long_day(papers: int) -> bytes:
    """A cs.AI day of `papers` papers, each ~900 bytes of title and abstract (1.1 MB in all)."""
    from tests.fakearxiv import cs_ai_listing

    return cs_ai_listing([{"n": n, "title": f"Paper {n}", "abstract": "a method " * 100, "authors": "Ada Lovelace"}
                          for n in range(1, papers + 1)])


def test_the_too_costly_message_names_each_cost_the_total_the_limit_and_what_to_narrow(fake_arxiv, monkeypatch):
    """The 400 a user reads, word for word: each signal's cost as its inputs multiplied, the sum,
    the limit, and what to narrow (seeds first when they are what costs)."""
    from tests.conftest import running_app
    from tests.fakearxiv import Failure

    def refused(query: str) -> str:
        response = app.get(f"/feed?cat=cs.AI&{query}")
        assert response.status_code == 400, response.text
        return response.json()["error"]

    with running_app(fake_arxiv) as app:
        fake_arxiv.fail_next(Failure(200, _long_day(1_200)))
        assert len(app.get("/feed?cat=cs.AI&format=json&limit=1").json()["items"]) == 1  # fetched and stored
        monkeypatch.setattr(core.feeds, "MAX_RANK_COST", 1_199)
        narrow = "fewer days (days=), fewer categories (cat=) or fewer terms (q=, exclude=, author=)"
        assert refused("q=zq0") == f"too costly: 1 term x 1,200 papers = 1,200; 1,200 in all (at most 1,199); narrow it: {narrow}"
        assert refused("q=zq0+zq1") == (
            f"too costly: 2 terms x 1,200 papers = 2,400; 2,400 in all (at most 1,199); narrow it: {narrow}")
        # No terms: listing the pool still costs a pass over it. Seeds are costed before any is fetched.
        assert refused("like=2604.00001") == (
            "too costly: 1 term x 1,200 papers = 1,200; "
            "1 like=/unlike= seed over 1,200 papers (1.1 MB of text) = 41,544; 42,744 in all (at most 1,199); "
            f"narrow it: fewer seeds (like=, unlike=), {narrow}")
        assert refused("like=2604.00001&unlike=2604.00002&q=zq0+zq1+zq2") == (
            "too costly: 3 terms x 1,200 papers = 3,600; "
            "2 like=/unlike= seeds over 1,200 papers (1.1 MB of text) = 42,729; 46,329 in all (at most 1,199); "
            f"narrow it: fewer seeds (like=, unlike=), {narrow}")
        assert refused("like_author=morrison_d_1") == (  # an author's papers: up to 20 seeds
            "too costly: 1 term x 1,200 papers = 1,200; "
            "20 like=/unlike= seeds over 1,200 papers (1.1 MB of text) = 64,062; 65,262 in all (at most 1,199); "
            f"narrow it: fewer seeds (like=, unlike=; like_author= counts 20), {narrow}")
        assert [r for r in fake_arxiv.api_requests() if "id_list" in r.path or "search_query" in r.path] == []
