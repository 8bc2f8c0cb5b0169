"""Property-based tests of the `q` grammar, the matcher and every query parameter (hypothesis).

What must hold for any input: `parse_query` fails only with `QueryError` and never returns more
or longer terms than the caps; whatever it accepts compiles to a matcher whose regexes are the
term's text taken literally (no quantifier but the matcher's own separator and plural pieces),
so scoring adversarial text stays fast; and over HTTP, on every route that reads the query
(feeds, /rss, the preview pages and /api/preview), any query string answers 200, 400 with a
message (JSON; an HTML page on the human pages), or a documented 404/503, never a 5xx, within a
time bound. One running app (fake arXiv, memory store) serves the whole module.
"""

from __future__ import annotations

import datetime as dt
import re
import string
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from core.feeds import MAX_QUERY_LENGTH
from core.web.params import FeedQuery
from core.errors import QueryError
from core.matching import MAX_TERM_LENGTH, MAX_TERMS, Matcher, Term, fold, parse_query
from core.papers import ANNOUNCE_TYPES, Paper
from core.profiles import MAX_CATEGORIES, MAX_DAYS, MAX_ITEMS
from core.taxonomy import CATEGORIES
from tests.conftest import App, running_app
from tests.fakearxiv import FakeArxiv

# No example database: every run starts afresh (hypothesis still caches constants and unicode
# tables in .hypothesis/, which carries its own .gitignore).
PURE = settings(max_examples=300, deadline=None, database=None)
SCORING = settings(max_examples=150, deadline=dt.timedelta(seconds=5), database=None,
                   suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
HTTP = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# --- strategies -----------------------------------------------------------------

REGEX_LOOKALIKES = ["(a+)+$", "a.*", ".*a", "(x|xx)+y", "a{1,99999}", "[a-z]+b", "\\w+", "a|b", "(?i)a", "a?b*c+",
                    "\\d\\d", "$a", "a\\", "(?P<x>a)", "(?=a)a", "a)(", "[[a", "\\1a"]
AWKWARD = ["ͺ", "ﷺ", "İ", "ß", "Σ", "ǅ", "²", "ﬀ", "e\u0301", "\u200b", "\u3000", "\x00", "\x0b", "\x85", "\ufeff", "🙂",
           "a\u0345", "K", "µ"]
GRAMMAR_CHARS = ' \t\r\n,"+-^:.()|*?[]{}\\$_/'

any_text = st.text(max_size=300)  # all of unicode but lone surrogates
grammarish_text = st.text(
    alphabet=st.one_of(st.sampled_from(GRAMMAR_CHARS), st.sampled_from("abc ti abs au TI"), st.characters(codec="utf-8")),
    max_size=300,
)
word_chars = st.characters(codec="utf-8", exclude_characters=' \t\r\n,"^')
word = st.one_of(
    st.text(alphabet=word_chars, min_size=1, max_size=12),
    st.text(alphabet=string.ascii_letters + string.digits + "-_/.", min_size=1, max_size=12),
    st.text(alphabet="ab", min_size=MAX_TERM_LENGTH - 3, max_size=MAX_TERM_LENGTH + 3),  # around the length cap
    st.sampled_from(REGEX_LOOKALIKES + AWKWARD + ["LLM", "agents", "policy", "ti:x", "au", "flies"]),
)
phrase = st.text(alphabet=st.characters(codec="utf-8", exclude_characters='"'), max_size=40).map(lambda p: f'"{p}"')
weight = st.one_of(
    st.just(""),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda w: f"^{w}"),
    st.integers(-5, 150).map(lambda w: f"^{w}"),
    st.sampled_from(["^", "^1e2", "^1_0", "^0x10", "^nan", "^-inf", "^2^3", "^0.0000001"]),
)
token = st.builds(
    lambda sign, fld, body, w: sign + fld + body + w,
    st.sampled_from(["", "", "+", "-", "--", "+-"]),
    st.sampled_from(["", "", "ti:", "abs:", "au:", "TI:", "Au:", "x:"]),
    st.one_of(word, phrase),
    weight,
)
separator = st.sampled_from([" ", " ", ",", ", ", "\t", "\n", "  ", ""])
grammar_query = st.lists(st.tuples(token, separator), max_size=MAX_TERMS + 8).map(
    lambda parts: "".join(t + s for t, s in parts)
)
queries = st.one_of(grammar_query, grammarish_text, any_text)
# Mostly accepted by the grammar: for the properties of what parse_query lets through.
plain_word = st.one_of(
    st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=12),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9\-_/.()+*?|$\[\]{}\\]{0,15}", fullmatch=True),
    st.text(alphabet="ab-", min_size=MAX_TERM_LENGTH - 3, max_size=MAX_TERM_LENGTH).map(lambda w: "a" + w[1:]),
    st.sampled_from([w for w in REGEX_LOOKALIKES if "," not in w] + ["LLM", "agents", "policy", "flies", "Müller", "ﷺ", "İstanbul"]),
)
plain_phrase = st.lists(plain_word, min_size=1, max_size=6).map(lambda ws: '"' + " ".join(ws)[:MAX_TERM_LENGTH] + '"')
accepted_query = st.lists(
    st.builds(
        lambda sign, fld, body, w: sign + fld + body + w,
        st.sampled_from(["", "", "+", "-"]),
        st.sampled_from(["", "", "ti:", "abs:", "au:"]),
        st.one_of(plain_word, plain_phrase),
        st.one_of(st.just(""), st.floats(0.01, 100).map(lambda w: f"^{w:.6g}"), st.integers(1, 100).map(lambda w: f"^{w}")),
    ),
    max_size=MAX_TERMS,
).map(" ".join)

