"""AI summaries: an OpenAI-compatible client, a KV cache, and budgeted generation.

Summaries are generated once per (paper version, model, prompt, language,
source), kept in the store for good, and never slow a feed beyond a small
budget: whatever is not ready is left for the next request or the cron job.
"""
