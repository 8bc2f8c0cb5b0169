"""Where arXiv's answers become papers: every body the upstream fetched is parsed here, off the
event loop, inside `build_lasting` (`core.runtime.gcfreeze`): the papers it builds are kept
(stored, ranked, used as seeds), so no cyclic collection walks them while they are built and they
are frozen out of the collector's full passes once built. The one place in arXiv's source that
freezes anything.

Which thread: the daily listing and history pages (up to ~2.5 MB each) on a thread of their own,
as they have been parsed since parsing left the event loop; lookups by id and author feeds
(seeds on a reader's path, enrichment batches) on the one worker thread (`core.runtime.worker`)
with the rest of a reader's CPU work, as the seeds' were.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from core.runtime.gcfreeze import build_lasting
from core.runtime.worker import off_loop

T = TypeVar("T")


async def parsed(parse: Callable[[bytes], T], body: bytes, *, worker: bool = False) -> T:
    """`parse(body)` off the event loop, what it builds frozen; on the worker thread if `worker`."""
    if worker:
        return await off_loop(build_lasting, parse, body)
    return await asyncio.to_thread(build_lasting, parse, body)
