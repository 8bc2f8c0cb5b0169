"""Parsing recorded arXiv responses into Papers."""

from collections import Counter

import pytest

from core.arxiv.parse import parse_listing
from core.errors import ParseError
from core.papers import detex, split_authors, split_id
from tests.conftest import FIXTURES


def load(name: str):
    return parse_listing((FIXTURES / name).read_bytes())


def test_full_rss_day_keeps_every_item_and_announce_type():
    listing = load("rss_cs.CV_2026-04-21.xml")
    assert listing.kind == "rss"
    assert str(listing.build_date) == "2026-04-21"
    assert Counter(p.announce_type for p in listing.papers) == {"new": 276, "cross": 48, "replace": 138, "replace-cross": 39}
    assert len({p.id for p in listing.papers}) == 501


def test_rss_item_is_normalised():
    paper = next(p for p in load("rss_cs.AI_2026-04-27_trimmed3.xml").papers if p.id == "2604.21935")
    assert paper.version == 1
    assert paper.title.startswith("Math Takes Two")
    assert paper.abstract.startswith("Although language models")  # no "arXiv:... Announce Type" prefix
    assert paper.authors == ["Michael Cooper", "Samuel Cooper"]
    assert paper.categories == ["cs.AI", "cs.LG"]
    assert str(paper.announced) == "2026-04-27"
    assert paper.license == "http://creativecommons.org/licenses/by/4.0/"
    assert paper.abs_url == "https://arxiv.org/abs/2604.21935"
    assert paper.pdf_url == "https://arxiv.org/pdf/2604.21935v1"


def test_cross_listed_paper_lists_its_primary_category_first():
    paper = next(p for p in load("rss_cs.CV_2026-04-21.xml").papers if p.id == "2604.16331")
    assert paper.announce_type == "cross"
    assert paper.categories[0] == "cs.RO"
    assert "cs.CV" in paper.categories


def test_atom_variant_of_the_listing():
    listing = load("atom_cs.AI_2025-08-20_repaired.xml")
    assert listing.kind == "atom"
    assert len(listing.papers) == 86
    assert Counter(p.announce_type for p in listing.papers) == {"new": 41, "cross": 45}
    assert all(p.authors for p in listing.papers)


def test_literal_angle_brackets_in_abstracts_survive():
    papers = {p.id: p for p in load("atom_cs.AI_2025-08-20_repaired.xml").papers}
    assert "<think> and <answer> tags" in papers["2508.13382"].abstract
    assert "p < 0.001" in papers["2508.13171"].abstract


def test_query_api_gives_comment_journal_ref_doi_and_primary_category():
    listing = load("api_query_all-AI_max15_2026-03-21.xml")
    assert listing.kind == "api"
    assert listing.total_results == 53123
    assert len(listing.papers) == 15
    first = listing.papers[0]
    assert first.id == "2501.02842"
    assert first.categories[0] == "cs.IR"
    assert first.authors == ["Qingyao Ai", "Jingtao Zhan", "Yiqun Liu"]
    assert first.comment and first.comment.startswith("Chapter 2")
    assert any(p.journal_ref for p in listing.papers)
    assert any(p.doi for p in listing.papers)


def test_query_api_primary_category_is_first_even_when_listed_later():
    for paper in load("api_query_cat-csLG-OR-csAI_max20_2026-04-30.xml").papers:
        assert paper.categories, paper.id
    paper = load("api_query_cat-csLG-OR-csAI_max20_2026-04-30.xml").papers[0]
    assert paper.categories[0] == "cs.CL"


def test_empty_weekend_feed_is_a_normal_empty_listing():
    listing = load("rss_cs_empty_weekend_2026-03-29.xml")
    assert listing.papers == []
    assert str(listing.build_date) == "2026-03-29"


def test_empty_api_answer_is_empty():
    assert load("api_query_idlist-0000.0000_empty_2026-04-12.xml").papers == []


def test_api_error_answer_is_an_error():
    with pytest.raises(ParseError, match="incorrect id format"):
        load("api_error_400_incorrect-id_2026-04-12.xml")


@pytest.mark.parametrize(
    "body",
    [b"Rate exceeded.", b"<html><body><h1>502 Bad Gateway</h1></body></html>", b"", b"\x00\xff garbage",
     (FIXTURES / "rss_cs.CV_2026-04-21.xml").read_bytes()[:5000]],
    ids=["rate-exceeded", "html-error-page", "empty", "binary", "truncated"],
)
def test_unusable_bodies_raise_parse_error(body):
    with pytest.raises(ParseError):
        parse_listing(body)


def test_authors_split_on_commas_but_not_inside_affiliations():
    assert split_authors("A. Smith (MIT, Cambridge), B. Jones, and C. Wu") == ["A. Smith (MIT, Cambridge)", "B. Jones", "C. Wu"]


def test_tex_accents_in_names_become_unicode():
    assert split_authors(r"Nikola Pi\v{z}urica, Nikola Milovi\'c, J\"org Deigm\"oller, Jan Jakub\r{u}v") == [
        "Nikola Pižurica", "Nikola Milović", "Jörg Deigmöller", "Jan Jakubův"]
    assert detex(r"G\o{}rski and {\"O}zg\"ur") == "Gørski and Özgür"


def test_fixture_names_with_tex_are_decoded():
    names = [a for p in load("rss_cs.CV_2026-04-21.xml").papers for a in p.authors]
    assert not [n for n in names if "\\" in n]


@pytest.mark.parametrize(
    "text,expected",
    [("oai:arXiv.org:2604.21935v3", ("2604.21935", 3)), ("https://arxiv.org/abs/2604.21935", ("2604.21935", 1)),
     ("http://arxiv.org/abs/hep-th/9901001v2", ("hep-th/9901001", 2))],
)
def test_ids_lose_their_version(text, expected):
    assert split_id(text) == expected
