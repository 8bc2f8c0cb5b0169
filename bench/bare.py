"""The practical limit of the harness: a bare ASGI app that answers every request with the
very bytes and headers the service sent (`BARE_RESPONSE`, a JSON file `bench.perf` writes),
on the same uvicorn. `If-None-Match` with the ETag gives a 304, as the service does."""

from __future__ import annotations

import base64
import json
import os

with open(os.environ["BARE_RESPONSE"], encoding="utf-8") as _file:
    _saved = json.load(_file)
BODY: bytes = base64.b64decode(_saved["body"])
ETAG: bytes = _saved["headers"]["etag"].encode()
HEADERS = [(k.encode(), v.encode()) for k, v in _saved["headers"].items() if k not in ("content-length", "date", "server")]
FULL = [*HEADERS, (b"content-length", str(len(BODY)).encode())]


async def app(scope, receive, send):  # noqa: ANN001, ANN201 (plain ASGI)
    if scope["type"] != "http":
        return
    if (b"if-none-match", ETAG) in scope["headers"]:
        await send({"type": "http.response.start", "status": 304, "headers": HEADERS})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": FULL})
    await send({"type": "http.response.body", "body": BODY})
