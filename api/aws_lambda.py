"""AWS Lambda entry point: `api.aws_lambda.handler` behind API Gateway (HTTP API v2 or REST),
a Lambda Function URL or an Application Load Balancer.

Mangum turns the Lambda event into an ASGI request for the same `app` Vercel serves. Lifespan
is off: the app builds its service at import and needs no start-up or shut-down events.
"""

from api.index import app
from core.web.aws_lambda import LambdaHandler

handler = LambdaHandler(app)
