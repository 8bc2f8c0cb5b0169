"""Every in-process cache is a `core.cache.ByteLRU`, and their budgets together are
CACHE_MAX_BYTES: memory stays within idle size plus that budget whatever is cached."""

from __future__ import annotations

import datetime as dt

import pytest

from core import extract
from core.cache import ByteLRU, CacheBudgets
from core.kv.memory import MemoryKV
from core.papers import Paper
from core.settings import Settings
from core.ranking import text
from core.web import create_app


@pytest.mark.parametrize("total", [0, 1_000, 64_000_000, 1_000_000_007])
@pytest.mark.parametrize("repeat_polls_on", [True, False])
@pytest.mark.parametrize("embeddings_on", [True, False])
def test_the_shares_add_up_to_cache_max_bytes(total: int, repeat_polls_on: bool, embeddings_on: bool) -> None:
    budgets = CacheBudgets.split(total, repeat_polls_on, embeddings_on)
    shares = [budgets.results, budgets.repeat_polls, budgets.analysis, budgets.papers, budgets.info, budgets.embeddings, budgets.urls]
    assert sum(shares) == total and min(shares) >= 0
    assert (budgets.repeat_polls > 0) == (repeat_polls_on and total >= 8)
    assert (budgets.embeddings > 0) == (embeddings_on and total >= 8)


def test_the_embeddings_memo_holds_a_like_feeds_candidates_at_the_default_budget() -> None:
    """bench/caches.py: a like= feed over 4 categories' day has ~1,300 candidates; at 1536
    dimensions a 32nd of 64 MB held 40 of their vectors (as lists of floats), so every ranking
    read them all back from the store."""
    from core.cache import ENTRY_OVERHEAD

    vector = 64 + 4 * 1536 + ENTRY_OVERHEAD  # core.embeddings keeps single-precision arrays
    assert CacheBudgets.split(64_000_000, True, embeddings_on=True).embeddings // vector >= 1_100
    assert CacheBudgets.split(64_000_000, True, embeddings_on=False).embeddings == 0


def test_all_seven_caches_are_byte_lrus_within_cache_max_bytes() -> None:
    total = 48_000_000
    app = create_app(Settings(cache_max_bytes=total, embeddings_model="test-embed"), kv=MemoryKV())
    services = app.state.services
    caches = {
        "ranked results and bodies": services.feeds.cache,
        "answers to repeated polls": app.repeat_polls.entries,
        "decoded days": services.listings.store.decoded,
        "analysed text": text._analysed,
        "derived paper fields": extract._memo,
        "embedding vectors": services.embedder._memo,
        "feed URLs": app.state.feed_specs,
    }
    assert {name: type(cache).__name__ for name, cache in caches.items()} == dict.fromkeys(caches, "ByteLRU")
    assert sum(cache.max_bytes for cache in caches.values()) == total


def test_derived_fields_stay_within_their_share() -> None:
    """The memo held 50,000 papers' fields whatever they weighed, then dropped all at once."""
    extract.set_memo_budget(200_000)
    try:
        for n in range(2_000):
            paper = Paper(id=f"2604.{n:05d}", title="t", abstract="a", announced=dt.date(2026, 4, 27),
                          comment=f"Accepted at NeurIPS 2025. Code: https://github.com/x/y{n}", doi=f"10.1/{n}")
            assert extract.info(paper).venue is not None
        assert 0 < extract._memo.bytes <= 200_000
        assert len(extract._memo) > 50  # the most recent are kept, not dropped all at once
    finally:
        extract.set_memo_budget(extract.MEMO_BYTES)


def test_a_byte_lru_evicts_least_recently_used_first_and_refuses_what_cannot_fit() -> None:
    cache = ByteLRU(3 * 612)
    for key in "abc":
        cache.put(key, key, 100)
    assert cache.get("a") == "a"  # now the most recent
    cache.put("d", "d", 100)
    assert cache.keys() == ["c", "a", "d"]
    cache.put("huge", "x", 10_000)
    assert "huge" not in cache and len(cache) == 3
    cache.resize(612)
    assert cache.keys() == ["d"] and cache.bytes == 612


def test_embeddings_of_a_pool_larger_than_the_memo_are_found_again_up_to_its_size() -> None:
    """Kept whole, a pool larger than the memo pushed out its own first vectors, and the next
    ranking, asking in the same order, found none (least recently used first): every vector read
    back from the store. Kept up to the memo's size, the next ranking finds that many."""
    import asyncio

    import httpx

    from core.cache import ENTRY_OVERHEAD
    from core.embeddings import Embedder

    def embed(request: httpx.Request) -> httpx.Response:
        texts = __import__("json").loads(request.content)["input"]
        return httpx.Response(200, json={"data": [{"index": i, "embedding": [1.0, float(i + 1), 0.5, 2.0]}
                                                  for i in range(len(texts))]})

    class CountingKV(MemoryKV):
        reads = 0

        async def get(self, key: str) -> bytes | None:
            CountingKV.reads += 1
            return await super().get(key)

    held = 10
    embedder = Embedder("m", "http://embed.invalid/v1", None, CountingKV(), transport=httpx.MockTransport(embed),
                        memo_bytes=held * (64 + 4 * 4 + ENTRY_OVERHEAD))
    papers = [Paper(id=f"2604.{n:05d}", title=f"t{n}", abstract="a", announced=dt.date(2026, 4, 27)) for n in range(30)]
    seed = Paper(id="2604.99999", title="seed", abstract="a", announced=dt.date(2026, 4, 27))

    async def rank_twice() -> tuple[int, int]:
        first = await embedder.vectors(papers)
        CountingKV.reads = 0
        again = await embedder.vectors([seed, *papers])  # another feed's seed first, the same pool
        assert first is not None and again is not None and list(again["2604.00003v1"]) == list(first["2604.00003v1"])
        return CountingKV.reads, len(embedder._memo)

    reads, kept = asyncio.run(rank_twice())
    assert kept == held and reads == 1 + 30 - held  # the seed, and the pool beyond what the memo holds
