"""From a request's wishes to a ranked list of papers.

`FeedWishes` is what a reader asks of a feed (all of an ad-hoc feed; on a profile feed,
what overrides the profile), validated; the web layer reads it from the query string
(`core.web.params.FeedQuery`, which adds the output format). `FeedSpec` is the effective
feed, built from a profile and/or wishes, with its matchers compiled once and cached;
`rank` scores papers for it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import heapq
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, field_validator

from core.errors import SpecError
from core.extract import info
from core.extract.wants import Wants, check_has, check_venues
from core.listings import CategoryMeta
from core.ranking.matching import Matcher, Term, parse_query
from core.ranking.types import Scored
from core.ranking import registry
from core.ranking.pool import make_pool, score_pool
from core.ranking.registry import add_inputs
from core.ranking.types import Inputs, Work
from core.ranking.cost import costs
from core.papers import ANNOUNCE_TYPES, AnnounceType, Paper
from core.sources import REGISTRY
from core.sources.same import one_per_paper
from core.profiles import (
    ADHOC_PROFILE,
    DEFAULT_TYPES,
    MAX_DAYS,
    MAX_ITEMS,
    Profile,
    check_term,
    validate_categories,
)

MAX_QUERY_LENGTH = 1000
MAX_QUERY_SUMMARIES = 5  # `summaries=1` on an ad-hoc feed: its top items only
# What ranking may cost a request that brings terms or seeds of its own, in units of one term
# scored against one paper, every signal counted (core/ranking/cost.py): 20-28 us of CPU a unit,
# keyword or like=, on the loaded 2-core bench machine (bench.heavy, bench.like_cost). Beyond it a
# request gets a 400 saying what to narrow, before any signal runs (and before any seed is
# fetched); a profile's own feed is never refused.
MAX_RANK_COST = 500_000


def _split_list(values: list[str]) -> list[str]:
    """`cat=cs.AI,cs.LG&cat=stat.ML` -> ["cs.AI", "cs.LG", "stat.ML"]."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


class FeedWishes(BaseModel):
    """What a reader asks of a feed: the query parameters of `/feed` and of profile feeds (where
    they narrow the profile). The output format is the web layer's: `format` stands here only as
    a placeholder in its place among the parameters (OpenAPI and /docs list them in this order);
    `core.web.params.FeedQuery` gives it the registry's choices."""

    cat: list[str] = Field([], description="arXiv categories, comma-separated or repeated")
    q: str = Field("", max_length=MAX_QUERY_LENGTH, description='terms: "phrase", +required, -excluded, ti:/abs:/au:, term^2')
    exclude: list[str] = Field([], description="terms that remove a paper")
    author: list[str] = Field([], description="authors to look for")
    type: list[AnnounceType] = Field([], description="announce types: new, cross, replace, replace-cross")
    min_score: float | None = Field(None, ge=0, le=10_000, description="drop papers scoring below this")
    limit: int | None = Field(None, ge=1, le=MAX_ITEMS, description="at most this many items")
    days: int | None = Field(None, ge=1, le=MAX_DAYS, description="announcement days to include, counted back from the newest day held")
    sort: Literal["score", "date"] = Field("score", description="score (then newest) or date (then score)")
    format: str | None = Field(None, description="the output format: the web layer's (`FeedQuery`) names the choices; "
                               "declared here only so it keeps its place among the parameters")
    summaries: bool | None = Field(None, description="1 adds AI summaries of the top items (when the server has an LLM key); 0 removes them")
    venue: list[str] = Field([], description="venues the comment says the paper was accepted at: CVPR,ICCV (any year), "
                             "CVPR 2026 (one year), CVPR Workshops (a track); NAME^2 adds 2 points instead of filtering")
    has: list[str] = Field([], description="code, doi, journal, venue or comment: only papers that have it (all of them); "
                           "code^2 adds 2 points instead of filtering")
    add_inputs(locals(), split=_split_list)  # every ranking signal's own parameters (like=, unlike=, like_author=...)

    _cat = field_validator("cat")(classmethod(lambda cls, v: validate_categories(_split_list(v)) if v else []))

    @field_validator("exclude", "author")
    @classmethod
    def _terms(cls, value: list[str]) -> list[str]:
        value = _split_list(value)
        if len(value) > 50:
            raise ValueError("at most 50 values")
        return [check_term(v) for v in value]

    @field_validator("venue")
    @classmethod
    def _venues(cls, value: list[str]) -> list[str]:
        return check_venues(_split_list(value))

    @field_validator("has")
    @classmethod
    def _has(cls, value: list[str]) -> list[str]:
        return check_has(_split_list(value))
    @field_validator("type", mode="before")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        types = _split_list(value)
        for t in types:
            if t not in ANNOUNCE_TYPES:
                raise ValueError(f"unknown announce type {t!r}; use {', '.join(ANNOUNCE_TYPES)}")
        return types

    def query_terms(self) -> list[Term]:
        terms = parse_query(self.q) if self.q.strip() else []
        terms += [Term(text=a, field="au") for a in self.author]
        terms += [Term(text=x, excluded=True) for x in self.exclude]
        return terms


