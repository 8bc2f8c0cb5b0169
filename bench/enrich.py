"""What enrichment costs arXiv: requests and bytes to fetch the comments, journal references and
DOIs of a week of four busy categories, and of one new day.

Run from the repo root (about 10 s; nothing leaves 127.0.0.1):

    python -m bench.enrich                  # ENRICH_BATCH 200 (the default)
    python -m bench.enrich --batch 100 --batch 200 --batch 500

The store holds five weekdays of four categories (cs.AI, cs.CL, cs.LG, cs.CV), each day the
real 501-item cs.CV listing (tests/fixtures/rss_cs.CV_2026-04-21.xml) under new ids: 10,020
papers, no two categories sharing one (real cross-lists share many, which only lowers the
count: each id is asked once). A `tests.fakearxiv.FakeArxiv` answers `id_list` with their real
comments. The real `Services` (MemoryKV, `ARXIV_MIN_INTERVAL` 0.05 s) enriches the week,
then a sixth day after it. Reported per batch size: requests, papers per request, bytes, and
the time with arXiv's 3 s spacing added back.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import datetime as dt
import json
import time
import xml.etree.ElementTree as ET

from core.sources.arxiv.parse import parse_listing
from core.kv.memory import MemoryKV
from core.profiles import parse_config
from core.services import Services
from tests.conftest import make_settings
from tests.fakearxiv import ARXIV_NS, FIXTURES, FakeArxiv, _entry_from_item, real_comments

CATS = ["cs.AI", "cs.CL", "cs.LG", "cs.CV"]
DAY = "rss_cs.CV_2026-04-21.xml"
WEEK = [dt.date(2026, 11, d) for d in (23, 24, 25, 26, 27)]
NEXT_DAY = dt.date(2026, 11, 30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, action="append", help="ids per request (repeatable); default 200")
    args = parser.parse_args()
    results = {str(batch): run(batch) for batch in args.batch or [200]}
    print(json.dumps(results, indent=1))
    return 0


def run(batch: int) -> dict:
    template = parse_listing((FIXTURES / DAY).read_bytes()).papers
    items = list(ET.parse(FIXTURES / DAY).getroot().iter("item"))
    comments = real_comments()
    fake = FakeArxiv().start()
    try:
        fake.serve_day()
        service = Services(make_settings(fake, enrich_batch=batch, enrich_max_requests=200, arxiv_timeout=30.0),
                              config=parse_config({"profiles": {"week": {"categories": CATS}}}), kv=MemoryKV())
        entries: list[ET.Element] = []
        serial = 0

        async def store(day: dt.date) -> int:
            nonlocal serial
            stored = 0
            for category in CATS:
                papers = []
                meta = await service.listings.meta(category)
                for paper, item in zip(template, items):
                    serial += 1
                    new_id = f"{day:%y%m}.{serial:05d}"
                    papers.append(paper.model_copy(update={"id": new_id, "categories": [category], "announced": day}))
                    entry = _entry_from_item(item)
                    entry.find("{http://www.w3.org/2005/Atom}id").text = f"http://arxiv.org/abs/{new_id}v{paper.version}"
                    if comments.get(paper.id):
                        ET.SubElement(entry, f"{{{ARXIV_NS}}}comment").text = comments[paper.id]["comment"]
                    entries.append(entry)
                await service.listings.store.merge(meta, day, papers, dt.datetime.now(dt.UTC))
                await service.listings.store.save_meta(meta)
                stored += len(papers)
            return stored

        async def scenario() -> dict:
            out = {}
            papers = sum([await store(day) for day in WEEK])
            fake.serve_api(copy.copy(entries))
            out["week"] = await measure(service, fake, papers)
            papers = await store(NEXT_DAY)
            fake.serve_api(copy.copy(entries))
            out["one_new_day"] = await measure(service, fake, papers)
            return out

        return asyncio.run(scenario())
    finally:
        fake.stop()


async def measure(service: Services, fake: FakeArxiv, papers: int) -> dict:
    before = len(fake.api_requests())
    started = time.monotonic()
    report = await service.listings.enrich(CATS)
    seconds = time.monotonic() - started
    requests = fake.api_requests()[before:]
    return {
        "papers_stored": papers,
        "papers_enriched": report.enriched,
        "requests": report.requests,
        "papers_per_request": report.papers_per_request,
        "left_for_next_run": report.left,
        "bytes": sum(r.size for r in requests),
        "longest_url_chars": max((len(r.path) for r in requests), default=0),
        "seconds_here": round(seconds, 2),
        "seconds_with_3s_spacing": round(seconds + 3 * max(len(requests) - 1, 0), 1),
    }


if __name__ == "__main__":
    raise SystemExit(main())
