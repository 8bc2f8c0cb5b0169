"""Keep the cyclic garbage collector off the data the process keeps for good.

A process that holds a few days of decoded papers and their analysed text has millions of
container objects; every full (generation 2) collection walked all of them: 60-140 ms with the
event loop stopped, the worst /health latencies under load. Once a batch of such data is built
(a stored day decoded, a pool analysed), `settle()` moves everything alive into the permanent
generation (`gc.freeze`, the technique CPython documents for pre-fork servers): it is still
freed by reference counting when dropped, only no longer scanned for cycles."""

from __future__ import annotations

import gc


def settle() -> None:
    gc.freeze()
