"""AWS Lambda entry point: `api.aws_lambda.handler` behind API Gateway (HTTP API v2 or REST),
a Lambda Function URL or an Application Load Balancer.

Mangum turns the Lambda event into an ASGI request for the same `app` Vercel serves. Lifespan
is off: the app builds its service at import and needs no start-up or shut-down events.
"""

from mangum import Mangum
from mangum.adapter import DEFAULT_TEXT_MIME_TYPES

from api.index import app

# Mangum base64-encodes any body whose content type is not in this list. Feeds are text
# (`application/atom+xml`, `application/rss+xml`, `application/feed+json`): send them as
# text, so an API Gateway REST API without binary media types does not serve base64.
TEXT_MIME_TYPES = [*DEFAULT_TEXT_MIME_TYPES, "+xml", "+json"]

handler = Mangum(app, lifespan="off", text_mime_types=TEXT_MIME_TYPES)
