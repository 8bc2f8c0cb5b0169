"""What a 400 for an unknown category says: the closest valid names, from the source the value
names (`medrxiv:infectious` -> `medrxiv:infectious-diseases`), or arXiv's for a bare one."""

from __future__ import annotations

import difflib

from core.sources import REGISTRY, all_sources, source_named

ARXIV_EXAMPLES = "cs.LG, math.AG, hep-th, stat.ML"


def closest(value: str, limit: int = 3) -> list[str]:
    """Valid categories near `value`: its source's own suggestions where it has them (`closest`),
    else the nearest spellings among that source's categories and groups."""
    prefix = value.partition(":")[0].strip().lower()
    named = REGISTRY.get(prefix)
    sources = [named.load()] if named is not None else all_sources() if ":" in value else [source_named("arxiv")]
    found: list[str] = []
    for source in sources:
        suggest = getattr(source.taxonomy, "closest", None)
        if suggest is not None:
            found += suggest(value)
            continue
        names = {**source.taxonomy.groups(), **source.taxonomy.categories()}
        lower = {code.lower(): code for code in names}
        found += [lower[m] for m in difflib.get_close_matches(value.strip().lower(), lower, n=limit, cutoff=0.6)]
    return list(dict.fromkeys(found))[:limit]


def unknown_category(value: str) -> str:
    """`unknown arXiv category 'cs.XX' (examples: ...)`, or for another server's
    `unknown category 'medrxiv:infectious' (closest: medrxiv:infectious-diseases)`."""
    near = closest(value)
    qualified = ":" in value or value.strip().lower() in REGISTRY
    what = "category" if qualified else "arXiv category"
    hint = f"closest: {', '.join(near)}" if near else f"examples: {ARXIV_EXAMPLES}, biorxiv:genomics, medrxiv"
    return f"unknown {what} {value!r} ({hint})"
