"""Skimming (core.ranking.text.skim, Matcher.fragments): a paper no term can be in is not
analysed, and the ranking is exactly the one full analysis gives."""

from __future__ import annotations

import itertools
import re
import string

import pytest

from core.feeds import FeedSpec, FeedWishes, candidates
from core.sources.arxiv.parse import parse_listing
from core.ranking.matching import _fragment
from core.profiles import parse_config
from core.ranking.pool import make_pool, rank_pool
from core.ranking.text import Skim, stems
from tests.conftest import FIXTURES, TEST_CONFIG

SUFFIXES = ["s", "es", "ed", "ing", "ly", "ness", "ation", "ational", "ize", "ization", "iveness", "fulness",
            "bility", "ically", "ement", "y", "ies", "ied", "ying", "er", "est", "ality", "ator", "ative", "ity",
            "ibly", "ably", "eed", "eedly", "ingly", "edly", "al", "ous", "ive", "ence", "ency", "ism", "ful", "able"]


def recorded_words() -> set[str]:
    words: set[str] = set()
    for path in FIXTURES.glob("*.xml"):
        words |= set(re.findall(r"[a-z0-9]+", path.read_text(encoding="utf-8", errors="replace").lower()))
    return words


def test_a_fragment_of_a_stem_begins_every_word_with_that_stem():
    words = recorded_words()
    alpha = sorted(w for w in words if w.isalpha())[:6000]
    short = ["".join(p) for n in (1, 2, 3) for p in itertools.product(string.ascii_lowercase, repeat=n)]
    made_up = {w + s for w in (*alpha, *short) for s in SUFFIXES}
    every = sorted(words | made_up)
    wrong = [(w, s) for w, s in zip(every, stems(every)) if not w.startswith(_fragment(s))]
    assert wrong == []
    assert len(every) > 200_000


QUERIES = [
    "diffusion model", "gaussian splatting", "video generation", "segmentation", "3D reconstruction",
    "study", "studies of robotics", "pre-training", "self-supervised", "mixture of experts", "RL", "LLMs", "SLAM",
    "=robot", "C++", "gpt-4", "dying", "happy", "+transformer -survey", "ti:attention", "abs:benchmark",
    '"vision language"^2 navigation', "agent reasoning -survey", "a", "x-ray", "state of the art",
]


def days(run: int) -> list[list]:
    """Each recorded listing day, under ids of this run's own (no other run analysed these)."""
    found = []
    for n, path in enumerate(sorted(FIXTURES.glob("rss_*.xml"))):
        prefix = b"%02d%02d." % (20 + run, n + 1)
        body = re.sub(rb"\d{4}\.(?=\d{4,5})", prefix, path.read_bytes())
        papers = parse_listing(body).papers
        if papers:
            found.append(papers)
    return found


def specs() -> list[FeedSpec]:
    config = parse_config(TEST_CONFIG)
    made = [FeedSpec.from_profile(name, profile) for name, profile in config.profiles.items()]
    made += [FeedSpec.from_query(FeedWishes(cat=["cs.CV"], q=q, type=["new", "cross", "replace", "replace-cross"])) for q in QUERIES]
    made.append(FeedSpec.from_query(FeedWishes(cat=["cs.CV"], q="robot", exclude=["survey", "benchmark"])))
    made.append(FeedSpec.from_query(FeedWishes(cat=["cs.CV"])))  # no terms at all
    return made


@pytest.mark.parametrize("index", range(len(QUERIES) + 4))
def test_skimming_ranks_exactly_as_analysing_everything(index):
    spec = specs()[index]
    skimmed_any = 0
    for papers in days(index):
        pool = candidates(papers, spec)
        quick = make_pool(pool, spec.matchers)  # first: nothing of this pool is analysed yet
        skimmed_any += sum(isinstance(c.doc, Skim) for c in quick.candidates)
        full = make_pool(pool, spec.matchers, skimming=False)
        assert [(c.paper.id, c.matches, c.admitted) for c in quick.candidates] == \
               [(c.paper.id, c.matches, c.admitted) for c in full.candidates]
        assert [(s.paper.id, s.score, s.hits) for s in rank_pool(quick)] == [(s.paper.id, s.score, s.hits) for s in rank_pool(full)]
    if index == 1:  # "gaussian splatting": rare
        assert skimmed_any > 0  # it did skip papers


def test_most_papers_are_not_analysed_for_a_rare_term():
    spec = FeedSpec.from_query(FeedWishes(cat=["cs.CV"], q="gaussian splatting"))
    pool = candidates(days(70)[0], spec)
    skimmed = [c for c in make_pool(pool, spec.matchers).candidates if isinstance(c.doc, Skim)]
    assert len(skimmed) > 0.8 * len(pool) > 0