_WISHES = set(FeedWishes.model_fields) - {"format"}  # a spec's identity: the wishes alone (not the web's format=)
_TERM_LIST = TypeAdapter(list[Term])


@functools.lru_cache(maxsize=256)
def _compiled(terms_json: str) -> Matcher:
    return Matcher(_TERM_LIST.validate_json(terms_json))


def _matcher(terms: list[Term]) -> Matcher:
    """One compiled matcher per distinct term list, shared by every request that uses it."""
    try:
        return _compiled(_TERM_LIST.dump_json(terms).decode())
    except ValueError as exc:  # too many terms in all
        raise SpecError(str(exc)) from None


def _with_inputs() -> list:
    """The registered signals that take inputs of their own."""
    return [signal for signal in registry.REGISTRY if signal.inputs is not None]


def _given(inputs: dict[str, Inputs]) -> dict[str, Inputs]:
    return {name: given for name, given in inputs.items() if given.given}


def _unset(model: BaseModel) -> set[str]:
    """Signal input fields at their default and not among LEGACY_ORDER: left out of a feed's
    identity, so adding a signal changes no existing feed's key (nor an ad-hoc feed's id)."""
    return {name for name in registry.input_names() - set(registry.LEGACY_ORDER)
            if getattr(model, name) == type(model).model_fields[name].get_default(call_default_factory=True)}


@dataclass
class FeedSpec:
    """Everything that decides a feed's items."""

    name: str  # profile name, or ADHOC_PROFILE
    title: str
    description: str
    categories: list[str]
    matchers: list[Matcher]
    types: frozenset[str]
    min_score: float
    limit: int
    days: int
    sort: str
    summary_top_n: int = 0  # AI summaries for this many top items (0: none)
    summary_language: str = "en"
    wants: Wants = field(default_factory=Wants)  # venue= and has= filters and boosts
    inputs: dict[str, Inputs] = field(default_factory=dict)  # signal name -> its inputs this feed gives (like=...)
    key: str = field(default="")  # identity of the spec, for caches and validators
    requested: bool = False  # the request brought terms or seeds of its own (MAX_RANK_COST applies)

    def workload(self, papers: list[Paper]) -> Work:
        """What ranking `papers` for this spec would cost follows from this and `inputs` (a
        signal's seeds counted before they are fetched)."""
        pool = candidates(papers, self)
        return Work(
            candidates=len(pool),
            text_bytes=sum(len(p.title) + len(p.abstract) for p in pool),
            terms=sum(len(m.terms) for m in self.matchers),
        )

    def check_cost(self, work: Work) -> None:
        """Refuse, before any signal runs, a request whose signals together cost more than
        MAX_RANK_COST, saying what each costs and what to narrow (a signal's own first)."""
        parts = costs(work, self.inputs)
        total = sum(part.units for part in parts)
        if not self.requested or total <= MAX_RANK_COST:
            return
        said = [f"{part.said} = {part.units:,}" for part in parts]
        narrow = [*(part.narrow for part in parts if part.narrow),
                  "fewer days (days=)", "fewer categories (cat=)", "fewer terms (q=, exclude=, author=)"]
        raise SpecError(
            f"too costly: {'; '.join(said)}; {total:,} in all (at most {MAX_RANK_COST:,}); "
            f"narrow it: {', '.join(narrow[:-1])} or {narrow[-1]}"
        )

    @classmethod
    def from_profile(cls, name: str, profile: Profile, query: FeedWishes | None = None) -> FeedSpec:
        query = query or FeedWishes()
        categories = profile.categories
        if query.cat:
            outside = [c for c in query.cat if c not in profile.categories]
            if outside:
                raise SpecError(
                    f"cat: {', '.join(outside)} is not in profile {name!r} ({', '.join(profile.categories)}); "
                    "use /feed for other categories"
                )
            categories = query.cat
        wants = profile.summaries.enabled if query.summaries is None else query.summaries
        top_n = profile.summaries.top_n if profile.summaries.enabled else min(profile.summaries.top_n, MAX_QUERY_SUMMARIES)
        matchers = [_matcher(profile.terms())]
        extra = query.query_terms()
        if extra:
            matchers.append(_matcher(extra))
        return cls._make(
            name=name,
            title=profile.title or name,
            description=profile.description or f"{_servers(categories)} papers in {', '.join(categories)}, filtered and ranked",
            categories=categories,
            matchers=matchers,
            types=query.type or profile.announce_types,
            min_score=query.min_score if query.min_score is not None else profile.min_score,
            limit=query.limit or profile.max_items,
            days=query.days or profile.days,
            sort=query.sort,
            summary_top_n=top_n if wants else 0,
            summary_language=profile.summaries.language,
            requested=bool(extra or any(signal.inputs.of(query).given for signal in _with_inputs())),
            wants=Wants.build((profile.venue, profile.has), (query.venue, query.has)),
            inputs=_given({signal.name: signal.inputs.of(profile).merged(signal.inputs.of(query)) for signal in _with_inputs()}),
            raw=(name, profile.model_dump_json(exclude=_unset(profile)), query.model_dump_json(include=_WISHES - _unset(query))),
        )

    @classmethod
    def from_query(cls, query: FeedWishes) -> FeedSpec:
        if not query.cat:
            raise SpecError("cat: give at least one category, e.g. cat=cs.LG, cat=cs.AI,cs.CL or cat=biorxiv:neuroscience,medrxiv")
        # Plain words: readers that treat a channel title as HTML must not meet a tag in it.
        words = " ".join(re.sub(r"[<>&]", " ", query.q.strip() or ", ".join(query.author)).split())
        inputs = _given({signal.name: signal.inputs.of(query) for signal in _with_inputs()})
        label = " + ".join(x for x in (words, *(given.label() for given in inputs.values())) if x) or "all papers"
        return cls._make(
            name=ADHOC_PROFILE,
            title=f"{_servers(query.cat)} {'+'.join(query.cat)}: {label}"[:200],
            description=f"{_servers(query.cat)} papers in {', '.join(query.cat)} matching {label}"[:500],
            categories=query.cat,
            matchers=[_matcher(query.query_terms())],
            types=query.type or DEFAULT_TYPES,
            min_score=query.min_score or 0.0,
            limit=query.limit or 50,
            days=query.days or 7,
            sort=query.sort,
            summary_top_n=MAX_QUERY_SUMMARIES if query.summaries else 0,
            requested=True,
            wants=Wants.build((query.venue, query.has)),
            inputs=inputs,
            raw=(ADHOC_PROFILE, query.model_dump_json(include=_WISHES - _unset(query))),
        )

    @classmethod
    def _make(cls, *, types: list[str], raw: tuple[str, ...], **kwargs) -> FeedSpec:
        key = hashlib.sha256("\x00".join(raw).encode()).hexdigest()[:16]
        return cls(types=frozenset(types), key=key, **kwargs)


