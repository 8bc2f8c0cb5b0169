"""A store wrapper that keeps the service answering when the real store fails.

Every write also lands in an in-process mirror; when the store raises (down,
timeout, refused), reads fall back to the mirror and the store is skipped for
a cool-down, so a dead store costs one timeout per cool-down rather than one
per key. It is retried after that and recovers by itself.
"""

from __future__ import annotations

import logging

from core.clock import SYSTEM_CLOCK, Clock
from core.errors import KVError
from core.kv.base import KV
from core.kv.memory import MemoryKV

log = logging.getLogger(__name__)

COOL_DOWN_S = 15.0


class ResilientKV(KV):
    def __init__(self, inner: KV, cool_down: float = COOL_DOWN_S, clock: Clock = SYSTEM_CLOCK):
        self.inner = inner
        self.clock = clock
        self.name = inner.name
        self.cool_down = cool_down
        self.mirror = MemoryKV(clock)
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self._down_until = 0.0
        self.writes = 0  # every write this process makes; in-process answers built before one are old


    @property
    def available(self) -> bool:
        return self.clock.monotonic() >= self._down_until

    def _failed(self, operation: str, exc: Exception) -> None:
        self.last_error = f"{operation}: {type(exc).__name__}: {exc}"
        self.last_error_at = self.clock.time()
        self._down_until = self.clock.monotonic() + self.cool_down
        log.error("KV store %s failed (%s); serving from memory for %.0f s", self.name, self.last_error, self.cool_down)

    def _recovered(self) -> None:
        if self.last_error is not None:
            log.warning("KV store %s answers again", self.name)
        self.last_error = None

    async def get(self, key: str) -> bytes | None:
        if self.available:
            try:
                value = await self.inner.get(key)
            except KVError as exc:
                self._failed("get", exc)
            else:
                self._recovered()
                if value is not None:
                    return value
        return await self.mirror.get(key)

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        self.writes += 1
        await self.mirror.set(key, value, ttl)
        if self.available:
            try:
                await self.inner.set(key, value, ttl)
            except KVError as exc:
                self._failed("set", exc)
            else:
                self._recovered()

    async def add(self, key: str, value: bytes, ttl: float | None = None) -> bool:
        self.writes += 1
        if self.available:
            try:
                added = await self.inner.add(key, value, ttl)
            except KVError as exc:
                self._failed("add", exc)
            else:
                self._recovered()
                if added:
                    await self.mirror.set(key, value, ttl)
                return added
        return await self.mirror.add(key, value, ttl)

    async def delete(self, key: str) -> None:
        self.writes += 1
        await self.mirror.delete(key)
        if self.available:
            try:
                await self.inner.delete(key)
            except KVError as exc:
                self._failed("delete", exc)

    async def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        """Counted in the store; while it fails, in this process (the mirror), as before."""
        self.writes += 1
        if self.available:
            try:
                value = await self.inner.incr(key, amount, ttl)
            except KVError as exc:
                self._failed("incr", exc)
            else:
                self._recovered()
                return value
        return await self.mirror.incr(key, amount, ttl)

    async def ping(self) -> bool:
        """Asks the real store even during a cool-down (health checks want the truth)."""
        try:
            await self.inner.ping()
        except KVError as exc:
            self._failed("ping", exc)
            raise
        self._recovered()
        self._down_until = 0.0
        return True

    async def close(self) -> None:
        await self.inner.close()
