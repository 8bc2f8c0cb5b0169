"""A short run of the load test (bench/load.py): feed readers polling cached feeds while the
app fetches a new category from a slow upstream. The app runs in a uvicorn subprocess,
everything on 127.0.0.1; about 10 s in all."""

from bench.load import LoadConfig, run

# The upstream delay during the run is above the p99 bound, so a reader poll that waited for
# the upstream fetch (>= DELAY_S) cannot pass, whatever the machine; a healthy poll takes tens
# of milliseconds, so the bound is generous for noisy CI machines.
DELAY_S = 2.5
P99_BOUND_MS = 2000.0


def test_readers_of_cached_feeds_never_wait_behind_a_slow_upstream():
    cfg = LoadConfig(
        duration=3.0,
        concurrency=8,
        delay=DELAY_S,
        background_every=0.5,  # back to back: one or two cold categories fetched during the run
        background_first=0.2,
        p99_bound_ms=P99_BOUND_MS,
    )
    results = run(cfg)
    readers, background, upstream = results["readers"], results["background"], results["upstream"]
    summary = {k: readers[k] for k in ("polls", "throughput_rps", "latency", "status_200", "status_304", "errors")}
    print(summary, results["ratios"], results["cpu"])  # shown by pytest -rP, and on failure

    # the run did what it is meant to: readers polled while an upstream fetch was in flight
    assert readers["polls"] > 20, summary
    assert background["requests"] >= 1, background
    assert background["errors"] == [] and background["statuses"] == ["200"], background
    assert background["latency"]["p50_ms"] >= DELAY_S * 1000, background  # they did wait for the slow upstream
    assert readers["during_upstream_fetch"]["n"] > 0.5 * readers["polls"], readers["during_upstream_fetch"]

    # readers: no errors, mostly 304s, stable validators
    assert readers["errors"] == 0, readers["error_samples"]
    assert readers["share_304"] > 0.80, summary
    assert readers["conditional_answered_304"] == 1.0, summary
    assert readers["etag_changes"] == 0, summary

    # no reader poll waits behind the upstream
    assert readers["latency"]["p99_ms"] < P99_BOUND_MS, summary
    assert readers["during_upstream_fetch"]["p99_ms"] < P99_BOUND_MS, readers["during_upstream_fetch"]
    assert readers["slower_than_upstream_delay"] == 0, readers["slowest"]

    # upstream: the two warm-up fetches, then exactly one request per new background category
    assert upstream["warmup_paths"] == ["/rss/cs.CV", "/rss/cs.AI+cs.CL+cs.LG"], upstream
    assert sorted(upstream["during_run_paths"]) == upstream["expected_paths"], upstream
    assert len(upstream["during_run_paths"]) == len(set(background["categories"])) == background["requests"], upstream

    assert results["server_log_errors"] == [], results["server_log_errors"]
    assert results["problems"] == [], results["problems"]
