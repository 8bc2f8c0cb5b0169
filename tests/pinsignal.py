"""A test-only ranking signal, `pin=ID`: 100 points to that paper. Proof of the ranking seam
(tests/test_signal_seam.py): a signal with a parameter of its own is this one module plus one
registry entry; the query and profile models, the canonical URLs, the cost check and the
service read its declaration. Run as a module it serves the app with the signal registered:

    python -m tests.pinsignal FAKE_ARXIV_URL PORT
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, Field

from core.papers import Paper
from core.ranking.types import Candidate, Clients, Hit, Inputs, Pool, Signal

PIN_POINTS = 100.0


def _ids(values: list[str]) -> list[str]:
    for value in values:
        if not value.replace(".", "").isdigit():
            raise ValueError(f"{value!r} is not a new-style arXiv id")
    return values


class PinInputs(Inputs):
    pin: Annotated[list[str], AfterValidator(_ids)] = Field([], description="arXiv ids to put first")


class PinSignal(Signal):
    name = "pin"
    description = "Pinned papers: pin=ID adds 100 points to that paper."
    inputs = PinInputs

    @classmethod
    async def prepare(cls, given: PinInputs, candidates: Callable[[], list[Paper]], clients: Clients) -> frozenset[str]:  # type: ignore[override]
        """The pinned ids the pool holds (candidates() asked for: the signal's I/O step runs)."""
        held = {paper.id for paper in candidates()}
        return frozenset(ref for ref in given.pin if ref in held)

    def __init__(self, pinned: frozenset[str]):
        self.pinned = pinned

    @classmethod
    def for_pool(cls, pool: Pool) -> PinSignal | None:
        pinned = pool.prepared.get(cls.name)
        return cls(pinned) if pinned else None

    def hits(self, candidate: Candidate) -> list[Hit]:
        if candidate.paper.id not in self.pinned:
            return []
        return [Hit(term=f"pinned {candidate.paper.id}", field="venue", points=PIN_POINTS, signal=self.name)]


def serve_with(signal: type[Signal], fake_url: str, port: int, profiles: dict | None = None) -> None:
    """The app with `signal` registered (before the query and profile models are made: its one
    registry entry), the test profiles and `profiles`, on 127.0.0.1:PORT, the fake arXiv at FAKE_URL."""
    from core.ranking import registry

    registry.REGISTRY = (*registry.REGISTRY, signal)  # the one registry entry

    import types

    import uvicorn

    from core.profiles import parse_config
    from core.web import create_app
    from tests.conftest import TEST_CONFIG, make_settings

    config = {"profiles": {**TEST_CONFIG["profiles"], **(profiles or {})}}
    fake = types.SimpleNamespace(url=fake_url, api_entries=[])
    app = create_app(make_settings(fake), config=parse_config(config))  # type: ignore[arg-type]
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")


def main(fake_url: str, port: int) -> None:
    """The app with PinSignal registered, a profile pinning a paper in its config."""
    serve_with(PinSignal, fake_url, port, {"pinned": {
        "categories": ["cs.AI", "cs.CL", "cs.LG"], "keywords": ["agent", "model"], "pin": [sys.argv[3]] if len(sys.argv) > 3 else []}})


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
