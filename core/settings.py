"""Every environment variable the service reads, in one object.

Secrets come only from the environment; `config.json` is public.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, Field

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
    kv_backend: str = "auto"
    kv_path: Path | None = None  # SQLite file; default beside the code, or /tmp when read-only
    history_days: int = Field(14, ge=1, le=60)  # announcement days kept per category

    @classmethod
    def from_env(cls) -> "Settings":
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
            "kv_backend": "KV_BACKEND",
            "kv_path": "KV_PATH",
            "history_days": "HISTORY_DAYS",
        }.items():
            value = _env(env_name)
            if value is not None:
                values[field] = value
        return cls(**values)
