"""The `like=` signal: papers similar to seed papers, and `unlike=` for papers to push down.

Similarity is the cosine of TF-IDF vectors over title and abstract (Snowball stems, stop words
removed, title words counted twice, 1 + ln TF) plus the pairs of adjacent stems ("gaussian
splatting", counted half: phrases without a phrase list), with document frequencies from the
same pool the keyword signal uses plus the seeds. Several seeds combine by a soft maximum: near
one seed counts most, near several adds a little (`combine`). A candidate scores `LIKE_POINTS ×`
that; the explanation names its nearest seed and the words or phrases they share that weigh
most. Each like seed is first widened by its nearest papers in the pool (pseudo-relevance
feedback, `_widen`). `unlike=` seeds subtract `LIKE_POINTS ×` how much nearer a paper is to them
than to the liked seeds (all of it without like seeds): subtracting the whole similarity pushed
down everything on the liked topic (CSFCube, a simulated thumbs-down: NDCG@20 57.9 -> 47.1; the
excess: 58.1). Measured on CSFCube's expert judgements and on the
cross-lists (bench/relevance.py, every variant tried: bench/like_variants.py). Pure Python: 501
papers against 10 seeds take about 0.6-0.9 s of CPU (4-6x the like= before issue 24: pairs
double each vector, feedback compares every candidate with every seed once more), and ~40 %
more a paper when the analysis memo cannot hold the pool (each pass recounts its words:
`paper_terms`).

Its cost (`LikeSignal.cost`, in units of MAX_RANK_COST: one term scored against one paper):
every candidate is analysed and made a TF-IDF vector whatever the terms (no skimming), about one
unit per 27 bytes of its title and abstract (~55 units a 1.5 KB paper: like= reads each
candidate's stems three times, IDF, feedback and scoring; ~850 us a paper), then compared with
every seed, 0.83 unit a pair (feedback and scoring, 12-24 us a pair). Against the keyword unit
(17-22 us, 16 common terms over a window, nothing skimmed), measured by `python -m
bench.like_cost` and in the server by `python -m bench.heavy`: 40 seeds cost 1.2 times their
units with 32 bytes and 1.4 pairs a unit, so the constants are those / 1.2, and the heaviest
like= request accepted takes about the CPU of the heaviest keyword one.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo

from core.embeddings import key_of
from core.papers import Paper
from core.ranking.text import Doc, analyse, ascii_stems, is_word, memoised, stem
from core.ranking.types import EMBEDDER, SEEDS, Candidate, Clients, Cost, Hit, Inputs, Pool, Signal, Work
from core.seeds import MAX_AUTHOR_SEEDS, MAX_SEEDS, SEED_MAX_CHARS, check_author, check_ids
from core.sources import all_sources

LIKE_POINTS = 10.0
FLOOR = 0.04  # below this similarity a paper is not "like" a seed (a like-only feed drops it)
SHOWN_WORDS = 3
PAIR_WEIGHT = 0.5  # a pair of adjacent stems counts this much of a word
FEEDBACK = 5  # each seed is widened with the words of its 5 nearest papers in the pool...
FEEDBACK_WEIGHT = 0.5  # ...whose centroid counts half as much as the seed (Rocchio)
SHARPNESS = 8.0  # of the soft maximum over seeds (a seed 0.1 less near weighs e^-0.8 = 0.45 as much)
LIKE_BYTES_PER_UNIT = 27  # bytes of text a like= vector reads per unit of MAX_RANK_COST
LIKE_PAIRS_PER_UNIT = 1.2  # (candidate, seed) comparisons per unit

_STOP = """a about above after again against all also an and any are as at be because been before being
below between both but by can could did do does doing down during each either few for from further had
has have having here how however i if in into is it its itself just may me more most much must my no nor
not of off on once only or other our out over own same she should so some such than that the their
them then there these they this those through thus to too under until up upon very via was we were what
when where which while who whom why will with within without would yet you your paper propose proposed
present show shows study approach method methods results result based using use used new novel work""".split()
STOP_STEMS = frozenset(stem(w) for w in _STOP)


def _kept(key: str) -> bool:
    return len(key) > 1 and key not in STOP_STEMS and not key.isdigit()


def terms(doc: Doc) -> Counter:
    """Stems of a paper's words (title twice), stop words and single characters left out, and
    the pairs of stems adjacent once those are out (("gaussian", "splat")), counted PAIR_WEIGHT.
    Each distinct stem is judged once and the pairs counted in C: this runs a few times per
    candidate per ranking."""
    return _terms(((doc.title.stems, doc.title.stem_counts), (doc.abstract.stems, doc.abstract.stem_counts)))


def paper_terms(paper: Paper) -> Counter:
    """`terms(analyse(paper))`, from the memo when it holds the paper, else from the paper's
    stems alone: a like= pool does not hold its candidates' analyses (core.ranking.pool.make_pool),
    and the three passes over it (IDF, feedback, scoring) would otherwise analyse each paper the
    memo has no room for three more times, and push the memo's other papers out."""
    doc = memoised(paper)
    if doc is None and paper.title.isascii() and paper.abstract.isascii():
        return _terms((ascii_stems(paper.title), ascii_stems(paper.abstract)))
    return terms(doc or analyse(paper))


