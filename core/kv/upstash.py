"""Upstash Redis over its REST API (what "Vercel KV" became), with httpx.

Each operation is one HTTPS request: POST a JSON array command such as
`["SET", "k", "v", "PX", "1000", "NX"]` to the database URL with
`Authorization: Bearer <token>`; the answer is `{"result": ...}` or
`{"error": "..."}`. Plain HTTPS with no session state, which suits serverless functions.

Value encoding: JSON carries text, not bytes, so values are stored as the
base64 text of the bytes (written base64-encoded, decoded on read). That is
binary-safe (any bytes, not only UTF-8) at a third more space, but it means the
stored values are not the raw bytes: do not share keys with a client that
writes or reads the same database some other way (for instance `RedisKV` over
`KV_URL`). A value that is not base64 reads as missing (with a warning), so
the service rewrites it in this encoding. (Upstash could also take raw bytes as
a request body and answer base64 with `Upstash-Encoding: base64`; that form is
not used here.)

Timeouts are short (2 s by default) and every failure (network, timeout, HTTP
error status, an answer that is not Upstash's, `{"error": ...}`) is `KVError`;
a rejected token says so without showing it.
"""

from __future__ import annotations

import base64
import binascii
import logging
from urllib.parse import urlsplit

import httpx

from core.errors import KVError
from core.kv.base import KV, ttl_ms
from core.perloop import PerLoop
from core.redact import redact_text

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 2.0  # seconds, for connecting and for the whole answer


class UpstashKV(KV):
    name = "upstash"

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ValueError("Upstash REST URL must be an http(s):// URL (KV_REST_API_URL or UPSTASH_REDIS_REST_URL)")
        if not token:
            raise ValueError("Upstash REST token is empty (KV_REST_API_TOKEN or UPSTASH_REDIS_REST_TOKEN)")
        self.url = url.rstrip("/")
        self.where = redact_text(url)  # no credentials in messages or logs
        self._token = token
        self.timeout = timeout
        self._transport = transport
        # httpx's connection pool belongs to the event loop that used it: one client per loop.
        self._clients: PerLoop[httpx.AsyncClient] = PerLoop(self._new_client, lambda c: c.aclose())

    def __repr__(self) -> str:
        return f"UpstashKV({self.where!r})"

    def _new_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            headers={"Authorization": f"Bearer {self._token}"},
            timeout=httpx.Timeout(self.timeout),
            transport=self._transport,
        )

    def _client(self) -> httpx.AsyncClient:
        return self._clients.get()

    def _error(self, message: str) -> KVError:
        # Never let the token reach a log line, whatever a server or proxy echoed back.
        message = f"upstash {self.where}: {message}"
        if len(self._token) >= 8:  # real tokens are long; scrubbing "t" would mangle the text
            message = message.replace(self._token, "***")
        return KVError(message)

    async def command(self, *args: str) -> object:
        """Run one Redis command; its `result`."""
        what = args[0]
        try:
            response = await self._client().post(self.url, json=list(args))
        except httpx.HTTPError as exc:
            raise self._error(f"{what} failed: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        try:
            payload = response.json()
        except ValueError:
            payload = None
        said = payload.get("error") if isinstance(payload, dict) else None
        if status in (401, 403):
            raise self._error(
                f"the token was rejected (HTTP {status}{': ' + str(said) if said else ''}); "
                "check KV_REST_API_TOKEN or UPSTASH_REDIS_REST_TOKEN"
            )
        if said is not None:
            raise self._error(f"{what} failed: {said} (HTTP {status})")
        if not response.is_success:
            raise self._error(f"{what} failed: HTTP {status}: {response.text[:200]!r}")
        if not isinstance(payload, dict) or "result" not in payload:
            raise self._error(f"{what}: not an Upstash answer (HTTP {status}): {response.text[:200]!r}")
        return payload["result"]

    @staticmethod
    def _expiry(ttl: float | None) -> list[str]:
        return [] if ttl is None else ["PX", str(ttl_ms(ttl))]

    async def get(self, key: str) -> bytes | None:
        result = await self.command("GET", key)
        if result is None:
            return None
        if not isinstance(result, str):
            raise self._error(f"GET {key}: unexpected result {str(result)[:100]!r}")
        try:
            return base64.b64decode(result, validate=True)
        except (binascii.Error, ValueError):
            # Not written by this class (raw bytes from a TCP client on the same database, say):
            # treat it as missing, so the caller rewrites it, rather than failing every read.
            log.warning("upstash %s: the value at %s is not base64; treating it as missing", self.where, key)
            return None

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        await self.command("SET", key, base64.b64encode(value).decode("ascii"), *self._expiry(ttl))

    async def add(self, key: str, value: bytes, ttl: float | None = None) -> bool:
        result = await self.command("SET", key, base64.b64encode(value).decode("ascii"), *self._expiry(ttl), "NX")
        if result not in ("OK", None):
            raise self._error(f"SET NX {key}: unexpected result {str(result)[:100]!r}")
        return result == "OK"

    async def delete(self, key: str) -> None:
        await self.command("DEL", key)

    async def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        """INCRBY (the counter is a plain integer, not base64), and the expiry when this call
        created it (the counters' keys name their time window)."""
        value = int(await self.command("INCRBY", key, str(amount)))  # type: ignore[arg-type]
        if ttl is not None and value == amount:
            await self.command("PEXPIRE", key, str(ttl_ms(ttl)))
        return value

    async def ping(self) -> bool:
        result = await self.command("PING")
        if result != "PONG":
            raise self._error(f"PING: unexpected result {str(result)[:100]!r}")
        return True

    async def close(self) -> None:
        await self._clients.close()
