"""Keep the cyclic garbage collector off the data the process keeps for good.

A process that holds a few days of decoded papers and their analysed text has millions of
container objects. Every full (generation 2) collection walked all of them with the GIL held:
60-140 ms in which the event loop answered nobody, the worst /health latencies under load and
the worst stalls during a cold fill. None of that data forms reference cycles.

- `lasting_batch()` goes around building a large batch of such data (a listing parsed, a
  stored day decoded, a pool analysed): no cyclic collection meanwhile (it would walk the new
  objects again and again), and when the last batch in progress ends, everything alive is moved
  to the permanent generation (`gc.freeze`, as CPython documents for long-lived servers), then
  the collector is back on. A batch that may build nothing lasting (a ranking over papers
  already analysed) says so with `keep`: freezing transient objects of other requests for
  nothing is what it avoids. `build_lasting(fn, *args)` is the same around one call.
- `freeze_startup()` freezes what is alive when an app starts serving (modules, models,
  routes); the app calls it on its first call, importing or building it does not.

Where lasting data enters the process, and only there (`tests/test_gcfreeze.py` holds the list):
- an upstream's parse (`core/sources/arxiv/answers.py`: every arXiv answer, listing, history
  page, lookup by id or author feed, becomes papers there);
- the store's decode (`core/listings/store.py`: a stored day's papers, kept decoded);
- the pipeline's ranking (`core/pipeline.py`: the text analyses it memoises, with `keep`: most
  rankings reuse analyses and build nothing lasting).
Anything else either derives from those (a feed's result, a rendered body: cached, but small
next to the papers) or does not last past its request.
Frozen objects are still freed by reference counting when dropped; only objects in a cycle at
freeze time would wait, and a request holds few of those.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_building = 0
_was_enabled = True
_keep = False  # a batch that ended asked for what is alive to be frozen


def freeze_startup() -> None:
    """Freeze what is alive now (an app's first call: lifespan start-up or first request)."""
    gc.freeze()


@contextmanager
def lasting_batch(keep: Callable[[], bool] | None = None) -> Iterator[None]:
    """No cyclic collection while the batch runs; when the last batch in progress ends, what is
    alive is frozen if any of them kept something (`keep()` asked when it ends; None: always)."""
    global _building, _was_enabled, _keep
    with _lock:
        if _building == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _building += 1
    try:
        yield
    finally:
        with _lock:
            _keep = _keep or keep is None or keep()
            _building -= 1
            if _building == 0:
                if _keep:
                    gc.freeze()
                _keep = False
                if _was_enabled:
                    gc.enable()


def build_lasting(fn: Callable[..., T], *args: Any, keep: Callable[[], bool] | None = None) -> T:
    """`fn(*args)` inside `lasting_batch(keep)` (for worker threads: `to_thread(build_lasting, parse, body)`)."""
    with lasting_batch(keep):
        return fn(*args)
