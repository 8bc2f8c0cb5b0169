"""AWS Lambda: the Mangum handler answers real-shaped events (API Gateway HTTP API v2, a Function
URL, API Gateway REST v1, an ALB) with the same feeds, validators and errors as the web app."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs

import feedparser
import pytest
from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

from core.kv.memory import MemoryKV
from core.profiles import parse_config
from core.web import create_app
from core.web.aws_lambda import LambdaHandler
from tests.conftest import TEST_CONFIG, make_settings
from tests.fakearxiv import FakeArxiv

ROOT = Path(__file__).resolve().parent.parent
ATOM = "application/atom+xml; charset=utf-8"
# api/aws_lambda.py's list (checked against the module in a fresh interpreter below: importing
# api.index here would build the app from this process's environment).
TEXT_MIME_TYPES = [*DEFAULT_TEXT_MIME_TYPES, "+xml", "+json"]


def lambda_context() -> SimpleNamespace:
    """What the Lambda runtime passes as `context` (Mangum only hands it on as scope["aws.context"])."""
    return SimpleNamespace(
        function_name="arxiv-feeds",
        function_version="$LATEST",
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:arxiv-feeds",
        memory_limit_in_mb="512",
        aws_request_id=str(uuid.uuid4()),
        log_group_name="/aws/lambda/arxiv-feeds",
        log_stream_name="2026/11/28/[$LATEST]0123456789abcdef",
        get_remaining_time_in_millis=lambda: 29_000,
    )


# --- events, shaped as AWS documents and sends them ---------------------------------------------

def _split(target: str) -> tuple[str, str]:
    path, _, query = target.partition("?")
    return path, query


def _single(query: str) -> dict[str, str] | None:
    parsed = parse_qs(query, keep_blank_values=True)
    return {k: v[-1] for k, v in parsed.items()} or None


def _multi(query: str) -> dict[str, list[str]] | None:
    return parse_qs(query, keep_blank_values=True) or None


def http_api_v2(target: str, headers: dict[str, str] | None = None, *, domain: str = "abc123defg.execute-api.us-east-1.amazonaws.com") -> dict:
    """API Gateway HTTP API, payload format version 2.0."""
    path, query = _split(target)
    api_id = domain.split(".")[0]
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "accept": "*/*",
            "accept-encoding": "gzip, deflate",
            "content-length": "0",
            "host": domain,
            "user-agent": "NetNewsWire (RSS Reader; https://netnewswire.com/)",
            "x-amzn-trace-id": "Root=1-6747e1a0-5f1e0f3c2b7a4d9e8c6b5a41",
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            **{k.lower(): v for k, v in (headers or {}).items()},
        },
        **({"queryStringParameters": _single(query)} if query else {}),
        "requestContext": {
            "accountId": "123456789012",
            "apiId": api_id,
            "domainName": domain,
            "domainPrefix": api_id,
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7",
                     "userAgent": "NetNewsWire (RSS Reader; https://netnewswire.com/)"},
            "requestId": "Q1zLdgdsoAMEVEw=",
            "routeKey": "$default",
            "stage": "$default",
            "time": "28/Nov/2026:06:31:12 +0000",
            "timeEpoch": 1795847472000,
        },
        "isBase64Encoded": False,
    }


def function_url(target: str, headers: dict[str, str] | None = None) -> dict:
    """A Lambda Function URL (auth type NONE): the 2.0 payload from a lambda-url domain."""
    event = http_api_v2(target, headers, domain="x7kq3mfz2ab4cd5ef6gh7ij8kl9mn0op.lambda-url.us-east-1.on.aws")
    event["requestContext"].pop("stage")
    return event


def rest_api_v1(target: str, headers: dict[str, str] | None = None) -> dict:
    """API Gateway REST API, proxy integration on `/{proxy+}` (payload format 1.0)."""
    path, query = _split(target)
    all_headers = {
        "Accept": "*/*",
        "Host": "r2d2c3po45.execute-api.us-east-1.amazonaws.com",
        "User-Agent": "Feedly/1.0",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        **(headers or {}),
    }
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": "GET",
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": _single(query),
        "multiValueQueryStringParameters": _multi(query),
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourceId": "x1y2z3",
            "resourcePath": "/{proxy+}",
            "httpMethod": "GET",
            "path": f"/prod{path}",
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": "prod",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "203.0.113.7", "userAgent": "Feedly/1.0"},
            "apiId": "r2d2c3po45",
        },
        "body": None,
        "isBase64Encoded": False,
    }


def alb(target: str, headers: dict[str, str] | None = None, *, multi_value: bool = False) -> dict:
    """An Application Load Balancer target group of type lambda (multi-value headers off or on)."""
    path, query = _split(target)
    all_headers = {
        "accept": "*/*",
        "host": "arxiv-feeds-1234567890.us-east-1.elb.amazonaws.com",
        "user-agent": "Miniflux/2.2",
        "x-amzn-trace-id": "Root=1-6747e1a0-0a1b2c3d4e5f6a7b8c9d0e1f",
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-port": "80",
        "x-forwarded-proto": "http",
        **{k.lower(): v for k, v in (headers or {}).items()},
    }
    event: dict = {
        "requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/arxiv-feeds/49e9d65c45c6791a"}},
        "httpMethod": "GET",
        "path": path,
        "body": "",
        "isBase64Encoded": False,
    }
    if multi_value:
        event["multiValueHeaders"] = {k: [v] for k, v in all_headers.items()}
        event["multiValueQueryStringParameters"] = _multi(query) or {}
    else:
        event["headers"] = all_headers
        event["queryStringParameters"] = _single(query) or {}
    return event


def alb_multi_value(target: str, headers: dict[str, str] | None = None) -> dict:
    return alb(target, headers, multi_value=True)


EVENTS: dict[str, Callable[..., dict]] = {
    "http-api-v2": http_api_v2,
    "function-url": function_url,
    "rest-api-v1": rest_api_v1,
    "alb": alb,
    "alb-multi-value": alb_multi_value,
}


def event_host(event: dict) -> str:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    headers.update({k.lower(): v[0] for k, v in (event.get("multiValueHeaders") or {}).items()})
    return headers["host"]


class Answer:
    """A Lambda response as a client receives it: status, headers (lower-case), decoded body."""

    def __init__(self, raw: dict):
        self.raw = raw
        self.status = raw["statusCode"]
        headers: dict[str, str] = {}
        for key, value in (raw.get("headers") or {}).items():
            headers[key.lower()] = value
        for key, values in (raw.get("multiValueHeaders") or {}).items():
            headers[key.lower()] = ", ".join(values)
        self.headers = headers
        body = raw.get("body") or ""
        self.body = base64.b64decode(body) if raw.get("isBase64Encoded") else body.encode()
        if headers.get("content-encoding") == "gzip":  # as the client's HTTP library would
            self.body = gzip.decompress(self.body)

    def json(self):
        return json.loads(self.body)


def check_response_shape(kind: str, raw: dict) -> None:
    """What each integration requires of the function's answer."""
    assert isinstance(raw["statusCode"], int)
    assert isinstance(raw.get("body", ""), str)
    assert isinstance(raw["isBase64Encoded"], bool)
    if kind.startswith("alb"):
        assert ("multiValueHeaders" in raw) == (kind == "alb-multi-value")
    if kind in ("http-api-v2", "function-url"):
        assert all(isinstance(v, str) for v in raw["headers"].values())


