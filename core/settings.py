"""Every environment variable the service reads, in one object.

Secrets come only from the environment; `config.json` is public.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


class Settings(BaseModel):
    """Runtime settings; `Settings.from_env()` reads them, tests build them directly."""

    config_path: Path = PROJECT_DIR / "config.json"
    public_base_url: str | None = None
    arxiv_rss_url: str = "https://rss.arxiv.org/rss"
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    arxiv_contact: str = "arxiv-feeds@users.noreply.github.com"
    project_url: str = "https://github.com/arxiv-feeds/arxiv-feeds"
    arxiv_min_interval: float = Field(3.0, ge=0)  # seconds between upstream requests
    arxiv_timeout: float = Field(20.0, gt=0)
    arxiv_retries: int = Field(3, ge=0, le=10)
    arxiv_retry_budget: float = Field(30.0, ge=0)  # give up retrying after this many seconds
    arxiv_max_bytes: int = Field(20_000_000, ge=10_000)  # a 2000-item listing is about 4 MB
    arxiv_max_queue: int = Field(8, ge=1, le=1000)  # upstream requests waiting in one process
    request_budget_s: float = Field(25.0, gt=0, le=55)  # the most a reader waits for arXiv, queued or not
    arxiv_backfill_max_requests: int = Field(10, ge=0, le=100)  # query-API pages per backfill run; 0: off
    kv_backend: str = "auto"
    kv_path: Path | None = None  # SQLite file; default beside the code, or /tmp when read-only
    history_days: int = Field(14, ge=1, le=60)  # announcement days kept per category
    # Shared stores. Secret-bearing values are SecretStr so a repr or log line never shows them.
    redis_url: SecretStr | None = None  # REDIS_URL, else KV_URL (redis:// or rediss://, may hold a password)
    upstash_url: str | None = None  # KV_REST_API_URL, else UPSTASH_REDIS_REST_URL
    upstash_token: SecretStr | None = None  # KV_REST_API_TOKEN, else UPSTASH_REDIS_REST_TOKEN

    # AI summaries (optional: without an API key the service works exactly as before)
    llm_base_url: str = "https://api.openai.com/v1"
    llm_model: str = "gpt-4o-mini"
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(30.0, gt=0)
    llm_concurrency: int = Field(4, ge=1, le=32)
    summary_budget_s: float = Field(2.0, ge=0, le=60)  # the most a feed request waits for the LLM
    summary_rate_per_hour: int = Field(120, ge=0, le=100_000)  # new summaries public requests may start
    summary_source: str = Field("abstract", pattern="^(abstract|fulltext)$")
    summary_prompt_path: Path = PACKAGE_DIR / "summaries" / "prompts" / "default.md"
    summary_input_tokens: int = Field(6000, ge=200, le=200_000)  # full text is cut to this
    arxiv_html_url: str = "https://arxiv.org/html"
    cron_secret: SecretStr | None = None
    cron_budget_s: float = Field(50.0, ge=1, le=900)

    @classmethod
    def from_env(cls) -> Settings:
        values: dict[str, object] = {}
        for field, env_name in {
            "config_path": "ARXIV_FEEDS_CONFIG",
            "public_base_url": "PUBLIC_BASE_URL",
            "arxiv_rss_url": "ARXIV_RSS_URL",
            "arxiv_api_url": "ARXIV_API_URL",
            "arxiv_contact": "ARXIV_CONTACT",
            "arxiv_min_interval": "ARXIV_MIN_INTERVAL",
            "arxiv_timeout": "ARXIV_TIMEOUT",
            "arxiv_retries": "ARXIV_RETRIES",
            "arxiv_retry_budget": "ARXIV_RETRY_BUDGET",
            "arxiv_max_bytes": "ARXIV_MAX_BYTES",
            "arxiv_max_queue": "ARXIV_MAX_QUEUE",
            "request_budget_s": "REQUEST_BUDGET_S",
            "arxiv_backfill_max_requests": "ARXIV_BACKFILL_MAX_REQUESTS",
            "kv_backend": "KV_BACKEND",
            "kv_path": "KV_PATH",
            "history_days": "HISTORY_DAYS",
            "llm_base_url": "LLM_BASE_URL",
            "llm_model": "LLM_MODEL",
            "llm_api_key": "LLM_API_KEY",
            "llm_timeout": "LLM_TIMEOUT",
            "llm_concurrency": "LLM_CONCURRENCY",
            "summary_budget_s": "SUMMARY_BUDGET_S",
            "summary_rate_per_hour": "SUMMARY_RATE_PER_HOUR",
            "summary_source": "SUMMARY_SOURCE",
            "summary_prompt_path": "SUMMARY_PROMPT",
            "summary_input_tokens": "SUMMARY_INPUT_TOKENS",
            "arxiv_html_url": "ARXIV_HTML_URL",
            "cron_secret": "CRON_SECRET",
            "cron_budget_s": "CRON_BUDGET_S",
        }.items():
            value = _env(env_name)
            if value is not None:
                values[field] = value
        # Vercel Marketplace integrations and Upstash's own docs use different names.
        for field, env_names in {
            "redis_url": ("REDIS_URL", "KV_URL"),
            "upstash_url": ("KV_REST_API_URL", "UPSTASH_REDIS_REST_URL"),
            "upstash_token": ("KV_REST_API_TOKEN", "UPSTASH_REDIS_REST_TOKEN"),
        }.items():
            value = next((v for v in map(_env, env_names) if v is not None), None)
            if value is not None:
                values[field] = value
        return cls(**values)
