"""The one worker thread for CPU-bound work, off the event loop: ranking, rendering, decoding.

Ranking and rendering a large pool take up to a second or two of CPU, decoding a cold window of
stored days or a seed answer a few hundred milliseconds. One thread: CPU-bound threads share the
GIL with the loop, and each more of them lengthens how long the loop waits for it; heavy work
queues behind itself instead. While it computes, the loop gets the GIL back within 1 ms instead
of Python's 5 ms default: each await that crosses threads (a store read, a parse) costs the loop
less.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

_CPU = ThreadPoolExecutor(max_workers=1, thread_name_prefix="arxiv-feeds-cpu")
sys.setswitchinterval(0.001)


async def off_loop(fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)` on the worker thread."""
    return await asyncio.get_running_loop().run_in_executor(_CPU, fn, *args)


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim  # glibc
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def release_memory() -> None:
    """Give the C heap's free pages back to the system after work that freed a lot (a large
    window decoded, thousands of papers analysed): glibc keeps them otherwise, and a process
    that had analysed 30,000 papers stayed 130 MB above what it still held. ctypes releases the
    GIL for the call; elsewhere than glibc it does nothing."""
    if _TRIM is not None:
        _TRIM(0)
