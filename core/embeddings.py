"""Optional embeddings for `like=`: where `EMBEDDINGS_MODEL` is set, an OpenAI-compatible
`/embeddings` endpoint (LLM_BASE_URL, LLM_API_KEY) embeds title + abstract, and cosine of those
vectors replaces TF-IDF cosine. Each vector is stored per paper version and model
(`embedding:v1:{model}:{id}v{n}`, kept for good) and memoised in process, so a paper is embedded
once per deployment. The memo holds each vector as single-precision floats (`array("f")`, 4
bytes a dimension; a list of Python floats took 32): at 1536 dimensions its share holds 8 times
as many papers (bench/caches.py: one like= feed's ~1,300 candidates had been read back from the
store at every ranking). Whichever way a vector comes, embedded or from the store or the memo,
like= reads the same single-precision values. Any failure of the endpoint falls back to TF-IDF for that request (logged):
nothing is lost, the feed is only less semantic.
"""

from __future__ import annotations

import json
import logging
import math
from array import array
from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.cache import ENTRY_OVERHEAD, ByteLRU
from core.papers import Paper
from core.runtime.shims import import_httpx

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

BATCH = 64  # inputs per request
MEMO_BYTES = 2_000_000  # vectors kept in memory (the store keeps them all) unless the service gives its share
MAX_CHARS = 4000  # title + abstract fit; a runaway abstract does not


def key_of(paper: Paper) -> str:
    return f"{paper.id}v{paper.version}"


class Embedder:
    def __init__(self, model: str, base_url: str, api_key: str | None, kv, timeout: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None, memo_bytes: int = MEMO_BYTES):
        self.model = model
        self.url = base_url.rstrip("/") + "/embeddings"
        self._headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {api_key}"} if api_key else {})}
        self.kv = kv
        self.timeout = timeout
        self.transport = transport
        self._memo = ByteLRU(memo_bytes)  # key -> vector
        self.requests_made = 0

    async def vectors(self, papers: Sequence[Paper]) -> dict[str, Sequence[float]] | None:
        """Unit vectors by `id`v`version`, or None when the endpoint failed (use TF-IDF)."""
        wanted = {key_of(paper): paper for paper in papers}
        found: dict[str, Sequence[float]] = {}
        room = [self._memo.max_bytes]  # what this request may keep (see _remember)
        for key in wanted:  # what the memo holds first: a miss kept next must not push a hit out
            held = self._memo.get(key)
            if held is not None:
                found[key] = held
                room[0] -= (self._memo.size(key) or 0) + ENTRY_OVERHEAD
        missing: dict[str, Paper] = {}
        for key, paper in wanted.items():
            if key in found:
                continue
            raw = await self.kv.get(f"embedding:v1:{self.model}:{key}")
            if raw is None:
                missing[key] = paper
            else:
                found[key] = self._remember(key, json.loads(raw), room)
        todo = list(missing.items())
        httpx = import_httpx()  # on first use: most instances never embed

        try:
            for start in range(0, len(todo), BATCH):
                batch = todo[start:start + BATCH]
                for (key, _), vector in zip(batch, await self._embed([f"{p.title}\n\n{p.abstract}"[:MAX_CHARS] for _, p in batch])):
                    await self.kv.set(f"embedding:v1:{self.model}:{key}", json.dumps(vector).encode())
                    found[key] = self._remember(key, vector, room)
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            log.warning("embeddings failed (%s: %s): like= uses TF-IDF for this request", type(exc).__name__, exc)
            return None
        return found

    async def _embed(self, texts: list[str]) -> list[list[float]]:
        import httpx

        self.requests_made += 1
        async with httpx.AsyncClient(transport=self.transport, timeout=self.timeout) as http:
            response = await http.post(self.url, json={"model": self.model, "input": texts}, headers=self._headers)
        response.raise_for_status()
        data = sorted(response.json()["data"], key=lambda d: d["index"])
        if len(data) != len(texts):
            raise ValueError(f"{len(data)} embeddings for {len(texts)} inputs")
        return [_unit([float(x) for x in d["embedding"]]) for d in data]

    def _remember(self, key: str, vector: list[float], room: list[int]) -> array:
        """`vector` packed, and kept while the request's vectors fit in the memo (`room`): a pool
        larger than the memo, kept whole, would push out its own first vectors, and the next
        ranking of it, reading them in the same order, would find none (least recently used
        first); kept up to the memo's size, the next ranking finds that many."""
        packed = array("f", vector)
        size = 64 + packed.itemsize * len(packed)
        if size + ENTRY_OVERHEAD <= room[0]:
            self._memo.put(key, packed, size)
            room[0] -= size + ENTRY_OVERHEAD
        return packed


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    if not norm:
        raise ValueError("an all-zero embedding")
    return [x / norm for x in vector]

