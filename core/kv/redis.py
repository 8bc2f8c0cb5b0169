"""Redis over TCP (`redis://`, or `rediss://` for TLS) with redis-py's asyncio client.

For a Redis the deployment runs or rents (Redis Cloud, Upstash's TCP endpoint,
the `KV_URL`/`REDIS_URL` a Vercel Marketplace integration injects). Values are
stored as raw bytes.

A store that is down or slow must not hold a request up: connect and read
timeouts are short (2 s by default), a broken pooled connection is retried once
without waiting, and every failure becomes `KVError`, which callers degrade on.

redis-py's asyncio connections belong to the event loop that opened them: one
client per running loop (`PerLoop`).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from core.errors import KVError
from core.kv.base import KV, ttl_ms
from core.perloop import PerLoop
from core.redact import redact_text

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 2.0  # seconds, for connecting and for each reply
_SCHEMES = ("redis", "rediss", "unix")


class RedisKV(KV):
    name = "redis"

    def __init__(
        self,
        url: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float | None = None,
        **options: object,
    ):
        """`timeout` bounds each reply, `connect_timeout` (default `timeout`) each connect;
        `options` go to `redis.asyncio.Redis.from_url` (`client_name`, `max_connections`, TLS files...)."""
        scheme = urlsplit(url).scheme
        if scheme not in _SCHEMES:
            raise ValueError(f"Redis URL must start with redis://, rediss:// or unix:// (got {scheme or 'no'} scheme)")
        self.url = url
        self.where = redact_text(url)  # no password in messages or logs
        self.timeout = timeout
        self.connect_timeout = timeout if connect_timeout is None else connect_timeout
        self.options = options
        self._clients: PerLoop[aioredis.Redis] = PerLoop(
            self._new_client, lambda c: (getattr(c, "aclose", None) or c.close)()  # aclose: redis-py >= 5.0.1
        )

    def __repr__(self) -> str:
        return f"RedisKV({self.where!r})"

    def _new_client(self) -> aioredis.Redis:
        return aioredis.Redis.from_url(
            self.url,
            socket_connect_timeout=self.connect_timeout,
            socket_timeout=self.timeout,
            # One immediate retry when a pooled connection turns out broken (servers
            # drop idle clients); timeouts are not retried, so a slow store fails fast.
            retry=Retry(NoBackoff(), 1, (RedisConnectionError,)),
            retry_on_error=[RedisConnectionError],  # redis-py 5 retries only what is listed here
            **self.options,
        )

    def _client(self) -> aioredis.Redis:
        return self._clients.get()

    def _error(self, what: str, exc: BaseException) -> KVError:
        return KVError(f"redis {self.where}: {what} failed: {type(exc).__name__}: {exc}")

    async def get(self, key: str) -> bytes | None:
        try:
            value = await self._client().get(key)
        except (RedisError, OSError) as exc:
            raise self._error(f"GET {key}", exc) from exc
        return None if value is None else bytes(value)

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        try:
            await self._client().set(key, value, px=None if ttl is None else ttl_ms(ttl))
        except (RedisError, OSError) as exc:
            raise self._error(f"SET {key}", exc) from exc

    async def add(self, key: str, value: bytes, ttl: float | None = None) -> bool:
        try:
            done = await self._client().set(key, value, px=None if ttl is None else ttl_ms(ttl), nx=True)
        except (RedisError, OSError) as exc:
            raise self._error(f"SET NX {key}", exc) from exc
        return bool(done)

    async def delete(self, key: str) -> None:
        try:
            await self._client().delete(key)
        except (RedisError, OSError) as exc:
            raise self._error(f"DEL {key}", exc) from exc

    async def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        """INCRBY, and the expiry when this call created the counter (the counters' keys name
        their time window, so a counter that missed its expiry is never counted again)."""
        try:
            value = int(await self._client().incrby(key, amount))
            if ttl is not None and value == amount:
                await self._client().pexpire(key, ttl_ms(ttl))
            return value
        except (RedisError, OSError) as exc:
            raise self._error("incr", exc) from exc

    async def ping(self) -> bool:
        try:
            return bool(await self._client().ping())
        except (RedisError, OSError) as exc:
            raise self._error("PING", exc) from exc

    async def close(self) -> None:
        await self._clients.close()
