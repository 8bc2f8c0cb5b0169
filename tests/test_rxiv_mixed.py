"""A feed mixing arXiv with bioRxiv/medRxiv: each server's window on its own calendar, one item
per paper posted to two servers, the corresponding author's institution and the journal a
preprint is now published in, /health and failures per server. Through the real app over HTTP
with the fake arXiv and the fake api.biorxiv.org (tests/fakebiorxiv.py)."""

from __future__ import annotations

import datetime as dt

from core.clock import ManualClock
from core.sources.biorxiv import schedule
from tests.conftest import running_app
from tests.fakebiorxiv import FakeBiorxiv, derived_day

# Monday 08:00 US Eastern: arXiv's Monday listing (announced Sunday evening) is out, while
# bioRxiv's and medRxiv's last whole posting day is Sunday.
MONDAY = dt.datetime(2026, 4, 27, 12, 0, tzinfo=dt.UTC)


def _servers(feed: dict) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in feed["items"]:
        server = item["_arxiv_feeds"].get("server", "arxiv")
        counts[server] = counts.get(server, 0) + 1
    return counts


def test_each_server_counts_its_days_on_its_own_calendar(fake_arxiv):
    sunday = schedule.listing_day(MONDAY)
    assert sunday == dt.date(2026, 4, 26)
    fake = FakeBiorxiv().start()
    fake.serve("medrxiv", derived_day("medrxiv", sunday, 40))
    config = {"profiles": {"mix": {"title": "mix", "categories": ["cs.LG", "medrxiv"], "days": 1}}}
    try:
        with running_app(fake_arxiv, config=config, biorxiv_api_url=fake.url, clock=ManualClock(MONDAY)) as app:
            feed = app.get("/feeds/mix.json?limit=500&type=new,cross,replace,replace-cross").json()
            days = {i["date_published"][:10] for i in feed["items"]}
            counts = _servers(feed)
            # a window of one day holds arXiv's Monday and medRxiv's Sunday: neither is dropped
            assert set(counts) == {"arxiv", "medrxiv"} and counts["medrxiv"] == 40, counts
            assert days == {"2026-04-26", "2026-04-27"}, days
            alone = app.get("/feed?cat=cs.LG&days=1&format=json&limit=500").json()
            assert _servers(alone) == {"arxiv": counts["arxiv"]}
    finally:
        fake.stop()
