"""A small client for any OpenAI-compatible chat-completions endpoint
(OpenAI, DashScope/Qwen, DeepSeek, vLLM, Ollama...)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from core.clock import SYSTEM_CLOCK, Clock
from core.errors import LLMError, Retryable
from core.perloop import PerLoop
from core.retry import RetryPolicy, parse_retry_after, retrying

if TYPE_CHECKING:  # imported with the first call's connection
    import httpx

log = logging.getLogger(__name__)

RETRY_STATUSES = {408, 409, 429, 500, 502, 503, 504}


class LLMClient:
    """Chat completions, at most `max_concurrency` at once, 408/409/429/5xx retried."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str,
        *,
        timeout: float = 30.0,
        retries: int = 2,
        max_concurrency: int = 4,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self._headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self.timeout = timeout
        self.clock = clock
        # Half a second (jittered), doubling; a server's Retry-After may ask for longer, up to 30 s.
        self.policy = RetryPolicy(retries=retries, first=0.5, cap=30.0, jitter=True)
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._http: PerLoop[httpx.AsyncClient] = PerLoop(
            lambda: _new_http(timeout, transport), lambda http: http.aclose()
        )
        self.calls = 0  # requests sent: for /health and the tests

    async def complete(self, prompt: str, max_tokens: int = 400) -> str:
        """The assistant's text for one user prompt. Raises `LLMError`."""
        payload = {
            "model": self.model,
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": max_tokens,
            "temperature": 0.2,
        }
        import httpx  # loaded by _new_http already

        async with self._semaphore:
            http = self._http.get()

            async def attempt() -> str:
                self.calls += 1
                try:
                    response = await http.post(self.url, json=payload, headers=self._headers)
                except httpx.HTTPError as exc:
                    raise Retryable(type(exc).__name__) from exc
                if response.status_code == 200:
                    return _text_of(response)
                error = f"HTTP {response.status_code}"
                if response.status_code not in RETRY_STATUSES:
                    raise LLMError(error)
                raise Retryable(error, response.status_code, parse_retry_after(response.headers.get("retry-after"), self.clock.time()))

            try:
                return await retrying(attempt, self.policy, what=f"LLM call to {self.url}", clock=self.clock)
            except Retryable as exc:
                raise LLMError(str(exc)) from None


    async def close(self) -> None:
        """Close the connection pool (on shutdown)."""
        await self._http.close()


def _new_http(timeout: float, transport: httpx.AsyncBaseTransport | None) -> httpx.AsyncClient:
    import httpx

    return httpx.AsyncClient(timeout=timeout, transport=transport)


def _text_of(response: httpx.Response) -> str:
    try:
        data = response.json()
        choice = data["choices"][0]
        text = choice["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise LLMError("malformed answer: no choices[0].message.content") from None
    if not isinstance(text, str) or not text.strip():
        raise LLMError("empty answer")
    if choice.get("finish_reason") == "content_filter":
        raise LLMError("refused by the provider's content filter")
    return text.strip()
