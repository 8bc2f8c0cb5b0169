"""One long-lived httpx client per event loop for each upstream (arXiv, the LLM), closed once
on shutdown: connection pools are reused across requests instead of rebuilt per call."""

from __future__ import annotations

import asyncio

import httpx

from core.kv.memory import MemoryKV
from core.profiles import parse_config
from core.services import Services
from core.web import create_app
from tests.conftest import TEST_CONFIG, make_settings
from tests.fakearxiv import FakeArxiv
from tests.llm_stub import LLMStub


class CountingTransport(httpx.AsyncHTTPTransport):
    """A real transport that counts requests and closes (a client closes its transport)."""

    def __init__(self) -> None:
        super().__init__()
        self.requests = 0
        self.closed = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return await super().handle_async_request(request)

    async def aclose(self) -> None:
        self.closed += 1
        await super().aclose()


def test_the_upstream_clients_live_until_the_service_closes(fake_arxiv: FakeArxiv):
    llm = LLMStub()
    arxiv_transport, llm_transport = CountingTransport(), CountingTransport()
    settings = make_settings(fake_arxiv, llm_base_url=llm.url, llm_api_key=llm.token)
    service = Services(settings, parse_config(TEST_CONFIG), MemoryKV(), arxiv_transport, llm_transport)

    async def use_then_close() -> None:
        for _ in range(3):
            await service.upstreams["arxiv"].listing(["cs.AI"])
            await service.summarizer.client.complete("Title: a paper\n")  # type: ignore[union-attr]
        assert (arxiv_transport.requests, llm_transport.requests) == (3, 3)
        assert (arxiv_transport.closed, llm_transport.closed) == (0, 0)  # one pool each, kept open
        await service.close()
        assert (arxiv_transport.closed, llm_transport.closed) == (1, 1)

    try:
        asyncio.run(use_then_close())
    finally:
        llm.stop()


def test_the_app_closes_its_clients_on_shutdown(fake_arxiv: FakeArxiv):
    transport = CountingTransport()
    app = create_app(make_settings(fake_arxiv), parse_config(TEST_CONFIG), MemoryKV(), transport=transport)

    async def serve_then_stop() -> None:
        async with app.router.lifespan_context(app):
            await app.state.services.upstreams["arxiv"].listing(["cs.AI"])
            await app.state.services.upstreams["arxiv"].listing(["cs.CL"])
            assert transport.closed == 0
        assert transport.closed == 1

    asyncio.run(serve_then_stop())
