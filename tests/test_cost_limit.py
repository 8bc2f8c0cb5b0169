"""MAX_RANK_COST: a request's own terms x the papers they would score is bounded; beyond it a
400 says what to narrow, before any scoring. A profile's own feed is never refused."""

import core.feeds


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
