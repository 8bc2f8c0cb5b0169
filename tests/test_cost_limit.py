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
