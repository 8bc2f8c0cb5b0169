"""One paper, one item: the same preprint posted to two servers (arXiv and bioRxiv, say) is
shown once, with the other server's links beside its own.

Two copies are one paper when a DOI joins them (arXiv's `doi`, from enrichment, names the
bioRxiv DOI or the journal's; a bioRxiv paper has its own DOI as id and the journal's as
`doi`), else when their titles match once normalised (case, accents, punctuation, TeX and
spacing ignored) and their first authors share a surname (`Jane Q. Doe` and `Doe, J.` as
bioRxiv writes it). The copy kept is that of the first registered server (arXiv's: its GUID
and citation stay what arXiv readers have); the others go in its `also`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

from core.papers import Paper, parse_author

_NOT_WORD = re.compile(r"[^a-z0-9]+")
_TEX = re.compile(r"\\[a-zA-Z]+|[{}$^_]")


def _plain(text: str) -> str:
    folded = unicodedata.normalize("NFKD", _TEX.sub(" ", text)).encode("ascii", "ignore").decode().lower()
    return " ".join(_NOT_WORD.split(folded)).strip()


def _surname(author: str) -> str:
    name = parse_author(author).name if "(" in author or "[" in author else author
    words = _plain(name).split()
    return words[-1] if words else ""


@functools.lru_cache(maxsize=1 << 16)
def _title_key(title: str, first_author: str) -> str | None:
    """Kept per (title, author): a window's pool is ranked again on every request, and folding
    10,000 titles took ~130 ms."""
    plain = _plain(title)
    return f"title:{plain}|{_surname(first_author)}" if plain else None


def keys(paper: Paper) -> list[str]:
    """What may join this paper to a copy on another server: its DOIs, then title + first author."""
    found = [f"doi:{doi.strip().lower()}" for doi in (paper.doi, paper.id if "/" in paper.id else None) if doi]
    if paper.authors and (title := _title_key(paper.title, paper.authors[0])):
        found.append(title)
    return found


def one_per_paper(papers: list[Paper], order: Iterable[str]) -> list[Paper]:
    """`papers` (one per id, in the caller's order) with copies of one paper on other servers
    folded into the copy of the server first in `order`, which takes their place's rank if it
    comes later. Unchanged (the same list) when every paper is of one server."""
    if len({p.server for p in papers}) < 2:
        return papers
    rank = {name: n for n, name in enumerate(order)}
    groups: list[list[Paper]] = []
    seen: dict[str, int] = {}
    for paper in papers:
        paper_keys = keys(paper)
        group = next((seen[k] for k in paper_keys if k in seen), None)
        if group is None or any(p.server == paper.server for p in groups[group]):
            group = len(groups)
            groups.append([])
        groups[group].append(paper)
        for k in paper_keys:
            seen.setdefault(k, group)
    merged = []
    for group in groups:
        if len(group) == 1:
            merged.append(group[0])
            continue
        kept = min(group, key=lambda p: rank.get(p.server, len(rank)))
        merged.append(kept.model_copy(update={"also": tuple(p for p in group if p is not kept)}))
    return merged
