"""The `Paper` model and the author and TeX helpers it needs.

A paper's canonical identity is its server and its versionless id there: one paper, one feed
item, one GUID, whatever category or version it was seen in. What differs per server (id
syntax, links, citation fields, taxonomy) lives with its source in core/sources.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

AnnounceType = Literal["new", "cross", "replace", "replace-cross"]
Origin = Literal["listing", "backfill"]  # the daily listing, or derived from the source's history
ANNOUNCE_TYPES: tuple[AnnounceType, ...] = ("new", "cross", "replace", "replace-cross")
DEFAULT_SERVER = "arxiv"  # core.sources.DEFAULT: a paper stored before there were other sources


class Paper(BaseModel):
    """One paper as its server announced it in a listing (or gave it in its history or by id)."""

    # `origin` is read and written as `source`: the stored days and JSON Feed's `_arxiv_feeds`
    # keep the name they had before there was a second server.
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    id: str = Field(description="id without version on its server, e.g. arXiv's 2604.21935")
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
    origin: Origin = Field("listing", alias="source", description="where its day and announce type came from")
    # Which server (core.sources registry name); left out of the JSON when arXiv, so what was
    # stored before there were other servers reads the same and stays byte for byte as it was.
    server: str = Field(DEFAULT_SERVER, exclude_if=lambda server: server == DEFAULT_SERVER)

    @property
    def primary_category(self) -> str:
        return self.categories[0] if self.categories else ""

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
    """Whether `category` belongs to `wanted`, where a group holds all its categories: the
    group is what comes before the first `.` or `:` (arXiv's archive `cs` holds `cs.LG`; a
    server's name `biorxiv` holds `biorxiv:genomics`), the spelling every source's taxonomy keeps."""
    if category in wanted:
        return True
    group = _GROUP_RE.split(category, maxsplit=1)[0]
    return group != category and group in wanted


_GROUP_RE = re.compile(r"[.:]")


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


class Author(NamedTuple):
    """One author as a citation wants it: the name alone, the affiliation apart."""

    name: str
    affiliation: str | None = None


_ET_AL_RE = re.compile(r"^(?:et\.?\s*al\.?|others)$", re.IGNORECASE)


def is_et_al(name: str) -> bool:
    """arXiv's author lists sometimes end in "et al.": a marker, not a person."""
    return bool(_ET_AL_RE.match(name.strip()))


def parse_author(text: str) -> Author:
    """Split arXiv's `A. Smith (Dept. of Physics, MIT, Cambridge, MA)` into name and affiliation.

    Only a bracketed group that ends the string (nested brackets allowed, several groups joined
    with "; ") or an unclosed one is an affiliation: `Jose (Pepe) Garcia` stays one name, and a
    name that is all brackets stays as it is.
    """
    name = " ".join(text.split())
    groups: list[str] = []
    while name:
        opened = _affiliation_start(name)
        if opened is None or not name[:opened].strip():
            break
        group = name[opened + 1:]
        if group[-1:] in ")]" and _balanced(group[:-1]):
            group = group[:-1]
        groups.insert(0, " ".join(group.split()))
        name = name[:opened].rstrip()
    affiliation = "; ".join(g for g in groups if g)
    return Author(name, affiliation or None)


def _affiliation_start(name: str) -> int | None:
    """Where a trailing bracketed group (or the first unclosed bracket) opens, if any."""
    depth, start = 0, None
    for i, char in enumerate(name):
        if char in "([":
            if depth == 0:
                start = i
            depth += 1
        elif char in ")]" and depth:
            depth -= 1
    if depth:  # unclosed: everything from its (outermost) bracket on
        return _outermost_unclosed(name)
    if start is not None and name.endswith((")", "]")) and _balanced(name[start + 1:-1]):
        return start
    return None


def _outermost_unclosed(name: str) -> int:
    stack: list[int] = []
    for i, char in enumerate(name):
        if char in "([":
            stack.append(i)
        elif char in ")]" and stack:
            stack.pop()
    return stack[0]


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


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
    text = _ACCENT_RE.sub(_accented, text)
    return _LETTER_RE.sub(lambda m: _LETTERS[m.group("cmd")], text)


def accent_at(text: str, pos: int) -> tuple[int, str] | None:
    """The accent command (or `\\ss`-like letter) starting at `pos`: (its end, the letter)."""
    match = _ACCENT_RE.match(text, pos)
    if match:
        return match.end(), _accented(match)
    match = _LETTER_RE.match(text, pos)
    if match:
        return match.end(), _LETTERS[match.group("cmd")]
    return None


def _accented(match: re.Match[str]) -> str:
    base = (match.group("braced") or match.group("base")).strip().removesuffix("{}")
    if base.startswith("\\"):
        base = base[1:]  # an accent on a dotless \i or \j is the accented i or j
    return unicodedata.normalize("NFC", base + _COMBINING[match.group("cmd")])
