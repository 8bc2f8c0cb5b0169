"""The day store's merge rules, on the store itself (README "Integrity of stored days"): a day
is merged into, never replaced; newer versions win, older never do; a listing under half a stored
day is an anomaly and keeps the stored papers; a paper the listing puts on one day leaves the days
a backfill derived for it. Fast on purpose: bench.mutation runs these for every store mutant."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from core.kv.memory import MemoryKV
from core.listings.store import DayStore
from core.papers import Paper

def _paper(n: int, version: int = 1, source: str = "listing", day: dt.date = dt.date(2026, 11, 24)):
    return Paper(id=f"2611.{n:05d}", version=version, title=f"Paper {n} v{version}", abstract="a", categories=["cs.AI"],
                 announced=day, source=source)  # type: ignore[arg-type]


def _store(kv: MemoryKV | None = None) -> DayStore:
    return DayStore(kv or MemoryKV(), history_days=14)


def test_a_refetched_day_gains_papers_and_newer_versions_and_never_loses_one():
    store, day, now = _store(), dt.date(2026, 11, 24), dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)

    async def scenario():
        meta = await store.meta("cs.AI")
        assert not await store.merge(meta, day, [], now)  # nothing came: nothing changed
        assert await store.merge(meta, day, [_paper(1), _paper(2, version=2)], now)
        assert not await store.merge(meta, day, [_paper(1), _paper(2, version=2)], now)  # the same again: unchanged
        assert await store.merge(meta, day, [_paper(3), _paper(1, version=2), _paper(2, version=1)], now)
        await store.save_meta(meta)
        fresh = _store(store.kv)  # another process reads what was written
        meta = await fresh.meta("cs.AI")
        return meta, {p.id: p.version for p in await fresh.load_day(meta, day)}

    meta, versions = asyncio.run(scenario())
    assert versions == {"2611.00001": 2, "2611.00002": 2, "2611.00003": 1}  # an older version never wins
    assert meta.days == [day] and meta.anomalies == []


def test_the_listing_replaces_backfilled_copies_and_a_backfill_never_replaces_the_listing():
    store, day, now = _store(), dt.date(2026, 11, 24), dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)

    async def scenario():
        meta = await store.meta("cs.AI")
        await store.merge(meta, day, [_paper(1, source="backfill"), _paper(2, source="backfill")], now)
        await store.merge(meta, day, [_paper(1)], now)  # the listing, same version
        await store.merge(meta, day, [_paper(1, source="backfill"), _paper(3, source="backfill")], now)
        return meta, {p.id: p.origin for p in await store.load_day(meta, day)}

    meta, sources = asyncio.run(scenario())
    assert sources == {"2611.00001": "listing", "2611.00002": "backfill", "2611.00003": "backfill"}
    assert meta.sources[day.isoformat()] == "mixed"


@pytest.mark.parametrize("stored,incoming,anomaly", [(10, 4, True), (10, 5, False), (9, 1, False), (40, 19, True)])
def test_a_listing_under_half_a_stored_day_is_an_anomaly_and_keeps_the_stored_papers(stored, incoming, anomaly, caplog):
    store, day, now = _store(), dt.date(2026, 11, 24), dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)

    async def scenario():
        meta = await store.meta("cs.AI")
        await store.merge(meta, day, [_paper(n) for n in range(stored)], now)
        await store.merge(meta, day, [_paper(n, version=2) for n in range(incoming)], now)
        return meta, await store.load_day(meta, day)

    meta, papers = asyncio.run(scenario())
    assert len(papers) == stored
    assert [(e.day, str(incoming) in e.reason and str(stored) in e.reason) for e in meta.anomalies] == (
        [(day, True)] if anomaly else [])
    assert meta.rejections == []
    logged = [r.getMessage() for r in caplog.records if r.name == "core.listings.store"]
    assert logged == ([f"cs.AI {day}: {meta.anomalies[0].reason}"] if anomaly else [])


def test_a_paper_the_listing_puts_on_another_day_leaves_only_the_backfilled_days():
    store, now = _store(), dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)
    mon, tue, wed, thu = dt.date(2026, 11, 23), dt.date(2026, 11, 24), dt.date(2026, 11, 25), dt.date(2026, 11, 26)

    async def scenario():
        meta = await store.meta("cs.AI")
        await store.merge(meta, thu, [_paper(5, source="backfill", day=thu)], now)  # newest, nothing to drop
        await store.merge(meta, mon, [_paper(1, source="backfill", day=mon), _paper(2, source="backfill", day=mon)], now)
        await store.merge(meta, tue, [_paper(3, source="backfill", day=tue)], now)
        await store.merge(meta, wed, [_paper(4, day=wed)], now)  # a listing day
        # the listing puts 2 and 3 on Wednesday (held by moderation), and lists 4 there too
        moved = await store.drop_backfilled(meta, {("2611.00002", 1), ("2611.00003", 1), ("2611.00004", 1)}, {wed})
        unchanged = await store.drop_backfilled(meta, {("2611.00009", 1), ("2611.00001", 2)}, {wed})  # v2 of 1: v1 stays
        tuesday_left = await store.kv.get(f"listing:v1:cs.AI:{tue.isoformat()}")
        return meta, moved, unchanged, tuesday_left, {d: [p.id for p in await store.load_day(meta, d)] for d in meta.days}

    meta, moved, unchanged, tuesday_left, days = asyncio.run(scenario())
    assert moved is True and unchanged is False
    assert days == {thu: ["2611.00005"], wed: ["2611.00004"], mon: ["2611.00001"]}  # Tuesday held only 3: gone
    assert tuesday_left is None  # from the store too, not only from the list of days
    assert set(meta.day_hashes) == set(meta.sources) == {thu.isoformat(), wed.isoformat(), mon.isoformat()}


def test_a_listing_that_replaces_a_backfilled_copy_keeps_the_comment_journal_and_doi_arxiv_gave_that_version():
    """The RSS carries no comment, journal reference or DOI: a listing of the version the query
    API already described keeps them (the venue and code links users see come from them); a
    newer version starts without them, as they belonged to the old one."""
    store, day, now = _store(), dt.date(2026, 11, 24), dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
    described = {"comment": "Accepted at CVPR 2026", "journal_ref": "CVPR 2026", "doi": "10.1000/x1", "enriched": True}

    async def scenario():
        meta = await store.meta("cs.AI")
        await store.merge(meta, day, [_paper(n, source="backfill").model_copy(update=described) for n in (1, 2, 3)], now)
        mine = _paper(3).model_copy(update={"comment": "listed with its own", "enriched": True})
        await store.merge(meta, day, [_paper(1), _paper(2, version=2), mine], now)  # the listing
        return {p.id: p for p in await store.load_day(meta, day)}

    papers = asyncio.run(scenario())
    first, newer, own = papers["2611.00001"], papers["2611.00002"], papers["2611.00003"]
    assert (first.origin, first.version, first.comment, first.journal_ref, first.doi, first.enriched) == (
        "listing", 1, "Accepted at CVPR 2026", "CVPR 2026", "10.1000/x1", True)
    assert (newer.origin, newer.version, newer.comment, newer.journal_ref, newer.doi, newer.enriched) == (
        "listing", 2, None, None, None, False)
    assert (own.origin, own.comment, own.journal_ref, own.enriched) == ("listing", "listed with its own", None, True)
