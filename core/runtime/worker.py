"""The one worker thread for CPU-bound work, off the event loop: ranking, rendering, decoding.

Ranking and rendering a large pool take up to a second or two of CPU, decoding a cold window of
stored days or a seed answer a few hundred milliseconds. One thread: CPU-bound threads share the
GIL with the loop, and each more of them lengthens how long the loop waits for it; heavy work
queues behind itself instead. While it computes, the loop gets the GIL back within 1 ms instead
of Python's 5 ms default (`sys.setswitchinterval`, process-wide): each await that crosses
threads (a store read, a parse) costs the loop less. Both are set up on first use (or when the
app starts serving, `start`), never at import.
"""

from __future__ import annotations

import asyncio
import functools
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

SWITCH_INTERVAL_S = 0.001

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def start() -> ThreadPoolExecutor:
    """The worker thread's executor, made (with the shorter switch interval) on first call."""
    global _executor
    with _lock:
        if _executor is None:
            sys.setswitchinterval(SWITCH_INTERVAL_S)
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="arxiv-feeds-cpu")
        return _executor


async def off_loop(fn: Callable[..., Any], *args: Any) -> Any:
    """`fn(*args)` on the worker thread."""
    return await asyncio.get_running_loop().run_in_executor(_executor or start(), fn, *args)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, found on first use (ctypes is not imported at start-up)."""
    import ctypes

    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


def release_memory() -> None:
    """Give the C heap's free pages back to the system after work that freed a lot (a large
    window decoded, thousands of papers analysed): glibc keeps them otherwise. ctypes releases
    the GIL for the call; elsewhere than glibc it does nothing."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
