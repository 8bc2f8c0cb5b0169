"""A request's pool and its scoring: the candidates with what each term list finds in them
(`make_pool`), then every registered signal's hits summed, one candidate at a time (`score_pool`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from core.papers import Paper
from core.ranking import registry
from core.ranking.matching import Matcher
from core.ranking.text import analyse, analysed, lengths, skim
from core.ranking.types import Candidate, Pool, Scored


def make_pool(papers: Sequence[Paper], matchers: Sequence[Matcher], prepared: dict[str, Any] | None = None,
              skimming: bool = True, boosts: tuple = ()) -> Pool:
    """The candidates with what each term list finds in them. A paper not analysed yet whose
    skim holds no fragment of any term is not analysed at all (most of a pool, most feeds): no
    term can be found in it, and only its length is read. Not when a signal reads every
    candidate's words with what it prepared (`Signal.reads_text`: like= seeds) nor with author
    terms; `skimming=False` analyses everything (the tests' reference). `prepared`: what each
    signal's `prepare` gave, by signal name. Of an analysed paper the pool keeps only what its
    terms found and its lengths (`Lengths`): like= reads its words again from the memo (bounded
    in bytes) or recounts them, so no ranking holds a whole window's analyses at once (~14 KB a
    paper: 9,000 like= candidates had taken the server from 53 to 158 MB)."""
    prepared = dict(prepared or {})
    reads = any(cls.reads_text(prepared[cls.name]) for cls in registry.REGISTRY if cls.name in prepared)
    clauses = _fragments(matchers) if skimming and not reads else None
    skimmer = None if clauses is None else Skimmer(clauses)
    nothing = [{} for _ in matchers]
    unmatched_admitted = all(m.admits({}) for m in matchers)
    candidates = []
    for paper in papers:
        if skimmer is not None and not analysed(paper):
            skimmed = skim(paper, skimmer.in_text, skimmer.in_hay)
            if skimmed is not None:
                candidates.append(Candidate(paper, skimmed, nothing, unmatched_admitted))  # type: ignore[arg-type]
                continue
        doc = analyse(paper)
        found = [m.find(doc) for m in matchers]
        candidates.append(Candidate(paper, lengths(doc), found, all(m.admits(f) for m, f in zip(matchers, found))))
    return Pool(candidates, list(matchers), boosts, prepared)


def _fragments(matchers: Sequence[Matcher]) -> list[tuple[tuple[str, ...], ...]] | None:
    found: list[tuple[tuple[str, ...], ...]] = []
    for matcher in matchers:
        clauses = matcher.fragments()
        if clauses is None:
            return None
        found += clauses
    return found


class Skimmer:
    """Whether a term list's clauses (`Matcher.fragments`) may hold in a paper's skim.

    A clause of one word holds where one of its needles is in the lower-cased text or in the
    skim's `hay` (the text without joiners, and the stems of its compounds: a single word is also
    found among compounds). A phrase (a clause of several words) is only ever found as
    consecutive tokens of one field (`Phrase._starts`; its words written as one are a clause of
    their own): each token begins with its word's needle (a stem's fragment, or the form itself)
    and only spaces and joiners separate two tokens. So it holds only where its needles follow
    each other that way in the lower-cased text (`_phrase_re`; a regex search costs no more than
    looking for each word's needles first), and never in `hay`. Papers that hold every word of a
    common phrase apart ("diffusion" and "model") are not analysed then: in the bench's feed,
    284 of the 288 that were analysed to find no term."""

    __slots__ = ("words", "phrases")

    def __init__(self, clauses: list[tuple[tuple[str, ...], ...]]):
        self.words = [clause for clause in clauses if len(clause) <= 1]
        self.phrases = [_phrase_re(clause) for clause in clauses
                        if len(clause) > 1 and all(clause)]  # (a word without needles never holds)

    def in_text(self, lowered: str) -> bool:
        """Some clause may hold in the lower-cased title and abstract (`text.skim`)."""
        if _may_hold(lowered, clauses=self.words):
            return True
        return any(pattern.search(lowered) for pattern in self.phrases)

    def in_hay(self, hay: str) -> bool:
        """Some one-word clause may hold in the skim's `hay`."""
        return _may_hold(hay, clauses=self.words)


def _phrase_re(clause: tuple[tuple[str, ...], ...]) -> re.Pattern[str]:
    """Where a phrase's words may stand as consecutive tokens of lower-cased ASCII text: a
    needle of each word, then maybe more letters and digits (the rest of its token; not
    possessive: after a punctuation token, `{` of `a{1`, the next token's needle may come at
    once), then spaces or joiners (`-`, `/`, `_`), the only characters between two tokens that
    no token holds (core.ranking.text). It may let through more than the phrase, never less."""
    return re.compile(r"[\s\-/_]*+".join(
        "(?:" + "|".join(map(re.escape, word)) + r")[a-z0-9]*" for word in clause))


def _may_hold(hay: str, *, clauses: list[tuple[tuple[str, ...], ...]]) -> bool:
    """Some clause has a needle of each of its words in `hay`. Plain loops: the nested
    generators of any/all took twice as long, asked of every paper of a cold pool."""
    for clause in clauses:
        for word in clause:
            for needle in word:
                if needle in hay:
                    break
            else:
                break  # a word with no needle in `hay`: this clause cannot match
        else:
            return True
    return False


def rank_pool(pool: Pool) -> list[Scored]:
    """Every admitted candidate with its hits from every signal and their sum (unsorted)."""
    return list(score_pool(pool))


def score_pool(pool: Pool) -> Iterator[Scored]:
    """`rank_pool` one candidate at a time: a feed keeps only its top `limit` of them (16 common
    terms give each paper ~20 hits: all 648 of a pool held, 12.5 MB at its peak, now 1.4 MB;
    tests/test_cost_limit.py). A feed with seeds and no wanted term lists only papers that
    resemble a seed (a signal that `selects`)."""
    signals = [s for cls in registry.REGISTRY if (s := cls.for_pool(pool)) is not None]
    terms = any(m.positive for m in pool.matchers)
    selecting = frozenset() if terms else frozenset(s.name for s in signals if s.selects)
    for candidate in pool.candidates:
        if not candidate.admitted:
            continue
        hits = [hit for signal in signals for hit in signal.hits(candidate)]
        if selecting and not any(h.signal in selecting for h in hits):
            continue
        exact = sum(h.points for h in hits)
        yield Scored(paper=candidate.paper, score=round(exact, 2), hits=hits, exact=exact)


def score_one(paper: Paper, matcher: Matcher) -> Scored | None:
    """One matcher over a pool of one paper (tests and tools)."""
    ranked = rank_pool(make_pool([paper], [matcher]))
    return ranked[0] if ranked else None
