"""`/`: the profiles (each with its feeds, its count and what it holds) and the feed builder.

HTML comes from the Jinja2 templates (`core.web.templating`); this module gathers the data."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from core.feeds import FeedSpec
from core.errors import UpstreamUnavailable
from core.listings import CategoryMeta
from core.profiles import Profile
from core.services import Services
from core.sources import all_sources
from core.sources.arxiv.taxonomy import ARCHIVES, CATEGORIES
from core.web.site import absolute, local, newest, site_root
from core.web.templating import page
from core.web.deps import AppServices

router = APIRouter(tags=["pages"])

INDEX_WAIT_S = 6.0  # the index shows stored counts rather than wait longer for arXiv


async def _bounded(service: Services, awaitable, timeout: float):
    """Wait at most `timeout` seconds; the work goes on in the background after that
    (a fetch under way finishes and is stored for the next visitor)."""
    task = asyncio.ensure_future(awaitable)
    try:
        return await asyncio.wait_for(asyncio.shield(task), timeout)
    except TimeoutError:
        service.background.keep(task)
        raise


async def _profile_metas(service: Services, categories: list[str]) -> tuple[dict[str, CategoryMeta], str]:
    """Every profile's categories in one upstream request if any are due, or what is stored
    when arXiv is slow or down."""
    note = ""
    try:
        metas = await _bounded(service, service.listings.ensure(categories, service.config.window_days), INDEX_WAIT_S)
    except TimeoutError:
        metas, note = None, "arXiv is slow: showing what is stored; reload in a minute"
    except UpstreamUnavailable as exc:  # says which: unreachable (and what to check), slow, rate-limited
        metas, note = None, str(exc)
    if metas is None:
        metas = [await service.listings.meta(c) for c in categories]
    return {m.category: m for m in metas}, note


@dataclass
class ProfileCard:
    name: str
    title: str
    description: str
    categories: list[str]
    keywords: list[tuple[str, float, list[str]]]  # term, weight, aliases
    exclude: list[str]
    authors: list[str]
    settings: str  # "new, cross · min score 2 · up to 50 items · last 7 days"
    urls: dict[str, str]  # format -> feed URL
    preview_url: str
    count: int | None  # items in the feed now; None: nothing stored yet
    newest: str | None  # newest announcement day held
    note: str = ""  # "arXiv unreachable: stored data", "being fetched"...
    like: list[str] = field(default_factory=list)  # seed ids (`like`)
    unlike: list[str] = field(default_factory=list)


def _keywords(profile: Profile) -> list[tuple[str, float, list[str]]]:
    return [(k, 1.0, []) if isinstance(k, str) else (k.term, k.weight, k.aliases) for k in profile.keywords]


def _settings_line(profile: Profile, summaries_on: bool) -> str:
    """What the feed holds, as a reader will get it: a profile asking for AI summaries gets
    none where the server has no LLM key, and the card says so rather than promise them."""
    parts = [", ".join(profile.announce_types)]
    if profile.venue:
        parts.append(f"venues {', '.join(profile.venue)}")
    if profile.has:
        parts.append(f"with {', '.join(profile.has)}")
    if profile.min_score:
        parts.append(f"min score {profile.min_score:g}")
    parts.append(f"up to {profile.max_items} items")
    parts.append(f"last {profile.days} {'day' if profile.days == 1 else 'days'}")
    if profile.summaries.enabled and summaries_on:
        parts.append(f"AI summaries of the top {profile.summaries.top_n}")
    elif profile.summaries.enabled:
        parts.append("no AI summaries: this server has no LLM key")
    return " · ".join(parts)


@router.get("/", response_class=HTMLResponse, summary="Profiles, their feeds, and the feed builder")
async def index(request: Request, service: AppServices) -> HTMLResponse:
    urls, links = absolute(request), local(request)
    profiles = service.config.profiles
    specs = {name: FeedSpec.from_profile(name, profile) for name, profile in profiles.items()}
    union = sorted({c for spec in specs.values() for c in spec.categories})
    service.feeds.seen_categories.update(union)
    by_category, note = await _profile_metas(service, union)
    cards = []
    for name, profile in profiles.items():
        spec = specs[name]
        metas = [by_category[c] for c in spec.categories]
        count: int | None = None
        card_note = ""
        if any(m.days for m in metas):
            count = len((await service.feeds.result(spec, metas)).items)
            if any(m.last_error for m in metas):
                card_note = "arXiv could not be reached at the last attempt: counted from stored papers"
        elif all(m.checked_at for m in metas) and not any(m.last_error for m in metas):
            count, card_note = 0, "arXiv has listed nothing in these categories yet (a weekend or holiday)"
        else:
            card_note = note
        cards.append(
            ProfileCard(
                name=name,
                title=profile.title or name,
                description=profile.description,
                categories=profile.categories,
                keywords=_keywords(profile),
                exclude=profile.exclude,
                authors=profile.authors,
                settings=_settings_line(profile, service.summarizer.enabled),
                urls=urls.profile_feeds(name),
                preview_url=links.profile_page(name),
                count=count,
                newest=newest(metas),
                note=card_note,
                like=profile.like,
                unlike=profile.unlike,
            )
        )
    alternates = [{"type": "application/atom+xml", "title": card.title, "href": card.urls["atom"]} for card in cards]
    return page(request, "index.html", root=site_root(request), title="arxiv-feeds: filtered, ranked arXiv feeds", page="index",
                alternates=alternates, cards=cards, picker=taxonomy_groups())


def taxonomy_groups() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """arXiv's archives, each with its categories (an archive with classes first offers itself
    as "all of ..."), then every other server with its collections (`biorxiv:genomics`), the
    server itself first ("all of bioRxiv")."""
    groups: dict[str, list[str]] = {}
    for code in CATEGORIES:
        groups.setdefault(code.split(".", 1)[0], []).append(code)
    result = []
    for archive, name in ARCHIVES.items():
        codes = groups.get(archive, [])
        options = [(archive, f"all of {name}")] if codes != [archive] else []
        result.append((archive, name, options + [(c, CATEGORIES[c]) for c in codes]))
    for source in all_sources():
        if source.qualified:
            options = [(source.name, f"all of {source.label}"), *source.taxonomy.categories().items()]
            result.append((source.name, source.label, options))
    return result
