"""Every environment variable the service reads, in one object.

Secrets come only from the environment; `config.json` is public. Each field's
`validation_alias` is its variable (several names: the first set one wins), which
`Settings.from_env()` reads; building `Settings(...)` directly (the tests) never looks at the
environment. tests/test_readme.py checks the README's table of variables against these fields.

Every field is a scalar that pydantic reads from the variable's text, so reading the
environment is a loop over `variables()`; pydantic-settings did the same and cost ~20 ms of
every cold start to import.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent


def env(default: Any, *names: str, **constraints: Any) -> Any:
    """A field read from the variable(s) `names` (in order of precedence)."""
    alias = names[0] if len(names) == 1 else AliasChoices(*names)
    return Field(default, validation_alias=alias, **constraints)


class Settings(BaseModel):
    """Runtime settings; `Settings.from_env()` reads them, tests build them directly."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    config_path: Path = env(PROJECT_DIR / "config.json", "ARXIV_FEEDS_CONFIG")
    public_base_url: str | None = env(None, "PUBLIC_BASE_URL")
    vercel_production_url: str | None = env(None, "VERCEL_PROJECT_PRODUCTION_URL")  # a host name Vercel injects
    arxiv_rss_url: str = env("https://rss.arxiv.org/rss", "ARXIV_RSS_URL")
    arxiv_api_url: str = env("https://export.arxiv.org/api/query", "ARXIV_API_URL")
    arxiv_contact: str = env("arxiv-feeds@users.noreply.github.com", "ARXIV_CONTACT")
    project_url: str = "https://github.com/arxiv-feeds/arxiv-feeds"
    arxiv_min_interval: float = env(3.0, "ARXIV_MIN_INTERVAL", ge=0)  # seconds between upstream requests
    arxiv_timeout: float = env(20.0, "ARXIV_TIMEOUT", gt=0)  # seconds for a whole answer (not each read)
    arxiv_retries: int = env(3, "ARXIV_RETRIES", ge=0, le=10)
    arxiv_retry_budget: float = env(30.0, "ARXIV_RETRY_BUDGET", ge=0)  # give up retrying after this many seconds
    arxiv_max_bytes: int = env(20_000_000, "ARXIV_MAX_BYTES", ge=10_000)  # a 2000-item listing is about 4 MB
    arxiv_max_queue: int = env(8, "ARXIV_MAX_QUEUE", ge=1, le=1000)  # upstream requests waiting in one process
    request_budget_s: float = env(25.0, "REQUEST_BUDGET_S", gt=0, le=55)  # the most a reader waits for arXiv, queued or not
    history_budget_s: float = env(0.0, "HISTORY_BUDGET_S", ge=0, le=55)  # the most a reader waits for missing days (backfill)
    arxiv_backfill_max_requests: int = env(10, "ARXIV_BACKFILL_MAX_REQUESTS", ge=0, le=100)  # query-API pages per backfill run; 0: off
    enrich_max_requests: int = env(20, "ENRICH_MAX_REQUESTS", ge=0, le=200)  # id_list requests per enrichment run; 0: off
    enrich_batch: int = env(200, "ENRICH_BATCH", ge=1, le=500)  # ids per enrichment request
    kv_backend: str = env("auto", "KV_BACKEND")
    kv_path: Path | None = env(None, "KV_PATH")  # SQLite file; default beside the code, or /tmp when read-only
    history_days: int = env(14, "HISTORY_DAYS", ge=1, le=60)  # announcement days kept per category
    cache_max_bytes: int = env(64_000_000, "CACHE_MAX_BYTES", ge=0)  # in-process rank and render caches, together
    warm_cache_s: float = env(10.0, "WARM_CACHE_S", ge=0, le=3600)  # a feed response re-sent before routing; 0: off
    # Shared stores. Secret-bearing values are SecretStr so a repr or log line never shows them.
    # Vercel Marketplace integrations and Upstash's own docs use different names.
    redis_url: SecretStr | None = env(None, "REDIS_URL", "KV_URL")  # redis:// or rediss://, may hold a password
    upstash_url: str | None = env(None, "KV_REST_API_URL", "UPSTASH_REDIS_REST_URL")
    upstash_token: SecretStr | None = env(None, "KV_REST_API_TOKEN", "UPSTASH_REDIS_REST_TOKEN")

    # AI summaries (optional: without an API key the service works exactly as before)
    llm_base_url: str = env("https://api.openai.com/v1", "LLM_BASE_URL")
    llm_model: str = env("gpt-4o-mini", "LLM_MODEL")
    llm_api_key: SecretStr | None = env(None, "LLM_API_KEY")
    llm_timeout: float = env(30.0, "LLM_TIMEOUT", gt=0)
    llm_concurrency: int = env(4, "LLM_CONCURRENCY", ge=1, le=32)
    embeddings_model: str | None = env(None, "EMBEDDINGS_MODEL")  # like= by embeddings (LLM_BASE_URL's /embeddings)
    summary_budget_s: float = env(2.0, "SUMMARY_BUDGET_S", ge=0, le=60)  # the most a feed request waits for the LLM
    summary_rate_per_hour: int = env(120, "SUMMARY_RATE_PER_HOUR", ge=0, le=100_000)  # new summaries public requests may start
    summary_source: str = env("abstract", "SUMMARY_SOURCE", pattern="^(abstract|fulltext)$")
    summary_prompt_path: Path = env(PACKAGE_DIR / "summaries" / "prompts" / "default.md", "SUMMARY_PROMPT")
    summary_input_tokens: int = env(6000, "SUMMARY_INPUT_TOKENS", ge=200, le=200_000)  # full text is cut to this
    arxiv_html_url: str = env("https://arxiv.org/html", "ARXIV_HTML_URL")
    arxiv_author_url: str = env("https://arxiv.org/a", "ARXIV_AUTHOR_URL")  # author feeds (like_author=)
    biorxiv_api_url: str = env("https://api.biorxiv.org", "BIORXIV_API_URL")  # bioRxiv and medRxiv
    biorxiv_max_pages: int = env(20, "BIORXIV_MAX_PAGES", ge=1, le=200)  # requests for one date window of one server
    biorxiv_history_max_requests: int = env(40, "BIORXIV_HISTORY_MAX_REQUESTS", ge=0, le=500)  # per history run of one server; 0: off
    cron_secret: SecretStr | None = env(None, "CRON_SECRET")
    cron_budget_s: float = env(50.0, "CRON_BUDGET_S", ge=1, le=900)

    @classmethod
    def from_env(cls) -> Settings:
        """The settings of the process's environment: for each field, the first of its variables
        that is set and not empty; names are case-sensitive, and a variable named like the field
        (`arxiv_timeout`) does not count."""
        found: dict[str, str] = {}
        for names in cls.variables().values():
            name = next((name for name in names if os.environ.get(name)), None)
            if name is not None:
                found[name] = os.environ[name]  # by its variable: a validation error names it
        return cls(**found)

    @classmethod
    def variables(cls) -> dict[str, tuple[str, ...]]:
        """Field name -> the environment variables it reads, in order of precedence."""
        names: dict[str, tuple[str, ...]] = {}
        for field, info in cls.model_fields.items():
            alias = info.validation_alias
            if isinstance(alias, str):
                names[field] = (alias,)
            elif isinstance(alias, AliasChoices):
                names[field] = tuple(str(choice) for choice in alias.choices)
        return names
