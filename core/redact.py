"""Remove secrets from data shown in public (`/config`): by key name at any depth, and by
value, since a secret can hide in a URL (`https://user:pw@host`, `?api_key=...`) or under
an innocent key (`"x": "Bearer sk-..."`)."""

from __future__ import annotations

import functools
import re
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

REDACTED = "[redacted]"

# Matched against a key made snake_case (`apiKey`, `api-key`, `X-Api-Key` -> `api_key`):
# any underscore-separated part names a secret. `keywords` is not `key`.
_SECRET_NAME = re.compile(
    r"(?:^|_)(?:api_?key|keys?|tokens?|secrets?|password|passwd|pwd|passphrase|authorization|auth|"
    r"bearer|cookies?|headers?|credentials?|session|private_key)(?:_|$)"
)
_NAME_OF_A_VARIABLE = re.compile(r"_env$")  # `api_key_env`: the name of a variable, not its value
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/?#@\s]*@")
_QUERY_PARAM = re.compile(r"([?&;])([^=&;#\s]+)=([^&;#\s]*)")


@functools.cache
def _secret_value() -> re.Pattern[str]:
    """Compiled on first use: about a millisecond that a start-up does not need."""
    return re.compile(
        r"(?i)^\s*(?:bearer|basic|token|digest)\s+\S"  # an Authorization header's value
        r"|\b(?:sk|pk|rk)-[a-z0-9_-]{12,}"  # OpenAI-style keys
        r"|\bgh[pousr]_[a-z0-9]{20,}|\bxox[abprs]-[a-z0-9-]{10,}|\bAKIA[0-9A-Z]{16}\b"
    )


def secret_name(name: str) -> bool:
    snake = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    snake = re.sub(r"[^a-z0-9]+", "_", snake.lower()).strip("_")
    return bool(_SECRET_NAME.search(snake)) and not _NAME_OF_A_VARIABLE.search(snake)


def redact_text(text: str) -> str:
    """A string without credentials: userinfo and secret query parameters leave URLs;
    a value that looks like a key or an Authorization header becomes `[redacted]`."""
    text = _USERINFO.sub(r"\1", text)
    text = _QUERY_PARAM.sub(lambda m: m.group(0) if not secret_name(m.group(2)) else f"{m.group(1)}{m.group(2)}={REDACTED}", text)
    return REDACTED if _secret_value().search(text) else text


def redact(value: Any) -> Any:
    """`value` (JSON-like) with secret-named keys removed at any depth and secrets in strings removed."""
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items() if not secret_name(str(k))}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def split_userinfo(url: str) -> tuple[str, tuple[str, str] | None]:
    """`(url without user:password, (user, password) or None)`: credentials in a configured
    URL are sent as auth, never as part of a URL that a log line or an error could show."""
    parts = urlsplit(url)
    if not (parts.username or parts.password):
        return url, None
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return bare, (unquote(parts.username or ""), unquote(parts.password or ""))
