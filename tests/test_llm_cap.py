"""SUMMARY_RATE_PER_HOUR holds for the whole deployment: two app instances sharing one store
(a SQLite file, Redis, Upstash over its REST API) start at most that many new summaries an
hour between them, and `/health` shows what is left."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from core.clock import ManualClock
from core.kv.sqlite import SQLiteKV
from tests.conftest import running_app
from tests.llm_stub import LLMStub
from tests.test_kv import REDIS_URL, redis_sync, upstash, upstash_server  # noqa: F401 (fixtures)
from tests.test_summaries import CONFIG, with_llm

LIMIT = 3
QUERIES = ["q=agent", "q=reasoning", "q=model", "q=learning", "q=language", ""]


def shared_store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """A factory of store clients: every call is another instance's own connection to one store."""
    if backend == "sqlite":
        return lambda: SQLiteKV(tmp_path / "shared.sqlite3")
    redis_client = request.getfixturevalue("redis_sync")
    for key in redis_client.scan_iter(match="summary:v1:rate:*"):  # this database's counters only
        redis_client.delete(key)
    if backend == "redis":
        from core.kv.redis import RedisKV

        return lambda: RedisKV(REDIS_URL)
    server = request.getfixturevalue("upstash")
    from core.kv.upstash import UpstashKV

    return lambda: UpstashKV(server.url, server.token)


@pytest.mark.parametrize("backend", ["sqlite", "redis", "upstash"])
def test_two_instances_share_one_hourly_allowance(fake_arxiv, backend, request, tmp_path):
    store = shared_store(backend, request, tmp_path)
    llm = LLMStub()
    clock = ManualClock()
    # a model name of its own, so summaries cached by earlier runs in the same Redis do not count
    settings = with_llm(llm, summary_rate_per_hour=LIMIT, llm_model=f"stub-{uuid.uuid4().hex[:8]}")
    try:
        with running_app(fake_arxiv, config=CONFIG, kv=store(), clock=clock, **settings) as one, \
                running_app(fake_arxiv, config=CONFIG, kv=store(), clock=clock, **settings) as two:
            before = [app.get("/health").json()["summaries"]["public_allowance"] for app in (one, two)]
            assert [b["remaining"] for b in before] == [LIMIT, LIMIT] and before[0]["per_hour"] == LIMIT
            for n, query in enumerate(QUERIES):
                app = (one, two)[n % 2]
                assert app.get(f"/feed?cat=cs.AI,cs.CL,cs.LG&format=json&summaries=1&{query}").status_code == 200
            assert llm.calls == LIMIT, "the instances did not share the allowance"
            for app in (one, two):
                assert app.get("/health").json()["summaries"]["public_allowance"]["remaining"] == 0
            clock.advance(3600)  # the next hour: a new allowance for both
            assert one.get("/health").json()["summaries"]["public_allowance"]["remaining"] == LIMIT
            for query in QUERIES:
                two.get(f"/feed?cat=cs.AI,cs.CL,cs.LG&format=json&summaries=1&{query}")
            assert llm.calls == 2 * LIMIT
            ok = one.http.post("/api/cron/refresh", headers={"Authorization": "Bearer s3cret"})
            assert ok.json()["summaries"]["llm"]["cached"] == 2  # the authenticated cron is not limited
    finally:
        llm.stop()


def test_one_instance_on_the_memory_store_keeps_its_allowance(fake_arxiv):
    llm = LLMStub()
    try:
        with running_app(fake_arxiv, config=CONFIG, **with_llm(llm, summary_rate_per_hour=LIMIT)) as app:
            for query in QUERIES:
                app.get(f"/feed?cat=cs.AI,cs.CL,cs.LG&format=json&summaries=1&{query}")
            assert llm.calls == LIMIT
            assert app.get("/health").json()["summaries"]["public_allowance"]["remaining"] == 0
    finally:
        llm.stop()
