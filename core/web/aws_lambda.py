"""The Lambda adapter (Mangum) with what API Gateway needs of it. `api/aws_lambda.py` builds
it over the app; tests build it over theirs."""

from __future__ import annotations

from typing import Any

from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

# Mangum base64-encodes any body whose content type is not in this list. Feeds are text
# (`application/atom+xml`, `application/rss+xml`, `application/feed+json`): send them as
# text, so an API Gateway REST API without binary media types does not serve base64.
TEXT_MIME_TYPES = [*DEFAULT_TEXT_MIME_TYPES, "+xml", "+json"]


class LambdaHandler(Mangum):
    """Mangum, except that an API Gateway REST API's requests are answered uncompressed: a
    gzipped body travels base64-encoded, which a REST API without binary media types would
    serve as text (it can compress by itself: `minimumCompressionSize`). HTTP APIs, Function
    URLs and ALBs decode it and get gzip when the client asks."""

    def __init__(self, app: Any) -> None:
        super().__init__(app, lifespan="off", text_mime_types=TEXT_MIME_TYPES)

    def __call__(self, event: dict, context: Any) -> dict:
        if _rest_api(event):
            for key in ("headers", "multiValueHeaders"):
                if event.get(key):
                    event[key] = {k: v for k, v in event[key].items() if k.lower() != "accept-encoding"}
        return super().__call__(event, context)


def _rest_api(event: dict) -> bool:
    """API Gateway REST API (payload 1.0 without a version; an HTTP API's 1.0 payload says "1.0")."""
    context = event.get("requestContext") or {}
    return "httpMethod" in event and "version" not in event and "elb" not in context
