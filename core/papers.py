"""The `Paper` model and the arXiv identifier, author and TeX helpers it needs.

A paper's canonical identity is its versionless arXiv id: one paper, one feed
item, one GUID, whatever category or version it was seen in.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Literal

from pydantic import BaseModel, Field

AnnounceType = Literal["new", "cross", "replace", "replace-cross"]
Source = Literal["listing", "backfill"]  # the daily listing, or derived from the query API
ANNOUNCE_TYPES: tuple[AnnounceType, ...] = ("new", "cross", "replace", "replace-cross")

_ID_RE = re.compile(
    r"(?P<id>\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v(?P<version>\d+))?"
)


class Paper(BaseModel):
    """One arXiv paper as announced in a listing (or returned by the query API)."""

    id: str = Field(description="arXiv id without version, e.g. 2604.21935")
    version: int = 1
    title: str
    abstract: str
    authors: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list, description="primary first")
    announce_type: AnnounceType = "new"
    announced: dt.date
    license: str | None = None
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    # The comment, journal reference and DOI above are arXiv's for this version (the query API
    # gave them: a backfill, or core/listings/enrich.py for a listed paper); the RSS has none.
    enriched: bool = False
    source: Source = Field("listing", description="where its day and announce type came from")

    @property
    def primary_category(self) -> str:
        return self.categories[0] if self.categories else ""

    @property
    def abs_url(self) -> str:
        return f"https://arxiv.org/abs/{self.id}"

    @property
    def pdf_url(self) -> str:
        return f"https://arxiv.org/pdf/{self.id}v{self.version}"

    @property
    def is_replacement(self) -> bool:
        return self.announce_type in ("replace", "replace-cross")

    def in_any(self, wanted: frozenset[str] | set[str]) -> bool:
        """True if any of the paper's categories is in `wanted` (archives like `cs` included)."""
        return any(category_in(c, wanted) for c in self.categories)

    def relative_to(self, wanted: frozenset[str] | set[str]) -> Paper:
        """This paper with its announce type as arXiv would give it for the set `wanted`.

        Primary category in the set: new/replace; otherwise cross/replace-cross.
        """
        primary_in = category_in(self.primary_category, wanted)
        kind: AnnounceType
        if self.is_replacement:
            kind = "replace" if primary_in else "replace-cross"
        else:
            kind = "new" if primary_in else "cross"
        if kind == self.announce_type:
            return self
        return self.model_copy(update={"announce_type": kind})


def category_in(category: str, wanted: frozenset[str] | set[str]) -> bool:
    """Whether `category` belongs to `wanted`, where an archive (`cs`) holds all its classes."""
    if category in wanted:
        return True
    archive = category.split(".", 1)[0]
    return archive != category and archive in wanted


def split_id(text: str) -> tuple[str, int]:
    """Find an arXiv id in `text` (a URL, an `oai:` GUID, `arXiv:...v2`) -> (id, version)."""
    match = _ID_RE.search(text)
    if not match:
        raise ValueError(f"no arXiv id in {text!r}")
    return match.group("id"), int(match.group("version") or 1)


# --- authors ---------------------------------------------------------------

def split_authors(creator: str) -> list[str]:
    """Split arXiv's one comma-joined `dc:creator` string into names.

    Commas inside parentheses (affiliations) do not split a name, and a final
    "and" is dropped.
    """
    if not any(bracket in creator for bracket in "()[]"):
        names = creator.split(",")
    else:
        names = _split_outside_brackets(creator)
    cleaned = []
    for name in names:
        name = " ".join(name.split())
        if name.lower().startswith("and "):
            name = name[4:]
        if name:
            cleaned.append(detex(name))
    return cleaned


def _split_outside_brackets(creator: str) -> list[str]:
    names: list[str] = []
    depth = 0
    current: list[str] = []
    for char in creator:
        if char in "([":
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
        if char == "," and depth == 0:
            names.append("".join(current))
            current = []
        else:
            current.append(char)
    names.append("".join(current))
    return names


# --- TeX accents (names and titles carry them: Pi\v{z}urica, J\"org) -------

_COMBINING = {
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303",
    "=": "\u0304", ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b",
    "c": "\u0327", "k": "\u0328", "r": "\u030a",
}
_LETTERS = {
    "ss": "ß", "o": "ø", "O": "Ø", "l": "ł", "L": "Ł", "aa": "å", "AA": "Å",
    "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
}
# A closing brace is taken only when the match opened one (`{\'e}`), so `Jos\'e Garc\'ia` keeps
# its space; after a control word (`\c c`, `\i`, `\ss`) TeX itself drops the spaces.
_BASE = r"(?:\\[ij](?![A-Za-z])\s*(?:\{\})?|[A-Za-z])"
_ACCENT_RE = re.compile(
    r"(?P<open>\{)?\\(?P<cmd>['`^\"~=.]|[uvHckr](?![A-Za-z]))\s*"
    rf"(?:\{{\s*(?P<braced>{_BASE})\s*\}}|(?P<base>{_BASE}))(?(open)\}})"
)
_LETTER_RE = re.compile(r"(?P<open>\{)?\\(?P<cmd>ss|aa|AA|ae|AE|oe|OE|o|O|l|L)(?![A-Za-z])(?(open)\s*\}|\s*(?:\{\})?)")


def detex(text: str) -> str:
    """Turn TeX accent commands into Unicode letters (`J\\"org` -> `Jörg`); leave other TeX alone."""
    if "\\" not in text:
        return text

    def accent(match: re.Match[str]) -> str:
        base = (match.group("braced") or match.group("base")).strip().removesuffix("{}")
        if base.startswith("\\"):
            base = base[1:]  # an accent on a dotless \i or \j is the accented i or j
        return unicodedata.normalize("NFC", base + _COMBINING[match.group("cmd")])

    text = _ACCENT_RE.sub(accent, text)
    return _LETTER_RE.sub(lambda m: _LETTERS[m.group("cmd")], text)
