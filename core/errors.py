"""Every exception the service raises, in one hierarchy.

`core/web/app.py` maps them to HTTP in one place: a class with `http_status` becomes that
status with its message (and `headers()`); anything else is a logged 500. Modules raise these
classes; they never define their own. `describe_invalid` words pydantic's validation errors
(a query string, a config file) as one message people can act on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any


class ArxivFeedsError(Exception):
    """Base of every error of ours."""

    http_status: int | None = None  # None: not a client-facing error (a 500 if it escapes)

    def public_message(self) -> str:
        """What the HTTP answer says."""
        return str(self)

    def headers(self) -> dict[str, str]:
        return {}


# --- the request: 400 / 404 --------------------------------------------------------------


class BadRequest(ArxivFeedsError, ValueError):
    """A request the user must fix; the message says how (HTTP 400)."""

    http_status = 400


class QueryError(BadRequest):
    """A query string (`q`, `exclude`, profile keywords) the user must fix."""


class SpecError(BadRequest):
    """The profile and query cannot make a feed; the message says what to fix."""


class SeedError(BadRequest):
    """A `like=`/`unlike=` id that arXiv does not know, or a withdrawn paper; the message names them."""


class NotFound(ArxivFeedsError, LookupError):
    """No such profile, format or page (HTTP 404)."""

    http_status = 404


class ConfigError(ArxivFeedsError, ValueError):
    """config.json or the environment is unusable; the message names the file and the field."""


# --- upstream (arXiv) ----------------------------------------------------------------------


class UpstreamError(ArxivFeedsError):
    """arXiv could not give us a usable answer (after retries). `kind` says which trouble:
    `unreachable` (DNS, refused), `slow` (no whole answer in time), `rate-limited` (429,
    `Rate exceeded.`, 503 with Retry-After), `failing` (other 5xx, resets), or None."""

    def __init__(self, message: str, status: int | None = None, kind: str | None = None,
                 retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.retry_after = retry_after  # seconds until it is worth asking again, when known


class Retryable(ArxivFeedsError):
    """One attempt at an upstream call failed in a way worth trying again (429, 5xx, arXiv's
    `Rate exceeded.`, a network error); `retry_after` is the server's wish in seconds.
    `core/retry.py` retries it; when retries run out the caller raises its own error."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None,
                 kind: str = "failing"):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.kind = kind  # as UpstreamError.kind


class UpstreamBusy(UpstreamError):
    """Too many upstream requests are already queued in this process: a public request
    for uncached categories must not pile up unbounded traffic for arXiv."""


class UpstreamBackingOff(UpstreamError):
    """No request made: the upstream's shared back-off has not ended (`retry_after` seconds)."""


class TooLarge(UpstreamError):
    """The body passed `ARXIV_MAX_BYTES` (after decompression): not a listing we want."""


class ParseError(ArxivFeedsError, ValueError):
    """The body is not an arXiv feed we understand (HTML error page, garbage, truncation)."""


class MalformedAnswer(ParseError):
    """An answer that parsed only by recovering from a flaw (a damaged or spliced document):
    what it holds says nothing about what is missing from it. `flaw` says what was wrong."""

    def __init__(self, message: str, flaw: str):
        super().__init__(message)
        self.flaw = flaw


class UpstreamUnavailable(ArxivFeedsError):
    """Nothing is stored for these categories and arXiv could not be reached (HTTP 503)."""

    http_status = 503

    def __init__(self, message: str, retry_after: int = 300):
        super().__init__(message)
        self.retry_after = retry_after  # seconds: a fetch under way needs less than a failure

    def public_message(self) -> str:
        return f"{self}; try again in a few minutes"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class SeedsUnavailable(UpstreamUnavailable):
    """`like=` seeds are neither stored nor fetchable from arXiv's query API right now (HTTP 503)."""


# --- other dependencies --------------------------------------------------------------------


class LLMError(ArxivFeedsError):
    """The model gave no usable answer for this request."""


class KVError(ArxivFeedsError):
    """The store failed (down, timeout, refused). Callers degrade; they never 500."""


def describe_invalid(errors: Iterable[Mapping[str, Any]], where: Callable[[tuple], list[str]], *, with_input: bool = False) -> str:
    """pydantic's errors as `field: what is wrong (got value)`, joined by '; '. `where` names
    the field from an error's location (each caller drops the parts people did not type);
    `with_input` shows short given values."""
    said = []
    for error in errors:
        field = ".".join(where(error["loc"]))
        message = error["msg"].removeprefix("Value error, ")
        value = error.get("input")
        if with_input and isinstance(value, (str, int, float)) and len(str(value)) < 80:
            message += f" (got {value!r})"
        said.append(f"{field}: {message}" if field else message)
    return "; ".join(said)
