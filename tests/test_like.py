"""`like=` / `unlike=`: seeds from the query API (one request, stored per id and version),
similarity per item, every route, errors (400 naming the ids, 503 with Retry-After)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from core.clock import ManualClock

from core.profiles import parse_config
from tests.conftest import FIXTURES, TEST_CONFIG, App, running_app
from tests.fakearxiv import Failure, FakeArxiv, Quirk
from tests.test_history import wait_for_backfill

SPLAT = "2604.14706"  # 04-17: "NG-GS: NeRF-Guided 3D Gaussian Splatting Segmentation"
DEEPFAKE = "2604.14570"  # 04-17: "Deepfake Detection Generalization with Diffusion Noise"


@pytest.fixture
def cv() -> Iterator[App]:
    fake = FakeArxiv().start()
    fake.serve_day("rss_cs.CV_2026-04-21.xml")
    fake.serve_api_from("rss_cs.CV_2026-04-17.xml")
    config = {"profiles": {**TEST_CONFIG["profiles"], "splats": {"categories": ["cs.CV"], "like": [SPLAT], "max_items": 10}}}
    with running_app(fake, parse_config(config)) as app:
        yield app
    fake.stop()


def api_ids(fake: FakeArxiv) -> list[list[str]]:
    asked = [parse_qs(urlsplit(r.path).query) for r in fake.api_requests()]
    return [q["id_list"][0].split(",") for q in asked if "id_list" in q]  # (listings use search_query)


def test_like_ranks_similar_papers_first_and_says_which_seed_and_words(cv):
    items = cv.get(f"/feed?cat=cs.CV&like={SPLAT},{DEEPFAKE}v1&format=json&limit=10").json()["items"]
    assert len(items) == 10
    top = items[0]["_arxiv_feeds"]
    assert top["explanation"].startswith(f"score {top['score']:g} = closest to ")
    assert any("splat" in i["title"].lower() for i in items[:5]), [i["title"] for i in items[:5]]
    scores = [i["_arxiv_feeds"]["score"] for i in items]
    assert scores == sorted(scores, reverse=True)
    assert api_ids(cv.fake) == [[SPLAT, f"{DEEPFAKE}v1"]]  # both seeds in ONE request


def test_seeds_are_fetched_once_and_then_served_from_the_store(cv):
    assert cv.get(f"/feed?cat=cs.CV&like={SPLAT}").status_code == 200
    assert cv.get(f"/feed?cat=cs.CV&like={SPLAT}&format=atom&limit=5").status_code == 200
    assert cv.get(f"/feed?cat=cs.CV&like={SPLAT},{DEEPFAKE}&limit=5").status_code == 200
    assert api_ids(cv.fake) == [[SPLAT], [DEEPFAKE]]  # only the seed not stored yet


def test_q_and_like_together_show_both_per_item(cv):
    items = cv.get(f"/feed?cat=cs.CV&q=segmentation&like={SPLAT}&format=json").json()["items"]
    plain = cv.get("/feed?cat=cs.CV&q=segmentation&format=json").json()["items"]
    assert {i["id"] for i in items} == {i["id"] for i in plain}  # q chooses the papers, like reorders them
    both = [i["_arxiv_feeds"]["explanation"] for i in items if "closest to" in i["_arxiv_feeds"]["explanation"]]
    assert both and all("segmentation in " in e for e in both)


def test_unlike_pushes_similar_papers_down(cv):
    liked = cv.get(f"/feed?cat=cs.CV&q=segmentation&format=json&limit=100").json()["items"]
    pushed = cv.get(f"/feed?cat=cs.CV&q=segmentation&unlike={SPLAT}&format=json&limit=100").json()["items"]
    down = [i for i in pushed if "close to unwanted" in i["_arxiv_feeds"]["explanation"]]
    assert down and all(h["points"] < 0 for i in down for h in i["_arxiv_feeds"]["hits"] if h["signal"] == "unlike")
    rank_before = {i["id"]: n for n, i in enumerate(liked)}
    rank_after = {i["id"]: n for n, i in enumerate(pushed)}
    assert sum(rank_after[i["id"]] - rank_before[i["id"]] for i in down) > 0


def test_profile_like_and_pages(cv):
    feed = cv.get("/feeds/splats.json").json()["items"]
    assert feed and all("closest to" in i["_arxiv_feeds"]["explanation"] for i in feed)
    page = cv.get(f"/preview?cat=cs.CV&like={SPLAT}&limit=5")
    assert page.status_code == 200 and f"closest to {SPLAT}" in page.text
    assert "Papers like these (like=" in page.text  # "How papers are scored" lists the signal
    data = cv.get(f"/api/preview?cat=cs.CV&like={SPLAT}&limit=5").json()
    assert data["items"] and data["feed_url"].endswith(f"/feed?cat=cs.CV&like={SPLAT}&limit=5")
    assert cv.get("/preview/splats").status_code == 200


@pytest.mark.parametrize(
    "like,message",
    [("2604.99999", "does not know 2604.99999"), (f"{SPLAT}v9", f"does not know {SPLAT}v9"),
     ("abc", "not an arXiv id"), (",".join(f"2604.{i:05d}" for i in range(21)), "at most 20")],
)
def test_bad_seeds_are_400s_naming_them(cv, like, message):
    response = cv.get(f"/feed?cat=cs.CV&like={like},{SPLAT}")
    assert response.status_code == 400 and message in response.json()["error"]


def test_an_unknown_seed_is_not_asked_about_again_for_an_hour(cv):
    for _ in range(3):
        assert cv.get("/feed?cat=cs.CV&like=2604.99999").status_code == 400
    assert api_ids(cv.fake) == [["2604.99999"]] * 2  # one empty answer is no proof: asked once more


def test_an_id_arxiv_refuses_as_malformed_is_a_400_and_not_asked_again(cv):
    from tests.fakearxiv import FIXTURES

    refusal = (FIXTURES / "api_error_400_incorrect-id_2026-04-12.xml").read_bytes()
    cv.fake.fail_next(Failure(400, refusal, api=True, only="id_list="))
    for _ in range(2):
        response = cv.get("/feed?cat=cs.CV&like=hep-xx/2604999")
        assert response.status_code == 400 and "hep-xx/2604999" in response.json()["error"]
    assert api_ids(cv.fake) == [["hep-xx/2604999"]]


def test_withdrawn_seed_is_a_400(cv):
    cv.fake.withdrawn.add(DEEPFAKE)
    response = cv.get(f"/feed?cat=cs.CV&like={DEEPFAKE}")
    assert response.status_code == 400 and f"{DEEPFAKE} is withdrawn" in response.json()["error"]


def test_unreachable_api_with_nothing_stored_is_a_503_with_retry_after(cv):
    assert cv.get("/feed?cat=cs.CV").status_code == 200  # the listing is stored; the seed is not
    wait_for_backfill(cv)  # (the days before the listing's, in the background)
    cv.fake.fail_next(Failure(503, api=True))
    response = cv.get(f"/feed?cat=cs.CV&like={SPLAT}")
    assert response.status_code == 503 and 30 <= int(response.headers["Retry-After"]) <= 60  # the API's back-off
    assert SPLAT in response.json()["error"] and "query API is failing: HTTP 503" in response.json()["error"]
    assert cv.get(f"/feed?cat=cs.CV&like={SPLAT}").status_code == 503  # backing off: arXiv is not asked
    assert api_ids(cv.fake) == [[SPLAT]]  # one request, no retries inside a reader's request
    cv.services.upstreams["arxiv"].clock = ManualClock(time.time() + 61)  # the back-off is over
    assert cv.get(f"/feed?cat=cs.CV&like={SPLAT}").status_code == 200  # recovers; then stored
    cv.fake.fail_next(*[Failure(503, api=True)] * 3)
    assert cv.get(f"/feed?cat=cs.CV&like={SPLAT}&limit=3").status_code == 200  # stored: no API needed


def test_a_cut_or_damaged_seed_answer_is_a_503_and_the_seeds_are_asked_again(cv):
    """An answer that parses only by recovering from a flaw says nothing about the seeds
    missing from it: none is remembered as unknown, and the next request asks again."""
    cv.fake.quirk_next(Quirk(cut_at=0.6, only="id_list="))  # cut at 60 % with </feed> appended
    response = cv.get(f"/feed?cat=cs.CV&like={SPLAT},{DEEPFAKE}")
    assert response.status_code == 503 and response.headers["Retry-After"] == "30"
    assert response.json()["error"].startswith(f"like: arXiv's answer for {SPLAT}, {DEEPFAKE} was cut or damaged (")
    assert cv.get(f"/feed?cat=cs.CV&like={SPLAT},{DEEPFAKE}").status_code == 200
    assert api_ids(cv.fake) == [[SPLAT, DEEPFAKE]] * 2


def test_profile_like_ids_are_validated():
    with pytest.raises(Exception, match="not an arXiv id"):
        parse_config({"profiles": {"x": {"categories": ["cs.CV"], "like": ["nope"]}}})


def stub_cosine(a: str, b: str) -> float:
    import hashlib
    import math
    import re

    def vector(text: str) -> list[float]:
        v = [0.0] * 64
        for word in re.findall(r"[a-z]{4,}", text.lower()):
            v[int(hashlib.md5(word.encode()).hexdigest(), 16) % 64] += 1.0
        return v

    x, y = vector(a), vector(b)
    return sum(p * q for p, q in zip(x, y)) / math.sqrt(sum(p * p for p in x) * sum(q * q for q in y))


def test_embeddings_replace_tfidf_when_configured_and_are_stored_per_paper_version():
    from tests.llm_stub import LLMStub

    stub = LLMStub()
    fake = FakeArxiv().start()
    fake.serve_day("rss_cs.CV_2026-04-21.xml")
    fake.serve_api_from("rss_cs.CV_2026-04-17.xml")
    try:
        with running_app(fake, embeddings_model="stub-embed", llm_base_url=stub.url, llm_api_key="test-key") as app:
            first = app.get(f"/feed?cat=cs.CV&like={SPLAT}&format=json&limit=5").json()["items"]
            assert first and all("closest to" in i["_arxiv_feeds"]["explanation"] for i in first)
            embedded = len(stub.embedded)
            assert embedded > 100  # the seed and the day's candidates
            seed = next(t for t in stub.embedded if t.startswith("NG-GS"))
            top = next(t for t in stub.embedded if t.startswith(first[0]["title"]))
            note = next(h["note"] for h in first[0]["_arxiv_feeds"]["hits"] if h["signal"] == "like")
            assert note.startswith(f"{stub_cosine(seed, top):.2f}:")  # the similarity is the embeddings' cosine
            app.get(f"/feed?cat=cs.CV&like={SPLAT}&format=json&limit=7")
            assert len(stub.embedded) == embedded  # stored: never embedded twice
            tfidf = app.app.state.services.embedder
            assert tfidf.requests_made >= 1
        stub.embeddings_fail = True
        with running_app(fake, embeddings_model="other-model", llm_base_url=stub.url, llm_api_key="test-key") as app:
            items = app.get(f"/feed?cat=cs.CV&like={SPLAT}&format=json&limit=5").json()["items"]
            assert items and all("closest to" in i["_arxiv_feeds"]["explanation"] for i in items)  # TF-IDF fallback
    finally:
        fake.stop()
        stub.stop()


def test_every_signal_is_described_on_the_preview_and_the_profile_card_lists_its_seeds(cv):
    from core.ranking.registry import REGISTRY, describe

    assert [name for name, _ in describe()] == [s.name for s in REGISTRY] == ["keyword", "authors", "like", "venue"]
    page = cv.get("/preview/vision").text
    for _, description in describe():
        assert description.split(":")[0] in page
    index = cv.get("/").text
    assert f'href="https://arxiv.org/abs/{SPLAT}"' in index


def test_a_big_pool_is_analysed_on_the_ranking_thread_once_with_the_collector_off():
    import gc
    import threading

    from core.ranking import text
    from tests.conftest import FIXTURES

    # The recorded day under ids of its own: no earlier test in this process analysed these.
    day = (FIXTURES / "rss_cs.CV_2026-04-21.xml").read_bytes().replace(b"2604.", b"2699.")
    fake = FakeArxiv().start()
    fake.serve_xml(day)

    seen: list[tuple[str, bool]] = []  # (thread, collector on) of each paper analysed
    analyse_text = text.analyse_text

    def spy(value: str):
        seen.append((threading.current_thread().name, gc.isenabled()))
        return analyse_text(value)

    text.analyse_text = spy  # records where the work runs; the analysis itself is the real one
    try:
        with running_app(fake) as app:
            assert app.get("/feed?cat=cs.CV&q=model&limit=5").status_code == 200
            first = list(seen)
            seen.clear()
            assert app.get("/feed?cat=cs.CV&q=models&limit=9").status_code == 200
    finally:
        text.analyse_text = analyse_text
        fake.stop()
    assert len(first) > 2 * text.THREAD_THRESHOLD  # the 501-paper day: titles and abstracts
    assert {name for name, _ in first} == {"arxiv-feeds-cpu_0"}  # never on the event loop
    assert not any(on for _, on in first)  # a new pool: no collector passes meanwhile
    assert gc.isenabled()
    assert seen == []  # the same pool, another query: nothing analysed twice


def test_each_like_item_names_its_seed_and_shows_words_and_phrases_both_papers_hold(cv):
    """Explanations stay honest with word pairs and feedback: every word shown is in the item
    and in the seed named (never a word only the seed's neighbours brought), and phrases show
    as phrases ("gaussian splatting"), not as two separate words."""
    import re

    from core.ranking.text import fold, stem

    def words(text: str) -> set[str]:  # stems: a word is shown as the seed spells it
        return {stem(w) for w in re.findall(r"[a-z0-9]+", fold(text))}

    seed = next(e for e in cv.fake.api_entries if SPLAT in (e.findtext("{http://www.w3.org/2005/Atom}id") or ""))
    seed_words = words(f"{seed.findtext('{http://www.w3.org/2005/Atom}title')} {seed.findtext('{http://www.w3.org/2005/Atom}summary')}")
    items = cv.get(f"/feed?cat=cs.CV&like={SPLAT}&format=json&limit=20").json()["items"]
    shown = []
    for item in items:
        hit = next(h for h in item["_arxiv_feeds"]["hits"] if h["signal"] == "like")
        assert hit["term"] == f"closest to {SPLAT}"
        item_words = words(f"{item['title']} {item['content_text'] if 'content_text' in item else item.get('summary', '')}")
        for phrase in hit["note"].split(": ", 1)[1].split(", "):
            shown.append(phrase)
            assert all(w in seed_words and w in item_words for w in words(phrase)), (phrase, item["title"])
    assert "gaussian splatting" in shown, shown


def test_a_seed_repeating_a_word_explains_without_error():
    """A pair of one stem twice ("filter filter") shared by both papers once made the phrase
    display fail (a 500 on a CSFCube query)."""
    import datetime as dt

    from core.papers import Paper
    from core.ranking.pool import make_pool, rank_pool
    from core.ranking.signals.like import Seeds

    def paper(n: int, title: str, abstract: str) -> Paper:
        return Paper(id=f"2604.{n:05d}", title=title, abstract=abstract, announced=dt.date(2026, 4, 27))

    seed = paper(1, "Filter filter design", "We design filter filter banks: filter design for speech.")
    pool = [paper(2, "Filter design for audio", "Filter filter banks and filter design."),
            paper(3, "Graph neural networks", "Message passing on graphs.")]
    ranked = rank_pool(make_pool(pool, [], {"like": Seeds(like=[seed])}))
    assert [s.paper.id for s in ranked] == ["2604.00002"]
    note = ranked[0].hits[0].note
    assert "filter design" in note and "filter filter" not in note.split(": ", 1)[1].split(", ")[1:], note


def test_unlike_subtracts_only_how_much_nearer_a_paper_is_to_the_unwanted_than_to_the_liked():
    """A thumbs-down on a paper of the liked topic must not push the whole topic down: a paper
    nearer the liked seed loses nothing; one nearer the unwanted loses 10 x the difference."""
    import datetime as dt

    from core.papers import Paper
    from core.ranking.pool import make_pool, rank_pool
    from core.ranking.signals.like import Seeds

    def paper(n: int, title: str, abstract: str) -> Paper:
        return Paper(id=f"2604.{n:05d}", title=title, abstract=abstract, announced=dt.date(2026, 4, 27))

    liked = paper(1, "Gaussian splatting for real-time scene rendering", "We render outdoor scenes in real time with gaussian splatting and anti-aliasing.")
    unwanted = paper(2, "Gaussian splatting of medical tumour images", "Gaussian splatting reconstructs tumour volumes from medical CT images.")
    pool = [paper(3, "Real-time scene rendering with anti-aliased gaussian splatting", "Outdoor scenes rendered in real time by gaussian splatting."),
            paper(4, "Tumour volumes from CT images by gaussian splatting", "Medical CT images of tumours reconstructed by gaussian splatting."),
            *[paper(10 + n, f"Topic {word} study", f"A study of {word} methods and {word} data.")
              for n, word in enumerate(["graphs", "speech", "robots", "proteins", "markets", "galaxies"])]]
    scored = {s.paper.id: s for s in rank_pool(make_pool(pool, [], {"like": Seeds(like=[liked], unlike=[unwanted])}))}
    scene, tumour = scored["2604.00003"], scored["2604.00004"]
    assert [h.signal for h in scene.hits] == ["like"]  # nearer the liked paper: nothing subtracted
    like_points = next(h.points for h in tumour.hits if h.signal == "like")
    unlike = next(h for h in tumour.hits if h.signal == "unlike")
    assert unlike.term == "close to unwanted 2604.00002" and unlike.points < 0
    assert abs(-unlike.points + like_points - 10 * float(unlike.note.split(":")[0])) < 0.06  # 10 x (unwanted - liked)
    assert scene.score > tumour.score


def test_like_reads_the_same_words_from_a_paper_it_no_longer_holds_analysed():
    """A like= pool keeps only lengths; a candidate's words are recounted from its stems when
    the memo does not hold it, and must be the words its analysis gives (every recorded paper)."""
    from core.sources.arxiv.parse import parse_listing
    from core.ranking import text
    from core.ranking.signals.like import paper_terms, terms

    papers = [p for f in sorted(FIXTURES.glob("rss_*.xml")) for p in parse_listing(f.read_bytes()).papers]
    assert len(papers) > 600
    for paper in papers:
        text.forget()
        recounted = paper_terms(paper)  # not memoised: from its stems alone
        assert recounted == terms(text.analyse(paper)) == paper_terms(paper), paper.id  # and from the memo


def test_stored_seeds_still_rank_a_stale_feed_when_a_slow_listing_used_the_whole_budget():
    """arXiv's listing slower than REQUEST_BUDGET_S: the stored days are served with Warning 110,
    and seeds already in the store still rank them (no 503 for want of the budget's last ms)."""
    import datetime as dt

    fake = FakeArxiv().start()
    fake.serve_day("rss_cs.CV_2026-04-21.xml")
    fake.serve_api_from("rss_cs.CV_2026-04-17.xml")
    try:
        with running_app(fake, request_budget_s=2.0, arxiv_retries=0) as app:
            url = f"/feed?cat=cs.CV&like={SPLAT}&format=json"
            before = app.get(url)
            assert before.status_code == 200 and before.json()["items"]  # the seed is stored now
            app.services.listings.clock = ManualClock(dt.datetime.now(dt.UTC) + dt.timedelta(days=2))  # due
            fake.delay = 4.0
            response = app.get(url + "&limit=5")
            fake.delay = 0.0
        assert response.status_code == 200, response.text
        assert response.headers["Warning"].startswith("110") and response.json()["items"]
    finally:
        fake.stop()
