"""Choose the store from the settings (`KV_BACKEND=auto|sqlite|redis|upstash|memory`).

`auto` takes the first store the environment configures:
1. Upstash REST, when both its URL and token are set (`KV_REST_API_URL` +
   `KV_REST_API_TOKEN`, or `UPSTASH_REDIS_REST_URL` + `UPSTASH_REDIS_REST_TOKEN`);
2. Redis over TCP, when `REDIS_URL` (or `KV_URL`) is set;
3. the SQLite file (one machine only: instances elsewhere do not share it).

Opening a store makes no connection: a store that is down shows as `KVError`
on use (and in `/health`), never as a failed start.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from core.kv.base import KV
from core.kv.memory import MemoryKV
from core.kv.sqlite import SQLiteKV
from core.settings import PROJECT_DIR, Settings

log = logging.getLogger(__name__)

BACKENDS = ("auto", "sqlite", "redis", "upstash", "memory")

_REDIS_VARS = "REDIS_URL (or KV_URL)"
_UPSTASH_URL_VARS = "KV_REST_API_URL (or UPSTASH_REDIS_REST_URL)"
_UPSTASH_TOKEN_VARS = "KV_REST_API_TOKEN (or UPSTASH_REDIS_REST_TOKEN)"


def default_sqlite_path() -> Path:
    """Beside the code when it is writable (a laptop), else /tmp (Vercel, Lambda)."""
    local = PROJECT_DIR / ".cache"
    if os.access(PROJECT_DIR, os.W_OK):
        return local / "arxiv-feeds.sqlite3"
    return Path(tempfile.gettempdir()) / "arxiv-feeds" / "arxiv-feeds.sqlite3"


def choose_backend(settings: Settings) -> str:
    """The backend `open_store` opens: `KV_BACKEND`, with `auto` resolved from the environment."""
    backend = settings.kv_backend.strip().lower()
    if backend not in BACKENDS:
        raise ValueError(f"KV_BACKEND={settings.kv_backend!r} is not a store: use one of {', '.join(BACKENDS)}")
    if backend != "auto":
        return backend
    if settings.upstash_url and settings.upstash_token:
        return "upstash"
    if settings.upstash_url or settings.upstash_token:
        missing = _UPSTASH_TOKEN_VARS if settings.upstash_url else _UPSTASH_URL_VARS
        log.warning("Upstash REST is half configured (%s is not set); not using it", missing)
    if settings.redis_url:
        return "redis"
    return "sqlite"


def open_store(settings: Settings) -> KV:
    backend = choose_backend(settings)
    if backend == "memory":
        return MemoryKV()
    if backend == "upstash":
        needed = ((_UPSTASH_URL_VARS, settings.upstash_url), (_UPSTASH_TOKEN_VARS, settings.upstash_token))
        missing = [name for name, value in needed if not value]
        if missing:
            raise ValueError(f"KV_BACKEND=upstash needs {' and '.join(missing)}")
        from core.kv.upstash import UpstashKV

        assert settings.upstash_url and settings.upstash_token
        store: KV = UpstashKV(settings.upstash_url, settings.upstash_token.get_secret_value())
        log.info("store: %r", store)
        return store
    if backend == "redis":
        if not settings.redis_url:
            raise ValueError(f"KV_BACKEND=redis needs {_REDIS_VARS}")
        from core.kv.redis import (
            RedisKV,  # imported here: only Redis deployments need the package
        )

        store = RedisKV(settings.redis_url.get_secret_value())
        log.info("store: %r", store)
        return store
    path = settings.kv_path or default_sqlite_path()
    try:
        return SQLiteKV(path)
    except Exception as exc:  # a read-only or full disk must not stop the service
        log.error("cannot open SQLite store at %s (%s); using memory", path, exc)
        return MemoryKV()
