"""The text analysis against a plain reference: identical tokens, stems, counts (in the same
order, since callers iterate them), compounds and lengths on every paper of every recorded
fixture, on hostile strings, and on generated text mixing words, joiners and punctuation.

The reference below is the straightforward per-token algorithm the fast path replaced: look
at each token, fold it, stem it, and find compounds from the gaps between tokens.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

import pytest
import Stemmer
from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.arxiv.parse import parse_listing
from core.errors import ParseError
from core.signals.text import FieldText, analyse_text
from tests.conftest import FIXTURES

_TOKEN = re.compile(r"[^\W_]+|[^\w\s\-/]")
_stemmer = Stemmer.Stemmer("english")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _is_word(token: str) -> bool:
    return token[:1].isalnum()


def reference(text: str) -> FieldText:
    spans = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        token = token.lower() if token.isascii() else _fold(token)
        if token:
            spans.append((token, match.start(), match.end()))
    tokens = [t for t, _, _ in spans]
    stemmed = [_stemmer.stemWord(t) for t in tokens]
    compounds: Counter = Counter()
    run: list[str] = []

    def close(run: list[str]) -> None:
        if len(run) > 1:
            compounds["".join(run)] += 1
            compounds[_stemmer.stemWord("".join(run))] += 1

    for i, (token, start, _) in enumerate(spans):
        gap = text[spans[i - 1][2]:start] if i else ""
        joined = bool(gap) and len(gap) <= 2 and all(c in "-/_" for c in gap)
        if _is_word(token) and run and joined and _is_word(spans[i - 1][0]):
            run.append(token)
        else:
            close(run)
            run = [token] if _is_word(token) else []
    close(run)
    return FieldText(
        tokens=tuple(tokens),
        stems=tuple(stemmed),
        token_counts=Counter(tokens),
        stem_counts=Counter(s for t, s in zip(tokens, stemmed) if _is_word(t)),
        compounds=compounds,
        length=sum(1 for t in tokens if _is_word(t)),
    )


def assert_same(text: str) -> None:
    got, want = analyse_text(text), reference(text)
    assert got == want, text
    for name in ("token_counts", "stem_counts", "compounds"):  # iteration order too
        assert list(getattr(got, name).items()) == list(getattr(want, name).items()), (name, text)


def _texts(name: str) -> list[str]:
    try:
        papers = parse_listing((FIXTURES / name).read_bytes()).papers
    except ParseError:
        return []
    return [t for p in papers for t in (p.title, p.abstract, *p.authors)]


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.xml")))
def test_every_field_of_every_recorded_paper(name):
    for text in _texts(name):
        assert_same(text)


def test_the_fixtures_exercise_both_paths_and_compounds():
    texts = [t for p in FIXTURES.glob("*.xml") for t in _texts(p.name)]
    assert sum(t.isascii() for t in texts) > 5000
    assert sum(not t.isascii() for t in texts) > 50
    assert sum(bool(reference(t).compounds) for t in texts if t.isascii()) > 500


HOSTILE = [
    "", " ", "\t\n", "C++", "a.*", "C#/F#", "pre-training", "Pre-Training", "x--y", "x---y", "a--b---c",
    "a_b", "a__b", "_a_", "///", "a/-/b", "a-/b", "a / b", "a- b", "a -b", "-a", "a-", "a-.b", ".-a",
    "state-of-the-art", "GPT-4o", "3D-reconstruction", "123-456", "2024/25", "L_2-norm", "x1_y2-z3",
    "O'Neil", "don't", "e-mail's", "$\\mathcal{O}(n^2)$", "p<0.05", "a\x1cb", "a\x1f-b", "a-\x0bb",
    "Jörg Müller", "naïve-bayes", "Jo\u0308rg", "e\u0301-cole", "\u0301", "Straße", "ͺ", "ﬁne-tuning",
    "ℝ^n", "β-VAE", "αβ-γ", "Ⅻ", "١٢٣-٤", "日本語-テキスト", "🙂", "emoji🙂-ok", "a\u200bb", "x–y (en dash)",
    "a\u00adb", "ALL-CAPS_WORDS/AND-MORE", "a-b-c-d-e-f-g", "a-b c-d a-b", "Self-Supervised self-supervised",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings(text):
    assert_same(text)


PIECES = st.sampled_from(
    ["a", "B", "pre", "Training", "x1", "42", "é", "Ö", "ß", "\u0301", "-", "--", "---", "/", "_", "_-", " ",
     "\t", ".", "+", "*", "'", "(", "🙂", "ͺ", "ﬁ", "β", "\x1c"]
)


@settings(max_examples=400, deadline=None, database=None)
@given(st.lists(PIECES, max_size=12).map("".join))
@example("a-b_c/d e--f")
def test_generated_text(text):
    assert_same(text)
