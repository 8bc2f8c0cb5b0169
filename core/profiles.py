"""`config.json`: named feed profiles, validated at start-up.

Two shapes load: ours (`{"profiles": {name: {...}}}`) and the flat file of the
bot this project replaces (top-level `categories`, `keywords`,
`exclude_keywords`, `max_papers`, `days_back`, `min_score`, `ai_summary`),
which becomes one profile named `default`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.errors import ConfigError, NotFound, describe_invalid
from core.matching import MAX_TERM_LENGTH, MAX_TERMS, Term, fold
from core.papers import AnnounceType
from core.extract.wants import check_has, check_venues
from core.redact import redact
from core.signals.seeds import check_author, check_ids
from core.taxonomy import normalize_category

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
ADHOC_PROFILE = "query"  # the name of the ad-hoc feed (`/feed?cat=...`); no profile may take it
MAX_CATEGORIES = 20
MAX_ITEMS = 500
MAX_DAYS = 14
DEFAULT_TYPES: list[AnnounceType] = ["new", "cross"]


def validate_categories(values: list[str]) -> list[str]:
    """Canonical spellings, duplicates removed; a clear error for an unknown one."""
    result: list[str] = []
    for value in values:
        canonical = normalize_category(value)
        if canonical is None:
            raise ValueError(f"unknown arXiv category {value!r} (examples: cs.LG, math.AG, hep-th, stat.ML)")
        if canonical not in result:
            result.append(canonical)
    if not result:
        raise ValueError("give at least one arXiv category")
    if len(result) > MAX_CATEGORIES:
        raise ValueError(f"at most {MAX_CATEGORIES} categories")
    return result


def check_term(value: str) -> str:
    value = value.strip()
    if not value or not any(c.isalnum() for c in fold(value)):  # `ͺ` is a letter that folds to nothing
        raise ValueError("a term needs at least one letter or digit")
    if len(value) > MAX_TERM_LENGTH:
        raise ValueError(f"a term is at most {MAX_TERM_LENGTH} characters")
    return value


class Keyword(BaseModel):
    model_config = ConfigDict(extra="forbid")

    term: str
    weight: float = Field(1.0, gt=0, le=100)
    aliases: list[str] = []
    exact: bool = False  # this exact form, no stemming (a string keyword says it as "=term")

    _term = field_validator("term")(classmethod(lambda cls, v: check_term(v)))
    _aliases = field_validator("aliases")(classmethod(lambda cls, v: [check_term(a) for a in v]))


class SummarySettings(BaseModel):
    """Per-profile AI summary settings (used by the summaries feature)."""

    model_config = ConfigDict(extra="allow")

    enabled: bool = False
    top_n: int = Field(5, ge=0, le=50)
    language: str = "en"


class Profile(BaseModel):
    """One named feed: what to fetch, what to look for, how much to keep."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    description: str = ""
    categories: list[str]
    keywords: list[str | Keyword] = []
    exclude: list[str] = []
    authors: list[str] = []
    like: list[str] = []  # arXiv ids of papers like the ones wanted (`like=`)
    unlike: list[str] = []  # arXiv ids of papers to move away from
    venue: list[str] = []  # venues (CVPR, CVPR 2026, CVPR Workshops; NAME^2 adds to the score instead)
    has: list[str] = []  # code, doi, journal, venue, comment (code^2 adds to the score instead)
    like_author: str = ""  # an arXiv author identifier or ORCID iD: that author's recent papers are seeds
    announce_types: list[AnnounceType] = Field(default_factory=lambda: list(DEFAULT_TYPES), min_length=1)
    min_score: float = Field(0.0, ge=0)
    max_items: int = Field(50, ge=1, le=MAX_ITEMS)
    days: int = Field(7, ge=1, le=MAX_DAYS)
    summaries: SummarySettings = SummarySettings()

    _categories = field_validator("categories")(classmethod(lambda cls, v: validate_categories(v)))
    _exclude = field_validator("exclude", "authors")(classmethod(lambda cls, v: [check_term(t) for t in v]))
    _seeds = field_validator("like", "unlike")(classmethod(lambda cls, v, info: check_ids(v, info.field_name)))
    _venue = field_validator("venue")(classmethod(lambda cls, v: check_venues(v)))
    _has = field_validator("has")(classmethod(lambda cls, v: check_has(v)))
    _author = field_validator("like_author")(classmethod(lambda cls, v: check_author(v) if v.strip() else ""))

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str | Keyword]) -> list[str | Keyword]:
        if len(value) > MAX_TERMS:
            raise ValueError(f"at most {MAX_TERMS} keywords")
        return [check_term(k) if isinstance(k, str) else k for k in value]

    def terms(self) -> list[Term]:
        """The profile as matcher terms: keywords, followed authors, excluded terms."""
        terms = []
        for keyword in self.keywords:
            if isinstance(keyword, str):
                exact = keyword.startswith("=") and len(keyword) > 1
                terms.append(Term(text=keyword[1:] if exact else keyword, exact=exact))
            else:
                terms.append(Term(text=keyword.term, weight=keyword.weight, aliases=keyword.aliases, exact=keyword.exact))
        terms += [Term(text=a, field="au") for a in self.authors]
        terms += [Term(text=x, excluded=True) for x in self.exclude]
        return terms


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    profiles: dict[str, Profile] = Field(min_length=1)

    @field_validator("profiles")
    @classmethod
    def _names(cls, value: dict[str, Profile]) -> dict[str, Profile]:
        for name in value:
            if not NAME_RE.match(name):
                raise ValueError(
                    f"profile name {name!r}: use lower-case letters, digits, '-' and '_' (it becomes the feed URL)"
                )
            if name == ADHOC_PROFILE:
                raise ValueError(
                    f"profile name {name!r} is reserved for the ad-hoc feed (/feed?cat=...); choose another name"
                )
        return value

    @property
    def default_name(self) -> str:
        return "default" if "default" in self.profiles else next(iter(self.profiles))

    def profile(self, name: str) -> Profile:
        """The profile called `name`; NotFound (404) naming the profiles there are."""
        if name not in self.profiles:
            raise NotFound(f"no profile {name!r}; profiles: {', '.join(sorted(self.profiles))}")
        return self.profiles[name]

    def public(self) -> dict[str, Any]:
        """What `/config` shows: the profiles, with anything that looks like a secret removed."""
        return {"profiles": {name: redact(p.model_dump(mode="json")) for name, p in self.profiles.items()}}


