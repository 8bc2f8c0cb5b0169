"""Turning a query string into a validated `FeedQuery`, with 400 messages people can act on."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from fastapi import Request
from pydantic import ValidationError

from core.errors import BadRequest  # noqa: F401 (re-exported)
from core.feeds import FeedQuery
from core.matching import QueryError
from core.render.formats import FORMATS

LIST_FIELDS = {"cat", "exclude", "author", "type"}
KNOWN = set(FeedQuery.model_fields)
IGNORED_PREFIXES = ("utm_",)  # added by link trackers; harmless


def _ignored(name: str) -> bool:
    return name.startswith(IGNORED_PREFIXES) or name == "_"


def kept_query(raw: str) -> str:
    """The query string without the parameters that never change a feed (utm_*, a
    cache-busting `_`), as given otherwise: the self link and cache key of
    `?q=x&utm_source=y` are those of `?q=x`."""
    kept = [part for part in raw.split("&") if part and not _ignored(unquote_plus(part.partition("=")[0]))]
    return "&".join(kept)


def feed_query(request: Request, drop_empty: bool = False) -> FeedQuery:
    """`drop_empty`: ignore blank values, as a form sends them (`min_score=`)."""
    values: dict[str, object] = {}
    for name, value in request.query_params.multi_items():
        if _ignored(name) or (drop_empty and not value.strip()):
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


_DESCRIPTIONS = {  # for fields whose FeedQuery definition carries none
    "min_score": "drop papers scoring below this",
    "limit": "at most this many items",
    "days": "announcement days to include, counted back from the newest day held",
    "sort": "score (then newest) or date (then score)",
    "format": f"{', '.join(FORMATS)} (for /feed and /rss; profile feeds use the extension)",
}


def openapi_parameters() -> list[dict[str, Any]]:
    """FeedQuery's fields as OpenAPI query parameters. The routes read the query string by hand
    (repeated and comma-separated values), so FastAPI cannot infer these; declaring them makes
    /docs show them and lets schema-driven fuzzers send them."""
    properties = FeedQuery.model_json_schema()["properties"]
    parameters = []
    for name, prop in properties.items():
        prop = dict(prop)
        variants = [v for v in prop.pop("anyOf", []) if v.get("type") != "null"]
        if len(variants) == 1:
            prop.update(variants[0])  # `X | None` is an optional X: absence is the null
        description = prop.pop("description", None) or _DESCRIPTIONS.get(name, name)
        prop.pop("title", None)
        if prop.get("default") in (None, [], ""):
            prop.pop("default", None)  # absent means "not given"; there is no value to show
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": False,
            "description": description,
            "schema": prop,
        }
        if prop.get("type") == "array":
            parameter.update(style="form", explode=True)  # cat=a&cat=b (cat=a,b works too)
        parameters.append(parameter)
    return parameters


QUERY_PARAMETERS = openapi_parameters()


def path_parameters(name: str, description: str) -> list[dict[str, Any]]:
    """A path parameter for OpenAPI, plus the query parameters. The routes read path parameters
    from `request.path_params` rather than their signature: FastAPI then builds no pydantic field
    for them, which spares importing pydantic.v1 (15-30 ms) on every cold start."""
    return [{"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "string"}},
            *QUERY_PARAMETERS]
