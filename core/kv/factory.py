"""Choose the store from the settings (`KV_BACKEND=auto|sqlite|memory`)."""

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


def default_sqlite_path() -> Path:
    """Beside the code when it is writable (a laptop), else /tmp (Vercel, Lambda)."""
    local = PROJECT_DIR / ".cache"
    if os.access(PROJECT_DIR, os.W_OK):
        return local / "arxiv-feeds.sqlite3"
    return Path(tempfile.gettempdir()) / "arxiv-feeds" / "arxiv-feeds.sqlite3"


def open_store(settings: Settings) -> KV:
    backend = settings.kv_backend.lower()
    if backend == "memory":
        return MemoryKV()
    if backend not in ("auto", "sqlite"):
        raise ValueError(f"KV_BACKEND={settings.kv_backend!r}: use auto, sqlite or memory")
    path = settings.kv_path or default_sqlite_path()
    try:
        return SQLiteKV(path)
    except Exception as exc:  # a read-only or full disk must not stop the service
        log.error("cannot open SQLite store at %s (%s); using memory", path, exc)
        return MemoryKV()
