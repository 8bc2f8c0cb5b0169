"""AI summaries: an OpenAI-compatible client, a KV cache, and budgeted generation.

Summaries are generated once per (paper version, model, prompt, language,
source), kept in the store for good, and never slow a feed beyond a small
budget: whatever is not ready is left for the next request or the cron job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.settings import Settings


class NoSummaries:
    """What the service holds where no LLM key is configured: summaries are off, as with a
    `Summarizer` without a client, and core.summaries.service is never imported."""

    enabled = False
    client = None

    def __init__(self, settings: Settings):
        # read as a Summarizer would: a wrong SUMMARY_PROMPT fails at start-up with or without a key
        settings.summary_prompt_path.read_text(encoding="utf-8")
