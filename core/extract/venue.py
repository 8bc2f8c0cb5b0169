"""The venue a paper's comment says it was accepted at, is to appear in, or was published in.

Conservative by design: a venue is only read from a clause that claims it (accepted, to appear,
published, presented, camera-ready, proceedings of), or from a clause that is nothing but a
venue of the table and a year (`CVPR 2026`, `[ICLR 2026]`, `32 pages, CVPR 2026 (Oral)`), the
convention for an accepted paper. A clause that says submitted, under review, an earlier or
extended version, or only compares to a venue gives nothing. Measured on 404 real comments
(tests/test_extract.py).
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from core.extract import venues

Track = str  # "Workshops" | "Findings" | "Datasets and Benchmarks"


class VenueInfo(BaseModel):
    name: str  # CVPR, TPAMI, or the journal's own name when it is not in the table
    year: int | None = None
    track: Track | None = None
    long: str | None = None  # the full name, when the table knows it
    journal: bool = False

    @property
    def label(self) -> str:
        """`CVPR 2026`, `CVPR 2026 Workshops`, `TPAMI`."""
        return " ".join(str(x) for x in (self.name, self.year, self.track) if x)


_CLAIM = re.compile(
    r"\b(?:acc?[ae]pted|accept(?:ance)?|to\s+appear|appears?\s+in|appearing\s+in|published|presented|camera[- ]?ready|"
    r"proceedings\s+of|version\s+of\s+record)\b", re.IGNORECASE)
_NOT_THIS = re.compile(
    r"\b(?:submitted|submission|submit|under\s+review|in\s+review|under[- ]review|reviews?\s+(?:at|for)|rejected|"
    r"earlier\s+version|extended\s+version|extension\s+of|preliminary\s+version|previous\s+version|"
    r"prior\s+version|an\s+extension|version\s+of\s+(?:our|the|a)\s+\w+\s+paper|compared?\s+(?:to|with)|"
    r"not\s+(?:been\s+)?accepted|before\s+\w+\s+(?:main\s+)?(?:track\s+)?submission)\b", re.IGNORECASE)
# Sentence ends: ". " before a capital or a digit, ";", or a line end; "Vol. 93" and "et al. " stay.
_SENTENCES = re.compile(r"(?<!\bVol)(?<!\bno)(?<!\bal)(?<!\bpp)\.\s+(?=[A-Z0-9\[(])|;\s*|\n+")
# A year after the name: `CVPR 2026`, `(2026)`; two digits only glued on: `CVPR26`, `IJCAI-25`, `DAC'26`.
_YEAR_AFTER = re.compile(r"^(?:[-\s']*(?:\(\s*)?(?P<year>(?:19|20)\d\d)(?!\d)|[-']?(?P<short>\d\d)(?![\d/]))")
_ANY_YEAR = re.compile(r"(?<!\d)(?P<year>(?:19|20)\d\d)(?!\d)")
_SHORT_YEAR_BEFORE = re.compile(r"\b(?P<year>(?:19|20)\d\d)\s+(?:IEEE/CVF\s+|IEEE\s+|ACM\s+)?$")
_WORKSHOP = re.compile(r"\bworkshops?\b|(?<=[A-Z])-?W\b|\bchallenge\s+report", re.IGNORECASE)
_FINDINGS = re.compile(r"\bfindings\b", re.IGNORECASE)
_DATASETS = re.compile(r"\bdatasets?\s+(?:and|&)\s+benchmarks?\b", re.IGNORECASE)
_EVENT = re.compile(r"^[\s-]*(?:(?:19|20)?\d\d\s+)?(?P<event>[A-Z][A-Za-z]*(?:[A-Z]|\d)[A-Za-z0-9]*)\b")
_NOT_EVENTS = {"Oral", "Highlight", "Poster", "Spotlight", "Findings", "Main", "Workshop", "Workshops", "Accepted",
               "Camera", "Conference", "Proceedings", "Track", "Paper", "Code", "Project", "Datasets", "IEEE"}
# Bare clause: a venue of the table, an optional track, a year, and only decorations after it.
_DECORATION = re.compile(
    r"^(?:[\s,:()\[\]-]|oral|highlight|poster|spotlight|presentation|paper|main|conference|track|findings|"
    r"workshops?|camera[- ]?ready|version|accepted|final|the|\([^()]{0,40}\))*$", re.IGNORECASE)
# Acronym of a venue outside the table: "(ICCS 2026)", "Accepted to ICCE-TW 2026", "Accepted at ANTIC 2025".
_PAREN_ACRONYM = re.compile(r"\((?P<name>[A-Z][A-Za-z]*[A-Z][A-Za-z-]*)(?:[\s,']+(?P<year>(?:19|20)\d\d))?\)")
_AFTER_CLAIM_ACRONYM = re.compile(
    r"^\s*(?:(?:to|at|by|in|for|as)\s+)+(?:the\s+)?(?:(?:19|20)\d\d\s+)?(?:IEEE\s+|ACM\s+)?"
    r"(?P<name>(?=[A-Za-z-]*[A-Z][A-Za-z-]*[A-Z])[A-Za-z][A-Za-z-]*[A-Za-z])(?!\s+[A-Z][a-z])"
    r"(?:[\s']*(?P<year>(?:19|20)\d\d|\d\d)\b|(?=[\s,.;)]|$))")
# A journal by its own name: "published in Computerized Medical Imaging and Graphics", "to appear in AI Magazine".
_NAMED = re.compile(
    r"^\s*(?:(?:for\s+publication\s+)?(?:in|at|by|to)|for\s+presentation\s+at)\s*:?\s+(?:the\s+)?"
    r"(?P<name>[A-Z][\w&-]*(?:\s+(?:[A-Z][\w&-]*|and|of|on|for|in|&))*)")
_CONNECTORS = {"and", "of", "on", "for", "in", "&"}
_PUBLISHERS = {"Springer", "Elsevier", "Wiley", "MIT", "IEEE Xplore", "Taylor", "World", "Cambridge", "Oxford", "Now"}
_NAMED_STOP = {"Vol", "Volume", "Proceedings", "Conference", "Workshop", "Symposium", "Meeting"}


def parse_venue(comment: str | None) -> VenueInfo | None:
    """The venue `comment` claims for the paper, or None."""
    if not comment or len(comment) > 4000:
        return None
    text = " ".join(comment.replace("\\&", "&").split())
    doubt = _NOT_THIS.search(text) is not None  # a bare `MICCAI 2026; under review` is no claim
    for sentence in _SENTENCES.split(text):
        if not sentence or _NOT_THIS.search(sentence):
            continue
        claim = _CLAIM.search(sentence)
        found = _claimed(sentence, claim) if claim else None if doubt else _bare(sentence)
        if found is not None:
            return found
    return None


def _claimed(sentence: str, claim: re.Match[str]) -> VenueInfo | None:
    """A venue in a sentence that claims one: the table first, then an acronym, then a name."""
    match = venues.finder().search(sentence)
    if match is not None:
        return _from_table(sentence, match)
    for each in _CLAIM.finditer(sentence):  # "accepted and presented at X": the first claim that names one
        found = _outside_table(sentence, sentence[each.end():])
        if found is not None:
            return found
    return None


def _outside_table(sentence: str, after: str) -> VenueInfo | None:
    """A venue the table does not know, right after a claim: an acronym, else a journal's name."""
    acronym = _PAREN_ACRONYM.search(after) or _AFTER_CLAIM_ACRONYM.match(after)
    if acronym is not None and acronym.group("name").upper() not in ("IEEE", "ACM", "CVF", "IEEE/CVF"):
        year = _year(acronym.group("year")) or _any_year(after)
        return VenueInfo(name=acronym.group("name"), year=year, track=_track(sentence, None, own_name=True))
    named = _NAMED.match(after)
    if named is not None:
        words = named.group("name").split()
        while words and (words[-1] in _CONNECTORS):
            words.pop()
        if words and not _NAMED_STOP & set(words) and words[0] not in _PUBLISHERS and len(words) <= 8:
            return VenueInfo(name=" ".join(words), year=_any_year(after), journal=True)
    return None