def _terms(fields) -> Counter:
    counts: Counter = Counter()
    for (stems, stem_counts), times in zip(fields, (2, 1)):
        keep = {key for key in stem_counts if _kept(key)}  # punctuation is in no stem_counts
        for key in keep:
            counts[key] += stem_counts[key] * times
        words = [key for key in stems if key in keep]
        for pair, n in Counter(zip(words, words[1:])).items():
            counts[pair] += n * PAIR_WEIGHT * times
    return counts


def _surface(doc: Doc) -> dict[str, str]:
    """A readable word for each stem of `doc` (its first spelling); pairs show both words."""
    shown: dict[str, str] = {}
    for text in (doc.title, doc.abstract):
        for token, key in zip(text.tokens, text.stems):
            if is_word(token):
                shown.setdefault(key, token)
    return shown


def combine(similarities: list[float]) -> float:
    """A soft maximum of the similarities to the seeds at least FLOOR near: the nearest one's,
    plus a little for each other one nearly as near (n seeds equally near: ln(n)/SHARPNESS more).
    Measured against the nearest seed alone, a centroid, the mean of the nearest few and recency
    weights in bench/like_variants.py."""
    near = [s for s in similarities if s >= FLOOR]
    if len(near) < 2:
        return max(similarities)
    top = max(near)
    return top + math.log(sum(math.exp(SHARPNESS * (s - top)) for s in near)) / SHARPNESS


def dot(a: Sequence[float], b: Sequence[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b)) if len(a) == len(b) else 0.0


class _Vectors:
    def __init__(self, docs: Iterable[Counter]):
        df: Counter = Counter()
        n = 0
        for counts in docs:  # one at a time: a pool's vectors are never all held at once
            df.update(counts.keys())
            n += 1
        # A word or pair of one paper only (most pairs) weighs this, and is not kept: it holds
        # nothing two papers share, and a pool's vocabulary is mostly such (every vector's words
        # are the pool's or the seeds', all counted here).
        self.rare = math.log((1 + n) / 2) + 1
        self.idf = {key: math.log((1 + n) / (1 + d)) + 1 for key, d in df.items() if d > 1}

    def vector(self, counts: Counter) -> dict[str, float]:
        weights = {k: (1 + math.log(c) if c >= 1 else c) * self.idf.get(k, self.rare) for k, c in counts.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        return {k: w / norm for k, w in weights.items()}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b[k] for k, w in a.items() if k in b)


