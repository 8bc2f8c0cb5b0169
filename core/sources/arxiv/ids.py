"""arXiv's identifiers: `2604.21935`, `2604.21935v2`, and the old `hep-th/9901001` style."""

from __future__ import annotations

import re

_NEW, _CLASS_NUMBER = r"\d{4}\.\d{4,5}", r"(?:\.[A-Z]{2})?/\d{7}"
_ID_RE = re.compile(rf"(?P<id>{_NEW}|[a-z\-]+{_CLASS_NUMBER})(?:v(?P<version>\d+))?")  # found anywhere in a text
# One id and nothing else, as a person writes it: an old-style archive starts with a letter,
# a version with 1-9.
_EXACT_RE = re.compile(rf"^(?:{_NEW}|[a-z][a-z\-]*{_CLASS_NUMBER})(?:v[1-9]\d*)?$")


def split_id(text: str) -> tuple[str, int]:
    """Find an arXiv id in `text` (a URL, an `oai:` GUID, `arXiv:...v2`) -> (id, version)."""
    match = _ID_RE.search(text)
    if not match:
        raise ValueError(f"no arXiv id in {text!r}")
    return match.group("id"), int(match.group("version") or 1)


def is_id(text: str) -> bool:
    """`text` is one arXiv id and nothing else (with or without a version)."""
    return _EXACT_RE.match(text) is not None
