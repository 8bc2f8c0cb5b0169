"""CSL-JSON: the citation data Zotero, Pandoc (`--citeproc`) and every citeproc import,
one item per paper, shaped as Zotero exports an arXiv preprint (type `article`, publisher
arXiv, number `arXiv:ID`). Ids are the BibTeX citation keys, so both exports agree.
"""

from __future__ import annotations

import json

from core.extract import info
from core.papers import Paper
from core.render.bibtex import cited_names
from core.render.document import FeedDocument, xml_safe
from core.sources import citation

_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}
_PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "dos", "du", "la", "le", "ter", "bin", "al"}
_GROUPS = ("collaboration", "consortium", "team", "group", "project")


def csl_name(name: str) -> dict[str, str]:
    """arXiv gives names as one string, given names first: split off the family name (with a
    `van der` particle and a `Jr.` suffix); one-word names and collaborations stay literal."""
    words = xml_safe(name).split()
    if len(words) < 2 or any(w.lower() in _GROUPS for w in words):
        return {"literal": " ".join(words)}
    result: dict[str, str] = {}
    if words[-1].lower() in _SUFFIXES and len(words) > 2:
        result["suffix"] = words.pop()
    family = [words.pop()]
    while len(words) > 1 and words[-1].lower() in _PARTICLES:
        family.insert(0, words.pop())
    result["family"] = family[-1]
    if family[:-1]:
        result["non-dropping-particle"] = " ".join(family[:-1])
    result["given"] = " ".join(words)
    return result


def item(paper: Paper) -> dict:
    announced = paper.announced
    cited = citation(paper)
    data: dict = {
        "id": cited.key,
        "type": "article",
        "title": xml_safe(paper.title),
        "author": [csl_name(a) for a in cited_names(paper)],
        "issued": {"date-parts": [[announced.year, announced.month, announced.day]]},
        "publisher": cited.publisher,
        "number": cited.number,
        "URL": cited.url,
        "abstract": xml_safe(paper.abstract),
    }
    if cited.doi:
        data["DOI"] = cited.doi.strip()
    if paper.journal_ref:
        data["note"] = xml_safe(paper.journal_ref)
    venue = info(paper).venue
    if venue is not None:  # published, or accepted as its comment says
        data["container-title"] = xml_safe(venue.long or venue.name)
        data["container-title-short"] = xml_safe(venue.name)
    return data


def render_csljson(doc: FeedDocument) -> bytes:
    return json.dumps([item(i.paper) for i in doc.items], ensure_ascii=False, indent=1).encode("utf-8")
