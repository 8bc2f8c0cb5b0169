"""The one writer of the site's URLs (Datasette's `Urls` is the model): feed URLs in every
format, the preview pages, a served feed's alternates and a feed's identity. Pages, the feed
routes, the builder's live preview, OPML, the CLI and the rendered feeds (their id) all write
them here, so a feed's address is spelled one way.

A query is written as its canonical pairs (`canonical_pairs`): the request's wishes in a fixed
order, defaults left out. It knows nothing of HTTP: the web layer gives it a base (the request's
or PUBLIC_BASE_URL, or a path for same-origin links) and the feed routes their own path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from core.profiles import ADHOC_PROFILE, DEFAULT_TYPES
from core.render.formats import DEFAULT_FORMAT, FORMATS, REGISTRY, by_extension

if TYPE_CHECKING:
    from core.feeds import FeedSpec, FeedWishes
    from core.settings import Settings

Pairs = list[tuple[str, str]]


def qs_value(value: str) -> str:
    """A query-string value, readable where safe (`,` `:` `/` `@`, `+` for spaces)."""
    return quote(value, safe=",:@/!*'()").replace("%20", "+")


def query_string(pairs: Pairs) -> str:
    return "&".join(f"{name}={qs_value(value)}" for name, value in pairs)


def with_query(url: str, pairs: Pairs) -> str:
    return url + ("?" + query_string(pairs) if pairs else "")


def canonical_pairs(wishes: FeedWishes, *, adhoc: bool) -> Pairs:
    """The wishes' parameters in a fixed order, defaults left out. On a profile every given
    value counts: it overrides the profile's."""
    pairs: Pairs = []
    if wishes.cat:
        pairs.append(("cat", ",".join(wishes.cat)))
    if wishes.q.strip():
        pairs.append(("q", wishes.q.strip()))
    for name in ("exclude", "author", "like", "unlike", "venue", "has"):
        if values := getattr(wishes, name):
            pairs.append((name, ",".join(values)))
    if wishes.like_author:
        pairs.append(("like_author", wishes.like_author))
    if wishes.type and not (adhoc and sorted(wishes.type) == sorted(DEFAULT_TYPES)):
        pairs.append(("type", ",".join(wishes.type)))
    if wishes.min_score is not None and not (adhoc and wishes.min_score == 0):
        pairs.append(("min_score", f"{wishes.min_score:g}"))
    if wishes.limit is not None:
        pairs.append(("limit", str(wishes.limit)))
    if wishes.days is not None:
        pairs.append(("days", str(wishes.days)))
    if wishes.sort != "score":
        pairs.append(("sort", wishes.sort))
    if wishes.summaries is not None:
        pairs.append(("summaries", "1" if wishes.summaries else "0"))
    return pairs


def _format_pair(fmt: str) -> Pairs:
    return [("format", fmt)] if fmt != DEFAULT_FORMAT else []


@dataclass(frozen=True)
class Urls:
    """The site's URLs under `base`: absolute (`https://host`) for what leaves the site (feeds,
    OPML), or the site's root path (`""`, `/prefix`) for links between its own pages."""

    base: str

    def profile_feed(self, name: str, fmt: str, wishes: FeedWishes | None = None) -> str:
        """`/feeds/NAME.<extension>`, with the wishes that narrow the profile."""
        pairs = canonical_pairs(wishes, adhoc=False) if wishes else []
        return with_query(f"{self.base}/feeds/{name}.{REGISTRY[fmt].extension}", pairs)

    def adhoc_feed(self, wishes: FeedWishes, fmt: str) -> str:
        """`/feed?...`, `format=` last (left out for the default format)."""
        return with_query(f"{self.base}/feed", canonical_pairs(wishes, adhoc=True) + _format_pair(fmt))

    def profile_feeds(self, name: str, wishes: FeedWishes | None = None) -> dict[str, str]:
        return {fmt: self.profile_feed(name, fmt, wishes) for fmt in FORMATS}

    def adhoc_feeds(self, wishes: FeedWishes) -> dict[str, str]:
        return {fmt: self.adhoc_feed(wishes, fmt) for fmt in FORMATS}

    def profile_page(self, name: str) -> str:
        return f"{self.base}/preview/{name}"

    def adhoc_page(self, wishes: FeedWishes) -> str:
        return with_query(f"{self.base}/preview", canonical_pairs(wishes, adhoc=True))

    def served(self, path: str, query: str) -> str:
        """A served feed's own URL (its self link), the query as it came (utm_* dropped by the
        caller): what a reader subscribed to is echoed, not rewritten."""
        return self.base + path + (f"?{query}" if query else "")

    def served_in_every_format(self, path: str, query: str) -> dict[str, str]:
        """A served feed (`path`, its query string as it came) in every format: `/feeds/NAME.<ext>`
        swaps the extension, the other routes set `format=`; the rest of the query is kept as
        it came, so a reader's URL is echoed rather than rewritten."""
        parts = [p for p in query.split("&") if p and not p.startswith("format=")]
        found = by_extension(path.rpartition("/")[2]) if path.startswith("/feeds/") else None
        urls = {}
        for fmt, output in REGISTRY.items():
            if found is not None:
                url, given = f"{self.base}{path.rpartition('/')[0]}/{found[0]}.{output.extension}", parts
            else:
                url, given = self.base + path, parts + [f"{name}={value}" for name, value in _format_pair(fmt)]
            urls[fmt] = url + ("?" + "&".join(given) if given else "")
        return urls


def configured_base_url(settings: Settings) -> str | None:
    """The site's base URL when the deployment names it: PUBLIC_BASE_URL, else Vercel's stable
    production domain. Only without either do self links follow the request (its Host)."""
    if settings.public_base_url:
        return settings.public_base_url.rstrip("/")
    host = (settings.vercel_production_url or "").strip().strip("/")
    if host:
        return host if "://" in host else f"https://{host}"
    return None


def feed_id(spec: FeedSpec, base: str | None) -> str:
    """The feed's identity: never from the Host header (a feed's id must not change with the
    name it was reached by, and a CDN that does not key by host would spread a forged one), so
    `base` is the configured one. Without it, a URN whose parts are joined by ':' (RFC 2141 has
    no '/' in a name: `urn:arxiv-feeds:feeds:NAME`, `urn:arxiv-feeds:feed:KEY`)."""
    adhoc = spec.name == ADHOC_PROFILE
    if base:
        return f"{base}/feed#{spec.key}" if adhoc else f"{base}/feeds/{spec.name}"
    return f"urn:arxiv-feeds:feed:{spec.key}" if adhoc else f"urn:arxiv-feeds:feeds:{spec.name}"