@dataclass
class FeedResult:
    spec: FeedSpec
    items: list[Scored]
    metas: list[CategoryMeta]
    considered: int  # papers in the window before scoring
    note: str = ""  # what the window lacks and when it fills in ("" when complete)

    @property
    def updated(self) -> dt.datetime | None:
        """When the data behind this feed last changed (the newest non-empty fetch, else the
        last check); None before any."""
        stamps = [m.fetched_at for m in self.metas if m.fetched_at] or [m.checked_at for m in self.metas if m.checked_at]
        return max(stamps) if stamps else None

    @property
    def stale(self) -> bool:
        return any(m.last_error for m in self.metas)


def candidates(papers: list[Paper], spec: FeedSpec) -> list[Paper]:
    """Each paper's newest occurrence of a wanted announce type, a paper posted to two servers
    once (`core.sources.same`): the pool a request ranks."""
    chosen: dict[str, Paper] = {}
    wants = spec.wants if spec.wants.filters else None
    for paper in papers:  # newest first
        if paper.announce_type in spec.types and paper.id not in chosen:
            if wants is not None and not wants.admits(info(paper)):
                continue
            chosen[paper.id] = paper
    return one_per_paper(list(chosen.values()), REGISTRY)


def rank(papers: list[Paper], spec: FeedSpec, prepared: dict[str, Any] | None = None) -> tuple[list[Scored], int]:
    """Score the pool with every signal (`core.ranking.pool`), drop what scores too little, sort,
    cut. `prepared`: what each signal's `prepare` gave for this feed (`core.pipeline.FeedPipeline._prepare` does the I/O)."""
    pool = candidates(papers, spec)
    scored = score_pool(make_pool(pool, spec.matchers, prepared, boosts=spec.wants.boosts))
    def order(s: Scored) -> tuple:
        if spec.sort == "date":
            return (s.paper.announced, s.score, s.exact, s.paper.id)
        return (s.score, s.exact, s.paper.announced, s.paper.id)

    # Only the top `limit` are ever held (ids are unique: the order is total, as a full sort's).
    return heapq.nlargest(spec.limit, (s for s in scored if s.score >= spec.min_score), key=order), len(pool)


def _servers(categories: list[str]) -> str:
    """Who the papers come from, for titles: `arXiv`, or `arXiv, bioRxiv` for a mix of servers."""
    from core.sources import source_of_category

    labels = [source.label for source in map(source_of_category, categories) if source is not None]
    return ", ".join(dict.fromkeys(labels)) or "arXiv"