# --- the handler under test -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fake() -> Iterator[FakeArxiv]:
    """One fake arXiv for the module (stopping one takes half a second); each handler has its own store."""
    fake = FakeArxiv().start()
    fake.serve_day("rss_cs.AI_2026-04-27_trimmed3.xml", "rss_cs.CL_2026-04-27_trimmed3.xml", "rss_cs.LG_2026-04-27_trimmed3.xml")
    yield fake
    fake.stop()


@pytest.fixture
def invoke(fake: FakeArxiv) -> Iterator[Callable[[str, dict], Answer]]:
    """A handler built like api.aws_lambda's, over the test app; a warm container keeps it and
    its event loop between invocations, as here."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    app = create_app(make_settings(fake), config=parse_config(TEST_CONFIG), kv=MemoryKV())
    handler = LambdaHandler(app)

    def call(kind: str, event: dict) -> Answer:
        raw = handler(event, lambda_context())
        check_response_shape(kind, raw)
        return Answer(raw)

    try:
        yield call
    finally:
        loop.run_until_complete(app.state.services.close())
        loop.close()
        asyncio.set_event_loop(None)


@pytest.mark.parametrize("kind", EVENTS)
def test_health(invoke, kind):
    answer = invoke(kind, EVENTS[kind]("/health"))
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    assert isinstance(answer.json(), dict) and answer.json()


@pytest.mark.parametrize("kind", EVENTS)
def test_profile_feed_and_conditional_request(invoke, fake, kind):
    make = EVENTS[kind]
    asked_before = len(fake.listing_requests())
    plain = {"accept-encoding": "identity"}  # gzip (and its weak ETag): test_gzip_where_...
    answer = invoke(kind, make("/feeds/llm.atom", plain))
    assert answer.status == 200, answer.body[:300]
    assert answer.headers["content-type"] == ATOM
    etag = answer.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert answer.headers["last-modified"].endswith(" GMT")
    # A feed is text: sent as is, so a REST API without binary media types serves it right.
    assert answer.raw["isBase64Encoded"] is False
    parsed = feedparser.parse(answer.body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.title == "LLM papers"
    assert len(parsed.entries) == int(answer.headers["x-items"]) > 0
    # The self link is built from the Host and X-Forwarded-Proto the integration passed on.
    host = event_host(make("/"))
    scheme = "http" if kind.startswith("alb") else "https"
    assert [l["href"] for l in parsed.feed.links if l.get("rel") == "self"] == [f"{scheme}://{host}/feeds/llm.atom"]

    again = invoke(kind, make("/feeds/llm.atom", {**plain, "If-None-Match": etag}))
    assert again.status == 304
    assert again.body == b""
    assert again.headers["etag"] == etag
    assert len(fake.listing_requests()) == asked_before + 1  # one upstream fetch; the rest came from the store

    changed = invoke(kind, make("/feeds/llm.atom", {**plain, "If-None-Match": '"something-else"'}))
    assert changed.status == 200 and changed.headers["etag"] == etag


@pytest.mark.parametrize("kind", EVENTS)
def test_query_parameters_arrive(invoke, kind):
    answer = invoke(kind, EVENTS[kind]("/feeds/llm.json?limit=2&q=%2Bagent"))
    assert answer.status == 200, answer.body[:300]
    assert answer.headers["content-type"] == "application/feed+json; charset=utf-8"
    items = answer.json()["items"]
    assert len(items) == 2
    assert all("agent" in i["content_html"].lower() for i in items)


@pytest.mark.parametrize("kind", EVENTS)
@pytest.mark.parametrize("target,needle", [("/feeds/llm.atom?limit=0", "limit"), ("/feeds/llm.atom?bogus=1", "unknown parameter 'bogus'")])
def test_bad_query_is_400(invoke, kind, target, needle):
    answer = invoke(kind, EVENTS[kind](target))
    assert answer.status == 400
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["status"] == 400 and needle in body["error"]


@pytest.mark.parametrize("kind", EVENTS)
@pytest.mark.parametrize("target", ["/no/such/page", "/feeds/nobody.atom"])
def test_unknown_path_is_404(invoke, kind, target):
    answer = invoke(kind, EVENTS[kind](target))
    assert answer.status == 404
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["status"] == 404 and answer.json()["error"]


def test_markdown_digest_is_text(invoke):
    answer = invoke("http-api-v2", http_api_v2("/feeds/llm.md", {"accept-encoding": "identity"}))
    assert answer.status == 200
    assert answer.headers["content-type"] == "text/markdown; charset=utf-8"
    assert answer.raw["isBase64Encoded"] is False
    assert answer.body.decode().lstrip().startswith("#")


def test_base64_request_body_and_binary_response():
    """isBase64Encoded both ways: a body API Gateway encoded arrives decoded, and a body that is
    not text goes back base64-encoded with the flag set."""

    async def echo(scope, receive, send):
        message = await receive()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/octet-stream")]})
        await send({"type": "http.response.body", "body": message["body"][::-1]})

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        handler = Mangum(echo, lifespan="off", text_mime_types=TEXT_MIME_TYPES)
        event = http_api_v2("/echo")
        event["requestContext"]["http"]["method"] = "POST"
        event["body"] = base64.b64encode(b"\x00\xffabc").decode()
        event["isBase64Encoded"] = True
        raw = handler(event, lambda_context())
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    assert raw["isBase64Encoded"] is True
    assert base64.b64decode(raw["body"]) == b"cba\xff\x00"


# --- the module Lambda loads ------------------------------------------------------------------------

IMPORT_CHECK = r"""
import json, sys, types
import api.aws_lambda as module
assert callable(module.handler), module.handler
from mangum import Mangum
assert isinstance(module.handler, Mangum)
events = json.loads(sys.stdin.read())
context = types.SimpleNamespace(function_name="arxiv-feeds", aws_request_id="1", get_remaining_time_in_millis=lambda: 29000)
print(json.dumps({"text_mime_types": module.handler.config["text_mime_types"],
                  "answers": [module.handler(event, context) for event in events]}))
