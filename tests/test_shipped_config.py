"""The shipped config.json: its profiles make AI summaries of their top 5 as soon as the
server has an LLM key, and without a key serve exactly what they served before."""

from __future__ import annotations

import json
from pathlib import Path

from core.profiles import load_config, parse_config
from tests.conftest import running_app
from tests.llm_stub import LLMStub
from tests.test_summaries import with_llm

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = json.loads((ROOT / "config.json").read_text())


def test_every_shipped_profile_has_summaries_of_its_top_5():
    for name, profile in load_config(ROOT / "config.json").profiles.items():
        assert profile.summaries.enabled and profile.summaries.top_n == 5, name


def _undated(body: bytes) -> bytes:
    """The body without the lines that tell when it was fetched (two apps fetch at two times)."""
    stamps = (b"<lastBuildDate>", b"<pubDate>", b"<updated>", b"<published>", b"Updated ")
    return b"\n".join(line for line in body.split(b"\n") if not line.strip().startswith(stamps))


def test_without_a_key_the_shipped_profiles_serve_what_they_served_without_summaries(fake_arxiv):
    llm = LLMStub()
    without = {"profiles": {n: {k: v for k, v in p.items() if k != "summaries"} for n, p in SHIPPED["profiles"].items()}}
    paths = [f"/feeds/{name}.{fmt}" for name in SHIPPED["profiles"] for fmt in ("rss", "atom", "json", "md")]
    try:
        bodies = []
        for config in (SHIPPED, without):
            with running_app(fake_arxiv, config=parse_config(config), llm_base_url=llm.url,
                             public_base_url="https://feeds.example.org") as app:
                answers = [app.get(path) for path in paths]
                assert all(a.status_code == 200 for a in answers)
                bodies.append([_undated(a.content) for a in answers])
                health = app.get("/health").json()["summaries"]
                assert health == {"enabled": False, "profiles": {}}
                assert app.get("/api/cron/refresh").status_code == 401
        assert bodies[0] == bodies[1], "the shipped summaries setting changed a feed without a key"
        assert llm.calls == 0
        assert json.loads(bodies[0][2])["items"], "the llm feed is empty: the check proves little"
    finally:
        llm.stop()


def test_with_a_key_alone_the_shipped_profiles_get_summaries(fake_arxiv):
    llm = LLMStub()
    try:
        with running_app(fake_arxiv, config=load_config(ROOT / "config.json"), **with_llm(llm)) as app:
            items = app.get("/feeds/llm.json").json()["items"]
            assert len(items) > 5
            summaries = [item["_arxiv_feeds"]["summary"] for item in items]
            assert all(summaries[:5]) and not any(summaries[5:])
            refreshed = app.get("/api/cron/refresh", headers={"Authorization": "Bearer s3cret"}).json()
            assert refreshed["summaries"]["llm"]["cached"] == 5
            assert app.get("/health").json()["summaries"]["profiles"]["llm"]["cached"] == 5
    finally:
        llm.stop()
