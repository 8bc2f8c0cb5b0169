"""Reading an upstream answer within a byte cap, for every source's client: a body that grows
past the limit (a broken or hostile server) is refused as it arrives, never held whole."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.errors import TooLarge

if TYPE_CHECKING:
    import httpx


async def read_capped(response: httpx.Response, limit: int, url: str, who: str) -> bytes:
    """The body, or TooLarge naming `who` answered (`arXiv`, `api.biorxiv.org`) once past `limit`."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"{who}'s answer for {url} is larger than {limit} bytes; ignored", response.status_code)
        chunks.append(chunk)
    return b"".join(chunks)
