"""The composition root: builds settings' dependents once (store, upstream clients, listings,
seeds, embeddings, summaries) and the three parts the web app and the CLI use: the feed pipeline
(`core.pipeline`), the cron jobs (`core.cron`) and the health report (`core.health`).

Nothing else builds these; routes get them through `core.web.deps`, the CLI from `Services`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from core import extract
from core.sources import all_sources
from core.cache import CacheBudgets
from core.clock import SYSTEM_CLOCK, Clock
from core.cron import Cron
from core.health import HealthReport
from core.kv import KV, open_store
from core.kv.resilient import ResilientKV
from core.listings import Listings
from core.pipeline import Background, FeedPipeline
from core.profiles import Config, load_config
from core.settings import Settings
from core.ranking import registry, text
from core.ranking.types import EMBEDDER, SEEDS
from core.embeddings import Embedder
from core.seeds import SeedStore
from core.summaries import NoSummaries

if TYPE_CHECKING:
    import httpx

    from core.sources.base import Upstream
    from core.summaries.client import LLMClient
    from core.summaries.service import Summarizer


class Services:
    """Everything one app (or one CLI run) uses, built from the settings; a bad config.json
    fails here, at start-up."""

    def __init__(
        self,
        settings: Settings,
        config: Config | None = None,
        kv: KV | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        llm_transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ):
        self.settings = settings
        self.config = config if config is not None else load_config(settings.config_path)
        self.budgets = CacheBudgets.split(settings.cache_max_bytes, repeat_polls_on=settings.warm_cache_s > 0,
                                          embeddings_on=bool(settings.embeddings_model))
        self.kv = ResilientKV(kv if kv is not None else open_store(settings), clock=clock)
        # One polite client per registered source (core.sources): the listings, seeds and summaries
        # talk to each server through its own.
        self.upstreams = {s.name: s.connect(settings, transport=transport, clock=clock, kv=self.kv) for s in all_sources()}
        self.listings = Listings(self.kv, self.upstreams, settings, clock, decoded_bytes=self.budgets.papers)
        self.seeds = SeedStore(self.kv, self.upstreams)
        self.embedder = _embedder(settings, self.kv, llm_transport, self.budgets.embeddings)
        self.summarizer = _summarizer(settings, self.kv, self.upstreams, _llm_client(settings, self.config, llm_transport, clock), clock)
        # Process-wide memos, by design (their values depend only on a paper's text: see their docstrings).
        text.set_budget(self.budgets.analysis)  # analysed text
        extract.set_memo_budget(self.budgets.info)  # derived paper fields
        self.background = Background()
        # What signals do their I/O through: the clients provided by name, and each signal's own.
        self.signal_clients = {s.name: c for s in registry.REGISTRY if (c := s.connect(settings, self.kv)) is not None}
        provided = {SEEDS.name: self.seeds, EMBEDDER.name: self.embedder}
        self.feeds = FeedPipeline(settings, self.kv, self.listings, provided, self.signal_clients, self.summarizer,
                                  self.background, self.budgets.results)
        self.feeds.seen_categories.update(c for p in self.config.profiles.values() for c in p.categories)
        self.cron = Cron(self.config, self.listings, self.feeds)
        self.health = HealthReport(settings, self.config, self.kv, self.listings, self.feeds)

    @property
    def clock(self) -> Clock:
        return self.listings.clock

    async def close(self) -> None:
        """Close the upstream clients, the signals' own and the store (on shutdown)."""
        for upstream in self.upstreams.values():
            await upstream.close()
        if self.summarizer.client is not None:
            await self.summarizer.client.close()
        for client in self.signal_clients.values():
            await client.close()
        await self.kv.close()


def _llm_client(
    settings: Settings, config: Config, transport: httpx.AsyncBaseTransport | None, clock: Clock
) -> LLMClient | None:
    """The LLM client when a key is configured: LLM_API_KEY, or the variable a profile names
    (`summaries.api_key_env`, as the old bot's `ai_summary.api_key_env`). Model and base URL
    may also come from the profile (`model`, `base_url`) when the environment does not set them."""
    extras: dict[str, Any] = {}
    for profile in config.profiles.values():
        extras.update({k: v for k, v in (profile.summaries.model_extra or {}).items() if isinstance(v, str)})
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    if not key and extras.get("api_key_env"):
        key = os.environ.get(extras["api_key_env"]) or None
    if not key:
        return None
    from core.summaries.client import LLMClient  # only where a key is configured

    explicit = settings.model_fields_set
    model = settings.llm_model if "llm_model" in explicit or "model" not in extras else extras["model"]
    base_url = settings.llm_base_url if "llm_base_url" in explicit or "base_url" not in extras else extras["base_url"]
    return LLMClient(
        base_url, model, key,
        timeout=settings.llm_timeout, max_concurrency=settings.llm_concurrency, transport=transport, clock=clock,
    )


def _summarizer(
    settings: Settings, kv: KV, upstreams: Mapping[str, Upstream], client: LLMClient | None, clock: Clock
) -> Summarizer | NoSummaries:
    """Summaries where an LLM is configured; without one, core.summaries.service is not imported."""
    if client is None:
        return NoSummaries(settings)
    from core.summaries.service import Summarizer

    return Summarizer(settings, kv, upstreams, client, clock)


def _embedder(settings: Settings, kv: KV, transport: httpx.AsyncBaseTransport | None, memo_bytes: int) -> Embedder | None:
    """Embeddings for like= where EMBEDDINGS_MODEL is set (same endpoint and key as summaries)."""
    if not settings.embeddings_model:
        return None
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
    return Embedder(settings.embeddings_model, settings.llm_base_url, key, kv, settings.llm_timeout, transport, memo_bytes)