def test_the_skim_check_holds_exactly_when_some_clause_has_a_needle_of_each_word():
    """`_may_hold` (plain loops, for speed) against its definition, on random clauses over a
    small alphabet, empty clauses and words included (an empty clause holds, an empty word never)."""
    import random

    from core.ranking.pool import _may_hold

    def definition(hay: str, clauses: list) -> bool:
        return any(all(any(needle in hay for needle in word) for word in clause) for clause in clauses)

    rng = random.Random(18)

    def text(longest: int) -> str:
        return "".join(rng.choice("abcd") for _ in range(rng.randint(1, longest)))

    for _ in range(5000):
        hay = text(12)
        clauses = [tuple(tuple(text(3) for _ in range(rng.randint(0, 3))) for _ in range(rng.randint(0, 3)))
                   for _ in range(rng.randint(0, 4))]
        assert _may_hold(hay, clauses=clauses) == definition(hay, clauses), (hay, clauses)


PHRASE_QUERIES = ['"diffusion model"', '"self-supervised"', '"C++"', '"3D reconstruction"', '"vision language model" VLM',
                  '"pre-training"', '"state of the art"', '"gpt-4"', '"x ray"', '"model diffusion"', '"a{1,2}"',
                  '"(x|xx)+y"', '"f(x)"', '"c#2 1a"', '"\\1a"']
PIECES = ["diffusion", "diffusions", "diffused", "model", "models", "modeling", "remodel", "self", "supervised",
          "supervision", "c", "+", "3d", "3", "d", "reconstruction", "vision", "language", "pre", "training", "state",
          "of", "the", "art", "gpt", "4", "x", "ray", "vlm", "vlms", "selfsupervised", "diffusionmodel", "(", ")", ",",
          "a", "{", "}", "1", "2", "|", "xx", "y", "+", "f", "#", "1a", "\\"]
GAPS = [" ", "  ", "-", "/", "_", "--", "-/", "_ ", " - ", "", "\n", ", ", "(", ". "]


def test_a_phrase_is_skimmed_exactly_when_its_words_cannot_stand_together():
    """Random texts of a phrase's words and their neighbours, joined by every kind of gap: a
    paper skimmed for a phrase query matches exactly as its full analysis does (the phrase
    check of `Skimmer` is conservative), and some are skimmed though every word is in them."""
    import random

    from core.papers import Paper

    rng = random.Random(18)
    papers = []
    for n in range(1500):
        words = [rng.choice(PIECES) for _ in range(rng.randint(1, 12))]
        text = "".join(w + rng.choice(GAPS) for w in words)
        papers.append(Paper(id=f"2699.{n:05d}", title=text[: len(text) // 3], abstract=text[len(text) // 3:],
                            categories=["cs.CV"], announced="2026-04-21"))
    skimmed_with_every_word = 0
    for q in PHRASE_QUERIES:
        spec = FeedSpec.from_query(FeedWishes(cat=["cs.CV"], q=q))
        quick = make_pool(papers, spec.matchers)
        full = make_pool(papers, spec.matchers, skimming=False)
        assert [(c.paper.id, c.matches, c.admitted) for c in quick.candidates] == \
               [(c.paper.id, c.matches, c.admitted) for c in full.candidates], q
        first = spec.matchers[0].fragments()[0]
        skimmed_with_every_word += sum(
            isinstance(c.doc, Skim) and all(any(n in c.paper.abstract.lower() for n in word) for word in first)
            for c in quick.candidates)
    assert skimmed_with_every_word > 50


def test_a_paper_with_a_phrases_words_apart_is_not_analysed():
    from core.papers import Paper

    apart = Paper(id="2699.00001", title="A model of light", abstract="We study diffusion in glass.",
                  categories=["cs.CV"], announced="2026-04-21")
    together = apart.model_copy(update={"id": "2699.00002", "abstract": "A latent diffusion-models study."})
    spec = FeedSpec.from_query(FeedWishes(cat=["cs.CV"], q='"diffusion model"'))
    pool = make_pool([apart, together], spec.matchers)
    assert [isinstance(c.doc, Skim) for c in pool.candidates] == [True, False]
    assert [bool(c.matches[0]) for c in pool.candidates] == [False, True]


def test_a_skimmed_field_has_the_length_its_analysis_would_have():
    """`Skim` counts words by translating bytes (`_word_count`); the analysis counts its tokens."""
    import random

    from core.ranking.text import _word_count, analyse_text

    rng = random.Random(18)
    alphabet = string.printable + "\x00\x1c\x7f"
    texts = ["", " ", "a", "a b", "-x-", "9"] + [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(3000)]
    for text in texts:
        assert _word_count(text.lower()) == analyse_text(text).length, repr(text)