"""


def test_api_aws_lambda_exports_a_working_handler(fake):
    """`api.aws_lambda.handler` as Lambda loads it: a fresh interpreter, settings from the
    environment, the real config.json."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KV_", "REDIS_", "UPSTASH_", "ARXIV_"))}
    env.update({
        "ARXIV_RSS_URL": f"{fake.url}/rss",
        "KV_BACKEND": "memory",
        "ARXIV_MIN_INTERVAL": "0.05",
        "ARXIV_RETRIES": "1",
        "ARXIV_TIMEOUT": "10",
        "PYTHONPATH": str(ROOT),
    })
    asked_before = len(fake.listing_requests())
    events = [http_api_v2("/health"), http_api_v2("/feeds/llm.atom"), alb("/feeds/llm.md"), function_url("/nowhere")]
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_CHECK], input=json.dumps(events), capture_output=True, text=True,
        cwd=ROOT, env=env, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    output = json.loads(result.stdout.strip().splitlines()[-1])
    assert output["text_mime_types"] == TEXT_MIME_TYPES
    health, llm, digest, missing = (Answer(raw) for raw in output["answers"])
    assert health.status == 200 and health.headers["content-type"] == "application/json"
    assert llm.status == 200 and llm.headers["content-type"] == ATOM and llm.headers["etag"]
    # the HTTP API asked for gzip: base64 (which it decodes) of the gzipped feed
    assert llm.raw["isBase64Encoded"] is True and llm.headers["content-encoding"] == "gzip"
    config = json.loads((ROOT / "config.json").read_text())
    assert feedparser.parse(llm.body).feed.title == config["profiles"]["llm"]["title"]
    assert digest.status == 200 and digest.headers["content-type"] == "text/markdown; charset=utf-8"
    assert digest.body.decode().lstrip().startswith("#")
    assert missing.status == 404
    assert len(fake.listing_requests()) > asked_before, "the handler did not use ARXIV_RSS_URL"


@pytest.mark.parametrize("kind", EVENTS)
def test_gzip_where_the_integration_decodes_base64_and_text_for_a_rest_api(invoke, kind):
    answer = invoke(kind, EVENTS[kind]("/feeds/llm.atom", {"Accept-Encoding": "gzip"}))
    assert answer.status == 200 and feedparser.parse(answer.body).entries
    if kind == "rest-api-v1":  # serves a base64 body as text unless binary media types are set
        assert answer.raw["isBase64Encoded"] is False and "content-encoding" not in answer.headers
    else:
        assert answer.raw["isBase64Encoded"] is True and answer.headers["content-encoding"] == "gzip"
