"""Schema-driven fuzzing of the whole OpenAPI surface (schemathesis) against the running app.

The schema is loaded over HTTP from the app served on 127.0.0.1 (fake arXiv, memory store).
Every operation in it, with its declared parameters (the feed routes declare FeedQuery's), gets
schema-valid and schema-invalid inputs; each answer must be no 5xx, every 4xx JSON with an
`error` message, within a time bound; `/api/cron/refresh` refuses everyone without the bearer
secret (401).

Schemathesis 4's own pytest entry point (`schemathesis.pytest.from_fixture(...).parametrize()`)
breaks on pytest >= 9.2 (it writes `Function._nodeid`, which pytest removed), so the cases come
from its public strategies (`APIOperation.as_strategy`) and run under plain hypothesis.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.conftest import running_app
from tests.fakearxiv import FakeArxiv

RESPONSE_TIME_BOUND_S = 10.0  # answers take milliseconds; a first upstream fetch ~0.1 s
EXAMPLES_PER_OPERATION = 60  # x ~18 operations and pinned variants x 2 modes: ~2000 requests at most, ~20 s
CRON = "/api/cron/refresh"
# Operations with typed query parameters, where negative mode must find invalid input to send.
FUZZED_WITH_INVALID_INPUT = {"GET /feed", "GET /feeds/{filename}", "GET /rss", "GET /rss/{category}"}
# Generated paths and categories are almost never a real profile or category, so those requests
# stop at 404/400; a second pass pins them to real ones so that everything else (matching,
# ranking, rendering) runs on the generated values too.
PINNED = {
    "GET /feeds/{filename}": {"path_parameters": {"filename": "llm.json"}},
    "GET /rss/{category}": {"path_parameters": {"category": "cs.AI"}},
    "GET /preview/{profile}": {"path_parameters": {"profile": "llm"}},
    "GET /feed": {"query": {"cat": "cs.LG"}},
}


@pytest.fixture(scope="module")
def api_schema() -> Iterator[schemathesis.BaseSchema]:
    fake = FakeArxiv().start()
    fake.serve_day("rss_cs.AI_2026-04-27_trimmed3.xml", "rss_cs.CL_2026-04-27_trimmed3.xml", "rss_cs.LG_2026-04-27_trimmed3.xml")
    try:
        with running_app(fake, cron_secret="not-known-to-the-fuzzer") as app:  # KV memory
            yield schemathesis.openapi.from_url(f"{app.url}/openapi.json")
    finally:
        fake.stop()


def _serves_html(operation: schemathesis.APIOperation) -> bool:
    success = operation.definition.raw.get("responses", {}).get("200", {})
    return "text/html" in success.get("content", {})


def errors_are_json_with_a_message(ctx, response, case) -> None:
    """Every rejection says what to fix: a 4xx is JSON with a non-empty `error` string (the
    human pages, whose answer is HTML, give an HTML page with the same message instead)."""
    if 400 <= response.status_code < 500:
        content_type = response.headers.get("content-type", [""])[0]
        if _serves_html(case.operation) and content_type.startswith("text/html"):
            assert response.text.strip(), f"{response.status_code} with an empty page"
            return
        assert content_type.startswith("application/json"), f"{response.status_code} with Content-Type {content_type!r}"
        body = response.json()
        assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"].strip(), (
            f"{response.status_code} without an error message: {response.text[:300]!r}"
        )


def answers_within_the_bound(ctx, response, case) -> None:
    assert response.elapsed < RESPONSE_TIME_BOUND_S, f"took {response.elapsed:.2f}s"


def cron_refuses_without_the_secret(ctx, response, case) -> None:
    if case.path == CRON:
        assert response.status_code == 401, f"{CRON} answered {response.status_code} without the secret"


CHECKS = [
    schemathesis.checks.not_a_server_error,
    errors_are_json_with_a_message,
    answers_within_the_bound,
    cron_refuses_without_the_secret,
]


def operations(schema: schemathesis.BaseSchema) -> list[schemathesis.APIOperation]:
    found = []
    for result in schema.get_all_operations():
        found.append(result.ok())  # raises if an operation's definition is unusable
    return found


def test_the_schema_declares_every_route_and_the_feed_query_parameters(api_schema):
    labels = {op.label for op in operations(api_schema)}
    assert {"GET /feed", "GET /feeds/{filename}", "GET /rss", "GET /rss/{category}", "GET /health", "GET /config",
            "GET /", f"GET {CRON}", f"POST {CRON}"} <= labels
    feed = api_schema["/feed"]["GET"]
    declared = {p.name for p in feed.iter_parameters() if p.location == "query"}
    assert {"cat", "q", "exclude", "author", "type", "min_score", "limit", "days", "sort", "format", "summaries"} <= declared


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_every_operation_never_errors_and_explains_every_rejection(api_schema, mode):
    session = requests.Session()
    failures = []
    runs = [(op, {}) for op in operations(api_schema)]
    runs += [(op, PINNED[op.label]) for op in operations(api_schema) if op.label in PINNED]
    assert {op.label for op, pinned in runs if pinned} == set(PINNED), "a pinned operation left the schema"
    for operation, pinned in runs:

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck), print_blob=False)
        @given(case=operation.as_strategy(generation_mode=mode, **pinned))
        def fuzz(case):
            case.call_and_validate(session=session, checks=CHECKS)

        try:
            fuzz()
        except Unsatisfiable:
            # Nothing schema-invalid to send: no parameters, or only a free string in the path.
            assert mode is GenerationMode.NEGATIVE and operation.label not in FUZZED_WITH_INVALID_INPUT, operation.label
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failures, not the first one's only
            # (schemathesis reports its check failures as a FailureGroup, a BaseExceptionGroup)
            notes = "\n".join(getattr(exc, "__notes__", []))
            failures.append(f"--- {operation.label} {pinned or ''} ({mode.value}) ---\n{exc}\n{notes}")
    session.close()
    assert not failures, "\n\n".join(failures)