class _Seed:
    def __init__(self, paper: Paper, vector: dict[str, float], dense: Sequence[float] | None, author: str = ""):
        self.paper = paper
        self.author = author  # the like_author= identifier it is a paper of, if any
        self.vector = vector  # its own words: what the explanation shows
        self.widened = vector  # with its nearest papers' words (pseudo-relevance feedback): what it is compared by
        self.dense = dense  # its embedding, when the pool has them
        self.words = _surface(analyse(paper))

    @property
    def label(self) -> str:
        ref = f"{self.paper.id}v{self.paper.version}" if self.paper.version > 1 else self.paper.id
        return f"{ref} (a paper of {self.author})" if self.author else ref

    def shared(self, vector: dict) -> str:
        """The words (or phrases) both share that add most to their similarity; a word is not
        shown again on its own once a phrase holding it is."""
        common = sorted((k for k in vector if k in self.vector), key=lambda k: vector[k] * self.vector[k], reverse=True)
        shown: list[list[str]] = []
        covered: set[str] = set()
        for key in common:
            parts = list(key) if isinstance(key, tuple) else [key]
            if all(p in covered for p in parts):
                if len(parts) == 2 and parts[0] != parts[1] and [parts[0]] in shown and [parts[1]] in shown:  # shown apart: as the phrase
                    shown.remove([parts[1]])
                    shown[shown.index([parts[0]])] = parts
                continue
            if len(shown) == SHOWN_WORDS:
                continue
            shown = [s for s in shown if len(s) > 1 or s[0] not in parts]  # the phrase says it
            shown.append(parts)
            covered.update(parts)
        return ", ".join(" ".join(self.words.get(p, p) for p in parts) for parts in shown)


def _ids(value: list[str], info: ValidationInfo) -> list[str]:
    return check_ids(value, info.field_name or "like")


def _author(value: str) -> str:
    return check_author(value) if value.strip() else ""


class LikeInputs(Inputs):
    """like=, unlike= (arXiv ids, bioRxiv/medRxiv DOIs) and like_author= (an author identifier or ORCID iD), in a
    query or a profile; a request's ids add to a profile's (20 at most), its author replaces it."""

    like: Annotated[list[str], AfterValidator(_ids)] = Field(
        [], description="arXiv ids or bioRxiv/medRxiv DOIs (1 to 20, versions optional): rank papers like these first")
    unlike: Annotated[list[str], AfterValidator(_ids)] = Field(
        [], description="arXiv ids or bioRxiv/medRxiv DOIs (at most 20): push papers like these down")
    like_author: Annotated[str, AfterValidator(_author)] = Field(
        "", max_length=100, description="an arXiv author identifier (morrison_d_1) or ORCID iD: "
        "rank papers like that author's 20 most recent first")

    def merged(self, query: LikeInputs) -> LikeInputs:
        return self.model_copy(update={
            "like": list(dict.fromkeys([*self.like, *query.like]))[:MAX_SEEDS],
            "unlike": list(dict.fromkeys([*self.unlike, *query.unlike]))[:MAX_SEEDS],
            "like_author": query.like_author or self.like_author,
        })

    @property
    def seeds(self) -> int:
        """An author counts as MAX_AUTHOR_SEEDS (how many of theirs it brings is known only after)."""
        return len(self.like) + len(self.unlike) + (MAX_AUTHOR_SEEDS if self.like_author else 0)

    def label(self) -> str:
        if not (self.like or self.like_author):
            return ""
        return f"like {', '.join([*self.like, *([self.like_author] if self.like_author else [])])}"



@dataclass
class Seeds:
    """What `LikeSignal.prepare` fetched for a feed: its seed papers and, where the server
    embeds, their and the candidates' embeddings."""

    like: list[Paper] = field(default_factory=list)
    unlike: list[Paper] = field(default_factory=list)
    embeddings: dict[str, Sequence[float]] | None = None  # unit vectors by "{id}v{version}" (EMBEDDINGS_MODEL)
    authored: dict[str, str] = field(default_factory=dict)  # seed id -> the author (like_author=) it came from


