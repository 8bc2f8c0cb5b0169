"""api.biorxiv.org's `details` answers -> `Paper`.

One answer: `messages[0]` says `status` (`ok`, or `no posts found` with an empty collection),
`cursor`, `count` and `total`, numbers that sometimes come as strings (`"total": "109"`); the
`collection` holds one record per posted version. A record's `authors` is one `;`-joined
string, as `Last, F. M.; Last, F.` (most) or `First Last; First Last` (some), often ending in
`;`; `category` is the collection's name in any case, sometimes with stray spaces; `published`
is `NA` or the journal DOI; `date` is the day that version was posted.

A `Preprint` keeps what `Paper` has no field for yet (the corresponding author and their
institution, the journal DOI apart from the preprint's, the JATS XML); `to_paper` maps it onto
`Paper` (see `to_paper` for where each part goes).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.errors import ParseError
from core.papers import AnnounceType, Origin, Paper
from core.sources.biorxiv import ids, taxonomy

NO_POSTS = "no posts found"
_SPACE = re.compile(r"\s+")
LICENSES = {  # the API's license codes -> what arXiv's listings give: the licence's URL
    "cc_by": "http://creativecommons.org/licenses/by/4.0/",
    "cc_by_nc": "http://creativecommons.org/licenses/by-nc/4.0/",
    "cc_by_nd": "http://creativecommons.org/licenses/by-nd/4.0/",
    "cc_by_nc_nd": "http://creativecommons.org/licenses/by-nc-nd/4.0/",
    "cc0": "http://creativecommons.org/publicdomain/zero/1.0/",
    "cc_no": None,  # no reuse licence: all rights reserved
}


def _count(value: Any) -> int | None:
    """A count as the API sends it: a number or a string of one; None when neither."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: str = ""
    cursor: int | None = None
    count: int | None = None
    total: int | None = None

    @field_validator("cursor", "count", "total", mode="before")
    @classmethod
    def _number(cls, value: Any) -> int | None:
        return _count(value)

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: Any) -> str:
        return str(value or "").strip().lower()


class Record(BaseModel):
    """One version of one preprint, as the API gives it."""

    model_config = ConfigDict(extra="ignore")

    doi: str
    title: str
    authors: str = ""
    author_corresponding: str | None = None
    author_corresponding_institution: str | None = None
    date: dt.date
    version: int = 1
    type: str | None = None
    license: str | None = None
    category: str = ""
    jatsxml: str | None = None
    abstract: str = ""
    published: str | None = None
    server: str | None = None

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> int:
        number = _count(value)
        if number is None or number < 1:
            raise ValueError(f"version {value!r}")
        return number

    @field_validator("published", "author_corresponding", "author_corresponding_institution", "jatsxml", mode="before")
    @classmethod
    def _na(cls, value: Any) -> str | None:
        text = _SPACE.sub(" ", str(value or "")).strip()
        return None if text.upper() in ("", "NA") else text


class Answer(BaseModel):
    """A whole `details` answer: its first message and its records."""

    message: Message
    records: list[Record] = Field(default_factory=list)

    @property
    def no_posts(self) -> bool:
        return self.message.status == NO_POSTS


def parse_answer(body: bytes) -> Answer:
    """Read one answer; `ParseError` for anything that is not one (an empty 200, HTML, a status
    other than `ok` or `no posts found`, a record without a usable DOI, date or version)."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        shown = body[:80].decode("utf-8", "replace") if body.strip() else "an empty body"
        raise ParseError(f"api.biorxiv.org sent no JSON ({shown!r}): {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("messages"), list) or not data["messages"]:
        raise ParseError("api.biorxiv.org's answer has no `messages`")
    try:
        message = Message.model_validate(data["messages"][0])
        records = [Record.model_validate(r) for r in data.get("collection") or []]
    except ValidationError as exc:
        raise ParseError(f"api.biorxiv.org's answer is not one we understand: {exc.errors()[0]}") from None
    if message.status not in ("ok", NO_POSTS):
        raise ParseError(f"api.biorxiv.org answered status {message.status!r}")
    return Answer(message=message, records=records)


# --- authors ---------------------------------------------------------------------------------

def split_authors(text: str) -> list[str]:
    """`Tachiwana, H.; Dacher, M.;` -> [`H. Tachiwana`, `M. Dacher`]; `Jane Doe; John Roe` stays
    as it is. A name with a comma is `Last, Given` (a suffix after a second comma stays last)."""
    names = []
    for part in text.split(";"):
        part = _SPACE.sub(" ", part).strip().strip(",").strip()
        if not part:
            continue
        last, comma, given = part.partition(",")
        if comma and given.strip():
            given, _, suffix = given.partition(",")
            part = " ".join(p for p in (given.strip(), last.strip(), suffix.strip()) if p)
        names.append(part)
    return names


# --- Paper ------------------------------------------------------------------------------------

class Preprint(BaseModel):
    """A record read: the `Paper` it becomes and what `Paper` has no field for yet."""

    paper: Paper
    corresponding: str | None = None
    institution: str | None = None
    journal_doi: str | None = None  # `published`: the journal version's DOI
    jatsxml: str | None = None


def to_preprint(record: Record, server: str, origin: Origin = "listing") -> Preprint:
    """One record -> a `Paper` of `server` (`biorxiv`/`medrxiv`):

    id the DOI without version (lower case); version 1 is `new`, a later one `replace`;
    `announced` the day this version was posted; the category `server:slug`; authors split;
    `doi` the journal DOI when `published` names one (arXiv's `doi` is the journal's too); the
    licence as a URL; `comment` says who corresponds, from where (the place RSS, Atom and
    Markdown already show); `enriched`: the record is all the server has (no second call).
    """
    doi, _ = ids.split_id(record.doi)
    announce: AnnounceType = "new" if record.version == 1 else "replace"
    who = record.author_corresponding
    where = record.author_corresponding_institution
    comment = f"Corresponding author: {who}" + (f" ({where})" if where else "") if who else None
    license_code = (record.license or "").strip().lower()
    paper = Paper(
        id=doi, version=record.version, title=_SPACE.sub(" ", record.title).strip(),
        abstract=_SPACE.sub(" ", record.abstract).strip(), authors=split_authors(record.authors),
        categories=[taxonomy.category_of(server, record.category)] if record.category.strip() else [server],
        announce_type=announce, announced=record.date,
        license=LICENSES.get(license_code, license_code or None), comment=comment,
        doi=record.published, enriched=True, origin=origin, server=server,
    )
    return Preprint(paper=paper, corresponding=who, institution=where, journal_doi=record.published,
                    jatsxml=record.jatsxml)


def to_paper(record: Record, server: str, origin: Origin = "listing") -> Paper:
    return to_preprint(record, server, origin).paper
