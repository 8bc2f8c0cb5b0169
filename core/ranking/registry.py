"""The ranking signals, in the order their explanations appear: the one list to extend.

Adding a signal: one module with a class following `core.ranking.types.Signal`, and one entry
here. The pool (`core.ranking.pool`) sums them; the pages' "How papers are scored" text is
made from their descriptions (`describe`).
"""

from __future__ import annotations

from core.ranking.signals.authors import AuthorSignal
from core.ranking.signals.keyword import KeywordSignal
from core.ranking.signals.like import LikeSignal
from core.ranking.signals.venue import VenueSignal
from core.ranking.types import Signal

REGISTRY: tuple[type[Signal], ...] = (KeywordSignal, AuthorSignal, LikeSignal, VenueSignal)  # type: ignore[assignment]


def describe() -> list[tuple[str, str]]:
    """(name, description) of every signal, for the pages."""
    return [(signal.name, signal.description) for signal in REGISTRY]
