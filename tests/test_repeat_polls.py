"""Warm polls answered before routing (core.web.repeat_polls): the same bytes and validators the route
sends, never past what the route itself would still send."""

from __future__ import annotations

import asyncio

import pytest

from core.clock import ManualClock
from core.kv.memory import MemoryKV
from core.web.repeat_polls import RepeatPollPolicy
from tests.conftest import running_app
from tests.fakearxiv import Failure
from tests.test_ingest import use_clock

FEED = "/feeds/llm.json"
# What differs between two answers to the same request by design.
PER_RESPONSE = {"date", "age"}


class Routed:
    """Counts the requests that reached the feed route (FeedPipeline.rendered)."""

    def __init__(self, app):
        self.count = 0
        feeds = app.services.feeds
        inner = feeds.rendered

        async def counting(*args, **kwargs):
            self.count += 1
            return await inner(*args, **kwargs)

        feeds.rendered = counting


def headers_of(response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in PER_RESPONSE}


def fill(app, path: str = FEED, **kwargs):
    """Poll until an answer comes from what was kept. The first poll fetches and stores (its
    answer is older than the writes it made), and background work (a backfill) may write once
    more after it; each write sends the next poll through the route again."""
    for _ in range(20):
        response = app.get(path, **kwargs)
        if "age" in response.headers:
            return response
    raise AssertionError(f"{path} was never answered from a kept response")


@pytest.fixture
def warm(fake_arxiv):
    with running_app(fake_arxiv) as app:
        use_clock(app, "2026-04-27T12:00:00")
        yield app


def test_a_repeated_poll_gets_the_same_bytes_and_headers_without_reaching_the_route(warm):
    first = fill(warm)
    routed = Routed(warm)
    again = warm.get(FEED)
    assert routed.count == 0
    assert again.status_code == 200
    assert again.content == first.content
    assert headers_of(again) == headers_of(first)
    assert again.headers["age"] == "0"  # Cache-Control is repeated as sent: Age keeps it true


def test_age_grows_with_the_clock_and_the_answer_ends_after_warm_cache_s(warm):
    clock = warm.services.clock
    fill(warm)
    routed = Routed(warm)
    clock.advance(seconds=7)
    assert warm.get(FEED).headers["age"] == "7"
    clock.advance(seconds=3)  # WARM_CACHE_S (10) after it was kept
    assert "age" not in warm.get(FEED).headers
    assert routed.count == 1


def test_no_answer_is_kept_past_the_feeds_next_rebuild(fake_arxiv):
    with running_app(fake_arxiv, warm_cache_s=3600) as app:
        clock = use_clock(app, "2026-04-28T04:09:55")  # 00:09:55 ET: arXiv's next rebuild is at 00:10 ET
        fill(app)
        routed = Routed(app)
        app.get(FEED)
        assert routed.count == 0
        clock.advance(seconds=10)
        app.get(FEED)
        assert routed.count == 1


def test_any_store_write_by_this_instance_ends_every_kept_answer(warm):
    fill(warm)
    routed = Routed(warm)
    warm.get(FEED)
    assert routed.count == 0
    asyncio.run(warm.services.kv.set("unrelated", b"1"))
    warm.get(FEED)
    assert routed.count == 1


def test_a_conditional_poll_gets_the_routes_own_304(fake_arxiv):
    site = {"public_base_url": "https://feeds.example.org"}  # the same bytes from both servers
    with running_app(fake_arxiv, warm_cache_s=0, **site) as plain:
        use_clock(plain, "2026-04-27T12:00:00")
        etag = plain.get(FEED).headers["etag"]
        expected = plain.get(FEED, headers={"If-None-Match": etag})
    assert expected.status_code == 304
    with running_app(fake_arxiv, **site) as app:
        use_clock(app, "2026-04-27T12:00:00")
        assert fill(app).headers["etag"] == etag
        routed = Routed(app)
        strong = etag.removeprefix("W/")  # httpx asks for gzip: the tag is weak
        for sent in (strong, f"W/{strong}", f'"other", {etag}', f'{etag},"other"', "*"):  # a list, spaced or not
            answer = app.get(FEED, headers={"If-None-Match": sent})
            assert answer.status_code == 304 and answer.content == b""
            assert headers_of(answer) == headers_of(expected)
        other = app.get(FEED, headers={"If-None-Match": '"not-this-one"'})
        assert other.status_code == 200 and other.headers["etag"] == etag
        assert routed.count == 0


