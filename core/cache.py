"""The one in-process cache type: an LRU bounded by an estimate of the bytes it holds, not by
its entry count; and how CACHE_MAX_BYTES is split between the caches that use it.

Counting entries let 128 heavy JSON bodies and their ranked results grow a process to
900 MB; a byte budget (CACHE_MAX_BYTES) keeps memory at idle plus the budget whatever
the entries weigh. Sizes are estimates given by the caller (a body's length, a ranked
list's text), erring high. Every in-process cache is a `ByteLRU` with its share
(`CacheBudgets`): ranked results and bodies (core.pipeline), answers to repeated polls (core.web.repeat_polls),
decoded days (core.listings.store), analysed text (core.ranking.text), derived paper fields
(core.extract), embedding vectors (core.embeddings) and feed URLs' specs
(core.web.feeds). Safe to share between the event loop and the worker thread.

(cachetools' `LRUCache(maxsize, getsizeof)` does the same; it is not used because every owner
knows an entry's size when it puts it, which `getsizeof` would compute again from the value,
and the service would take a dependency for these 60 lines.)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

ENTRY_OVERHEAD = 512  # the key, the entry object, the dict slot


class ByteLRU:
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Any) -> bool:
        return key in self._entries

    def keys(self) -> list[Any]:
        return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0

    def get(self, key: Any) -> Any:
        entry = self._entries.get(key)
        if entry is None:
            return None
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
        return entry[0]

    def peek(self, key: Any) -> Any:
        """The value held for `key` (None when not held), without making it recently used."""
        entry = self._entries.get(key)
        return None if entry is None else entry[0]

    def size(self, key: Any) -> int | None:
        """The size `key` was put with (None when not held)."""
        entry = self._entries.get(key)
        return None if entry is None else entry[1] - ENTRY_OVERHEAD

    def put(self, key: Any, value: Any, size: int) -> None:
        """Keep `value`, evicting the least recently used entries to stay within the budget.
        A value bigger than the whole budget is not kept."""
        size += ENTRY_OVERHEAD
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            if size > self.max_bytes:
                return
            self._entries[key] = (value, size)
            self.bytes += size
            self._evict()

    def resize(self, max_bytes: int) -> None:
        """A new budget, evicting what no longer fits."""
        with self._lock:
            self.max_bytes = max_bytes
            self._evict()

    def _evict(self) -> None:
        while self.bytes > self.max_bytes and self._entries:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.bytes -= dropped


REPEAT_POLLS_SHARE = 8  # answers to repeated polls (core.web.repeat_polls) get an eighth of CACHE_MAX_BYTES when they are on
ANALYSIS_SHARE = 4  # analysed text (core.ranking.text) a quarter
PAPERS_SHARE = 8 / 3  # decoded days and merged windows (core.listings) three eighths
INFO_SHARE = 32  # derived paper fields (core.extract) a 32nd: ~1,800 papers' at 64 MB
URLS_SHARE = 32  # feed URLs' specs and links (core.web.feeds) a 32nd: ~190 URLs at 64 MB
# Embedding vectors (core.embeddings) an eighth where EMBEDDINGS_MODEL is set, none otherwise:
# ~1,190 vectors of 1536 dimensions at 64 MB, nearly the ~1,300 like= candidates of 4 categories'
# day (bench/caches.py: 92 % found again when that feed is ranked again; a 32nd, 23 %). Taken
# from decoded days (3/32: two more days decoded in 18, ~1 % of the round) and results (1/32).
EMBEDDINGS_SHARE = 8
EMBEDDINGS_FROM_PAPERS = 3 / 32


@dataclass(frozen=True)
class CacheBudgets:
    """CACHE_MAX_BYTES split between the process's caches: one budget in all, so memory stays
    within idle size plus CACHE_MAX_BYTES whatever is cached. Made once, by the composition root
    (`core.services`), and handed to each cache's owner."""

    results: int  # ranked results and rendered bodies (core.pipeline), what is left
    repeat_polls: int  # answers to repeated polls (core.web.repeat_polls), 0 when they are off
    analysis: int  # analysed text (core.ranking.text)
    papers: int  # decoded days and merged windows (core.listings.store)
    info: int  # derived paper fields (core.extract)
    embeddings: int  # embedding vectors (core.embeddings), 0 when they are off
    urls: int  # feed URLs' specs and links (core.web.feeds)

    @classmethod
    def split(cls, cache_max_bytes: int, repeat_polls_on: bool, embeddings_on: bool = False) -> CacheBudgets:
        """The shares above; `repeat_polls_on` (WARM_CACHE_S > 0), `embeddings_on` (EMBEDDINGS_MODEL set)
        give those caches theirs, otherwise nothing."""
        repeat_polls = cache_max_bytes // REPEAT_POLLS_SHARE if repeat_polls_on else 0
        embeddings = cache_max_bytes // EMBEDDINGS_SHARE if embeddings_on else 0
        analysis = cache_max_bytes // ANALYSIS_SHARE
        papers = int(cache_max_bytes // PAPERS_SHARE) - (int(cache_max_bytes * EMBEDDINGS_FROM_PAPERS) if embeddings_on else 0)
        info, urls = cache_max_bytes // INFO_SHARE, cache_max_bytes // URLS_SHARE
        results = cache_max_bytes - repeat_polls - analysis - papers - info - embeddings - urls
        return cls(results, repeat_polls, analysis, papers, info, embeddings, urls)
