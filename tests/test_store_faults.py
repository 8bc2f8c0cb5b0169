"""The real shared stores failing under the running app: Redis cut off, slowed down and
brought back through a TCP proxy; Upstash with a wrong token; arXiv down while a
second instance reads a warm Redis. Needs REDIS_URL (skips without it)."""

from __future__ import annotations

import os
import time
from urllib.parse import urlsplit

import pytest
import redis

from core.kv.redis import RedisKV
from core.kv.upstash import UpstashKV
from tests.conftest import running_app
from tests.fakearxiv import Failure
from tests.tcpproxy import TCPProxy
from tests.test_ingest import use_clock
from tests.upstash_server import UpstashServer

REDIS_URL = os.environ.get("REDIS_URL")
pytestmark = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL not set: store fault tests need a real Redis (.ci/run sets it)")


@pytest.fixture
def clean_redis():
    """The app's own keys (`listing:v1:*`) removed before and after, in the test database only."""
    parts = urlsplit(REDIS_URL)
    assert parts.path not in ("", "/", "/0"), "point REDIS_URL at a database of its own, e.g. redis://127.0.0.1:6379/13"
    client = redis.Redis.from_url(REDIS_URL)

    def wipe() -> None:
        keys = list(client.scan_iter("listing:v1:*"))
        if keys:
            client.delete(*keys)

    wipe()
    yield client
    wipe()
    client.close()


@pytest.fixture
def proxy(clean_redis):
    parts = urlsplit(REDIS_URL)
    p = TCPProxy(parts.hostname or "127.0.0.1", parts.port or 6379)
    yield p
    p.close()


def proxied_url(proxy: TCPProxy) -> str:
    parts = urlsplit(REDIS_URL)
    return f"redis://127.0.0.1:{proxy.port}{parts.path}"


def test_redis_going_away_and_coming_back(fake_arxiv, proxy, clean_redis):
    with running_app(fake_arxiv, kv=RedisKV(proxied_url(proxy), timeout=0.5)) as app:
        before = app.get("/feeds/llm.json").json()["items"]
        assert list(clean_redis.scan_iter("listing:v1:cs.AI:*"))  # it really is in Redis
        proxy.cut()
        during = app.get("/feeds/llm.json")
        assert during.status_code == 200 and during.json()["items"] == before
        health = app.get("/health").json()
        assert health["kv"]["backend"] == "redis" and health["kv"]["ok"] is False
        assert health["status"] == "degraded"
        proxy.restore()
        assert app.get("/health").json()["kv"]["ok"] is True
        assert app.get("/feeds/llm.json").json()["items"] == before
    assert len(fake_arxiv.listing_requests()) == 1


def test_slow_redis_does_not_hold_requests(fake_arxiv, proxy):
    with running_app(fake_arxiv, kv=RedisKV(proxied_url(proxy), timeout=0.3)) as app:
        app.get("/feeds/llm.rss")
        proxy.delay = 1.0
        started = time.monotonic()
        for _ in range(3):
            assert app.get("/feeds/llm.rss").status_code == 200
        assert time.monotonic() - started < 3.0  # one timeout, then the cool-down skips the store
        proxy.delay = 0.0


def test_second_instance_serves_warm_redis_when_arxiv_is_down(fake_arxiv, clean_redis):
    with running_app(fake_arxiv, kv=RedisKV(REDIS_URL)) as first:
        use_clock(first, "2026-04-27T12:00:00")
        before = first.get("/feeds/llm.json").json()["items"]
    fake_arxiv.fail_next(*[Failure(503, b"down")] * 20)
    with running_app(fake_arxiv, kv=RedisKV(REDIS_URL)) as second:
        use_clock(second, "2026-04-28T12:00:00")  # due again, and arXiv fails
        response = second.get("/feeds/llm.json")
        assert response.status_code == 200
        assert response.json()["items"] == before
        health = second.get("/health").json()
        assert health["categories"]["cs.AI"]["stale"] is True
        assert health["status"] == "degraded"


def test_upstash_with_a_wrong_token_still_serves_and_says_why(fake_arxiv, clean_redis):
    server = UpstashServer(REDIS_URL, token="right-token").start()
    try:
        with running_app(fake_arxiv, kv=UpstashKV(server.url, "wrong-token-123")) as app:
            assert app.get("/feeds/llm.atom").status_code == 200
            health = app.get("/health")
            kv = health.json()["kv"]
            assert kv["backend"] == "upstash" and kv["ok"] is False
            assert "token" in kv["error"].lower()
            assert "wrong-token-123" not in health.text
    finally:
        server.stop()