def test_a_304_seen_first_answers_the_next_conditional_poll_but_not_an_unconditional_one(warm):
    etag = fill(warm).headers["etag"]
    asyncio.run(warm.services.kv.set("unrelated", b"1"))  # the kept 200 is old now
    routed = Routed(warm)
    assert warm.get(FEED, headers={"If-None-Match": etag}).status_code == 304
    assert warm.get(FEED, headers={"If-None-Match": etag}).status_code == 304
    assert routed.count == 1
    full = warm.get(FEED)
    assert full.status_code == 200 and full.json()["items"]
    assert routed.count == 2


def test_head_gets_the_get_headers_and_no_body(warm):
    got = fill(warm)
    routed = Routed(warm)
    head = warm.http.head(FEED)
    assert head.status_code == 200 and head.content == b""
    assert headers_of(head) == headers_of(got)
    assert routed.count == 0


def test_a_kept_answer_to_head_sends_no_body_even_to_a_server_that_would_pass_one_on(warm):
    """uvicorn drops a body sent to HEAD; ASGI adapters such as Lambda's need not: the layer
    itself must send none. The same request as httpx's, straight to the ASGI app."""
    got = fill(warm)
    port = warm.url.rsplit(":", 1)[1]
    scope = {"type": "http", "method": "HEAD", "path": FEED, "raw_path": FEED.encode(), "query_string": b"",
             "headers": [(b"host", f"127.0.0.1:{port}".encode()), (b"accept-encoding", b"gzip, deflate")],
             "scheme": "http", "root_path": "", "http_version": "1.1", "server": ("127.0.0.1", int(port)),
             "client": ("127.0.0.1", 1), "asgi": {"version": "3.0"}}
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    routed = Routed(warm)
    asyncio.run(warm.app(scope, receive, send))
    assert routed.count == 0  # answered from the kept response, not the route
    start = sent[0]
    assert start["status"] == 200 and (b"age", b"0") in start["headers"]
    assert (b"content-length", got.headers["content-length"].encode()) in start["headers"]
    assert b"".join(m.get("body", b"") for m in sent[1:]) == b""


def test_a_date_only_conditional_poll_gets_the_routes_own_answer(warm):
    got = fill(warm)
    routed = Routed(warm)
    since = warm.get(FEED, headers={"If-Modified-Since": got.headers["last-modified"]})
    assert since.status_code == 304 and "age" not in since.headers  # the route's 304, not the kept 200
    assert routed.count == 1


def test_an_answer_kept_for_http_is_not_the_answer_for_https(warm):
    fill(warm)
    https = warm.get(FEED, headers={"X-Forwarded-Proto": "https"})  # uvicorn trusts 127.0.0.1's proxy headers
    assert https.json()["feed_url"].startswith("https://")


def test_a_one_second_warm_cache_still_answers_repeated_polls(fake_arxiv):
    with running_app(fake_arxiv, warm_cache_s=1) as app:
        use_clock(app, "2026-04-27T12:00:00")
        fill(app)
        routed = Routed(app)
        app.get(FEED)
        assert routed.count == 0


