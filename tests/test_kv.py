"""One behavioural suite for every store backend, plus faults and the factory's choice.

memory and sqlite always run. redis and upstash need a real Redis at REDIS_URL
(`.ci/run` sets it): upstash is the REST client against tests/upstash_server.py,
which runs the commands on that Redis. Keys carry a prefix unique to this run and
are deleted afterwards (never FLUSHDB: the database may be shared).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from core.clock import ManualClock
from core.errors import ConfigError
from core.errors import KVError
from core.kv import KV, open_store
from core.kv.factory import choose_backend
from core.kv.memory import MemoryKV
from core.kv.sqlite import SQLiteKV
from core.settings import Settings

T = TypeVar("T")

REDIS_URL = os.environ.get("REDIS_URL")  # read before any test edits the environment
SKIP_REDIS = "REDIS_URL not set: Redis backend tests need a real Redis (.ci/run sets it)"
PREFIX = f"arxiv-feeds-test:{uuid.uuid4().hex[:12]}"
ROOT = Path(__file__).resolve().parent.parent

BACKENDS = ["memory", "sqlite", "redis", "upstash"]
STORE_ENV = [
    "KV_BACKEND", "KV_PATH", "REDIS_URL", "KV_URL",
    "KV_REST_API_URL", "KV_REST_API_TOKEN", "UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN",
]  # fmt: skip


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def takes_at_most(seconds: float) -> Iterator[None]:
    start = time.monotonic()
    yield
    elapsed = time.monotonic() - start
    assert elapsed < seconds, f"took {elapsed:.2f}s, expected < {seconds}s"


# --- fixtures ------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_sync() -> Iterator[Any]:
    """A sync client on REDIS_URL for set-up and clean-up; deletes this run's keys at the end."""
    if not REDIS_URL:
        pytest.skip(SKIP_REDIS)
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    client.ping()  # REDIS_URL is set but nothing answers: that is a failure, not a skip
    yield client
    keys = list(client.scan_iter(match=f"{PREFIX}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(scope="session")
def upstash_server(redis_sync: Any) -> Iterator[Any]:
    from tests.upstash_server import UpstashServer

    assert REDIS_URL
    server = UpstashServer(REDIS_URL, token=f"tok-{uuid.uuid4().hex}").start()
    yield server
    server.stop()


@pytest.fixture
def upstash(upstash_server: Any) -> Iterator[Any]:
    upstash_server.mode = "ok"
    yield upstash_server
    upstash_server.mode = "ok"


def make_store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> KV:
    if backend == "memory":
        return MemoryKV(ManualClock())
    if backend == "sqlite":
        return SQLiteKV(tmp_path / "kv.sqlite3", ManualClock())
    if backend == "redis":
        request.getfixturevalue("redis_sync")
        from core.kv.redis import RedisKV

        assert REDIS_URL
        return RedisKV(REDIS_URL)
    if backend == "upstash":
        server = request.getfixturevalue("upstash")
        from core.kv.upstash import UpstashKV

        return UpstashKV(server.url, server.token)
    raise AssertionError(backend)


@pytest.fixture(params=BACKENDS)
def kv(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KV]:
    store = make_store(request.param, request, tmp_path)
    yield store
    run(store.close())


@pytest.fixture
def key(request: pytest.FixtureRequest) -> Any:
    """key("x") -> a key unique to this test and run."""
    test = request.node.name
    return lambda name="k": f"{PREFIX}:{test}:{name}"


# --- behaviour every backend shares ----------------------------------------------


async def later(kv: KV, seconds: float) -> None:
    """Let `seconds` pass for the store's TTLs: on its ManualClock (memory, SQLite), or for
    real where the server keeps the time (Redis, Upstash)."""
    clock = getattr(kv, "clock", None)
    if isinstance(clock, ManualClock):
        clock.advance(seconds)
    else:
        await asyncio.sleep(seconds)


def test_get_missing_is_none(kv: KV, key) -> None:
    assert run(kv.get(key("absent"))) is None


@pytest.mark.parametrize(
    "value",
    [
        b"hello",
        b"",
        "pr\u00e9f\u00e9rence \u2014 \U0001f600".encode(),
        bytes(range(256)),  # every byte, NUL and invalid UTF-8 included
        b"\xff\xfe\x00\x80\xc3(",
    ],
    ids=["ascii", "empty", "utf8", "all-bytes", "invalid-utf8"],
)
def test_set_get_round_trip(kv: KV, key, value: bytes) -> None:
    run(kv.set(key(), value))
    got = run(kv.get(key()))
    assert got == value and type(got) is bytes


def test_one_megabyte_value(kv: KV, key) -> None:
    value = os.urandom(1 << 20)
    run(kv.set(key(), value, ttl=60))
    assert run(kv.get(key())) == value


def test_set_overwrites_and_drops_the_old_ttl(kv: KV, key) -> None:
    async def scenario() -> None:
        await kv.set(key(), b"one", ttl=0.3)
        await kv.set(key(), b"two")  # no ttl: kept until deleted
        await later(kv, 0.45)
        assert await kv.get(key()) == b"two"

    run(scenario())


def test_ttl_expires_and_no_ttl_persists(kv: KV, key) -> None:
    async def scenario() -> None:
        await kv.set(key("short"), b"short", ttl=0.3)
        await kv.set(key("kept"), b"kept")
        await kv.set(key("long"), b"long", ttl=30)
        assert await kv.get(key("short")) == b"short"
        await later(kv, 0.45)
        assert await kv.get(key("short")) is None
        assert await kv.get(key("kept")) == b"kept"
        assert await kv.get(key("long")) == b"long"

    run(scenario())


def test_tiny_and_zero_ttl_are_accepted_and_expire(kv: KV, key) -> None:
    """Redis rejects `PX 0`; a sub-millisecond or zero TTL must still work everywhere."""

    async def scenario() -> None:
        await kv.set(key("tiny"), b"x", ttl=0.0004)
        await kv.set(key("zero"), b"x", ttl=0)
        await later(kv, 0.05)
        assert await kv.get(key("tiny")) is None
        assert await kv.get(key("zero")) is None

    run(scenario())


def test_add_is_set_if_absent(kv: KV, key) -> None:
    async def scenario() -> None:
        assert await kv.add(key(), b"first") is True
        assert await kv.add(key(), b"second") is False
        assert await kv.get(key()) == b"first"
        await kv.set(key("set"), b"by set")
        assert await kv.add(key("set"), b"by add") is False
        assert await kv.get(key("set")) == b"by set"

    run(scenario())


def test_add_wins_again_after_expiry(kv: KV, key) -> None:
    async def scenario() -> None:
        assert await kv.add(key(), b"lock 1", ttl=0.3) is True
        assert await kv.add(key(), b"lock 2", ttl=0.3) is False
        await later(kv, 0.45)
        assert await kv.add(key(), b"lock 3", ttl=5) is True
        assert await kv.get(key()) == b"lock 3"

    run(scenario())


def test_delete(kv: KV, key) -> None:
    async def scenario() -> None:
        await kv.set(key(), b"v")
        await kv.delete(key())
        assert await kv.get(key()) is None
        await kv.delete(key())  # deleting what is not there is fine
        await kv.delete(key("never"))
        assert await kv.add(key(), b"again") is True

    run(scenario())


def test_ping(kv: KV) -> None:
    assert run(kv.ping()) is True


def test_concurrent_add_has_one_winner(kv: KV, key) -> None:
    async def scenario() -> list[bool]:
        return await asyncio.gather(*(kv.add(key(), str(i).encode(), ttl=30) for i in range(20)))

    results = run(scenario())
    assert results.count(True) == 1, results
    winner = results.index(True)
    assert run(kv.get(key())) == str(winner).encode()


def test_incr_counts_atomically_and_expires(kv: KV, key) -> None:
    async def scenario() -> None:
        assert await kv.incr(key(), 1, ttl=0.4) == 1
        assert await kv.incr(key(), 4, ttl=0.4) == 5
        assert await kv.incr(key(), 0, ttl=0.4) == 5  # reads without counting
        counts = await asyncio.gather(*(kv.incr(key(), 1, ttl=0.4) for _ in range(30)))
        assert sorted(counts) == list(range(6, 36)), "two increments saw the same count"
        await later(kv, 0.6)
        assert await kv.incr(key(), 2, ttl=30) == 2  # expired: starts again, with the new ttl
        assert await kv.incr(key("other")) == 1  # no ttl

    run(scenario())


def test_one_store_serves_several_event_loops(kv: KV, key) -> None:
    """The CLI runs its work in one asyncio.run and close() in another: the store must cope."""
    run(kv.set(key(), b"from loop 1"))
    assert run(kv.get(key())) == b"from loop 1"
    assert run(kv.add(key("lock"), b"x")) is True
    run(kv.delete(key()))
    assert run(kv.get(key())) is None


def test_keys_are_separate(kv: KV, key) -> None:
    async def scenario() -> None:
        await kv.set(key("a"), b"A")
        await kv.set(key("b"), b"B")
        await kv.set(key("caf\u00e9 \u00e0 l'\u00e9t\u00e9/x:y"), b"C")
        assert [await kv.get(key(n)) for n in ("a", "b", "caf\u00e9 \u00e0 l'\u00e9t\u00e9/x:y")] == [b"A", b"B", b"C"]

    run(scenario())


# --- SQLite across processes -------------------------------------------------------

_RACER = """
import asyncio, json, os, sys, time
sys.path.insert(0, sys.argv[1])
from core.kv.sqlite import SQLiteKV
path, go, keys = sys.argv[2], sys.argv[3], int(sys.argv[4])
store = SQLiteKV(path)
while not os.path.exists(go):
    time.sleep(0.005)
async def race():
    return [i for i in range(keys) if await store.add(f"lock:{i}", str(os.getpid()).encode(), ttl=60)]
print(json.dumps(asyncio.run(race())))
"""


_COUNTER = """
import asyncio, os, sys, time
sys.path.insert(0, sys.argv[1])
from core.kv.sqlite import SQLiteKV
store = SQLiteKV(sys.argv[2])
while not os.path.exists(sys.argv[3]):
    time.sleep(0.005)
async def count():
    for _ in range(100):
        await store.incr("counter", 1, ttl=60)
asyncio.run(count())
"""


def test_sqlite_incr_loses_no_count_across_processes(tmp_path: Path) -> None:
    path, go = tmp_path / "shared.sqlite3", tmp_path / "go"
    SQLiteKV(path)
    racers = [subprocess.Popen([sys.executable, "-c", _COUNTER, str(ROOT), str(path), str(go)], stderr=subprocess.PIPE,
                               text=True) for _ in range(3)]
    time.sleep(0.3)
    go.touch()
    for racer in racers:
        _, err = racer.communicate(timeout=60)
        assert racer.returncode == 0, err
    assert run(SQLiteKV(path).incr("counter", 0)) == 300


def test_sqlite_add_has_one_winner_across_processes(tmp_path: Path) -> None:
    path, go, keys = tmp_path / "shared.sqlite3", tmp_path / "go", 200
    SQLiteKV(path)  # create the schema before the race
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", _RACER, str(ROOT), str(path), str(go), str(keys)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    time.sleep(0.3)  # let them all start and wait
    go.touch()
    won: list[list[int]] = []
    for racer in racers:
        out, err = racer.communicate(timeout=60)
        assert racer.returncode == 0, err
        won.append(json.loads(out))
    wins = sorted(i for w in won for i in w)
    assert wins == list(range(keys)), "every lock must have exactly one winner"


# --- faults: a store that is down, slow, or refuses us -------------------------------


def test_redis_down_fails_fast_with_kverror() -> None:
    from core.kv.redis import RedisKV

    store = RedisKV(f"redis://127.0.0.1:{free_port()}/0")
    for op in (store.get("k"), store.set("k", b"v", ttl=1), store.add("k", b"v"), store.delete("k"), store.ping()):
        with takes_at_most(5), pytest.raises(KVError, match="redis redis://127.0.0.1"):
            run(op)
    run(store.close())


def test_redis_that_never_answers_times_out_with_kverror() -> None:
    """A port that accepts connections but never replies: the read timeout must end the wait."""
    from core.kv.redis import RedisKV

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)  # the kernel completes handshakes; nobody ever reads or writes
        store = RedisKV(f"redis://127.0.0.1:{silent.getsockname()[1]}/0", timeout=0.3)
        for op in (store.get("k"), store.set("k", b"v")):
            with takes_at_most(3), pytest.raises(KVError, match="(?i)timeout"):
                run(op)
        run(store.close())


def test_redis_url_password_never_shown() -> None:
    from core.kv.redis import RedisKV

    store = RedisKV(f"redis://default:s3cret-pw@127.0.0.1:{free_port()}/0")
    with pytest.raises(KVError) as raised:
        run(store.get("k"))
    assert "s3cret-pw" not in str(raised.value) and "s3cret-pw" not in repr(store)


def test_upstash_url_credentials_never_shown() -> None:
    """The same redaction as /config (core.redact): userinfo and secret query parameters."""
    from core.kv.upstash import UpstashKV

    store = UpstashKV(f"http://user:s3cret-pw@127.0.0.1:{free_port()}/?token=s3cret-tok", "t", timeout=0.5)
    with pytest.raises(KVError) as raised:
        run(store.get("k"))
    shown = str(raised.value) + repr(store)
    assert "127.0.0.1" in shown and "s3cret-pw" not in shown and "s3cret-tok" not in shown
    run(store.close())


def test_redis_reconnects_once_when_the_server_dropped_the_connection(redis_sync: Any, key) -> None:
    """Servers close idle clients (serverless, managed Redis): the next command must still work."""
    from core.kv.redis import RedisKV

    assert REDIS_URL
    name = f"arxiv-feeds-test-{uuid.uuid4().hex[:8]}"
    store = RedisKV(REDIS_URL, client_name=name)

    async def scenario() -> None:
        await store.set(key(), b"before")
        ids = [c["id"] for c in redis_sync.client_list() if c.get("name") == name]
        assert ids, "the store's connection should be listed under its name"
        for client_id in ids:
            redis_sync.client_kill_filter(_id=client_id)
        assert await store.get(key()) == b"before"
        await store.close()

    run(scenario())


def test_rediss_url_speaks_tls() -> None:
    """`rediss://` is TLS from the URL alone: the first bytes sent are a TLS handshake record."""
    import threading

    from core.kv.redis import RedisKV

    received: list[bytes] = []
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(5)

        def accept_one() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(5)
                received.append(conn.recv(5))  # then hang up: no TLS here

        thread = threading.Thread(target=accept_one, daemon=True)
        thread.start()
        store = RedisKV(f"rediss://127.0.0.1:{listener.getsockname()[1]}/0", timeout=0.5)
        with takes_at_most(5), pytest.raises(KVError):
            run(store.get("k"))
        thread.join(5)
    assert received and received[0][:1] == b"\x16", received  # 0x16: TLS handshake


def test_redis_bad_url_is_a_value_error() -> None:
    from core.kv.redis import RedisKV

    with pytest.raises(ValueError, match="redis://"):
        RedisKV("http://127.0.0.1:6379")


@pytest.mark.parametrize("backend", ["redis", "upstash"])
def test_redis_error_reply_is_kverror(backend: str, request: pytest.FixtureRequest, tmp_path: Path, key) -> None:
    """A command Redis refuses (here GET on a list) is KVError, not a crash or a wrong value."""
    client = request.getfixturevalue("redis_sync")
    client.rpush(key(), b"not a string")
    store = make_store(backend, request, tmp_path)
    with pytest.raises(KVError, match="WRONGTYPE"):
        run(store.get(key()))
    run(store.close())


def test_upstash_wrong_token_is_kverror_without_the_token(upstash: Any) -> None:
    from core.kv.upstash import UpstashKV

    wrong = f"wrong-{uuid.uuid4().hex}"
    store = UpstashKV(upstash.url, wrong)
    for op in (store.get("k"), store.set("k", b"v"), store.ping()):
        with pytest.raises(KVError) as raised:
            run(op)
        message = str(raised.value)
        assert "token was rejected" in message and "401" in message
        assert wrong not in message and upstash.token not in message
    run(store.close())


@pytest.mark.parametrize("mode", ["garbage", "500"])
def test_upstash_broken_answers_are_kverror(upstash: Any, mode: str) -> None:
    from core.kv.upstash import UpstashKV

    store = UpstashKV(upstash.url, upstash.token)
    upstash.mode = mode
    for op in (store.get("k"), store.set("k", b"v"), store.add("k", b"v"), store.ping()):
        with pytest.raises(KVError, match="500" if mode == "500" else "not an Upstash answer"):
            run(op)
    run(store.close())


def test_upstash_token_echoed_by_the_server_is_scrubbed(upstash: Any) -> None:
    from core.kv.upstash import UpstashKV

    store = UpstashKV(upstash.url, upstash.token)
    upstash.mode = "echo"
    with pytest.raises(KVError, match="bad request with Bearer \\*\\*\\*") as raised:
        run(store.get("k"))
    assert upstash.token not in str(raised.value)
    run(store.close())


def test_upstash_slow_answer_times_out_with_kverror(upstash: Any) -> None:
    from core.kv.upstash import UpstashKV

    store = UpstashKV(upstash.url, upstash.token, timeout=0.3)
    upstash.mode, upstash.delay = "slow", 1.0
    with takes_at_most(0.9), pytest.raises(KVError, match="Timeout"):
        run(store.get("k"))
    run(store.close())


def test_upstash_down_fails_fast_with_kverror() -> None:
    from core.kv.upstash import UpstashKV

    store = UpstashKV(f"http://127.0.0.1:{free_port()}", "some-token")
    with takes_at_most(5), pytest.raises(KVError, match="ConnectError"):
        run(store.get("k"))
    run(store.close())


def test_upstash_value_not_written_as_base64_reads_as_missing(upstash: Any, redis_sync: Any, key) -> None:
    """Raw bytes another client left on the database read as missing, then get rewritten."""
    from core.kv.upstash import UpstashKV

    redis_sync.set(key(), b"{raw json, not base64}")
    store = UpstashKV(upstash.url, upstash.token)
    assert run(store.get(key())) is None
    run(store.set(key(), b"{ours}"))
    assert run(store.get(key())) == b"{ours}"
    run(store.close())


def test_upstash_stores_base64_text(upstash: Any, redis_sync: Any, key) -> None:
    """The documented encoding: what lands in Redis is the base64 text of the bytes."""
    from core.kv.upstash import UpstashKV

    store = UpstashKV(upstash.url, upstash.token)
    run(store.set(key(), b"\xff\x00abc"))
    assert redis_sync.get(key()) == b"/wBhYmM="
    run(store.close())


def test_upstash_server_pipeline(upstash: Any, key) -> None:
    """The stand-in speaks /pipeline too: an array of commands, an array of answers."""
    import httpx

    answer = httpx.post(
        f"{upstash.url}/pipeline",
        json=[["SET", key(), "v"], ["GET", key()], ["INCR", key()], ["DEL", key()]],
        headers={"Authorization": f"Bearer {upstash.token}"},
        timeout=5,
    )
    assert answer.status_code == 200
    results = answer.json()
    assert results[:2] == [{"result": "OK"}, {"result": "v"}]
    assert "error" in results[2] and results[3] == {"result": 1}


# --- the factory ------------------------------------------------------------------------


@pytest.fixture
def store_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """An environment with no store configured, except KV_PATH under tmp_path."""
    for name in STORE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KV_PATH", str(tmp_path / "auto.sqlite3"))
    return monkeypatch


def opened(env: pytest.MonkeyPatch, **variables: str) -> KV:
    for name, value in variables.items():
        env.setenv(name, value)
    return open_store(Settings.from_env())


REST = {"KV_REST_API_URL": "https://example.upstash.io", "KV_REST_API_TOKEN": "vercel-token"}


def test_auto_without_shared_store_is_sqlite(store_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    store = opened(store_env)
    assert isinstance(store, SQLiteKV) and store.path == str(tmp_path / "auto.sqlite3")


@pytest.mark.parametrize(
    "variables, expected",
    [
        ({"REDIS_URL": "redis://127.0.0.1:1/0"}, "redis"),
        ({"KV_URL": "rediss://default:pw@example.upstash.io:6379"}, "redis"),
        (REST, "upstash"),
        ({**REST, "REDIS_URL": "redis://127.0.0.1:1/0", "KV_URL": "rediss://h:6379"}, "upstash"),
        ({"UPSTASH_REDIS_REST_URL": "https://u.upstash.io", "UPSTASH_REDIS_REST_TOKEN": "t"}, "upstash"),
        ({"KV_REST_API_URL": "https://example.upstash.io", "REDIS_URL": "redis://h:1"}, "redis"),  # no token
        ({"KV_REST_API_TOKEN": "t"}, "sqlite"),  # no URL
    ],
    ids=["redis-url", "kv-url", "vercel-rest", "rest-before-redis", "upstash-names", "half-rest", "token-only"],
)
def test_auto_order(store_env: pytest.MonkeyPatch, variables: dict[str, str], expected: str) -> None:
    store = opened(store_env, **variables)
    assert store.name == expected
    run(store.close())


def test_env_names_and_precedence(store_env: pytest.MonkeyPatch) -> None:
    store_env.setenv("KV_URL", "rediss://default:pw@kv.example:6380")
    assert Settings.from_env().redis_url.get_secret_value() == "rediss://default:pw@kv.example:6380"  # type: ignore[union-attr]
    store_env.setenv("REDIS_URL", "redis://r.example:6379/2")
    store = open_store(Settings.from_env())
    assert store.url == "redis://r.example:6379/2"  # type: ignore[attr-defined]

    store_env.setenv("UPSTASH_REDIS_REST_URL", "https://u.example")
    store_env.setenv("UPSTASH_REDIS_REST_TOKEN", "u-token")
    settings = Settings.from_env()
    assert (settings.upstash_url, settings.upstash_token.get_secret_value()) == ("https://u.example", "u-token")  # type: ignore[union-attr]
    store_env.setenv("KV_REST_API_URL", "https://v.example")
    store_env.setenv("KV_REST_API_TOKEN", "v-token")
    settings = Settings.from_env()
    assert (settings.upstash_url, settings.upstash_token.get_secret_value()) == ("https://v.example", "v-token")  # type: ignore[union-attr]
    assert "v-token" not in repr(settings) and "pw@" not in repr(settings)


def test_explicit_backends(store_env: pytest.MonkeyPatch) -> None:
    store_env.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    for name, kind in [("memory", MemoryKV), ("sqlite", SQLiteKV), ("SQLite", SQLiteKV)]:
        store_env.setenv("KV_BACKEND", name)
        assert isinstance(open_store(Settings.from_env()), kind)
    store_env.setenv("KV_BACKEND", "redis")
    assert open_store(Settings.from_env()).name == "redis"


def test_unknown_backend_lists_the_valid_ones(store_env: pytest.MonkeyPatch) -> None:
    store_env.setenv("KV_BACKEND", "dynamo")
    with pytest.raises(ValueError) as raised:
        open_store(Settings.from_env())
    message = str(raised.value)
    assert "'dynamo'" in message
    assert all(name in message for name in ("auto", "sqlite", "redis", "upstash", "memory"))


@pytest.mark.parametrize(
    "backend, variables, named, not_named",
    [
        ("redis", {}, ["REDIS_URL", "KV_URL"], []),
        ("redis", REST, ["REDIS_URL", "KV_URL"], []),
        ("upstash", {}, ["KV_REST_API_URL", "KV_REST_API_TOKEN", "UPSTASH_REDIS_REST_TOKEN"], []),
        ("upstash", {"KV_REST_API_URL": "https://x.example"}, ["KV_REST_API_TOKEN"], ["KV_REST_API_URL"]),
        ("upstash", {"UPSTASH_REDIS_REST_TOKEN": "t"}, ["KV_REST_API_URL"], ["KV_REST_API_TOKEN"]),
        ("upstash", {"REDIS_URL": "redis://h:1"}, ["KV_REST_API_URL", "KV_REST_API_TOKEN"], []),
    ],
)
def test_missing_variables_are_named(
    store_env: pytest.MonkeyPatch, backend: str, variables: dict, named: list[str], not_named: list[str]
) -> None:
    store_env.setenv("KV_BACKEND", backend)
    with pytest.raises(ValueError) as raised:
        opened(store_env, **variables)
    message = str(raised.value)
    assert f"KV_BACKEND={backend}" in message
    assert all(name in message for name in named), message
    assert not any(name in message for name in not_named), message


def test_choosing_does_not_connect(store_env: pytest.MonkeyPatch) -> None:
    """Opening a store never touches the network: a dead one shows up on use, as KVError."""
    store_env.setenv("KV_REST_API_URL", f"http://127.0.0.1:{free_port()}")
    store_env.setenv("KV_REST_API_TOKEN", "t")
    settings = Settings.from_env()
    assert choose_backend(settings) == "upstash"
    store = open_store(settings)
    with pytest.raises(KVError):
        run(store.ping())


def test_the_backend_table_is_the_only_list(store_env: pytest.MonkeyPatch) -> None:
    """A store is one entry in BACKENDS: KV_BACKEND names it and the error lists it; the README
    documents every entry."""
    from core.kv.factory import BACKENDS, Backend

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| `KV_BACKEND` |"))
    assert all(f"`{name}`" in row for name in ["auto", *BACKENDS]), row
    opened_with: list[Settings] = []
    store_env.setitem(BACKENDS, "custom", Backend("custom", lambda s: False, lambda s: opened_with.append(s) or MemoryKV()))
    store_env.setenv("KV_BACKEND", "Custom")
    assert isinstance(open_store(Settings.from_env()), MemoryKV) and len(opened_with) == 1
    store_env.setenv("KV_BACKEND", "dynamo")
    with pytest.raises(ConfigError, match="custom"):
        open_store(Settings.from_env())


class Flaky(MemoryKV):
    """A store that raises while `down` and counts what reached it."""

    def __init__(self) -> None:
        super().__init__()
        self.down = False
        self.calls = 0

    async def get(self, key: str) -> bytes | None:
        self.calls += 1
        if self.down:
            raise KVError("connection refused")
        return await super().get(key)


def test_a_failing_store_is_skipped_for_the_cool_down_on_the_clock() -> None:
    from core.kv.resilient import ResilientKV

    clock, inner = ManualClock(), Flaky()
    store = ResilientKV(inner, cool_down=15, clock=clock)

    async def scenario() -> None:
        await store.set("k", b"v")
        inner.down = True
        assert await store.get("k") == b"v" and inner.calls == 1  # from the mirror
        assert store.last_error_at == clock.time()
        clock.advance(14)
        assert await store.get("k") == b"v" and inner.calls == 1  # skipped: cooling down
        inner.down = False
        clock.advance(1)
        assert await store.get("k") == b"v" and inner.calls == 2  # asked again, and it answers
        assert store.last_error is None

    run(scenario())
