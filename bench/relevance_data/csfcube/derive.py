"""Derive `csfcube.json.gz` from a checkout of the CSFCube data (github.com/iesl/CSFCube).

    python -m bench.relevance_data.csfcube.derive /path/to/CSFCube

Texts (title, abstract, year) come from `readable_annotations/*.txt` (the repository's
`abstracts-csfcube-preds.jsonl` is not needed); the graded labels from
`test-pid2anns-csfcube-{facet}.json` (`relevance_adju`), checked against the readable files;
the SPECTER rankings the repository publishes (`eval_scripts/sample_ranked_pools`) are kept as
the anchor's order. Data only: the derived file is CC BY-NC 4.0 like its source (LICENSE.md).
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from pathlib import Path

FACETS = ("background", "method", "result")
OUT = Path(__file__).resolve().parent / "csfcube.json.gz"
_LABEL = re.compile(r"^[a-z]+_label: ")
_GRADE = re.compile(r"\(\+?(\d)\)")


def _blocks(text: str) -> list[str]:
    return [b for b in re.split(r"^=+$", text, flags=re.MULTILINE) if b.strip()]


def _paper(block: str) -> tuple[str, dict, int | None]:
    """(paper id, {title, abstract, year}, adjudicated grade or None for the query)."""
    head = re.search(r"^paper_id: (\S+); YEAR: (\S*)", block, re.MULTILINE)
    assert head, block[:200]
    title = re.search(r"^TITLE: (.*)$", block, re.MULTILINE)
    grade = re.search(r"^adju relevance: .*$", block, re.MULTILINE)
    lines = block.split("\nABSTRACT: ", 1)[1].strip().splitlines()
    sentences = [_LABEL.sub("", line).strip() for line in lines if line.strip()]
    year = int(head.group(2)) if head.group(2).isdigit() else None
    paper = {"title": title.group(1).strip() if title else "", "abstract": " ".join(sentences), "year": year}
    return head.group(1), paper, int(_GRADE.search(grade.group(0)).group(1)) if grade else None


def derive(root: Path) -> dict:
    papers: dict[str, dict] = {}
    queries = []
    splits = json.loads((root / "evaluation_splits.json").read_text())
    for facet in FACETS:
        gold = json.loads((root / f"test-pid2anns-csfcube-{facet}.json").read_text())
        specter = dict(json.loads((root / "eval_scripts" / "sample_ranked_pools" / f"test-pid2pool-csfcube-specter-{facet}-ranked.json").read_text()))
        for qpid, pool in gold.items():
            blocks = _blocks((root / "readable_annotations" / f"{qpid}-{facet}-adju.txt").read_text(encoding="utf-8"))
            qid, query, _ = _paper(blocks[0])
            assert qid == qpid
            papers[qid] = query
            readable = {}
            for block in blocks[1:]:
                pid, paper, grade = _paper(block)
                papers.setdefault(pid, paper)
                readable[pid] = grade
            grades = dict(zip(pool["cands"], pool["relevance_adju"]))
            assert readable == grades, f"{qpid} {facet}: readable file and JSON labels differ"
            queries.append({
                "query": qpid, "facet": facet, "candidates": pool["cands"], "grades": pool["relevance_adju"],
                "specter": [pid for pid, _ in specter[qpid]],
            })
    return {"papers": papers, "queries": queries, "splits": splits}


def main() -> None:
    data = derive(Path(sys.argv[1]))
    OUT.write_bytes(gzip.compress(json.dumps(data, sort_keys=True, ensure_ascii=False).encode(), mtime=0))
    print(f"{OUT}: {len(data['queries'])} queries, {len(data['papers'])} papers")


if __name__ == "__main__":
    main()
