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
@pytest.mark.parametrize("warm_on", [True, False])
def test_the_shares_add_up_to_cache_max_bytes(total: int, warm_on: bool) -> None:
    budgets = CacheBudgets.split(total, warm_on)
    shares = [budgets.results, budgets.warm, budgets.analysis, budgets.papers, budgets.info, budgets.embeddings, budgets.urls]
    assert sum(shares) == total and min(shares) >= 0
    assert (budgets.warm > 0) == (warm_on and total >= 8)


def test_all_seven_caches_are_byte_lrus_within_cache_max_bytes() -> None:
    total = 48_000_000
    app = create_app(Settings(cache_max_bytes=total, embeddings_model="test-embed"), kv=MemoryKV())
    services = app.state.services
    caches = {
        "ranked results and bodies": services.feeds.cache,
        "warm answers": app.repeat_polls.entries,
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
