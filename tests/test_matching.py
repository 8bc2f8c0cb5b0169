"""Word-boundary matching, scoring, explanations, and the `q` grammar."""

import datetime as dt

import pytest

from core.errors import QueryError
from core.matching import Matcher, Term, parse_query
from core.papers import Paper


def paper(title: str, abstract: str = "", authors: tuple[str, ...] = ()) -> Paper:
    return Paper(id="2604.00001", title=title, abstract=abstract, authors=list(authors),
                 categories=["cs.LG"], announced=dt.date(2026, 4, 21))


def matches(term: str, text: str) -> bool:
    return Matcher(parse_query(term) if term.startswith(("=", '"')) else [Term(text=term)]).score(paper(text)) is not None


@pytest.mark.parametrize("text", ["A world model", "Optimal control of robots", "Curling", "URLs"])
def test_short_acronym_does_not_match_inside_words(text):
    assert not matches("RL", text)


@pytest.mark.parametrize("text", ["Offline RL at scale", "RL-based tuning", "(RL)", "Deep rl agents"])
def test_short_acronym_matches_as_a_word(text):
    assert matches("RL", text)


@pytest.mark.parametrize(
    "term,text",
    [("LLM", "LLMs as judges"), ("MoE", "Scaling MoEs"), ("mixture of experts", "Sparse Mixture-of-Experts layers"),
     ("Mixture-of-Experts", "a mixture of experts"), ("pre-training", "Pretraining at scale"),
     ("diffusion model", "Diffusion Models beat GANs"), ("policy", "Learning policies"),
     ("LLMs", "An LLM for code"), ("large  language model", "large language models")],
)
def test_plurals_hyphens_and_spacing_are_tolerated(term, text):
    assert matches(term, text)


@pytest.mark.parametrize("term,text", [("MoE", "Moebius strips"), ("LLM", "LLMOps"), ("agent", "reagents")])
def test_no_prefix_or_suffix_matches(term, text):
    assert not matches(term, text)


def test_a_term_counts_once_however_many_case_variants_are_listed():
    matcher = Matcher([Term(text="LLM"), Term(text="llm"), Term(text="LLMs")])
    scored = matcher.score(paper("LLMs for code", "We train an LLM."))
    assert scored is not None
    assert len(scored.hits) == 2  # title and abstract, once each
    assert scored.score == Matcher([Term(text="LLM")]).score(paper("LLMs for code", "We train an LLM.")).score


def test_title_matches_weigh_more_than_abstract_matches():
    matcher = Matcher([Term(text="diffusion")])
    in_title = matcher.score(paper("Diffusion for video", "We study video."))
    in_abstract = matcher.score(paper("Video generation", "We use diffusion."))
    assert in_title.score > in_abstract.score > 0


def test_weights_and_aliases():
    matcher = Matcher([Term(text="large language model", weight=2, aliases=["LLM"])])
    scored = matcher.score(paper("An LLM study", "large language models are big"))
    once = Matcher([Term(text="large language model", aliases=["LLM"])]).score(paper("An LLM study", "large language models are big"))
    assert scored.score == pytest.approx(2 * once.score, abs=0.2)  # ^weight multiplies
    assert scored.matched_terms == ["large language model"]


def test_followed_author_adds_a_bonus_and_ignores_accents():
    matcher = Matcher([Term(text="diffusion"), Term(text="Jorg Deigmoller", field="au")])
    with_author = matcher.score(paper("Diffusion", authors=("Jörg Deigmöller", "B. Other")))
    without = matcher.score(paper("Diffusion", authors=("B. Other",)))
    assert with_author.score > without.score
    assert any(h.field == "authors" for h in with_author.hits)


def test_exclude_terms_remove_a_paper():
    matcher = Matcher([Term(text="LLM"), Term(text="survey", excluded=True)])
    assert matcher.score(paper("A survey of LLMs")) is None
    assert matcher.score(paper("LLMs for code")) is not None


def test_paper_matching_no_term_is_dropped_and_no_terms_keeps_everything():
    assert Matcher([Term(text="LLM")]).score(paper("Graph theory")) is None
    scored = Matcher([]).score(paper("Graph theory"))
    assert scored is not None and scored.score == 0


def test_explanation_says_which_term_matched_where_and_what_it_added():
    scored = Matcher([Term(text="agent", weight=1.5)]).score(paper("Agents", "An agent that plans."))
    title, abstract = scored.hits
    assert title.points == pytest.approx(2 * abstract.points, abs=0.1)  # title counts twice
    assert scored.explanation == (
        f"score {scored.score:g} = agent in title +{title.points:g} (rare: 1 of 1), agent in abstract +{abstract.points:g} (rare: 1 of 1)"
    )


def test_overlapping_terms_both_count():
    matcher = Matcher([Term(text="language model"), Term(text="large language model", weight=2)])
    scored = matcher.score(paper("A large language model"))
    assert set(scored.matched_terms) == {"language model", "large language model"}


# --- stems, exact forms, rarity ------------------------------------------------------

@pytest.mark.parametrize(
    "term,text",
    [("robot", "Robots in the wild"), ("robot", "robotic grasping"), ("robot", "A robotics benchmark"),
     ("navigation", "Navigating crowds"), ("robotics", "a robot arm"), ("policies", "policy learning"),
     ('"autonomous driving"', "an Autonomous-Driving stack"), ("pre-training", "Pretraining at scale"),
     ("GPT-4", "GPT4 as a judge"), ("C++", "Fast C++ kernels")],
)
def test_words_match_by_stem(term, text):
    assert matches(term, text)


