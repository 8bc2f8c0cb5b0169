"""`like_author=`: an arXiv author identifier or ORCID iD; seeds = that author's most recent
papers from arXiv's author feed (the fake serves it in the recorded answer's shape), fetched
once and stored; clear 400s; a 503 with Retry-After when arXiv is unreachable and nothing is
stored; in profiles too."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from core.kv.memory import MemoryKV
from core.profiles import parse_config
from tests.conftest import TEST_CONFIG, App, running_app
from tests.fakearxiv import A, Failure, FakeArxiv

SPLAT = "2604.14706"  # 04-17: "NG-GS: NeRF-Guided 3D Gaussian Splatting Segmentation"
DEEPFAKE = "2604.14570"  # 04-17: "Deepfake Detection Generalization with Diffusion Noise"
AUTHOR = "doe_j_1"
ORCID = "0000-0001-6286-1277"  # David R. Morrison's, from arXiv's recorded answer


@pytest.fixture
def cv() -> Iterator[App]:
    fake = FakeArxiv().start()
    fake.serve_day("rss_cs.CV_2026-04-21.xml")
    fake.serve_api_from("rss_cs.CV_2026-04-17.xml")
    fake.authors[AUTHOR] = [SPLAT, DEEPFAKE]
    fake.authors[ORCID] = [SPLAT]
    config = {"profiles": {**TEST_CONFIG["profiles"], "doe": {"categories": ["cs.CV"], "like_author": AUTHOR, "max_items": 10}}}
    store = MemoryKV()
    with running_app(fake, parse_config(config), kv=store) as app:
        app.store = store  # type: ignore[attr-defined]
        yield app
    fake.stop()


def author_requests(fake: FakeArxiv) -> list[str]:
    return [r.path for r in fake.requests if r.path.startswith("/a/")]


def test_like_author_ranks_papers_like_the_authors_and_names_the_author_paper(cv):
    items = cv.get(f"/feed?cat=cs.CV&like_author={AUTHOR}&format=json&limit=10").json()["items"]
    assert len(items) == 10
    explanations = [i["_arxiv_feeds"]["explanation"] for i in items]
    assert all(f"(a paper of {AUTHOR})" in e for e in explanations), explanations
    assert any(f"closest to {SPLAT} (a paper of {AUTHOR})" in e for e in explanations)
    titles = [i["title"].lower() for i in items]
    assert any("deepfake" in t for t in titles) and any("splat" in t for t in titles), titles  # near each of the two
    assert author_requests(cv.fake) == [f"/a/{AUTHOR}.atom"]


def test_an_authors_papers_are_fetched_once_and_then_served_from_the_store(cv):
    for extra in ("", "&format=atom&limit=5", f"&like={DEEPFAKE}&limit=3"):
        assert cv.get(f"/feed?cat=cs.CV&like_author={AUTHOR}{extra}").status_code == 200
    assert author_requests(cv.fake) == [f"/a/{AUTHOR}.atom"]


def test_an_orcid_id_or_its_url_works_like_an_identifier(cv):
    items = cv.get(f"/feed?cat=cs.CV&like_author=https://orcid.org/{ORCID}&format=json&limit=5").json()["items"]
    assert items and all(f"closest to {SPLAT} (a paper of {ORCID})" in i["_arxiv_feeds"]["explanation"] for i in items)
    assert author_requests(cv.fake) == [f"/a/{ORCID}.atom"]


def test_at_most_the_20_most_recent_papers_are_seeds(cv):
    ids = [e.findtext(f"{A}id").rsplit("/", 1)[-1].split("v")[0] for e in cv.fake.api_entries][:25]
    for n, entry in enumerate(e for e in cv.fake.api_entries if e.findtext(f"{A}id").rsplit("/", 1)[-1].split("v")[0] in ids):
        stamp = f"2026-03-{n + 1:02d}T17:00:00Z"  # the later in the list, the more recent
        entry.find(f"{A}updated").text = stamp
        entry.find(f"{A}published").text = stamp
    cv.fake.authors["many_a_1"] = ids
    assert cv.get("/feed?cat=cs.CV&like_author=many_a_1&limit=5").status_code == 200
    stored = json.loads(cv.store._data["author:v1:many_a_1"][0])  # what the store holds for a week
    assert len(stored) == 20
    assert {p["id"] for p in stored} == set(ids[5:])  # the five oldest left out


@pytest.mark.parametrize(
    "value,message",
    [("John Smith", "not an arXiv author identifier"), ("0000-0001-6286-1278", "check digit is wrong"),
     ("nobody_x_1", "arXiv knows no author nobody_x_1")],
)
def test_a_bad_or_unknown_identifier_is_a_400_saying_what_to_fix(cv, value, message):
    response = cv.get(f"/feed?cat=cs.CV&like_author={value}")
    assert response.status_code == 400 and message in response.json()["error"]


def test_an_author_without_papers_is_unknown_and_not_asked_about_again_for_an_hour(cv):
    cv.fake.authors["empty_e_1"] = []
    for _ in range(3):
        response = cv.get("/feed?cat=cs.CV&like_author=empty_e_1")
        assert response.status_code == 400 and "knows no author empty_e_1" in response.json()["error"]
    assert author_requests(cv.fake) == ["/a/empty_e_1.atom"]


def test_unreachable_arxiv_with_nothing_stored_is_a_503_with_retry_after_then_stored_is_enough(cv):
    assert cv.get("/feed?cat=cs.CV").status_code == 200  # the listing is stored; the author's papers are not
    cv.fake.fail_next(*[Failure(503)] * 3)
    response = cv.get(f"/feed?cat=cs.CV&like_author={AUTHOR}")
    assert response.status_code == 503 and "Retry-After" in response.headers
    assert AUTHOR in response.json()["error"]
    assert cv.get(f"/feed?cat=cs.CV&like_author={AUTHOR}").status_code == 200  # recovers; then stored
    cv.fake.fail_next(*[Failure(503)] * 3)
    assert cv.get(f"/feed?cat=cs.CV&like_author={AUTHOR}&limit=3").status_code == 200  # stored: arXiv not needed


def test_a_profile_takes_like_author_and_feed_links_keep_it(cv):
    feed = cv.get("/feeds/doe.json").json()["items"]
    assert feed and all(f"(a paper of {AUTHOR})" in i["_arxiv_feeds"]["explanation"] for i in feed)
    data = cv.get(f"/api/preview?cat=cs.CV&like_author={AUTHOR}&limit=5").json()
    assert data["feed_url"].endswith(f"/feed?cat=cs.CV&like_author={AUTHOR}&limit=5")
    with pytest.raises(Exception, match="not an arXiv author identifier"):
        parse_config({"profiles": {"x": {"categories": ["cs.CV"], "like_author": "Jane Doe"}}})


def test_a_too_costly_like_author_request_is_refused_before_the_author_feed_is_fetched(cv, monkeypatch):
    """An author brings up to 20 seeds, counted before their feed is fetched: a request that 2
    like= seeds keep within MAX_RANK_COST is refused with like_author= (whose author has 2 papers)."""
    import core.feeds

    assert cv.get("/feed?cat=cs.CV&q=segmentation").status_code == 200  # the day stored
    monkeypatch.setattr(core.feeds, "MAX_RANK_COST", 1)
    two = cv.get(f"/feed?cat=cs.CV&like={SPLAT},{DEEPFAKE}").json()["error"]
    cost = int(two.split(" in all")[0].rsplit(" ", 1)[-1].replace(",", ""))  # "...; 25,000 in all (at most 1)"
    monkeypatch.setattr(core.feeds, "MAX_RANK_COST", cost + 1_000)
    assert cv.get(f"/feed?cat=cs.CV&like={SPLAT},{DEEPFAKE}").status_code == 200
    response = cv.get(f"/feed?cat=cs.CV&like_author={AUTHOR}")
    assert response.status_code == 400
    message = response.json()["error"]
    assert "too costly" in message and "20 like=/unlike= seeds" in message and "like_author=" in message
    assert author_requests(cv.fake) == []  # refused before the author's feed was asked for