def test_gzip_and_identity_are_kept_apart(warm):
    fill(warm)
    plain = warm.get(FEED, headers={"Accept-Encoding": "identity"})
    packed = warm.get(FEED, headers={"Accept-Encoding": "gzip"})
    packed_again = warm.get(FEED, headers={"Accept-Encoding": "gzip"})
    plain_again = warm.get(FEED, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain_again.headers and plain_again.content == plain.content
    assert packed_again.headers["content-encoding"] == "gzip"
    assert packed_again.headers["etag"] == "W/" + plain.headers["etag"]
    assert packed_again.content == packed.content  # httpx decodes: the same JSON


def test_other_query_strings_and_hosts_are_other_answers(warm):
    ten = warm.get(FEED + "?limit=1")
    assert len(ten.json()["items"]) == 1
    assert len(warm.get(FEED + "?limit=2").json()["items"]) == 2
    assert len(warm.get(FEED + "?limit=1").json()["items"]) == 1
    one = warm.get("/feeds/llm.atom", headers={"Host": "one.example"})
    two = warm.get("/feeds/llm.atom", headers={"Host": "two.example"})
    assert b"one.example" in one.content and b"two.example" in two.content and b"one.example" not in two.content


def test_tracking_parameters_share_the_answer_of_the_url_without_them(warm):
    first = fill(warm)
    kept = len(warm.app.repeat_polls.entries)
    routed = Routed(warm)
    for extra in ("utm_source=a", "_=123&utm_medium=b"):
        again = warm.get(f"{FEED}?{extra}")
        assert again.content == first.content and "age" in again.headers
    assert routed.count == 0 and len(warm.app.repeat_polls.entries) == kept


def test_a_browser_navigation_is_never_answered_with_the_kept_feed(warm):
    fill(warm, "/feeds/llm.atom")
    page = warm.get("/feeds/llm.atom", headers={"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"})
    assert page.headers["content-type"].startswith("text/html")


def test_stale_answers_and_errors_are_never_kept(warm):
    clock = warm.services.clock
    fill(warm)
    clock.advance(days=1)  # due again, and arXiv is down
    warm.fake.fail_next(*[Failure(503, b"down")] * 10)
    stale = warm.get(FEED)
    assert stale.headers["warning"].startswith("110")
    routed = Routed(warm)
    warm.get(FEED)
    assert routed.count == 1
    bad = warm.get("/feed?cat=cs.AI&limit=0")
    assert bad.status_code == 400
    assert "age" not in warm.get("/feed?cat=cs.AI&limit=0").headers


def test_warm_cache_s_zero_sends_every_poll_through_the_route(fake_arxiv):
    with running_app(fake_arxiv, warm_cache_s=0) as app:
        app.get(FEED)
        app.get(FEED)
        routed = Routed(app)
        app.get(FEED)
        app.get(FEED)
        assert routed.count == 2


def test_kept_answers_stay_within_their_byte_budget(fake_arxiv):
    kv = MemoryKV(ManualClock())
    with running_app(fake_arxiv, kv=kv, cache_max_bytes=8 * 40_000) as app:  # 40 kB for kept answers
        for limit in range(1, 30):
            app.get(f"{FEED}?limit={limit}&min_score=0")
            app.get(f"{FEED}?limit={limit}&min_score=0")
        for n in range(80):  # small answers, whose headers weigh as much as their bodies
            app.get(f"/feed?cat=cs.AI&q=zzq{n}&format=json")
        kept = app.app.repeat_polls.entries
        assert 0 < kept.bytes <= 40_000
        # what is really held: bodies and every header of the kept answers
        held = sum(len(e.body or b"") + sum(len(n) + len(v) for n, v in e.headers or e.not_modified)
                   for e in (kept.get(k) for k in kept.keys()))
        assert 0 < held <= 40_000, held


def test_a_body_sent_in_parts_is_never_kept():
    import httpx

    from core.clock import SYSTEM_CLOCK
    from core.web.repeat_polls import RepeatPollPolicy, RepeatPolls, mark_reusable

    async def streaming(scope, receive, send):  # a route that marks itself reusable, then streams
        mark_reusable(scope, SYSTEM_CLOCK.time() + 60)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"etag", b'"x"')]})
        await send({"type": "http.response.body", "body": b"first ", "more_body": True})
        await send({"type": "http.response.body", "body": b"second"})

    warm = RepeatPolls(streaming, RepeatPollPolicy(seconds=10, max_bytes=100_000, generation=lambda: 0, clock=lambda: SYSTEM_CLOCK))

    async def twice() -> list[bytes]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=warm), base_url="http://t") as client:
            return [(await client.get("/feed")).content for _ in range(2)]

    assert asyncio.run(twice()) == [b"first second"] * 2
    assert len(warm.entries) == 0


def test_of_two_host_headers_the_first_keys_the_kept_answer_as_the_route_reads_it():
    """The route builds its self links from the first Host header (Starlette's `Headers.get`):
    a kept answer to `Host: a, Host: b` must not be given to a reader who sent `Host: b`."""
    from starlette.datastructures import Headers

    from core.clock import SYSTEM_CLOCK
    from core.web.repeat_polls import RepeatPollPolicy, RepeatPolls, mark_reusable

    async def route(scope, receive, send):  # answers with the host it reads, reusable
        mark_reusable(scope, SYSTEM_CLOCK.time() + 60)
        host = Headers(scope=scope)["host"].encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"etag", b'"' + host + b'"')]})
        await send({"type": "http.response.body", "body": host})

    warm = RepeatPolls(route, RepeatPollPolicy(seconds=10, max_bytes=100_000, generation=lambda: 0, clock=lambda: SYSTEM_CLOCK))

    async def get(*hosts: bytes) -> bytes:
        sent: list[dict] = []

        async def receive():
            return {"type": "http.request", "body": b""}

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "method": "GET", "path": "/feed", "query_string": b"", "scheme": "http",
                 "root_path": "", "headers": [(b"host", h) for h in hosts]}
        await warm(scope, receive, send)
        return sent[-1]["body"]

    async def polls() -> list[bytes]:
        return [await get(b"a", b"b"), await get(b"b"), await get(b"a", b"b")]

    assert asyncio.run(polls()) == [b"a", b"b", b"a"]


