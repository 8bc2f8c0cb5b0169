"""Which summaries exist, making the missing ones within a budget, and backing off failures.

Cache key: paper id and version, model, prompt hash, language and source. A
summary is made once and kept (long TTL); a new model or prompt makes new keys
and the old ones age out. A failure for one paper is recorded with a back-off in
the store, so it is retried later, not on every request.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.clock import SYSTEM_CLOCK, Clock
from core.errors import KVError, LLMError, UpstreamError
from core.kv import KV
from core.papers import Paper
from core.retry import backoff
from core.settings import Settings
from core.summaries.render import summary_html

if TYPE_CHECKING:  # the client is imported only where an LLM key is configured
    from core.sources.base import Upstream
    from core.summaries.client import LLMClient

log = logging.getLogger(__name__)

SUMMARY_TTL = 400 * 86400  # "forever", but unused keys from an old model or prompt age out
FAILURE_TTL = 7 * 86400
RATE_WINDOW_S = 3600  # SUMMARY_RATE_PER_HOUR counts clock hours
BACKOFF = (15 * 60, 24 * 3600)  # first retry after 15 minutes, doubling up to a day
LANGUAGES = {
    "en": "English", "zh": "Simplified Chinese (简体中文)", "zh-tw": "Traditional Chinese (繁體中文)",
    "ja": "Japanese", "ko": "Korean", "de": "German", "fr": "French", "es": "Spanish",
    "pt": "Portuguese", "it": "Italian", "ru": "Russian",
}


def fill_prompt(template: str, **values: str) -> str:
    """Replace `{name}` placeholders; any other braces in a custom prompt stay as written."""
    for name, value in values.items():
        template = template.replace("{" + name + "}", value)
    return template


@dataclass(frozen=True)
class Summary:
    markdown: str
    model: str

    @property
    def html(self) -> str:
        return summary_html(self.markdown)


@dataclass
class SummaryCounts:
    cached: int = 0
    pending: int = 0
    failed: int = 0


class Summarizer:
    """Summaries for papers: from the store, or made by the LLM within a time budget."""

    def __init__(
        self, settings: Settings, kv: KV, upstreams: Mapping[str, Upstream], client: LLMClient | None,
        clock: Clock = SYSTEM_CLOCK,
    ):
        self.settings = settings
        self.clock = clock  # the hourly rate window and failure back-offs
        self.kv = kv
        self.upstreams = upstreams  # by source name: each paper's full text from its own server
        self.client = client
        self.prompt = settings.summary_prompt_path.read_text(encoding="utf-8")
        self.prompt_hash = hashlib.sha256(self.prompt.encode()).hexdigest()[:12]
        self._inflight: dict[str, asyncio.Task[Summary | None]] = {}
        self._background: set[asyncio.Task] = set()

    @property
    def enabled(self) -> bool:
        return self.client is not None

    def key(self, paper: Paper, language: str) -> str:
        model = self.client.model if self.client else "none"
        source = self.settings.summary_source
        return f"summary:v1:{paper.id}v{paper.version}:{model}:{self.prompt_hash}:{language}:{source}"

    async def cached(self, papers: list[Paper], language: str) -> dict[str, Summary]:
        """The summaries already made for these papers (no LLM call)."""
        found: dict[str, Summary] = {}
        if not self.enabled:
            return found
        for paper in papers:
            raw = await self._get(self.key(paper, language))
            if raw:
                try:
                    data = json.loads(raw)
                    found[paper.id] = Summary(markdown=data["markdown"], model=data["model"])
                except (ValueError, KeyError, TypeError):
                    log.error("corrupt summary for %s; it will be made again", paper.id)
        return found

    async def ensure(
        self, papers: list[Paper], language: str, budget_s: float, *, public: bool = True
    ) -> dict[str, Summary]:
        """Cached summaries plus those the LLM makes within `budget_s`; the rest carry on
        in the background (a long-running server) or are left for later (serverless).

        `public` requests (feed readers, anyone) may start at most `SUMMARY_RATE_PER_HOUR`
        new summaries an hour in the whole deployment (counted in the shared store), so nobody
        can run up the LLM bill by asking for summaries of many different feeds, however many
        instances serve them; the authenticated cron run is not limited."""
        summaries = await self.cached(papers, language)
        if not self.enabled:
            return summaries
        missing = [
            p for p in papers
            if p.id not in summaries and self.key(p, language) not in self._inflight
            and not await self._backing_off(p, language)
        ]
        running = [self._inflight[self.key(p, language)] for p in papers if self.key(p, language) in self._inflight]
        if (not missing and not running) or budget_s <= 0:
            return summaries
        if public:
            missing = missing[: await self._reserve(len(missing))]
            if not missing and not running:
                return summaries
        tasks = {p.id: self._task(p, language) for p in missing}
        tasks.update({p.id: self._inflight[self.key(p, language)] for p in papers
                      if p.id not in tasks and self.key(p, language) in self._inflight})
        done, _ = await asyncio.wait(tasks.values(), timeout=budget_s)
        for paper_id, task in tasks.items():
            if task in done and not task.cancelled() and task.exception() is None and task.result() is not None:
                summaries[paper_id] = task.result()  # type: ignore[assignment]
        return summaries

    # --- the hourly allowance of public requests, shared by every instance -------------

    def _rate_key(self) -> str:
        """This clock hour's counter (a fixed window: the key names the hour, the TTL cleans up)."""
        return f"summary:v1:rate:{int(self.clock.time() // RATE_WINDOW_S)}"

    async def _reserve(self, wanted: int) -> int:
        """Take up to `wanted` new summaries from this hour's allowance: one atomic increment
        in the store, so instances racing for the last ones cannot both get them. If the
        store cannot count (it fails even its in-memory fallback), nothing is granted."""
        try:
            count = await self.kv.incr(self._rate_key(), wanted, ttl=2 * RATE_WINDOW_S)
        except (KVError, NotImplementedError) as exc:
            log.error("cannot count the summary allowance (%s): no new summaries for public requests", exc)
            return 0
        return max(0, min(wanted, self.settings.summary_rate_per_hour - (count - wanted)))

    async def allowance(self) -> dict[str, object]:
        """What `/health` shows: this hour's allowance and what is left of it."""
        try:
            used = await self.kv.incr(self._rate_key(), 0, ttl=2 * RATE_WINDOW_S)
        except (KVError, NotImplementedError):
            used = None
        limit = self.settings.summary_rate_per_hour
        window_end = (int(self.clock.time() // RATE_WINDOW_S) + 1) * RATE_WINDOW_S
        return {
            "per_hour": limit,
            "remaining": None if used is None else max(0, limit - used),
            "resets_at": dt.datetime.fromtimestamp(window_end, dt.UTC).isoformat(),
        }

    async def counts(self, papers: list[Paper], language: str) -> SummaryCounts:
        counts = SummaryCounts()
        for paper in papers:
            if await self._get(self.key(paper, language)):
                counts.cached += 1
            elif await self._get(self._failure_key(paper, language)):
                counts.failed += 1
            else:
                counts.pending += 1
        return counts

    # --- making one summary ---------------------------------------------------

    def _task(self, paper: Paper, language: str) -> asyncio.Task[Summary | None]:
        key = self.key(paper, language)
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._make(paper, language))
            self._inflight[key] = task
            self._background.add(task)
            task.add_done_callback(lambda t, k=key: (self._inflight.pop(k, None), self._background.discard(t)))
        return task

    async def _make(self, paper: Paper, language: str) -> Summary | None:
        assert self.client is not None
        key = self.key(paper, language)
        lock = f"{key}:lock"
        try:
            if not await self.kv.add(lock, b"1", self.settings.llm_timeout * 3):
                return None  # another instance is making it
        except KVError:
            pass
        try:
            text, label = await self._source(paper)
            prompt = fill_prompt(
                self.prompt,
                language_name=LANGUAGES.get(language.lower(), language),
                title=paper.title,
                source_label=label,
                text=text,
            )
            markdown = await self.client.complete(prompt)
            if len(markdown) > 8000:
                raise LLMError("answer too long")
        except LLMError as exc:
            await self._record_failure(paper, language, str(exc))
            return None
        except Exception as exc:  # one paper's failure never breaks a feed
            log.exception("summary for %s failed", paper.id)
            await self._record_failure(paper, language, f"{type(exc).__name__}")
            return None
        finally:
            await self._delete(lock)
        summary = Summary(markdown=markdown, model=self.client.model)
        await self._set(key, json.dumps({"markdown": markdown, "model": summary.model}).encode(), SUMMARY_TTL)
        await self._delete(self._failure_key(paper, language))
        return summary

    async def _source(self, paper: Paper) -> tuple[str, str]:
        """What the model reads: with SUMMARY_SOURCE=fulltext, the full text from the paper's own
        server (`Upstream.full_text`) where it has one and it says more than the abstract; else
        the abstract."""
        upstream = self.upstreams.get(paper.server)
        if self.settings.summary_source == "fulltext" and upstream is not None:
            try:
                html = await upstream.full_text(paper)
                if html is not None:
                    from core.summaries.fulltext import cut_to_tokens, html_to_text  # SUMMARY_SOURCE=fulltext only

                    text = cut_to_tokens(html_to_text(html), self.settings.summary_input_tokens)
                    if len(text) > len(paper.abstract):
                        return text, "Full text (may be cut)"
            except UpstreamError as exc:
                log.info("no HTML full text for %s (%s); using the abstract", paper.id, exc)
        return paper.abstract, "Abstract"

    # --- failures and back-off ----------------------------------------------------

    def _failure_key(self, paper: Paper, language: str) -> str:
        return f"{self.key(paper, language)}:failed"

    async def _backing_off(self, paper: Paper, language: str) -> bool:
        raw = await self._get(self._failure_key(paper, language))
        if not raw:
            return False
        try:
            return self.clock.time() < float(json.loads(raw)["retry_at"])
        except (ValueError, KeyError, TypeError):
            return False

    async def _record_failure(self, paper: Paper, language: str, error: str) -> None:
        key = self._failure_key(paper, language)
        raw = await self._get(key)
        failures = 0
        if raw:
            try:
                failures = int(json.loads(raw)["failures"])
            except (ValueError, KeyError, TypeError):
                failures = 0
        failures += 1
        wait = backoff(failures, *BACKOFF)
        log.warning("summary for %s failed (%s); retry in %d s", paper.id, error, wait)
        record = {"failures": failures, "retry_at": self.clock.time() + wait, "error": error}
        await self._set(key, json.dumps(record).encode(), FAILURE_TTL)

    # --- store access that never raises ---------------------------------------------

    async def _get(self, key: str) -> bytes | None:
        try:
            return await self.kv.get(key)
        except KVError:
            return None

    async def _set(self, key: str, value: bytes, ttl: float) -> None:
        try:
            await self.kv.set(key, value, ttl)
        except KVError:
            pass

    async def _delete(self, key: str) -> None:
        try:
            await self.kv.delete(key)
        except KVError:
            pass
