"""The ranking signals, in the order their explanations appear: the one list to extend.

Adding a signal: one module with a class following `core.ranking.types.Signal`, and one entry
here. The pool (`core.ranking.pool`) sums them; the pages' "How papers are scored" text is
made from their descriptions (`describe`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated, Any, get_origin

from pydantic import AfterValidator, Field

from core.ranking.signals.authors import AuthorSignal
from core.ranking.signals.keyword import KeywordSignal
from core.ranking.signals.like import LikeSignal
from core.ranking.signals.venue import VenueSignal
from core.ranking.types import Signal

REGISTRY: tuple[type[Signal], ...] = (KeywordSignal, AuthorSignal, LikeSignal, VenueSignal)  # type: ignore[assignment]


def missing_clients(provided: Iterable[str]) -> list[str]:
    """What registered signals need (`Signal.needs`) that the service does not provide, said
    for the start-up error (core.pipeline.FeedPipeline)."""
    provided = sorted(provided)
    return [f"signal {signal.name!r} needs client {key.name!r}, which the service does not provide "
            f"(it provides {', '.join(provided) or 'none'})"
            for signal in REGISTRY for key in signal.needs if key.name not in provided]


def describe() -> list[tuple[str, str]]:
    """(name, description) of every signal, for the pages."""
    return [(signal.name, signal.description) for signal in REGISTRY]


# The fields of the query and profile models that sat in this order before signals declared
# their inputs: a feed's identity (FeedSpec.key, an ad-hoc feed's id) hashes the models' JSON,
# so they keep it; a new signal's fields follow them.
LEGACY_ORDER = ("like", "unlike", "venue", "has", "like_author")


def input_names() -> frozenset[str]:
    """Every registered signal's input fields."""
    return frozenset(name for signal in REGISTRY if signal.inputs for name in signal.inputs.model_fields)


def add_inputs(namespace: dict[str, Any], *, split: Callable[[list[str]], list[str]] | None = None) -> None:
    """Declare every registered signal's input fields, with their checks and descriptions, in the
    class body being run (`add_inputs(locals())` in `FeedQuery` and `Profile`). They go where the
    first of LEGACY_ORDER's fields stands, those in that order. `split`, for a query, first
    splits list values (`like=a,b&like=c`)."""
    annotations = namespace["__annotations__"]
    signal_fields = []
    for signal in REGISTRY:
        for name, info in (signal.inputs.model_fields.items() if signal.inputs else ()):
            checks = [*([AfterValidator(split)] if split and get_origin(info.annotation) is list else []), *info.metadata]
            annotations[name] = Annotated[(info.annotation, *checks)] if checks else info.annotation  # type: ignore[valid-type]
            namespace[name] = Field(info.get_default(call_default_factory=True), description=info.description)
            signal_fields.append(name)
    names = list(annotations)
    block = [n for n in LEGACY_ORDER if n in annotations] + [n for n in signal_fields if n not in LEGACY_ORDER]
    at = next(i for i, n in enumerate(names) if n in block)
    rest = [n for n in names if n not in block]
    ordered = {n: annotations[n] for n in (*rest[:at], *block, *rest[at:])}
    annotations.clear()
    annotations.update(ordered)
