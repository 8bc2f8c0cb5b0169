"""`HEAD` answered like `GET` without a body on every GET route (FastAPI routes take only the
methods they declare; feed readers, link checkers and CDNs send HEAD). Outermost, so its
headers (Content-Length, Content-Encoding, ETag) are exactly those a GET gets."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """Plain ASGI middleware: the app sees a GET; only the response's start goes out, then
    one empty body (servers, Mangum and Vercel alike send no body then)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        finished = False

        async def without_body(message: Message) -> None:
            nonlocal finished
            if message["type"] == "http.response.body":
                if finished or message.get("more_body", False):
                    return
                finished = True
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
