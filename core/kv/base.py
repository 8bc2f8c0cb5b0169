"""The store interface: bytes in, bytes out, with expiry and set-if-absent; and `ttl_ms`, the
TTL as the Redis protocol takes it (the redis and upstash backends both speak it)."""

from __future__ import annotations

import abc
import math


def ttl_ms(ttl: float) -> int:
    """Seconds (float) to whole milliseconds, at least 1: Redis rejects `PX 0`."""
    return max(1, math.ceil(ttl * 1000))


class KV(abc.ABC):
    """An async key-value store. TTLs are seconds; `None` keeps the value until deleted."""

    name: str = "kv"

    @abc.abstractmethod
    async def get(self, key: str) -> bytes | None: ...

    @abc.abstractmethod
    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None: ...

    @abc.abstractmethod
    async def add(self, key: str, value: bytes, ttl: float | None = None) -> bool:
        """Set only if absent (a lock); True if this call set it."""

    @abc.abstractmethod
    async def delete(self, key: str) -> None: ...

    async def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        """Add `amount` to the counter at `key` (0 when absent), atomically for every instance
        sharing the store; the new value. `ttl` is set when this call creates the counter.
        A counter key is only ever used through `incr` (backends store it their own way)."""
        raise NotImplementedError(f"{type(self).__name__} has no atomic counter")

    async def ping(self) -> bool:
        await self.get("__ping__")
        return True

    async def close(self) -> None:
        return None
