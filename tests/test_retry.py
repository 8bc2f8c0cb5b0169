"""core/retry.py: the one backoff, the one Retry-After parser and the retry loop, on a
ManualClock (no test sleeps); and the arXiv and LLM clients retrying through it."""

from __future__ import annotations

import asyncio
import email.utils

import pytest

from core.sources.arxiv.client import ArxivClient
from core.clock import ManualClock
from core.errors import LLMError, Retryable, UpstreamError
from core.retry import RetryPolicy, backoff, parse_retry_after, retrying
from core.summaries.client import LLMClient
from tests.conftest import make_settings
from tests.fakearxiv import Failure, FakeArxiv
from tests.llm_stub import LLMStub

NOW = 1_780_000_000.0


def http_date(at: float) -> str:
    return email.utils.formatdate(at, usegmt=True)


@pytest.mark.parametrize(
    "value, seconds",
    [("120", 120.0), (" 5 ", 5.0), ("1.5", 1.5), ("-3", 0.0), (http_date(NOW + 90), 90.0), (http_date(NOW - 90), 0.0),
     ("Wed, 21 Oct 2015 07:28:00", 0.0), ("soon", None), ("nan", None), ("", None), (None, None)],
)
def test_retry_after_is_seconds_or_an_http_date(value, seconds):
    assert parse_retry_after(value, NOW) == seconds


def test_backoff_doubles_up_to_its_cap_and_jitter_stays_within_twice():
    assert [backoff(n, 2, 30) for n in range(1, 7)] == [2, 4, 8, 16, 30, 30]
    for n in range(1, 7):
        assert backoff(n, 2, 30) <= backoff(n, 2, 30, jitter=True) <= min(2 * backoff(n, 2, 30), 30)


class Flaky:
    """Fails with `errors` in turn, then answers "ok"; counts the calls."""

    def __init__(self, *errors: Exception):
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def run_with(clock: ManualClock, call, policy: RetryPolicy):
    return asyncio.run(retrying(call, policy, what="test call", clock=clock))


def test_retryable_failures_wait_the_backoff_on_the_clock():
    clock, call = ManualClock(NOW), Flaky(Retryable("503"), Retryable("reset"))
    assert run_with(clock, call, RetryPolicy(retries=3, first=1, cap=60)) == "ok"
    assert call.calls == 3 and clock.time() == NOW + 1 + 2


def test_a_longer_retry_after_wins_up_to_the_cap():
    clock, call = ManualClock(NOW), Flaky(Retryable("429", 429, retry_after=10), Retryable("429", 429, retry_after=999))
    assert run_with(clock, call, RetryPolicy(retries=3, first=1, cap=60)) == "ok"
    assert clock.time() == NOW + 10 + 60
    clock, call = ManualClock(NOW), Flaky(Retryable("429", 429, retry_after=0))
    run_with(clock, call, RetryPolicy(retries=3, first=4, cap=60))
    assert clock.time() == NOW + 4  # a short Retry-After never makes us sooner than our backoff


def test_other_errors_are_not_retried():
    clock, call = ManualClock(NOW), Flaky(UpstreamError("404", 404))
    with pytest.raises(UpstreamError):
        run_with(clock, call, RetryPolicy(retries=3, first=1, cap=60))
    assert call.calls == 1 and clock.time() == NOW


def test_retries_run_out_with_the_last_failure():
    clock, call = ManualClock(NOW), Flaky(*[Retryable(f"503 #{i}") for i in range(10)])
    with pytest.raises(Retryable, match="503 #2"):
        run_with(clock, call, RetryPolicy(retries=2, first=1, cap=60))
    assert call.calls == 3


def test_no_wait_ends_past_the_budget():
    clock, call = ManualClock(NOW), Flaky(*[Retryable("503") for _ in range(10)])
    with pytest.raises(Retryable):
        run_with(clock, call, RetryPolicy(retries=9, first=10, cap=600, budget=25))
    assert call.calls == 2 and clock.time() == NOW + 10  # 10 s fit; the next 20 s would end at 30 > 25


# --- the clients ------------------------------------------------------------------------


@pytest.fixture
def fake() -> FakeArxiv:
    fake = FakeArxiv().start()
    fake.serve_day("rss_cs.AI_2026-04-27_trimmed3.xml")
    yield fake
    fake.stop()


def test_arxiv_honours_an_http_date_retry_after_and_keeps_its_spacing(fake: FakeArxiv):
    clock = ManualClock(NOW)
    client = ArxivClient(make_settings(fake, arxiv_min_interval=3.0, arxiv_retry_budget=600), clock=clock)
    fake.fail_next(Failure(503, b"busy", {"Retry-After": http_date(NOW + 100)}))
    fetched = asyncio.run(client.fetch_listing(["cs.AI"]))
    assert b"<rss" in fetched.body and len(fake.listing_requests()) == 2
    assert NOW + 100 <= clock.time() <= NOW + 101  # the server's date, not our 3 s backoff
    before = clock.time()
    asyncio.run(client.fetch_listing(["cs.AI"]))
    assert clock.time() == before + 3.0  # ARXIV_MIN_INTERVAL between requests, moved on the clock


def test_arxiv_gives_up_within_its_budget(fake: FakeArxiv):
    clock = ManualClock(NOW)
    client = ArxivClient(make_settings(fake, arxiv_min_interval=3.0, arxiv_retries=10, arxiv_retry_budget=30), clock=clock)
    fake.fail_next(*[Failure(200, b"Rate exceeded.")] * 20)
    with pytest.raises(UpstreamError, match="Rate exceeded"):
        asyncio.run(client.fetch_listing(["cs.AI"]))
    assert len(fake.listing_requests()) == 4 and clock.time() == NOW + 3 + 6 + 12  # 24 s more would pass 30 s


def test_llm_retries_on_the_clock_then_gives_up():
    stub = LLMStub()
    try:
        clock = ManualClock(NOW)
        client = LLMClient(stub.url, "m", stub.token, retries=2, clock=clock)
        stub.fail_once = [429, 503]
        assert asyncio.run(client.complete("Title: x\n")) and stub.calls == 3
        assert NOW + 0.5 + 1 <= clock.time() <= NOW + 1 + 2  # jittered 0.5 s, then 1 s
        stub.mode = "500"
        with pytest.raises(LLMError, match="HTTP 500"):
            asyncio.run(client.complete("Title: y\n"))
        assert stub.calls == 6
    finally:
        stub.stop()
