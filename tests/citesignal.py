"""A test-only ranking signal with I/O of its own, `cites=ID`: 50 points to each paper a
citation service says cites that paper. Proof of the ranking seam (tests/test_signal_seam.py):
a signal needing a client nobody else provides, and costing something of its own, is still
this one module plus one registry entry. Its client (`CitationService`, HTTP to the service's
URL) is made by the composition root through `CitesSignal.connect`; its cost (`CitesSignal.cost`)
joins the too-costly check. Run as a module it serves the app with the signal registered:

    python -m tests.citesignal FAKE_ARXIV_URL PORT CITATIONS_URL
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated

import httpx
from pydantic import AfterValidator, Field

from core.kv import KV
from core.papers import Paper
from core.ranking.types import Candidate, Clients, Cost, Hit, Inputs, Pool, Signal, Work
from core.settings import Settings
from tests.pinsignal import _ids, serve_with

CITES_POINTS = 50.0
LOOKUP_UNITS = 100_000  # what one cited paper's lookup costs, in MAX_RANK_COST's units: 5 at most


class CitationService:
    """The citation service's client: `GET {url}/citing?ids=A,B` -> {"A": [ids citing A], ...}."""

    def __init__(self, url: str):
        self.url = url
        self.client: httpx.AsyncClient | None = None

    async def citing(self, ids: list[str]) -> dict[str, list[str]]:
        if self.client is None:  # on the serving event loop, at the first request
            self.client = httpx.AsyncClient(base_url=self.url, timeout=10)
        response = await self.client.get("/citing", params={"ids": ",".join(ids)})
        response.raise_for_status()
        return response.json()

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()


class CitesInputs(Inputs):
    cites: Annotated[list[str], AfterValidator(_ids)] = Field([], description="arXiv ids: papers citing these first")


class CitesSignal(Signal):
    name = "cites"
    description = "Citing papers: cites=ID adds 50 points to a paper that cites it (by the citation service)."
    inputs = CitesInputs
    url = ""  # the citation service (main() sets it; a real signal would read a setting)

    @classmethod
    def connect(cls, settings: Settings, kv: KV) -> CitationService | None:
        return CitationService(cls.url) if cls.url else None

    @classmethod
    def cost(cls, given: CitesInputs, work: Work) -> Cost | None:  # type: ignore[override]
        n = len(given.cites)
        return Cost(n * LOOKUP_UNITS, f"{n} cites= paper{'s' if n > 1 else ''} looked up", "fewer cites= papers (cites=)")

    @classmethod
    async def prepare(cls, given: CitesInputs, candidates: Callable[[], list[Paper]], clients: Clients) -> dict[str, str]:  # type: ignore[override]
        """Citing paper -> the cited one, as the service says (its own client, within the request budget)."""
        citing = await clients.within_budget(clients.own.citing(given.cites), "citations", "the citation service")
        return {paper: cited for cited, papers in citing.items() for paper in papers}

    def __init__(self, cited_by: dict[str, str]):
        self.cited_by = cited_by

    @classmethod
    def for_pool(cls, pool: Pool) -> CitesSignal | None:
        cited_by = pool.prepared.get(cls.name)
        return cls(cited_by) if cited_by else None

    def hits(self, candidate: Candidate) -> list[Hit]:
        cited = self.cited_by.get(candidate.paper.id)
        return [Hit(term=f"cites {cited}", field="venue", points=CITES_POINTS, signal=self.name)] if cited else []


if __name__ == "__main__":
    CitesSignal.url = sys.argv[3]
    serve_with(CitesSignal, sys.argv[1], int(sys.argv[2]))