def send(app, path: str, *accept_encoding: str):
    """A GET with exactly these Accept-Encoding headers (none: like plain curl)."""
    request = app.http.build_request("GET", path, headers=[("Accept-Encoding", value) for value in accept_encoding])
    if not accept_encoding:
        del request.headers["accept-encoding"]
    return app.http.send(request)


def test_repeated_accept_encoding_headers_never_give_gzip_to_a_reader_who_did_not_ask(warm):
    """`curl -H 'Accept-Encoding: gzip' -H 'Accept-Encoding: identity'` first after each kept
    answer ends, then plain readers: the list is one list (gzip accepted), and no plain reader
    gets its gzip bytes."""
    plain = fill(warm, headers={"Accept-Encoding": "identity"}).content
    for _ in range(3):
        warm.services.clock.advance(seconds=11)  # past WARM_CACHE_S: the next request is kept
        mixed = send(warm, FEED, "gzip", "identity")
        assert mixed.headers["content-encoding"] == "gzip" and mixed.content == plain
        for reader in (send(warm, FEED), send(warm, FEED, "identity"), send(warm, FEED, "identity", "gzip;q=0")):
            assert "content-encoding" not in reader.headers and reader.content == plain
            assert not reader.headers["etag"].startswith("W/")
    later = send(warm, FEED, "identity", "gzip")  # gzip named in the second header counts too
    assert later.headers["content-encoding"] == "gzip" and later.content == plain


@pytest.mark.parametrize("refusal", ["gzip;q=0", "gzip; q=0.0, identity", "x-gzip;q=0, gzip;q=0", "deflate, br"])
def test_gzip_refused_with_q_zero_is_never_sent_from_the_route_or_the_kept_answers(warm, refusal):
    fill(warm, headers={"Accept-Encoding": "gzip"})  # a gzip answer is kept
    for _ in range(2):  # through the route, then from what was kept
        answer = send(warm, FEED, refusal)
        assert answer.status_code == 200 and "content-encoding" not in answer.headers, refusal
        assert not answer.headers["etag"].startswith("W/")
    assert send(warm, FEED, "gzip;q=0.5").headers["content-encoding"] == "gzip"



def test_the_app_starts_and_stops_through_the_asgi_lifespan(fake_arxiv):
    """uvicorn runs the lifespan by default (`python -m core serve`): the outermost layer must
    pass a lifespan scope, which has no method, through untouched."""
    from core.profiles import parse_config
    from core.web import create_app
    from tests.conftest import TEST_CONFIG, make_settings

    app = create_app(make_settings(fake_arxiv), config=parse_config(TEST_CONFIG), kv=MemoryKV())
    events = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[str] = []

    async def receive():
        return next(events)

    async def send(message):
        sent.append(message["type"])

    asyncio.run(app({"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_a_kept_answer_is_never_the_answer_to_another_query_string_or_host(warm):
    """Once an answer is kept (not only the first poll, which is never kept), a request that
    differs in its query string or its Host still gets its own answer: other items, other self links."""
    assert len(fill(warm, FEED + "?limit=1").json()["items"]) == 1
    other = warm.get(FEED + "?limit=2")
    assert len(other.json()["items"]) == 2 and "age" not in other.headers
    fill(warm, "/feeds/llm.atom", headers={"Host": "one.example"})
    two = warm.get("/feeds/llm.atom", headers={"Host": "two.example"})
    assert b"two.example" in two.content and b"one.example" not in two.content and "age" not in two.headers


def test_of_two_if_none_match_headers_the_first_counts_as_for_the_route(warm):
    """A kept answer compares the validators the route would: Starlette reads the first of a
    repeated header, so the kept answer does too (304 exactly when the route would send one)."""
    etag = fill(warm).headers["etag"]

    def poll(*tags: str):
        return warm.http.send(warm.http.build_request("GET", FEED, headers=[("If-None-Match", t) for t in tags]))

    assert poll(etag, '"other"').status_code == 304
    answer = poll('"other"', etag)
    assert answer.status_code == 200 and answer.headers["etag"] == etag
