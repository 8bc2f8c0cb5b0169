"""Shared fixtures: a fake arXiv and the real app served by uvicorn, both on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from core.clock import SYSTEM_CLOCK, Clock
from core.kv.memory import MemoryKV
from core.profiles import Config, parse_config
from core.settings import Settings
from core.web import create_app
from tests.fakearxiv import FakeArxiv

TEST_CONFIG = {
    "profiles": {
        "llm": {
            "title": "LLM papers",
            "categories": ["cs.AI", "cs.CL", "cs.LG"],
            "keywords": [{"term": "large language model", "weight": 2, "aliases": ["LLM"]}, "agent", "reasoning"],
            "exclude": ["survey"],
        },
        "vision": {
            "title": "Vision",
            "categories": ["cs.CV"],
            "keywords": [{"term": "diffusion", "weight": 2}, "gaussian splatting", "segmentation"],
            "max_items": 40,
        },
    }
}


@pytest.fixture
def fake_arxiv() -> Iterator[FakeArxiv]:
    fake = FakeArxiv().start()
    fake.serve_day("rss_cs.AI_2026-04-27_trimmed3.xml", "rss_cs.CL_2026-04-27_trimmed3.xml", "rss_cs.LG_2026-04-27_trimmed3.xml")
    yield fake
    fake.stop()


def make_settings(fake: FakeArxiv, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "arxiv_rss_url": f"{fake.url}/rss",
        "arxiv_html_url": f"{fake.url}/html",
        "arxiv_api_url": f"{fake.url}/api/query",
        "arxiv_author_url": f"{fake.url}/a",
        "arxiv_min_interval": 0.05,
        "arxiv_retries": 2,
        "arxiv_retry_budget": 5.0,
        "arxiv_timeout": 5.0,
        "kv_backend": "memory",
        # The recorded listings are of April 2026 and the clock is mostly today's: with a scripted
        # query API that knows no history, a test runs listing-only (backfill off) unless it asks.
        "arxiv_backfill_max_requests": 10 if fake.api_entries else 0,
        "biorxiv_history_max_requests": 0,  # bioRxiv's and medRxiv's history too, unless a test asks
        "enrich_max_requests": 0,  # enrichment's own tests turn it on: the others count requests exactly
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server(uvicorn.Server):
    """uvicorn's server, checking `should_exit` every 10 ms instead of every 100 ms.

    Hundreds of tests each start and stop an app; the 100 ms tick was ~50 ms of every teardown."""

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            await asyncio.sleep(0.01)

    async def shutdown(self, sockets=None) -> None:
        """uvicorn's shutdown without its fixed 100 ms grace sleep when nothing is left to drain.

        With open connections or running tasks it is uvicorn's own shutdown, unchanged."""
        if self.server_state.connections or self.server_state.tasks or sockets:
            await super().shutdown(sockets)
            return
        for server in self.servers:
            server.close()
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()


@contextmanager
def serve(app, port: int | None = None) -> Iterator[str]:
    """Run `app` with uvicorn in a thread; yield its base URL."""
    port = port or free_port()
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.002)  # hundreds of tests start an app: poll finely, uvicorn starts in ~1-20 ms
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


class App:
    """The running app plus what the tests need to poke at."""

    def __init__(self, url: str, app, fake: FakeArxiv):
        self.url = url
        self.app = app
        self.fake = fake
        self.http = httpx.Client(base_url=url, timeout=30)

    @property
    def services(self):
        return self.app.state.services

    service = services  # (the name tests written before the split use)

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.http.get(path, **kwargs)


@contextmanager
def running_app(
    fake: FakeArxiv, config: dict | Config | None = None, kv=None, clock: Clock = SYSTEM_CLOCK, **overrides
) -> Iterator[App]:
    cfg = config if isinstance(config, Config) else parse_config(config or TEST_CONFIG)
    app = create_app(make_settings(fake, **overrides), config=cfg, kv=kv or MemoryKV(clock), clock=clock)
    with serve(app) as url:
        client = App(url, app, fake)
        try:
            yield client
        finally:
            client.http.close()


@pytest.fixture
def app(fake_arxiv: FakeArxiv) -> Iterator[App]:
    with running_app(fake_arxiv) as running:
        yield running


FIXTURES = Path(__file__).parent / "fixtures"