def _bare(sentence: str) -> VenueInfo | None:
    """`CVPR 2026`, `[ICLR 2026] Code: ...`, `32 pages, CVPR 2026 (Oral)`: a comma-separated
    part holding only a venue of the table, a year and decorations."""
    for part in re.split(r",\s*|\s+\|\s+", sentence):
        part = part.strip()
        bracket = re.match(r"^\[([^\]]{3,60})\]", part)
        if bracket:
            part = bracket.group(1)
        part = re.sub(r"^findings\s+of\s+(?:the\s+)?", "findings ", part, flags=re.IGNORECASE)
        lead = re.match(r"^(?:findings\s+)?", part, re.IGNORECASE)
        match = venues.finder().match(part, lead.end() if lead else 0)
        if match is None:
            continue
        rest = part[match.end():]
        year = re.match(r"^[\s\-'(]*(?:(?:main|findings|workshops?|w)\s*\)?\s*)?(?P<year>(?:19|20)\d\d|\d\d)(?!\d)(?P<tail>.*)$",
                        rest, re.IGNORECASE)
        if year is None:
            continue
        tail = year.group("tail")
        if not _DECORATION.match(tail) and not re.search(r"\bworkshop\b", tail, re.IGNORECASE):
            continue
        return _from_table(sentence, match)
    return None


def _from_table(sentence: str, match: re.Match[str]) -> VenueInfo:
    venue = venues.found(match)
    after = sentence[match.end():]
    year_match = _YEAR_AFTER.match(after) or re.match(r"^[\s\-(]*(?:main|findings|workshops?)\s*\)?\s*(?P<year>(?:19|20)\d\d)",
                                                        after, re.IGNORECASE)
    year = _year(year_match.group("year") or year_match.groupdict().get("short")) if year_match else None
    if year is None:
        before = _SHORT_YEAR_BEFORE.search(sentence[: match.start()])
        year = int(before.group("year")) if before else _any_year(sentence)
    return VenueInfo(name=venue.name, year=year, track=_track(sentence, match), long=venue.long, journal=venue.journal)


def _track(sentence: str, match: re.Match[str] | None, own_name: bool = False) -> Track | None:
    """The track a sentence names; a venue outside the table named by its own acronym (a
    workshop such as `EdgeSys 2026`) is its own main track."""
    if _DATASETS.search(sentence):
        return "Datasets and Benchmarks"
    if _FINDINGS.search(sentence):
        return "Findings"
    if own_name:
        return None
    if _WORKSHOP.search(sentence):
        return "Workshops"
    if match is not None and not venues.found(match).journal:
        # A named event glued to the conference (`CVPR 2026 CV4Clinical`, `CVPR EarthVision 2026`) is a workshop.
        event = _EVENT.match(sentence[match.end():])
        if event and event.group("event") not in _NOT_EVENTS and not event.group("event").isdigit():
            return "Workshops"
    return None


def _year(text: str | None) -> int | None:
    if not text:
        return None
    value = int(text)
    return value if value >= 1900 else 2000 + value


def _any_year(text: str) -> int | None:
    match = _ANY_YEAR.search(text)
    return int(match.group("year")) if match else None
