"""Turning a query string into a validated `FeedQuery`, with 400 messages people can act on."""

from __future__ import annotations

from fastapi import Request
from pydantic import ValidationError

from core.feeds import FeedQuery
from core.matching import QueryError

LIST_FIELDS = {"cat", "exclude", "author", "type"}
KNOWN = set(FeedQuery.model_fields)
IGNORED_PREFIXES = ("utm_",)  # added by link trackers; harmless


class BadRequest(ValueError):
    """Becomes HTTP 400 with this message."""


def feed_query(request: Request) -> FeedQuery:
    values: dict[str, object] = {}
    for name, value in request.query_params.multi_items():
        if name.startswith(IGNORED_PREFIXES) or name == "_":
            continue
        if name not in KNOWN:
            raise BadRequest(f"unknown parameter {name!r}; known parameters: {', '.join(sorted(KNOWN))}")
        if name in LIST_FIELDS:
            values.setdefault(name, []).append(value)  # type: ignore[union-attr]
        elif name in values:
            raise BadRequest(f"{name} is given more than once; give it once")
        else:
            values[name] = value
    try:
        query = FeedQuery.model_validate(values)
        query.query_terms()  # parse q now so its errors are 400s here
    except ValidationError as exc:
        raise BadRequest(describe(exc)) from None
    except QueryError as exc:
        raise BadRequest(str(exc)) from None
    return query


def describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"] if not isinstance(p, int))
        message = error["msg"].removeprefix("Value error, ")
        value = error.get("input")
        shown = f" (got {value!r})" if isinstance(value, (str, int, float)) and len(str(value)) < 80 else ""
        problems.append(f"{field}: {message}{shown}")
    return "; ".join(problems)
