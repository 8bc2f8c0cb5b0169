"""bioRxiv and medRxiv paper ids: DOIs, without a version.

Both servers' DOIs are Cold Spring Harbor's: `10.1101/2024.05.08.593085` (a date and a serial),
older ones `10.1101/19000430` or `10.1101/641381`, and since the move to openRxiv also
`10.64898/2026.07.31.741992`. A link or a citation may add a version (`...593085v2`) or wrap it
in a URL (`https://www.biorxiv.org/content/10.1101/2024.05.08.593085v2.full.pdf`, `doi.org/...`).
DOIs are case-insensitive; the id is kept in lower case.
"""

from __future__ import annotations

import re

_DOI = r"10\.(?:1101|64898)/(?:\d{4}\.\d{2}\.\d{2}\.\d{6,8}|\d{6,8})"
_FIND_RE = re.compile(rf"(?P<doi>{_DOI})(?!\d)(?:v(?P<version>\d+))?", re.IGNORECASE)
_WHOLE_RE = re.compile(rf"^\s*(?:doi:)?(?P<doi>{_DOI})(?:v(?P<version>\d+))?\s*$", re.IGNORECASE)


def split_ref(text: str) -> tuple[str, int | None]:
    """Find a bioRxiv/medRxiv DOI in `text` -> (doi without version, the version it names or None)."""
    match = _FIND_RE.search(text)
    if not match:
        raise ValueError(f"no bioRxiv/medRxiv DOI in {text!r}")
    version = match.group("version")
    return match.group("doi").lower(), int(version) if version else None


def split_id(text: str) -> tuple[str, int]:
    """Find a bioRxiv/medRxiv DOI in `text` -> (doi without version, version; 1 when none)."""
    doi, version = split_ref(text)
    return doi, version or 1


def is_id(text: str) -> bool:
    """Whether `text` is one such DOI and nothing else (`doi:` and a version allowed)."""
    return bool(_WHOLE_RE.match(text))