LEGACY_KEYS = {"categories", "keywords", "exclude_keywords", "max_papers", "days_back", "min_score", "ai_summary"}


def from_legacy(data: dict[str, Any]) -> dict[str, Any]:
    """The old bot's flat file as our `{"profiles": {"default": ...}}` shape."""
    keywords = data.get("keywords", [])
    if isinstance(keywords, dict):  # {"term": weight}
        keywords = [{"term": term, "weight": weight} for term, weight in keywords.items()]
    profile: dict[str, Any] = {
        "title": data.get("title", "arXiv digest"),
        "categories": data.get("categories", []),
        "keywords": keywords,
        "exclude": data.get("exclude_keywords", []),
    }
    for old, new in (("max_papers", "max_items"), ("days_back", "days"), ("min_score", "min_score")):
        if old in data:
            profile[new] = data[old]
    if "days" in profile and isinstance(profile["days"], int):
        profile["days"] = max(1, min(profile["days"], MAX_DAYS))
    summary = data.get("ai_summary")
    if isinstance(summary, dict):
        profile["summaries"] = summary
    elif isinstance(summary, bool):
        profile["summaries"] = {"enabled": summary}
    return {"profiles": {"default": profile}}


def parse_config(data: Any, source: str = "config.json") -> Config:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a JSON object")
    if "profiles" not in data and LEGACY_KEYS & data.keys():
        data = from_legacy(data)
        source = f"{source} (old bot format, loaded as profile 'default')"
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        if len(errors) > 1:  # a union (string or object) reports both branches: keep the useful one
            errors = [e for e in errors if e["type"] != "string_type"] or errors
        raise ConfigError(f"{source}: " + describe_invalid(errors, _config_location)) from None


def _config_location(location: tuple) -> list[str]:
    """An error's place in config.json, without the union branches pydantic names (`str`, `Keyword`)."""
    return [str(part) for part in location if not str(part).startswith(("str", "Keyword", "function"))]


def load_config(path: Path) -> Config:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    return parse_config(data, str(path))
