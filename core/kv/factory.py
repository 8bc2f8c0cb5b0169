"""Choose the store from the settings (`KV_BACKEND=auto|upstash|redis|sqlite|memory`).

`BACKENDS` is the one table of stores: name -> whether the settings configure it, how to
open it. `auto` walks the table in order and opens the first one configured:
1. Upstash REST, when both its URL and token are set (`KV_REST_API_URL` +
   `KV_REST_API_TOKEN`, or `UPSTASH_REDIS_REST_URL` + `UPSTASH_REDIS_REST_TOKEN`);
2. Redis over TCP, when `REDIS_URL` (or `KV_URL`) is set;
3. the SQLite file (one machine only: instances elsewhere do not share it).
Adding a store: a module with a `KV` subclass and one `Backend` entry here.

Opening a store makes no connection: a store that is down shows as `KVError`
on use (and in `/health`), never as a failed start.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.errors import ConfigError
from core.kv.base import KV
from core.kv.memory import MemoryKV
from core.kv.sqlite import SQLiteKV
from core.settings import PROJECT_DIR, Settings

log = logging.getLogger(__name__)

_REDIS_VARS = "REDIS_URL (or KV_URL)"
_UPSTASH_URL_VARS = "KV_REST_API_URL (or UPSTASH_REDIS_REST_URL)"
_UPSTASH_TOKEN_VARS = "KV_REST_API_TOKEN (or UPSTASH_REDIS_REST_TOKEN)"


@dataclass(frozen=True)
class Backend:
    name: str
    configured: Callable[[Settings], bool]  # do the settings ask for it? (`auto` takes the first)
    open: Callable[[Settings], KV]  # raises ConfigError naming what is missing; never connects


def default_sqlite_path() -> Path:
    """Beside the code when it is writable (a laptop), else /tmp (Vercel, Lambda)."""
    local = PROJECT_DIR / ".cache"
    if os.access(PROJECT_DIR, os.W_OK):
        return local / "arxiv-feeds.sqlite3"
    return Path(tempfile.gettempdir()) / "arxiv-feeds" / "arxiv-feeds.sqlite3"


def _upstash_configured(settings: Settings) -> bool:
    if bool(settings.upstash_url) != bool(settings.upstash_token):
        missing = _UPSTASH_TOKEN_VARS if settings.upstash_url else _UPSTASH_URL_VARS
        log.warning("Upstash REST is half configured (%s is not set); not using it", missing)
    return bool(settings.upstash_url and settings.upstash_token)


def _open_upstash(settings: Settings) -> KV:
    needed = ((_UPSTASH_URL_VARS, settings.upstash_url), (_UPSTASH_TOKEN_VARS, settings.upstash_token))
    missing = [name for name, value in needed if not value]
    if missing or not settings.upstash_url or not settings.upstash_token:
        raise ConfigError(f"KV_BACKEND=upstash needs {' and '.join(missing)}")
    from core.kv.upstash import UpstashKV

    return UpstashKV(settings.upstash_url, settings.upstash_token.get_secret_value())


def _open_redis(settings: Settings) -> KV:
    if not settings.redis_url:
        raise ConfigError(f"KV_BACKEND=redis needs {_REDIS_VARS}")
    from core.kv.redis import RedisKV  # imported here: only Redis deployments need the package

    return RedisKV(settings.redis_url.get_secret_value())


def _open_sqlite(settings: Settings) -> KV:
    path = settings.kv_path or default_sqlite_path()
    try:
        return SQLiteKV(path)
    except Exception as exc:  # a read-only or full disk must not stop the service
        log.error("cannot open SQLite store at %s (%s); using memory", path, exc)
        return MemoryKV()


BACKENDS: dict[str, Backend] = {
    backend.name: backend
    for backend in (
        Backend("upstash", _upstash_configured, _open_upstash),
        Backend("redis", lambda s: bool(s.redis_url), _open_redis),
        Backend("sqlite", lambda s: True, _open_sqlite),
        Backend("memory", lambda s: False, lambda s: MemoryKV()),
    )
}


def choose_backend(settings: Settings) -> str:
    """The backend `open_store` opens: `KV_BACKEND`, with `auto` resolved from the settings."""
    name = settings.kv_backend.strip().lower()
    if name == "auto":
        return next(backend.name for backend in BACKENDS.values() if backend.configured(settings))
    if name not in BACKENDS:
        names = ", ".join(["auto", *BACKENDS])
        raise ConfigError(f"KV_BACKEND={settings.kv_backend!r} is not a store: use one of {names}")
    return name


def open_store(settings: Settings) -> KV:
    store = BACKENDS[choose_backend(settings)].open(settings)
    log.info("store: %r", store)
    return store
