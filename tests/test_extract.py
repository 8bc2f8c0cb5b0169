"""The venue parser and the code-link finder, measured on a hand-checked table of real comments.

tests/fixtures/real_comments.jsonl: every paper of two real cs.CV days (a public mirror's daily
records, /work/shared/fixtures/arxiv/real/daily_cs.CV_*.json) and of the two recorded query-API
answers in tests/fixtures that has a comment or a link in its abstract: 480 rows, 404 comments.
Each row holds the venue a reader would say the comment claims (`venue`, null when none) and how
it says it (`form`: `a` accepted/to appear/published/presented, `b` a bare `CVPR 2026`, `c` a
citation), and the code and project links of comment and abstract (`code`), labelled by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.extract import code_links, parse_venue

TABLE = [json.loads(line) for line in (Path(__file__).parent / "fixtures" / "real_comments.jsonl").read_text().splitlines()]


def _venue_scores(rows: list[dict]) -> tuple[float, float, list[str]]:
    """Precision over every row the parser gives a venue for, recall over the labelled rows."""
    said = correct = 0
    wrong = []
    for row in rows:
        got = parse_venue(row["comment"])
        label = got.label if got else None
        if label is not None:
            said += 1
            correct += label == row["venue"]
        if label != row["venue"]:
            wrong.append(f"{row['id']}: got {label!r}, want {row['venue']!r}: {row['comment']}")
    wanted = sum(1 for row in rows if row["venue"])
    return correct / max(said, 1), correct / max(wanted, 1), wrong


def test_the_table_is_large_enough_and_labelled():
    comments = [row for row in TABLE if row["comment"]]
    assert len(comments) >= 200
    assert sum(1 for row in TABLE if row["form"] == "a") >= 100
    assert all(row["form"] in ("a", "b", "c") for row in TABLE if row["venue"])


def test_venue_parser_on_accepted_forms_has_precision_097_and_recall_09():
    accepted = [row for row in TABLE if row["form"] == "a"]
    precision, recall, wrong = _venue_scores(accepted)
    print(f"accepted forms: n={len(accepted)} precision={precision:.3f} recall={recall:.3f}")
    assert precision >= 0.97, wrong
    assert recall >= 0.9, wrong


def test_venue_parser_on_every_comment_names_no_venue_a_comment_does_not_claim():
    rows = [row for row in TABLE if row["comment"]]
    precision, recall, wrong = _venue_scores(rows)
    print(f"all comments: n={len(rows)} precision={precision:.3f} recall={recall:.3f}")
    assert precision >= 0.97, wrong
    assert recall >= 0.85, wrong


def test_code_link_finder_has_precision_097_and_recall_09():
    found = expected = correct = 0
    papers_tp = papers_said = papers_wanted = 0
    wrong = []
    for row in TABLE:
        got = code_links(row["comment"], row["abstract"])
        want = row["code"]
        found += len(got)
        expected += len(want)
        correct += len(set(got) & set(want))
        papers_said += bool(got)
        papers_wanted += bool(want)
        papers_tp += bool(got) and bool(want)
        if set(got) != set(want):
            wrong.append(f"{row['id']}: got {got}, want {want}")
    precision, recall = correct / found, correct / expected
    print(f"code links: {expected} links in {len(TABLE)} rows; precision={precision:.3f} recall={recall:.3f}; "
          f"papers with code: precision={papers_tp / papers_said:.3f} recall={papers_tp / papers_wanted:.3f}")
    assert precision >= 0.97, wrong
    assert recall >= 0.9, wrong
    assert papers_tp / papers_said >= 0.97 and papers_tp / papers_wanted >= 0.9


@pytest.mark.parametrize("comment, label", [
    ("Accepted to CVPR 2026", "CVPR 2026"),
    ("accepted by CVPR 2026 Findings", "CVPR 2026 Findings"),
    ("accepted at the CVPR 2026 Workshops (NTIRE 2026 Image Super-Resolution Challenge)", "CVPR 2026 Workshops"),
    ("This paper has been accepted at IEEE/CVF Conference on Computer Vision and Pattern Recognition Workshops (CVPRW), 2026",
     "CVPR 2026 Workshops"),
    ("Accepted for publication in Neural Computation (MIT Press). 82 pages", "Neural Computation"),
    ("CVPR 2025. Project page: https://example.github.io/x", "CVPR 2025"),
    ("Accepted to the NeurIPS 2025 Datasets and Benchmarks Track", "NeurIPS 2025 Datasets and Benchmarks"),
    ("Accepted by IEEE Transactions on Pattern Analysis and Machine Intelligence", "TPAMI"),
    ("Accepted for publication in IEEE Access", "IEEE Access"),
    ("Accepted by Pattern Recognition", "Pattern Recognition"),
    ("Published at TMLR (11/2025)", "TMLR 2025"),
    ("Accepted by IJCAI-25", "IJCAI 2025"),
    ("Accepted for publication in 20th International Conference on Agents and Multi-Agent Systems: Technologies and "
     "Applications (AMSTA 2026), to appear in Springer Nature proceedings", "AMSTA 2026"),
    ("Accepted to ECCV 2024 (oral). We compare with CVPR 2023 methods", "ECCV 2024"),
])
def test_the_issues_examples_give_their_venue(comment, label):
    assert parse_venue(comment).label == label


@pytest.mark.parametrize("comment", [
    "Submitted to CVPR 2026", "Under review at ICLR 2026", "We compare to CVPR 2024 winners",
    "Extended version of our CVPR 2025 paper", "TPAMI under review", "MICCAI 2026; Under review",
    "Preprint before NeurIPS main track submission", "An earlier version was accepted at AAAI-25 Workshop",
    "12 pages, 5 figures", "Code: https://github.com/a/b",
])
def test_comments_that_only_mention_a_venue_give_none(comment):
    assert parse_venue(comment) is None
