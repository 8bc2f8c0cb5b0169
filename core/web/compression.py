"""gzip for feeds and pages when the client asks (a 500-item Atom feed is 2.2 MB; Vercel's
edge compresses, a local server, Lambda and most proxies do not).

Starlette's GZipMiddleware compresses; this keeps the validators honest around it: every
response that could be compressed says `Vary: Accept-Encoding`, and a client that accepts
gzip gets a weak ETag (`W/"..."`), on a 200 and on a 304 alike, since the compressed bytes
are another representation than the ones the strong ETag names (nginx does the same).
`If-None-Match` compares weakly (RFC 9110 13.1.2): the `W/` is taken off before the app
sees it, so either form of a tag still earns a 304 from every route.

Whether a request gets gzip is decided once, by `accepts_gzip`, which the warm layer
(core.web.repeat_polls) keys its answers on too: every `Accept-Encoding` header counts (a list split
over several headers is one list, RFC 9110 5.3), and `gzip` (or `x-gzip`) must be named with a
q above 0 (`gzip;q=0` refuses it; `*` is not taken as gzip, as nginx does not). Starlette's
compressor reads only the first header and any "gzip" in it, so it is handed the decision
as a single `Accept-Encoding: gzip` header, or none.
"""

from __future__ import annotations

import functools

from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MINIMUM_SIZE = 500  # smaller bodies gain nothing
LEVEL = 6  # level 9 costs about twice the CPU for a percent or two on feeds


class Compression:
    def __init__(self, app: ASGIApp):
        self.gzip = GZipMiddleware(app, minimum_size=MINIMUM_SIZE, compresslevel=LEVEL)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.gzip(scope, receive, send)
            return
        gzip = accepts_gzip(scope["headers"])
        scope = _decided(_weak_match(scope), gzip)

        async def honest_validators(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=message.setdefault("headers", []))
                vary = [v.strip() for v in headers.get("vary", "").split(",") if v.strip()]
                if "accept-encoding" not in {v.lower() for v in vary}:
                    vary.append("Accept-Encoding")  # last, where gzip puts it: a 304 repeats its 200
                deduplicated = list(dict.fromkeys(vary))
                headers["vary"] = ", ".join(deduplicated)
                etag = headers.get("etag")
                if gzip and etag and not etag.startswith("W/"):
                    headers["etag"] = "W/" + etag
            await send(message)

        await self.gzip(scope, receive, honest_validators)


def _weak_match(scope: Scope) -> Scope:
    """The scope with `W/` taken off the tags of If-None-Match."""
    headers = scope.get("headers") or []
    if not any(name == b"if-none-match" and b"W/" in value for name, value in headers):
        return scope
    rewritten = [(n, v.replace(b"W/", b"") if n == b"if-none-match" else v) for n, v in headers]
    return {**scope, "headers": rewritten}


def accepts_gzip(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether a request's headers (ASGI's, names in lower case) accept gzip."""
    return gzip_accepted([value for name, value in headers if name == b"accept-encoding"])


def gzip_accepted(values: list[bytes]) -> bool:
    """`accepts_gzip` from the values of a request's Accept-Encoding headers, in order (the warm
    layer collects them in its one pass over the headers). No header at all, most polls, is
    answered without building a list: that cost a warm poll about 1.5 us of ~5."""
    if not values:
        return False
    return _gzip_named(values[0] if len(values) == 1 else b",".join(values))


@functools.lru_cache(maxsize=256)
def _gzip_named(accept_encoding: bytes) -> bool:
    """`gzip` or `x-gzip` is in the list with a q above 0 (a q that is not a number refuses:
    identity is always safe)."""
    entries = (part.partition(b";") for part in accept_encoding.split(b","))
    return any(_weight(parameters) > 0 for coding, _, parameters in entries if coding.strip().lower() in (b"gzip", b"x-gzip"))


def _weight(parameters: bytes) -> float:
    """The q of one Accept-Encoding entry's parameters (1 when not given, 0 when unreadable)."""
    for parameter in parameters.split(b";"):
        name, _, value = parameter.partition(b"=")
        if name.strip().lower() == b"q":
            try:
                return float(value.strip())
            except ValueError:
                return 0.0
    return 1.0


def _decided(scope: Scope, gzip: bool) -> Scope:
    """The scope with one `Accept-Encoding: gzip` header when gzip was accepted, else none:
    what Starlette's compressor reads says what `accepts_gzip` decided."""
    headers = [(n, v) for n, v in scope.get("headers") or [] if n != b"accept-encoding"]
    if gzip:
        headers.append((b"accept-encoding", b"gzip"))
    return {**scope, "headers": headers}
