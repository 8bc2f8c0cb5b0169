"""One network client per running event loop, for every upstream (arXiv, the LLM, Redis,
Upstash): connections are reused across requests and closed once, on shutdown.

redis-py's and httpx's async connections belong to the loop that opened them,
and the CLI runs one loop for its work and another for `close()`; so an owner
keeps a client per loop, made on first use there, and drops those of loops
that have ended.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Client = TypeVar("Client")


class PerLoop(Generic[Client]):
    def __init__(self, make: Callable[[], Client], close: Callable[[Client], Awaitable[object]]):
        self._make = make
        self._close = close
        self._clients: dict[asyncio.AbstractEventLoop, Client] = {}

    def get(self) -> Client:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            # Clients of finished loops cannot be used or closed any more: drop them.
            for old in [old for old in self._clients if old.is_closed()]:
                del self._clients[old]
            client = self._clients[loop] = self._make()
        return client

    async def close(self) -> None:
        """Close the current loop's client; other loops' sockets are unusable from here."""
        clients, self._clients = self._clients, {}
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            return
        client = clients.get(current)
        if client is not None:
            try:
                await self._close(client)
            except Exception as exc:  # closing is best effort
                log.debug("closing a client: %s", exc)
