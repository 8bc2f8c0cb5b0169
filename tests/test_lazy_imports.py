"""A new serverless instance imports `api.index` before its first request, and that import is
part of every cold start (issue 14: at most 0.3 s). What only some requests or deployments use is
imported when first used; these tests keep it that way (the time itself is measured by
`python -m bench.perf`, not here).

Each check runs in a new interpreter: this process has long since imported everything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.kv.memory import MemoryKV
from core.settings import Settings
from core.summaries import NoSummaries
from core.web import create_app

ROOT = Path(__file__).resolve().parent.parent
# Variables that choose a store, an LLM or the upstream: the default deployment sets none.
OPTIONAL_PREFIXES = ("ARXIV_", "KV_", "REDIS_", "UPSTASH_", "LLM_", "SUMMARY_", "EMBEDDINGS_", "CRON_", "PUBLIC_BASE_URL")

# module -> who needs it (none of them serves a feed from a filled store)
ON_FIRST_USE = {
    "httpx": "an upstream request (arXiv, the LLM, Upstash)",
    "tenacity": "the first retried call",
    "pydantic.v1": "nothing: FastAPI only checks that no route uses a v1 model",
    "core.sources.arxiv.parse": "parsing a fetched listing or query-API page",
    "lxml": "parsing a fetched listing, rendering Atom",
    "feedparser": "parsing a listing lxml could not",
    "feedgen": "rendering RSS or Atom",
    "redis": "KV_BACKEND=redis",
    "core.kv.redis": "KV_BACKEND=redis",
    "core.kv.upstash": "KV_BACKEND=upstash",
    "core.summaries.service": "an LLM key",
    "core.summaries.client": "an LLM key",
    "core.summaries.fulltext": "SUMMARY_SOURCE=fulltext",
    "markdown_it": "showing an AI summary",
    "jinja2": "the HTML pages",
    "core.web.highlight": "pages that show papers",
    "xml.etree.ElementTree": "/opml",
    "core.sources.biorxiv.records": "a bioRxiv or medRxiv feed or seed",
}


def loaded_after_import(tmp_path: Path, code: str = "import api.index") -> list[str]:
    """The ON_FIRST_USE modules a new interpreter holds after running `code` in the default
    environment (SQLite store in `tmp_path`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OPTIONAL_PREFIXES)}
    env["KV_PATH"] = str(tmp_path / "store.sqlite3")
    probe = f"{code}\nimport json, sys\nprint(json.dumps([m for m in {sorted(ON_FIRST_USE)!r} if sys.modules.get(m) is not None]))"
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_importing_the_app_loads_only_what_every_request_needs(tmp_path: Path) -> None:
    loaded = loaded_after_import(tmp_path)
    assert loaded == [], "imported at start-up, though only some requests need them: " + "; ".join(
        f"{m} ({ON_FIRST_USE[m]})" for m in loaded
    )


def test_the_probe_sees_the_modules_it_looks_for(tmp_path: Path) -> None:
    """The check above would pass vacuously if the probe could not see an imported module."""
    assert {"httpx", "jinja2"} <= set(loaded_after_import(tmp_path, "import api.index, httpx, jinja2"))


def test_fastapi_still_refuses_pydantic_v1_models_once_they_exist() -> None:
    """core.runtime.shims skips FastAPI's pydantic.v1 check only while no v1 model can exist."""
    code = """
import warnings
warnings.simplefilter("ignore")
from core.runtime.shims import skip_v1_probe
skip_v1_probe()  # as when the app serves: installed for good
from fastapi import APIRouter
from fastapi.exceptions import PydanticV1NotSupportedError
from pydantic import v1

class Old(v1.BaseModel):
    x: int = 0

router = APIRouter()
try:
    @router.post("/old")
    def old(body: Old) -> None: ...
except PydanticV1NotSupportedError:
    print("refused")
else:
    print("accepted")
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "refused"


def test_summaries_stay_lazy_yet_a_missing_prompt_file_still_fails_the_start(tmp_path: Path) -> None:
    """Without an LLM key the service holds `NoSummaries` (core.summaries.service is not
    imported), which still reads SUMMARY_PROMPT: a wrong path fails the start with a key or without."""
    missing = tmp_path / "no-such-prompt.md"
    for key in (None, "sk-test"):
        with pytest.raises(FileNotFoundError):
            create_app(Settings(summary_prompt_path=missing, llm_api_key=key), kv=MemoryKV())
    app = create_app(Settings(), kv=MemoryKV())
    assert isinstance(app.state.services.summarizer, NoSummaries) and not app.state.services.summarizer.enabled
    with_key = create_app(Settings(llm_api_key="sk-test"), kv=MemoryKV()).state.services.summarizer
    assert with_key.enabled and with_key.client is not None