@pytest.mark.parametrize(
    "term,text",
    [("SLAM", "slamming doors"), ("RL", "RLHF tuning"), ("GAN", "Ganglion cells"), ('"autonomous driving"', "driving autonomous cars"),
     ("=robot", "robots and robotics"), ('="mixture of experts"', "mixtures of experts"), ("C++", "Appendix C")],
)
def test_acronyms_exact_forms_and_phrase_order_are_kept(term, text):
    assert not Matcher(parse_query(term)).score(paper(text)) is not None


def test_exact_form_matches_its_own_word_in_any_case():
    assert Matcher(parse_query("=robot")).score(paper("A Robot arm")) is not None
    assert parse_query("+ti:=robot^2")[0].exact


def corpus(n_common: int, n: int = 200) -> list[Paper]:
    papers = [Paper(id=f"2604.{i:05d}", title=f"Study {i}", abstract="We learn a policy." if i < n_common else "We look.",
                    categories=["cs.RO"], announced=dt.date(2026, 4, 21)) for i in range(n)]
    papers.append(Paper(id="2604.99999", title="SLAM with a policy", abstract="", categories=["cs.RO"], announced=dt.date(2026, 4, 21)))
    return papers


def test_rare_terms_weigh_more_and_the_explanation_says_how_rare():
    from core.signals import make_pool, rank_pool

    ranked = rank_pool(make_pool(corpus(20), [Matcher(parse_query("SLAM policy"))]))
    top = next(s for s in ranked if s.paper.id == "2604.99999")
    slam, policy = top.hits
    assert slam.points > 2 * policy.points
    assert slam.text == f"SLAM in title +{slam.points:g} (rare: 1 of 201)"
    assert policy.text == f"policy in title +{policy.points:g} (in 21 of 201)"


def test_repeats_saturate():
    once = Matcher([Term(text="robot")]).score(paper("x", "A robot moves."))
    thrice = Matcher([Term(text="robot")]).score(paper("x", "A robot moves a robot past a robot."))
    assert once.score < thrice.score < 3 * once.score


# --- q grammar ---------------------------------------------------------------

def test_query_grammar_reads_every_construct():
    terms = parse_query('+ti:"diffusion model"^2, -survey au:hinton LLM abs:video')
    assert [(t.text, t.field, t.weight, t.required, t.excluded) for t in terms] == [
        ("diffusion model", "ti", 2.0, True, False),
        ("survey", "any", 1.0, False, True),
        ("hinton", "au", 1.0, False, False),
        ("LLM", "any", 1.0, False, False),
        ("video", "abs", 1.0, False, False),
    ]


def test_required_and_field_restricted_terms_filter():
    matcher = Matcher(parse_query('+ti:diffusion video'))
    assert matcher.score(paper("Video models", "diffusion inside")) is None  # diffusion not in title
    assert matcher.score(paper("Diffusion", "video")) is not None


@pytest.mark.parametrize(
    "q,message",
    [('"open phrase', "unbalanced"), ("x^abc", "must be a number"), ("x^0", "above 0"), ("+", "no word"),
     ('ti:""', "no word"), ("a" * 101, "at most 100"), (" ".join(f"t{i}" for i in range(51)), "at most 50 terms"),
     ('"a"b', "space or comma")],
)
def test_bad_queries_say_what_to_fix(q, message):
    with pytest.raises(QueryError, match=message):
        parse_query(q)


def test_hostile_terms_are_literal_not_regex():
    assert not matches("a.*", "abc")
    assert matches("C++", "Fast C++ kernels")
    assert not matches("(a+)+$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!")


# Letters and digits in one word: a term with a digit matches as written, as a whole word
# (README, Scoring: "words with digits or symbols (`GPT-4`, `C++`) ... match as written"), and
# `-`, `/`, spaces between its parts may be left out or changed ("`pre-training` finds
# "pretraining""). A longer word that merely starts or ends with it is another word.
@pytest.mark.parametrize(
    "term,text",
    [("GPT4", "GPT4 as a judge"), ("GPT4", "(gpt4)"), ("GPT4", "GPT4-based agents"), ("GPT4o", "GPT4o voice"),
     ("GPT-4", "GPT-4 and humans"), ("GPT-4", "GPT4 scores"), ("GPT-4", "GPT 4"),
     ("3D", "3D Gaussian Splatting"), ("3D", "2D and 3d"), ("3D", "3-D reconstruction"),
     ("ResNet50", "a ResNet50 backbone"), ("ResNet50", "ResNet-50 backbone"),
     ("L2", "L2-norm regularisation"), ("L2", "an L2 penalty"), ("L2", "L1/L2 losses"),
     ("Llama 3", "Llama3 models"), ("Llama 3", "Llama-3 models"), ("COVID-19", "COVID19 cases")],
)
def test_terms_mixing_letters_and_digits_match_the_same_word_written_any_way(term, text):
    assert matches(term, text)


@pytest.mark.parametrize(
    "term,text",
    [("GPT4", "GPT4o is fast"), ("GPT4", "GPT40"), ("GPT4o", "only GPT4 here"), ("GPT-4", "GPT-4o"),
     ("3D", "3DGS at scale"), ("3D", "A3D"), ("3D", "3Dify"),
     ("ResNet50", "ResNet500"), ("ResNet50", "ResNet5"), ("ResNet50", "resnet50v2 weights"), ("ResNet50", "ResNet"),
     ("L2", "L2O learned optimizers"), ("L2", "the BL2 model"), ("Llama 3", "Llama 30"), ("COVID-19", "COVID-2019")],
)
def test_terms_mixing_letters_and_digits_never_match_inside_a_longer_word(term, text):
    assert not matches(term, text)
