"""The preprint servers: one table that validation, the store, rendering and the service read.

Adding a source is one package in core/sources (a `Source`, see `core.sources.base`) and one
`SourceEntry` below. Categories of every source but arXiv are qualified by its name
(`biorxiv:genomics`), so `source_of_category` needs no lookup table of its own.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.papers import Paper
    from core.sources.base import Citation, Links, Source

DEFAULT = "arxiv"  # `Paper.server` when none is given, and the source of bare categories


@dataclass(frozen=True)
class SourceEntry:
    name: str  # `Paper.server`, and the category prefix (`name:...`) of a qualified source
    source: str  # "module:attribute" of its `Source`, imported on first use

    def load(self) -> Source:
        loaded = _LOADED.get(self)
        if loaded is None:
            module, _, attribute = self.source.partition(":")
            loaded = _LOADED[self] = getattr(importlib.import_module(module), attribute)
        return loaded


_LOADED: dict[SourceEntry, Source] = {}


_TABLE = (
    SourceEntry("arxiv", "core.sources.arxiv:ARXIV"),
    SourceEntry("biorxiv", "core.sources.biorxiv:BIORXIV"),
    SourceEntry("medrxiv", "core.sources.biorxiv:MEDRXIV"),
)

REGISTRY: dict[str, SourceEntry] = {entry.name: entry for entry in _TABLE}


def source_named(name: str) -> Source:
    """The source registered as `name`; KeyError if none is."""
    return REGISTRY[name].load()


def all_sources() -> list[Source]:
    return [entry.load() for entry in REGISTRY.values()]


def source_of_category(category: str) -> Source | None:
    """Whose category this is: `prefix:...` or a bare registered qualified name names its
    source; anything else is arXiv's (valid or not: the taxonomy decides)."""
    prefix = category.partition(":")[0].strip().lower()
    entry = REGISTRY.get(prefix)
    if entry is not None and entry.name != DEFAULT:
        return entry.load()
    return source_named(DEFAULT) if ":" not in category else None


def source_of(paper: Paper) -> Source:
    return source_named(paper.server)


def links(paper: Paper) -> Links:
    """Where the paper lives on its server (abstract page, PDF, HTML)."""
    return source_named(paper.server).links(paper)


def citation(paper: Paper) -> Citation:
    """What a citation of the paper says beyond title, authors and year."""
    return source_named(paper.server).citation(paper)


def normalize_category(value: str) -> str | None:
    """A category or group of any source in its canonical spelling, or None if no source has it."""
    if not isinstance(value, str):
        return None
    source = source_of_category(value)
    return source.taxonomy.normalize(value) if source is not None else None


def category_name(value: str) -> str:
    """A category's human-readable name; `value` itself if no source knows it."""
    source = source_of_category(value)
    return source.taxonomy.name(value) if source is not None else value


def category_in(category: str, wanted: frozenset[str] | set[str]) -> bool:
    """Whether `category` belongs to `wanted`, directly or through a group there (`cs`)."""
    if category in wanted:
        return True
    source = source_of_category(category)
    return source is not None and source.taxonomy.contains(category, wanted)
