"""Abuse review: secrets never leave the server, security headers, no user-supplied URLs
fetched, upstream traffic bounded from public endpoints, constant-time cron check."""

from __future__ import annotations

import logging
import threading
from dataclasses import replace

from tests.conftest import running_app
from tests.llm_stub import LLMStub

SECRETS = {
    "llm_api_key": "sk-llm-SECRET-1111",
    "cron_secret": "cron-SECRET-2222",
}


def test_secrets_never_appear_in_responses_or_logs(fake_arxiv, caplog):
    stub = LLMStub(token=SECRETS["llm_api_key"])
    stub.mode = "500"
    caplog.set_level(logging.DEBUG)
    config = {"profiles": {"p": {"categories": ["cs.AI"], "keywords": ["reasoning"],
                                 "summaries": {"enabled": True, "top_n": 2, "api_key": "sk-in-config-3333"}}}}
    try:
        with running_app(fake_arxiv, config=config, llm_base_url=stub.url, arxiv_rss_url=fake_arxiv.url.replace("http://", "http://user:proxy-SECRET-4444@") + "/rss", **SECRETS) as app:
            app.services.summarizer.client.policy = replace(app.services.summarizer.client.policy, retries=0)
            bodies = []
            for path in ("/", "/config", "/health", "/feeds/p.rss", "/feeds/p.json", "/feed?cat=cs.XX", "/feeds/nope.rss", "/openapi.json"):
                response = app.get(path)
                bodies.append(response.text + str(response.headers))
            bodies.append(app.http.post("/api/cron/refresh", headers={"Authorization": "Bearer wrong"}).text)
            bodies.append(app.http.post("/api/cron/refresh", headers={"Authorization": f"Bearer {SECRETS['cron_secret']}"}).text)
    finally:
        stub.stop()
    everything = "\n".join(bodies) + "\n".join(r.getMessage() for r in caplog.records)
    assert stub.calls > 0  # the LLM was really asked (and failed), so its errors were logged
    for secret in [*SECRETS.values(), "sk-in-config-3333", "proxy-SECRET-4444"]:
        assert secret not in everything, secret


def test_html_pages_carry_security_headers(app):
    response = app.get("/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    feed = app.get("/feeds/llm.rss")
    assert feed.headers["x-content-type-options"] == "nosniff"


def test_the_api_page_loads_only_same_origin_assets_that_answer_and_has_the_pages_csp(app):
    import lxml.html

    page = app.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == app.get("/").headers["content-security-policy"]
    tree = lxml.html.fromstring(page.content)
    assets = [*tree.xpath("//script/@src"), *tree.xpath("//link/@href")]
    assert len(assets) >= 4 and not tree.xpath("//script[not(@src)]"), "an inline script or too few assets"
    for asset in assets:
        assert asset.startswith("/") and not asset.startswith("//"), f"{asset} is not on this origin"
        answer = app.get(asset)
        assert answer.status_code == 200 and len(answer.content) > 100, asset
    assert app.get("/openapi.json").json()["paths"]["/feed"]
    assert app.get("/redoc").status_code == 404  # ReDoc came from the CDN too; /docs is the one API page


def test_no_parameter_takes_a_url_to_fetch(app):
    for name in ("url", "feed", "source", "callback", "redirect"):
        response = app.get(f"/feed?cat=cs.AI&{name}=http://127.0.0.1:1/x")
        assert response.status_code == 400 and "unknown parameter" in response.json()["error"]
    assert all(r.path.startswith("/rss/") for r in app.fake.requests)


def test_public_requests_cannot_pile_up_upstream_traffic(fake_arxiv):
    fake_arxiv.delay = 0.5
    categories = ["cs.RO", "cs.NE", "cs.IR", "cs.HC", "cs.SE", "cs.PL", "cs.DB", "cs.DS", "cs.CR", "cs.CY"]
    with running_app(fake_arxiv, arxiv_max_queue=3) as app:
        statuses: list[int] = []
        threads = [threading.Thread(target=lambda c=c: statuses.append(app.get(f"/feed?cat={c}").status_code))
                   for c in categories]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(set(statuses)) == [200, 503]
        assert len(fake_arxiv.listing_requests()) <= 3 + 1
        assert statuses.count(200) == len(fake_arxiv.listing_requests())
        # Refused categories were not marked as failed: asked again later, they are fetched.
        refused = app.get("/health").json()["categories"]
        assert all(v["last_error"] is None for v in refused.values())


def test_same_category_requested_many_times_is_fetched_once(fake_arxiv):
    fake_arxiv.delay = 0.3
    with running_app(fake_arxiv) as app:
        threads = [threading.Thread(target=app.get, args=("/feed?cat=cs.RO&q=robot",)) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(fake_arxiv.listing_requests()) == 1