# --- the grammar ------------------------------------------------------------------


@PURE
@given(queries)
@example("a " * MAX_TERMS)
@example("a " * (MAX_TERMS + 1))
@example("x" * MAX_TERM_LENGTH)
@example("x" * (MAX_TERM_LENGTH + 1))
@example('"' + "y " * 200 + '"')
@example("ͺ")  # a letter whose accent-folded form is only a space
@example("term^1e2 term^1e-300 term^nan term^inf")
def test_parse_query_fails_only_with_query_error_and_respects_the_caps(q):
    try:
        terms = parse_query(q)
    except QueryError as exc:
        assert str(exc).startswith("q"), exc  # names the parameter to fix
        return
    assert len(terms) <= MAX_TERMS
    for term in terms:
        assert term.text and term.text == term.text.strip()
        assert len(term.text) <= MAX_TERM_LENGTH
        assert any(c.isalnum() for c in fold(term.text))
        assert '"' not in term.text
        assert 0 < term.weight <= 100
        assert term.field in ("any", "ti", "abs", "au")
        assert not (term.required and term.excluded)


# --- the matcher --------------------------------------------------------------------

def paper(title: str, abstract: str = "", authors: list[str] | None = None) -> Paper:
    return Paper(id="2604.00001", title=title, abstract=abstract, authors=authors or [],
                 categories=["cs.LG"], announced=dt.date(2026, 4, 27))


