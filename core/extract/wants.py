"""What a feed asks of venues and links: `venue=CVPR,ICCV`, `venue=CVPR 2026 Workshops`,
`has=code,doi`; a value with `^weight` adds to the score instead of filtering.

A venue without a year matches every year; without a track only the main track (workshops,
findings and datasets-and-benchmarks tracks only when asked). Venue values are OR'd, `has`
values AND'd; a profile's and a query's filters both apply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.extract import PaperInfo, venues

HAS = ("code", "doi", "journal", "venue", "comment")
_TRACKS = {"workshop": "Workshops", "workshops": "Workshops", "findings": "Findings",
           "datasets and benchmarks": "Datasets and Benchmarks", "d&b": "Datasets and Benchmarks"}
_TRACK_RE = re.compile(r"\b(workshops?|findings|datasets and benchmarks|d&b)\b", re.IGNORECASE)
_YEAR_RE = re.compile(r"(?:(?<=[A-Za-z])|\b)((?:19|20)\d\d)\b")
_WEIGHT_RE = re.compile(r"\^\s*(\d+(?:\.\d+)?)\s*$")
MAX_VALUES = 20
MAX_WEIGHT = 100.0


@dataclass(frozen=True)
class VenueWant:
    name: str  # the table's short name, or the name as given
    year: int | None = None
    track: str | None = None
    weight: float | None = None  # None: a filter; a number: points when it matches

    @property
    def label(self) -> str:
        return " ".join(str(x) for x in (self.name, self.year, self.track) if x)

    def matches(self, info: PaperInfo) -> bool:
        venue = info.venue
        if venue is None or venue.name.lower() != self.name.lower():
            return False
        return (self.year is None or venue.year == self.year) and venue.track == self.track


@dataclass(frozen=True)
class HasWant:
    what: str
    weight: float | None = None

    @property
    def label(self) -> str:
        return self.what

    def matches(self, info: PaperInfo) -> bool:
        return info.has(self.what)


def _weight(value: str) -> tuple[str, float | None]:
    match = _WEIGHT_RE.search(value)
    if not match:
        if "^" in value:
            raise ValueError(f"{value!r}: a weight is a number after ^, e.g. CVPR^2")
        return value.strip(), None
    weight = float(match.group(1))
    if not 0 < weight <= MAX_WEIGHT:
        raise ValueError(f"{value!r}: a weight is above 0 and at most {MAX_WEIGHT:g}")
    return value[: match.start()].strip(), weight


def parse_venue_want(value: str) -> VenueWant:
    """`CVPR`, `CVPR2026`, `CVPR 2026`, `CVPR 2026 Workshops`, `CVPRW`, `NeurIPS D&B`, `TPAMI^2`."""
    text, weight = _weight(value)
    track = None
    found = _TRACK_RE.search(text)
    if found:
        track = _TRACKS[found.group(1).lower()]
        text = (text[: found.start()] + " " + text[found.end():]).strip()
    year = None
    found = _YEAR_RE.search(text)
    if found:
        year = int(found.group(1))
        text = (text[: found.start()] + " " + text[found.end():]).strip()
    name = " ".join(text.split())
    if name.endswith("W") and track is None and venues.lookup(name[:-1].rstrip("-")) is not None:
        name, track = name[:-1].rstrip("-"), "Workshops"  # CVPRW, CVPR-W
    if not name or len(name) > 80 or not re.fullmatch(r"[\w&./' -]+", name):
        raise ValueError(f"{value!r} is not a venue; e.g. CVPR, CVPR 2026, CVPR Workshops, TPAMI")
    known = venues.lookup(name)
    return VenueWant(known.name if known else name, year, track, weight)


def parse_has_want(value: str) -> HasWant:
    text, weight = _weight(value)
    return HasWant(text.lower(), weight)


def check_has(values: list[str]) -> list[str]:
    """The `has` values, or a ValueError naming every unknown one."""
    if len(values) > MAX_VALUES:
        raise ValueError(f"at most {MAX_VALUES} values")
    wants = [parse_has_want(v) for v in values]
    unknown = [v for v, want in zip(values, wants) if want.what not in HAS]
    if unknown:
        raise ValueError(f"unknown value{'s' if len(unknown) > 1 else ''} {', '.join(repr(u) for u in unknown)}; "
                         f"use {', '.join(HAS)} (with ^weight to add to the score instead of filtering)")
    return values


def check_venues(values: list[str]) -> list[str]:
    if len(values) > MAX_VALUES:
        raise ValueError(f"at most {MAX_VALUES} values")
    for value in values:
        parse_venue_want(value)
    return values


@dataclass(frozen=True)
class Wants:
    """A feed's venue and `has` filters (groups: OR within a venue group, AND across) and boosts."""

    venue_groups: tuple[tuple[VenueWant, ...], ...] = ()
    has: tuple[HasWant, ...] = ()
    boosts: tuple[VenueWant | HasWant, ...] = ()

    @classmethod
    def build(cls, *sources: tuple[list[str], list[str]]) -> Wants:
        """From (venue values, has values) of the profile and of the query."""
        groups, has, boosts = [], [], []
        for venue_values, has_values in sources:
            group = []
            for want in (parse_venue_want(v) for v in venue_values):
                (boosts if want.weight is not None else group).append(want)
            if group:
                groups.append(tuple(group))
            for hw in (parse_has_want(v) for v in has_values):
                (boosts if hw.weight is not None else has).append(hw)
        return cls(tuple(groups), tuple(has), tuple(boosts))

    @property
    def filters(self) -> bool:
        return bool(self.venue_groups or self.has)

    def admits(self, info: PaperInfo) -> bool:
        return all(any(w.matches(info) for w in group) for group in self.venue_groups) and all(
            w.matches(info) for w in self.has)
