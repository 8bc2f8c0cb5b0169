"""Comparing a request's `If-None-Match` with an ETag, the one way the feed route and the warm
layer both do it: weakly (RFC 9110 13.1.2: `W/"x"` matches `"x"`), `*` matching any."""

from __future__ import annotations


def weak_match(if_none_match: str, etag: str) -> bool:
    for tag in if_none_match.split(","):
        tag = tag.strip().removeprefix("W/")
        if tag == etag or tag == "*":
            return True
    return False
