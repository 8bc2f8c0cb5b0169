"""The matcher's shortcuts against the plain loops they replaced: skipping a term when none of
its forms is among a text's tokens, stems and compounds, and finding where a phrase starts by
scanning for its first word, must find the same terms, as often, on every field of every paper
of every recorded fixture and of some hostile texts."""

from __future__ import annotations

import pytest

from core.arxiv.parse import parse_listing
from core.errors import ParseError
from core.matching import MAX_COUNT, Matcher, Phrase, Term, TermMatch, parse_query
from core.papers import Paper
from core.signals.text import Doc, FieldText, analyse
from tests.conftest import FIXTURES


def starts(phrase: Phrase, tokens, stemmed) -> list[int]:
    n, found = len(phrase.words), []
    for i in range(len(tokens) - n + 1):
        if all(w.hit(tokens[i + j], stemmed[i + j]) for j, w in enumerate(phrase.words)):
            found.append(i)
            if len(found) >= MAX_COUNT:
                break
    return found


def phrase_count(phrase: Phrase, text: FieldText) -> int:
    if len(phrase.words) == 1:
        return min(phrase.words[0].count(text), MAX_COUNT)
    found = phrase.joined.count(text, compounds=False) if phrase.joined else 0
    if all(w.present(text) for w in phrase.words):
        found += len(starts(phrase, text.tokens, text.stems))
    return min(found, MAX_COUNT)


def reference_find(matcher: Matcher, doc: Doc) -> dict[int, TermMatch]:
    def count(i: int, text: FieldText) -> int:
        return min(sum(phrase_count(p, text) for p in matcher.phrases[i]), MAX_COUNT)

    found = {}
    for i, term in enumerate(matcher.terms):
        if term.field == "au":
            if any(count(i, name) for name in doc.authors):
                found[i] = TermMatch(authors=True)
            continue
        title = count(i, doc.title) if term.field in ("any", "ti") else 0
        abstract = count(i, doc.abstract) if term.field in ("any", "abs") else 0
        if title or abstract:
            found[i] = TermMatch(title=title, abstract=abstract)
    return found


TERMS = [
    *parse_query('"diffusion model" "vision language model" VLM LLMs segmentation "3D reconstruction" '
                 'self-supervised "large language models" "of the" "in the" learning model =Models '
                 'pre-training pretraining "state of the art" C++ "a.*" RL "reinforcement learning" '
                 '"chain-of-thought" "mixture of experts" "LLM agents" transformer 2D "image-to-image" neural'),
    Term(text="graph neural network", aliases=["GNN", "graph-based networks"]),
    Term(text="Zhang", field="au"), Term(text="Wang Wei", field="au"), Term(text="Jörg Müller", field="au"),
]


def papers() -> list[Paper]:
    found = []
    for path in sorted(FIXTURES.glob("*.xml")):
        try:
            found += parse_listing(path.read_bytes()).papers
        except ParseError:
            pass
    return found


HOSTILE = [
    "of the of the of the of the of the of the of the of the of the of the of the of the",
    "diffusion", "diffusion model", "model diffusion model diffusion models", "a.* a.* a .*",
    "C++ and C + + and c++", "LLMs agents and LLM agents, LLMs agents " * 5, "pre-training, pre training and pretraining", "",
]


def test_the_shortcuts_find_what_the_plain_loops_find():
    matcher = Matcher(TERMS)
    pool = papers()
    pool += [Paper(id=f"2604.{i:05d}", title=t, abstract=t, authors=["Wang Wei", "Jorg Muller"],
                   categories=["cs.CV"], announced=pool[0].announced) for i, t in enumerate(HOSTILE)]
    hits = 0
    for paper in pool:
        doc = analyse(paper)
        found = matcher.find(doc)
        assert found == reference_find(matcher, doc), paper.id
        hits += len(found)
    assert hits > 1000  # the terms do occur


@pytest.mark.parametrize("text", HOSTILE)
def test_phrase_starts_at_the_same_places(text):
    matcher = Matcher(TERMS)
    doc = analyse(Paper(id="2604.00001", title=text, abstract="", categories=["cs.CV"], announced="2026-04-21"))
    for phrases in matcher.phrases:
        for phrase in phrases:
            assert list(phrase._starts(doc.title.tokens, doc.title.stems)) == starts(phrase, doc.title.tokens, doc.title.stems)
