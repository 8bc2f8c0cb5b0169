"""`FeedQuery`, the web's query model: a reader's wishes (`core.feeds.FeedWishes`) plus the
output format, read by FastAPI as a query-parameter model, with 400 messages people can act on.

FastAPI reads the parameters into the model (repeated list parameters arrive as lists; the
model's validators also split comma-separated values) and documents them in OpenAPI. What a
model cannot see is checked here: an unknown parameter (a typo would silently widen a feed)
and a single-valued parameter given twice; and `q` is parsed now, so its errors are 400s too.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import unquote_plus

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import Field, ValidationError

from core.errors import BadRequest, QueryError, describe_invalid
from core.feeds import FeedWishes
from core.render.formats import FORMATS

Format = Literal[FORMATS]  # type: ignore[valid-type]  # the registry's names, as an enum in OpenAPI


class FeedQuery(FeedWishes):
    """The query parameters of `/feed`, `/rss` and of profile feeds (where they narrow the
    profile): the wishes, and `format` for the routes without an extension."""

    format: Format | None = Field(None, description=f"{', '.join(FORMATS)} (for /feed and /rss; profile feeds use the extension)")


KNOWN = set(FeedQuery.model_fields)
LIST_FIELDS = {name for name, field in FeedQuery.model_fields.items() if getattr(field.annotation, "__origin__", None) is list}
IGNORED_PREFIXES = ("utm_",)  # added by link trackers; harmless


def _ignored(name: str) -> bool:
    return name.startswith(IGNORED_PREFIXES) or name == "_"


def kept_query(raw: str) -> str:
    """The query string without the parameters that never change a feed (utm_*, a
    cache-busting `_`), as given otherwise: the self link and cache key of
    `?q=x&utm_source=y` are those of `?q=x`."""
    kept = [part for part in raw.split("&") if part and not _ignored(unquote_plus(part.partition("=")[0]))]
    return "&".join(kept)


ESCAPED = "amp;"  # what an HTML-escaped `&` leaves at the start of the next parameter's name


def unescaped_query(raw: str) -> str:
    """The query string with HTML-escaped separators read as meant. FreshRSS keeps feed URLs
    HTML-escaped and asks some of them so (`?cat=cs.CV&amp;q=x`: a parameter `amp;q`). Lenient
    where it is safe: `amp;NAME` counts as NAME when NAME is a parameter we know (or ignore)
    and, for a single value, NAME is not also given plainly (which of two values was meant
    is not ours to guess); anything else stays as sent, for `check_names` to refuse."""
    if ESCAPED not in raw and "amp%3b" not in raw.lower():
        return raw
    parts = raw.split("&")
    names = [unquote_plus(part.partition("=")[0]) for part in parts]
    plain = set(names)
    kept = []
    for part, name in zip(parts, names):
        meant = name
        while meant.startswith(ESCAPED):
            meant = meant.removeprefix(ESCAPED)
        if meant != name and (meant in KNOWN or _ignored(meant)) and (meant in LIST_FIELDS or meant not in plain):
            value = part.partition("=")[2]
            part = f"{meant}={value}" if "=" in part else meant
            plain.add(meant)
        kept.append(part)
    return "&".join(kept)


def check_names(request: Request) -> None:
    """Unknown parameters and repeated single values are 400s (utm_* and `_` are ignored)."""
    seen: set[str] = set()
    for name, _ in request.query_params.multi_items():
        if _ignored(name):
            continue
        if name.startswith(ESCAPED) and name.removeprefix(ESCAPED) in KNOWN:
            raise BadRequest(f"parameter {name!r} is {name.removeprefix(ESCAPED)!r} after an HTML-escaped '&' "
                             f"('&amp;'), and {name.removeprefix(ESCAPED)!r} is also given: give it once, "
                             "in a URL with plain '&' between parameters")
        if name not in KNOWN:
            raise BadRequest(f"unknown parameter {name!r}; known parameters: {', '.join(sorted(KNOWN))}")
        if name in seen and name not in LIST_FIELDS:
            raise BadRequest(f"{name} is given more than once; give it once")
        seen.add(name)


def checked(request: Request, query: FeedQuery) -> FeedQuery:
    check_names(request)
    try:
        query.query_terms()  # parse q now so its errors are 400s here
    except QueryError as exc:
        raise BadRequest(str(exc)) from None
    return query


async def feed_query(request: Request, query: Annotated[FeedQuery, Query()]) -> FeedQuery:
    """The dependency every feed route takes: FastAPI validates the model, then `checked`.
    `async` though it never waits: FastAPI runs a plain `def` dependency in a worker thread,
    a thread hop on every poll."""
    return checked(request, query)


FeedQueryParam = Annotated[FeedQuery, Depends(feed_query)]


def describe(exc: ValidationError | RequestValidationError) -> str:
    """A rejected query string as a 400's message."""
    def where(location: tuple) -> list[str]:
        loc = [str(p) for p in location if not isinstance(p, int)]
        if isinstance(exc, RequestValidationError) and loc and loc[0] in ("query", "path", "header"):
            loc = loc[1:]  # "query.limit" -> "limit": people know where they typed it
        return loc

    return describe_invalid(exc.errors(), where, with_input=True)
