"""What ranking a request will cost, per signal, known before any signal runs.

The unit is one term scored against one paper, the unit of `MAX_RANK_COST` (core/feeds.py).
Each cost is a function of the request's inputs only (candidates, their bytes of title and
abstract, terms, and each signal's own inputs), not of how a signal scores, so it holds when a
signal changes; the constants are measured (bench/heavy.py prints CPU per unit).

- The pass over the pool, keyword and authors: terms x candidates (at least one term: listing a
  pool costs a pass).
- Every other signal a feed gives inputs to says its own (`Signal.cost`: like= in
  core/ranking/signals/like.py).
"""

from __future__ import annotations

from collections.abc import Mapping

from core.ranking import registry
from core.ranking.types import Cost, Inputs, Work


def costs(work: Work, inputs: Mapping[str, Inputs]) -> list[Cost]:
    """The pass over the pool's cost, then each signal's that `inputs` (signal name -> what the
    feed gives it) uses and that costs something, in the registry's order."""
    terms = max(1, work.terms)
    found = [Cost(terms * work.candidates, f"{terms} term{'s' if terms > 1 else ''} x {work.candidates:,} papers")]
    for signal in registry.REGISTRY:
        given = inputs.get(signal.name)
        if given is not None and (cost := signal.cost(given, work)) is not None:
            found.append(cost)
    return found