class LikeSignal(Signal):
    name = "like"
    description = (
        "Papers like these (like=, like_author=): similarity of title and abstract words and word pairs (TF-IDF cosine, stems, "
        f"stop words left out) to the seed papers (the nearest counts most, others nearly as near add a little) adds {LIKE_POINTS:g} × the similarity; "
        f"unlike= seeds subtract {LIKE_POINTS:g} × how much nearer a paper is to them than to the liked seeds (where the server sets EMBEDDINGS_MODEL, the cosine of embeddings "
        "replaces TF-IDF; the words shown are still the shared words that weigh most). With q, the terms choose the papers and similarity adds to their score; "
        "without q, papers with a similarity of at least " + f"{FLOOR:g} are listed."
    )

    inputs = LikeInputs
    needs = (SEEDS, EMBEDDER)

    @classmethod
    def cost(cls, given: LikeInputs, work: Work) -> Cost | None:  # type: ignore[override]
        """The candidates' and seeds' text (seeds at their largest stored size: counted before
        they are fetched) and every (candidate, seed) pair (see the module's docstring)."""
        seeds = given.seeds
        if not seeds:
            return None
        units = ((work.text_bytes + seeds * SEED_MAX_CHARS) // LIKE_BYTES_PER_UNIT
                 + int(work.candidates * seeds / LIKE_PAIRS_PER_UNIT))
        return Cost(units, f"{seeds} like=/unlike= {'seed' if seeds == 1 else 'seeds'} over {work.candidates:,} papers "
                           f"({work.text_bytes / 1e6:.1f} MB of text)",
                    "fewer seeds (like=, unlike=; like_author= counts 20)" if given.like_author else "fewer seeds (like=, unlike=)")

    def __init__(self, pool: Pool, seeds: Seeds):
        self.pool = pool
        own = (paper_terms(c.paper) for c in pool.candidates)
        self.space = _Vectors(chain(own, (terms(analyse(p)) for p in (*seeds.like, *seeds.unlike))))
        self.dense = seeds.embeddings
        self.like = [self._seed(p, seeds.authored.get(p.id, "")) for p in seeds.like]
        self.unlike = [self._seed(p) for p in seeds.unlike]
        self._widen([s for s in self.like if s.dense is None], pool.candidates)

    def _widen(self, seeds: list[_Seed], candidates: list[Candidate]) -> None:
        """Pseudo-relevance feedback: each seed's vector plus FEEDBACK_WEIGHT x the centroid of
        its FEEDBACK nearest candidates (not itself; at least FLOOR near), for a seed of few words widens to the
        words its neighbours use for the same thing. One pass over the pool (seeds x candidates
        cosines, as ranking does), one candidate's term counts and vector at a time (counted again
        rather than kept from the IDF pass: memory stays flat in the pool's size), keeping only each
        seed's FEEDBACK nearest vectors."""
        if not seeds or not candidates:
            return
        nearest: list[list[tuple[float, int, dict[str, float]]]] = [[] for _ in seeds]
        for n, candidate in enumerate(candidates):
            vector = self.space.vector(paper_terms(candidate.paper))
            for seed, heap in zip(seeds, nearest):
                if candidate.paper.id == seed.paper.id:
                    continue
                item = (cosine(vector, seed.vector), n, vector)
                if item[0] < FLOOR:  # a neighbour must itself be like the seed
                    continue
                if len(heap) < FEEDBACK:
                    heapq.heappush(heap, item)
                elif item[0] > heap[0][0]:
                    heapq.heapreplace(heap, item)
        for seed, heap in zip(seeds, nearest):
            if not heap:
                continue
            widened = dict(seed.vector)
            for _, _, vector in heap:
                for key, weight in vector.items():
                    widened[key] = widened.get(key, 0.0) + FEEDBACK_WEIGHT * weight / len(heap)
            norm = math.sqrt(sum(w * w for w in widened.values())) or 1.0
            seed.widened = {k: w / norm for k, w in widened.items()}

    def _seed(self, paper: Paper, author: str = "") -> _Seed:
        return _Seed(paper, self.space.vector(terms(analyse(paper))), self.dense.get(key_of(paper)) if self.dense else None, author)

    def _similarity(self, seed: _Seed, vector: dict[str, float], dense: Sequence[float] | None) -> float:
        if seed.dense is not None and dense is not None:
            return dot(seed.dense, dense)
        return cosine(vector, seed.widened)

    @classmethod
    async def prepare(cls, given: LikeInputs, candidates: Callable[[], list[Paper]], clients: Clients) -> Seeds:  # type: ignore[override]
        """The seed papers (like=, then the author's papers not among them, labelled as theirs;
        unlike=), each fetch within the request budget, and their and the candidates'
        embeddings where the server has an embedder."""
        seeds = Seeds(like=list(await _fetched(clients, given.like)))
        if given.like_author:
            ids = {p.id for p in seeds.like}
            for paper in await clients.within_budget(clients[SEEDS].author_papers(given.like_author), given.like_author, "arXiv"):
                if paper.id not in ids:
                    seeds.like.append(paper)
                    seeds.authored[paper.id] = given.like_author
        seeds.unlike = await _fetched(clients, given.unlike)
        embedder = clients[EMBEDDER]
        if (seeds.like or seeds.unlike) and embedder is not None:
            seeds.embeddings = await embedder.vectors([*seeds.like, *seeds.unlike, *candidates()])
        return seeds

    @classmethod
    def reads_text(cls, prepared: Seeds) -> bool:  # type: ignore[override]
        return bool(prepared.like or prepared.unlike)  # similarity reads every word

    @classmethod
    def for_pool(cls, pool: Pool) -> LikeSignal | None:
        seeds = pool.prepared.get(cls.name)
        return cls(pool, seeds) if seeds is not None and (seeds.like or seeds.unlike) else None

    @property
    def selects(self) -> bool:
        return bool(self.like)  # without terms, a feed with like seeds lists the papers like them

    def hits(self, candidate: Candidate) -> list[Hit]:
        vector = self.space.vector(paper_terms(candidate.paper))
        dense = self.dense.get(key_of(candidate.paper)) if self.dense else None
        hits = []
        liked = 0.0  # its similarity to the liked seeds: unlike= subtracts only what exceeds it
        for seeds, signal, verb in ((self.like, "like", "closest to"), (self.unlike, "unlike", "close to unwanted")):
            near = [(self._similarity(s, vector, dense), s) for s in seeds if s.paper.id != candidate.paper.id]
            if not near:
                continue
            similarity = combine([x for x, _ in near])
            if similarity < FLOOR:
                continue
            nearest, seed = max(near, key=lambda x: x[0])
            if signal == "like":
                liked = similarity
                points = LIKE_POINTS * similarity
            elif similarity > liked:
                points = -LIKE_POINTS * (similarity - liked)
            else:
                continue  # nearer to what is wanted than to what is not: nothing to subtract
            hits.append(Hit(
                term=f"{verb} {seed.label}", field="text", signal=signal,
                points=round(points, 4),  # shown to hundredths; ties ordered finer
                note=f"{nearest:.2f}: {seed.shared(vector)}",
            ))
        return hits


async def _fetched(clients: Clients, refs: list[str]) -> list[Paper]:
    """The seeds `refs`, fetched within what is left of the request budget."""
    return await clients.within_budget(clients[SEEDS].papers(refs), ", ".join(refs), _servers(refs)) if refs else []


def _servers(refs: list[str]) -> str:
    """Who is asked for `refs`, as the slow-answer 503 names it: "arXiv", "bioRxiv or medRxiv"."""
    return " or ".join(s.label for s in all_sources() if any(s.ids.matches(ref) for ref in refs)) or "arXiv"