def adversarial_papers(terms: list[Term]) -> Iterator[Paper]:
    """Texts that make a naive regex backtrack: long runs, near misses, separator floods."""
    n = 10_000
    texts = ["a" * n + "!", "a " * (n // 2) + "!", "a-" * (n // 2) + "x", " " * n + "a", "-_/ " * (n // 4) + "a!"]
    joined = " ".join(t.text for t in terms) or "a"
    texts.append((joined + " ") * (n // (len(joined) + 1)) + "!")
    texts.append((joined + "x") * (n // (len(joined) + 1)))  # every occurrence fails the word-end check
    texts.append(re.sub(r"[\s\-_/]+", " " * 200, joined) * 5 + "z")  # separators stretched
    texts.append("".join(t.text[:-1] for t in terms) * 20)  # each term but its last character
    for text in texts:
        text = text[: n + 500]
        yield paper(title=text, abstract=text, authors=[text[:2000]] * 5)


@SCORING
@given(
    st.one_of(accepted_query, accepted_query, grammar_query),
    st.lists(st.sampled_from(REGEX_LOOKALIKES + AWKWARD + ["Jörg Müller", "O'Neil"]), max_size=5),  # followed authors
)
@example("(a+)+$ .*a a{1,99999} " + "a " * 40, ["(a+)+$"])
@example(" ".join("a" * (MAX_TERM_LENGTH - i) for i in range(MAX_TERMS)), [])
@example(" ".join(f'"{"a " * 49}a{i}"' for i in range(MAX_TERMS)), [])
@example("ﷺ" * MAX_TERM_LENGTH, ["ﷺ" * MAX_TERM_LENGTH])  # the longest NFKD expansion
def test_any_accepted_query_compiles_and_scores_fast(q, authors):
    try:
        terms = parse_query(q)
    except QueryError:
        assume(False)
        return
    terms += [Term(text=a, field="au") for a in authors if any(c.isalnum() for c in fold(a))]
    started = time.perf_counter()
    matcher = Matcher(terms)
    assert time.perf_counter() - started < 2.0, "compiling the matcher took too long"
    # No regex is built from a term: matching compares analysed words (core.signals.text).
    for adversary in adversarial_papers(terms):
        started = time.perf_counter()
        matcher.score(adversary)
        elapsed = time.perf_counter() - started
        # Linear scoring of ~10k characters takes milliseconds; catastrophic backtracking, seconds to forever.
        assert elapsed < 2.0, f"scoring took {elapsed:.2f}s for {adversary.title[:60]!r}..."


@pytest.mark.parametrize("term", REGEX_LOOKALIKES + [".*", "a+", "(a)"])
def test_regex_lookalike_terms_match_only_their_own_text(term):
    try:
        terms = parse_query(term)
    except QueryError:
        return  # refused (no letter or digit, or not a term): equally harmless
    matcher = Matcher(terms)
    text = terms[0].text
    assert matcher.score(paper(f"on {text} today")) is not None, "the literal text must match"
    for innocent in ["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "a b c", "xyz", "ab", "b", "aab", "123", "x" * 50 + "y"]:
        if text.lower() not in innocent:
            assert matcher.score(paper(innocent, innocent)) is None, f"{term!r} behaved as a regex on {innocent!r}"


# --- every query parameter over HTTP ------------------------------------------------------------

CATEGORY_POOL = ["cs.AI", "cs.CL", "cs.LG", "cs.CV", "cs", "CS.ai", " cs.LG ", "math.AG", "hep-th", "stat.ML", "q-bio.NC"]
FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/feed+json", "text/markdown"}
KNOWN_PATHS = ["/feed", "/feed", "/feeds/llm.rss", "/feeds/llm.atom", "/feeds/vision.json", "/feeds/llm.md", "/rss", "/rss/cs.AI",
               "/api/preview", "/preview", "/preview/llm"]  # every route that reads FeedQuery
HTML_PAGES = ("/preview",)  # human pages: their errors are HTML pages carrying the same message
REQUEST_BOUND_S = 10.0  # a first fetch from the fake arXiv is ~0.1 s; this is for a loaded machine

numbers = st.one_of(
    st.integers(-10, 20_000).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "1.0", "1.5", "0", "-0", "1e3", "01", "0x10", " 7 ", "1_0", "١٢", "Infinity", "true"]),
)
category_values = st.one_of(
    st.sampled_from(CATEGORY_POOL),
    st.lists(st.sampled_from(CATEGORY_POOL), max_size=25).map(",".join),
    st.text(max_size=30),
)
term_values = st.one_of(word, st.lists(word, max_size=55).map(",".join), st.text(max_size=120))
VALUES = {
    "cat": category_values,
    "q": st.one_of(queries, st.text(min_size=990, max_size=1010, alphabet="ab ")),
    "exclude": term_values,
    "author": term_values,
    "type": st.one_of(st.sampled_from(ANNOUNCE_TYPES), st.lists(st.sampled_from(ANNOUNCE_TYPES + ("",))).map(",".join), st.text(max_size=20)),
    "min_score": numbers,
    "limit": numbers,
    "days": numbers,
    "sort": st.one_of(st.sampled_from(["score", "date", "Score", ""]), st.text(max_size=10)),
    "format": st.one_of(st.sampled_from(["rss", "atom", "json", "md", "xml", ""]), st.text(max_size=10)),
    "summaries": st.one_of(st.sampled_from(["0", "1", "true", "false", "yes", "no", "on", "off", "", "2"]), st.text(max_size=10)),
}
seed_ids = st.sampled_from(["2604.21935", "2604.21935v2", "hep-th/9901001", "arXiv:2401.12345", "2401.1234", "abc", "2604.21935v0", ""])
VALUES["like"] = VALUES["unlike"] = st.one_of(seed_ids, st.lists(seed_ids, max_size=25).map(",".join), st.text(max_size=40))
venue_values = st.sampled_from(["CVPR", "CVPR2026", "CVPR 2026", "CVPRW", "CVPR Workshops 2026", "ACL Findings", "TPAMI^2",
                                 "NeurIPS D&B", "cvpr^0", "CVPR^", "^3", "IJCV^101", "2026", "", "<b>", "x" * 90])
VALUES["venue"] = st.one_of(venue_values, st.lists(venue_values, max_size=25).map(",".join), st.text(max_size=40))
has_values = st.sampled_from(["code", "doi", "journal", "venue", "comment", "code^2", "CODE", "stars", "code^x", "", "^"])
VALUES["has"] = st.one_of(has_values, st.lists(has_values, max_size=25).map(",".join), st.text(max_size=20))
VALUES["like_author"] = st.one_of(
    st.sampled_from(["morrison_d_1", "0000-0001-6286-1277", "https://orcid.org/0000-0001-6286-1277", "0000-0001-6286-1278",
                     "John Smith", "doe_j", "", "X" * 101]),
    st.text(max_size=40),
)
assert set(VALUES) == set(FeedQuery.model_fields), "a FeedQuery field has no strategy here"

known_pair = st.sampled_from(sorted(VALUES)).flatmap(lambda name: st.tuples(st.just(name), VALUES[name]))
unknown_pair = st.tuples(st.one_of(st.sampled_from(["utm_source", "_", "Cat", "q ", "", "categories", "fbclid"]), st.text(max_size=12)),
                         st.text(max_size=20))
valid_pair = st.one_of(
    st.tuples(st.just("cat"), st.lists(st.sampled_from(CATEGORY_POOL), min_size=1, max_size=4).map(",".join)),
    st.tuples(st.just("q"), accepted_query),
    st.tuples(st.sampled_from(["exclude", "author"]), plain_word),
    st.tuples(st.just("type"), st.sampled_from(ANNOUNCE_TYPES)),
    st.tuples(st.sampled_from(["min_score", "limit", "days"]), st.integers(1, 14).map(str)),
    st.tuples(st.just("sort"), st.sampled_from(["score", "date"])),
    st.tuples(st.just("format"), st.sampled_from(["rss", "atom", "json", "md"])),
    st.tuples(st.just("summaries"), st.sampled_from(["0", "1"])),
)
pairs = st.one_of(
    # mostly valid, so that matching, ranking and rendering run too
    st.tuples(st.sampled_from(CATEGORY_POOL[:4]), st.lists(valid_pair, max_size=6, unique_by=lambda p: p[0])).map(lambda t: [("cat", t[0]), *t[1]]),
    st.lists(st.one_of(known_pair, known_pair, known_pair, valid_pair, unknown_pair), max_size=8),
)
# A path segment: not empty and not ending in "/" (the server decodes %2F, and "/preview/a/"
# redirects to "/preview/a" like "/rss/" to "/rss"), not a dot-segment (the client resolves those).
segment = (st.text(min_size=1, max_size=20).filter(lambda s: s not in (".", "..") and not s.endswith("/"))
           .map(lambda s: quote(s, safe="")))
other_paths = st.one_of(
    segment.map(lambda name: f"/feeds/{name}.rss"),
    segment.map(lambda name: f"/preview/{name}"),
    segment.map(lambda name: f"/feeds/{name}"),
    segment.map(lambda category: f"/rss/{category}"),
)
paths = st.integers(0, 9).flatmap(lambda i: other_paths if i == 0 else st.sampled_from(KNOWN_PATHS))  # 1 in 10 elsewhere


@pytest.fixture(scope="module")
def live() -> Iterator[App]:
    fake = FakeArxiv().start()
    fake.serve_day("rss_cs.AI_2026-04-27_trimmed3.xml", "rss_cs.CL_2026-04-27_trimmed3.xml", "rss_cs.LG_2026-04-27_trimmed3.xml")
    try:
        with running_app(fake) as app:  # KV memory
            yield app
    finally:
        fake.stop()


def check_response(response, path: str, elapsed: float) -> None:
    request = f"{response.request.method} {response.request.url}"
    assert response.status_code < 500, f"{request} -> {response.status_code} {response.text[:500]}"
    assert elapsed < REQUEST_BOUND_S, f"{request} took {elapsed:.1f}s"
    content_type = response.headers.get("content-type", "").split(";")[0]
    page = path.startswith(HTML_PAGES)
    if response.status_code == 200:
        expected = {"text/html"} if page else {"application/json"} if path.startswith("/api/") else FEED_TYPES
        assert content_type in expected, f"{request} -> 200 {content_type}"
        return
    if page and response.status_code == 303:  # a form's empty fields are dropped by a redirect
        assert response.headers["location"].startswith("/preview"), request
        return
    allowed = {400, 503} | ({404} if path not in KNOWN_PATHS else set())
    assert response.status_code in allowed, f"{request} -> {response.status_code} {response.text[:300]}"
    if page:
        assert content_type == "text/html" and response.text.strip(), f"{request} -> {response.text[:300]}"
    else:
        assert content_type == "application/json", f"{request} -> {content_type}"
        error = response.json().get("error")
        assert isinstance(error, str) and error.strip(), f"{request} -> {response.text[:300]}"
    if response.status_code == 503 and not page:
        assert response.headers.get("retry-after"), request


@HTTP
@given(path=paths, params=pairs)
@example(path="/feed", params=[("cat", "cs.LG"), ("q", "ͺ")])
@example(path="/feed", params=[("cat", "cs.LG"), ("author", "ͺ"), ("exclude", "ﷺ")])
@example(path="/feeds/llm.rss", params=[("q", "(a+)+$ " * 50), ("exclude", ",".join(f"x{i}" for i in range(50)))])
@example(path="/feed", params=[("cat", "cs.AI")] * 500 + [("q", "a")])
def test_any_query_string_answers_200_or_a_4xx_with_a_message(live, path, params):
    started = time.monotonic()
    response = live.get(path, params=params)
    check_response(response, path, time.monotonic() - started)
    event(f"HTTP {response.status_code}")  # pytest --hypothesis-show-statistics shows the mix


@HTTP
@given(path=st.sampled_from(KNOWN_PATHS), raw=st.lists(st.one_of(
    st.binary(min_size=1, max_size=4).map(lambda b: "".join(f"%{x:02X}" for x in b)),
    st.sampled_from(["&", "=", "+", "cat=", "q=", "cat=cs.LG", "%", "%zz", "%2", ";", "&&", "==", "limit=", "type="]),
    st.text(alphabet=string.ascii_letters + string.digits + "-._~", max_size=5),
), max_size=30).map("".join))
@example(path="/feed", raw="cat=cs.LG&q=%FF%FE%C0")
@example(path="/feed", raw="cat=cs.LG&q=%ED%A0%80")  # an encoded lone surrogate
def test_raw_query_strings_with_broken_encodings_answer_200_or_a_4xx(live, path, raw):
    started = time.monotonic()
    response = live.get(f"{path}?{raw}")
    check_response(response, path, time.monotonic() - started)
    event(f"HTTP {response.status_code}")


def _terms(n: int, prefix: str = "t") -> str:
    return ",".join(f"{prefix}{i}" for i in range(n))


MANY_CATEGORIES = [c for c in CATEGORIES if c.startswith("cs.")][: MAX_CATEGORIES + 1]
assert len(MANY_CATEGORIES) == MAX_CATEGORIES + 1
LONGEST_Q = ("a" * 99 + " ") * (MAX_QUERY_LENGTH // 100)  # ten 99-letter terms
assert len(LONGEST_Q) == MAX_QUERY_LENGTH


@pytest.mark.parametrize(
    "params,status",
    [
        ({"q": " ".join(f"t{i}" for i in range(MAX_TERMS))}, 200),
        ({"q": " ".join(f"t{i}" for i in range(MAX_TERMS + 1))}, 400),
        ({"q": "x" * MAX_TERM_LENGTH}, 200),
        ({"q": "x" * (MAX_TERM_LENGTH + 1)}, 400),
        ({"q": LONGEST_Q}, 200),
        ({"q": LONGEST_Q + "b"}, 400),
        ({"q": "a^100"}, 200),
        ({"q": "a^100.01"}, 400),
        ({"q": "a^0"}, 400),
        ({"cat": ",".join(MANY_CATEGORIES[:MAX_CATEGORIES])}, 200),
        ({"cat": ",".join(MANY_CATEGORIES)}, 400),
        ({"cat": ",".join(["cs.LG"] * 1000)}, 200),  # duplicates collapse before the cap
        ({"limit": str(MAX_ITEMS)}, 200),
        ({"limit": str(MAX_ITEMS + 1)}, 400),
        ({"limit": "0"}, 400),
        ({"days": str(MAX_DAYS)}, 200),
        ({"days": str(MAX_DAYS + 1)}, 400),
        ({"days": "0"}, 400),
        ({"min_score": "10000"}, 200),
        ({"min_score": "nan"}, 400),
        ({"min_score": "inf"}, 400),
        ({"exclude": _terms(50, "x")}, 200),
        ({"exclude": _terms(51, "x")}, 400),
        ({"author": _terms(50, "y")}, 200),
        ({"author": _terms(51, "y")}, 400),
        ({"author": "y" * (MAX_TERM_LENGTH + 1)}, 400),
        # 150 terms in one matcher, each list within its own cap: the matcher's cap (100) answers
        ({"q": " ".join(f"t{i}" for i in range(MAX_TERMS)), "author": _terms(50, "y"), "exclude": _terms(50, "x")}, 400),
    ],
)
def test_every_cap_holds_at_its_boundary(live, params, status):
    params = {"cat": "cs.LG", **params}
    started = time.monotonic()
    response = live.get("/feed", params=params)
    check_response(response, "/feed", time.monotonic() - started)
    assert response.status_code == status, response.text[:300]
