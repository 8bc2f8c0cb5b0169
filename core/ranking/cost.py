"""What ranking a request will cost, per signal, known before any signal runs.

The unit is one term scored against one paper, the unit of `MAX_RANK_COST` (core/feeds.py).
Each signal's cost is a function of the request's inputs only (candidates, their bytes of title
and abstract, terms, seeds and the seeds' bytes), not of how the signal scores, so it holds when
a signal changes; the constants are measured (bench/heavy.py prints CPU per unit).

- keyword and authors: terms x candidates (at least one term: listing a pool costs a pass).
- like=/unlike=: every candidate is analysed and made a TF-IDF vector whatever the terms (no
  skimming), about one unit per 27 bytes of its title and abstract (~55 units a 1.5 KB paper:
  like= reads each candidate's stems three times, IDF, feedback and scoring; ~850 us a paper),
  then compared with every seed, 0.83 unit a pair (feedback and scoring, 12-24 us a pair).
  Against the keyword unit (17-22 us, 16 common terms over a window, nothing skimmed), measured
  by `python -m bench.like_cost` and in the server by `python -m bench.heavy`: 40 seeds cost
  1.2 times their units with 32 bytes and 1.4 pairs a unit, so the constants are those / 1.2,
  and the heaviest like= request accepted takes about the CPU of the heaviest keyword one."""

from __future__ import annotations

from dataclasses import dataclass

LIKE_BYTES_PER_UNIT = 27  # bytes of text a like= vector reads per unit
LIKE_PAIRS_PER_UNIT = 1.2  # (candidate, seed) comparisons per unit


@dataclass(frozen=True)
class Work:
    """The inputs a ranking's cost follows from."""

    candidates: int  # papers of the pool (each paper's newest wanted occurrence)
    text_bytes: int  # their titles and abstracts
    terms: int  # every term list's terms
    seeds: int = 0  # like= and unlike= papers
    seed_bytes: int = 0  # their titles and abstracts


def costs(work: Work) -> dict[str, int]:
    """Each signal's cost ("terms", and "seeds" when there are any), in units."""
    found = {"terms": max(1, work.terms) * work.candidates}
    if work.seeds:
        found["seeds"] = ((work.text_bytes + work.seed_bytes) // LIKE_BYTES_PER_UNIT
                          + int(work.candidates * work.seeds / LIKE_PAIRS_PER_UNIT))
    return found
