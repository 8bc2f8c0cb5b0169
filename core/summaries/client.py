"""A small client for any OpenAI-compatible chat-completions endpoint
(OpenAI, DashScope/Qwen, DeepSeek, vLLM, Ollama...)."""

from __future__ import annotations

import asyncio
import logging
import random

import httpx
from core.errors import LLMError  # noqa: F401 (re-exported)

log = logging.getLogger(__name__)

RETRY_STATUSES = {408, 409, 429, 500, 502, 503, 504}


class LLMClient:
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
    ):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self._headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self.timeout = timeout
        self.retries = retries
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._transport = transport
        self.calls = 0  # requests sent: for /health and the tests

    async def complete(self, prompt: str, max_tokens: int = 400) -> str:
        """The assistant's text for one user prompt. Raises `LLMError`."""
        payload = {
            "model": self.model,
            "messages": [{"role": "user", "content": prompt}],
            "max_tokens": max_tokens,
            "temperature": 0.2,
        }
        delay = 1.0
        async with self._semaphore, httpx.AsyncClient(timeout=self.timeout, transport=self._transport) as http:
            for attempt in range(self.retries + 1):
                try:
                    self.calls += 1
                    response = await http.post(self.url, json=payload, headers=self._headers)
                except httpx.HTTPError as exc:
                    error = f"{type(exc).__name__}"
                    retry_after = None
                else:
                    if response.status_code == 200:
                        return _text_of(response)
                    error = f"HTTP {response.status_code}"
                    if response.status_code not in RETRY_STATUSES:
                        raise LLMError(error)
                    retry_after = _seconds(response.headers.get("retry-after"))
                if attempt == self.retries:
                    raise LLMError(error)
                await asyncio.sleep(min(retry_after if retry_after is not None else delay * (1 + random.random()), 30))
                delay *= 2
        raise LLMError("no attempt made")


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


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
