"""The embedded default store: one SQLite file, safe across threads and processes.

WAL mode lets readers and one writer work at once; `add` relies on the primary
key so two processes racing for a lock cannot both win.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from core.clock import SYSTEM_CLOCK, Clock
from core.errors import KVError
from core.kv.base import KV

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL,
    expires REAL
)
"""


class SQLiteKV(KV):
    name = "sqlite"

    def __init__(self, path: Path | str, clock: Clock = SYSTEM_CLOCK):
        self.path = str(path)
        self.clock = clock  # TTLs run on its wall clock (expiry times are shared across processes)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._connect() as db:
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        return db

    def _run(self, sql: str, args: tuple = ()) -> sqlite3.Cursor:
        try:
            return self._connect().execute(sql, args)
        except sqlite3.Error as exc:
            raise KVError(f"sqlite {self.path}: {exc}") from exc

    async def get(self, key: str) -> bytes | None:
        row = self._run("SELECT value, expires FROM kv WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        now = self.clock.time()
        if row[1] is not None and row[1] <= now:
            self._run("DELETE FROM kv WHERE key = ? AND expires <= ?", (key, now))
            return None
        return bytes(row[0])

    async def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        expires = None if ttl is None else self.clock.time() + ttl
        self._run("INSERT OR REPLACE INTO kv (key, value, expires) VALUES (?, ?, ?)", (key, value, expires))

    async def add(self, key: str, value: bytes, ttl: float | None = None) -> bool:
        now = self.clock.time()
        self._run("DELETE FROM kv WHERE key = ? AND expires IS NOT NULL AND expires <= ?", (key, now))
        cursor = self._run(
            "INSERT OR IGNORE INTO kv (key, value, expires) VALUES (?, ?, ?)",
            (key, value, None if ttl is None else now + ttl),
        )
        return cursor.rowcount == 1

    async def delete(self, key: str) -> None:
        self._run("DELETE FROM kv WHERE key = ?", (key,))

    async def incr(self, key: str, amount: int = 1, ttl: float | None = None) -> int:
        """One UPSERT statement, so processes sharing the file never lose a count; an expired
        counter starts again from `amount` with a new expiry."""
        now = self.clock.time()
        expires = None if ttl is None else now + ttl
        row = self._run(
            """INSERT INTO kv (key, value, expires) VALUES (:key, CAST(:amount AS BLOB), :expires)
            ON CONFLICT(key) DO UPDATE SET
                value = CAST(CASE WHEN expires IS NOT NULL AND expires <= :now THEN :amount
                             ELSE CAST(CAST(value AS TEXT) AS INTEGER) + :amount END AS BLOB),
                expires = CASE WHEN expires IS NOT NULL AND expires <= :now THEN :expires ELSE expires END
            RETURNING CAST(CAST(value AS TEXT) AS INTEGER)""",
            {"key": key, "amount": amount, "expires": expires, "now": now},
        ).fetchone()
        return int(row[0])

    async def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
