"""Page layout and HTML fragments for the human pages (`/`, `/preview`), built with `html.escape`.

Every piece of text that comes from arXiv, a config file, a query string or an LLM goes
through `e()` (or, for AI summaries, is the sanitised HTML of `Summary.html`). The pages
carry no inline script or style, so the Content-Security-Policy below can forbid both.
"""

from __future__ import annotations

import functools
import hashlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import quote

from fastapi.responses import HTMLResponse

from core.matching import Scored
from core.render.document import xml_safe
from core.render.formats import REGISTRY
from core.summaries.service import Summary
from core.taxonomy import ARCHIVES, CATEGORIES, category_name
from core.web.highlight import Highlighted, Span

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".xsl": "text/xsl; charset=utf-8",
    ".svg": "image/svg+xml",
}

# Security headers (CSP, nosniff, referrer, framing) come from core.web.security for every page.
PAGE_HEADERS = {"Cache-Control": "no-cache"}

FORMAT_NAMES = {name: f.label for name, f in REGISTRY.items()}
TYPE_LABELS = {
    "new": "new: first announced, primary category among yours",
    "cross": "cross: cross-listed into your categories",
    "replace": "replace: a new version of a paper",
    "replace-cross": "replace-cross: a new version, cross-listed",
}


def e(value: object) -> str:
    """Escaped text for element content and double-quoted attributes."""
    return escape(str(value), quote=True)


def qs_value(value: str) -> str:
    """A query-string value, readable where safe (`,` `:` `/` `@`, `+` for spaces); app.js
    encodes the same way, so the builder and the preview page show the same URL."""
    return quote(value, safe=",:@/!*'()").replace("%20", "+")


def query_string(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{name}={qs_value(value)}" for name, value in pairs)


# --- static files -------------------------------------------------------------------


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


@functools.cache
def _available() -> frozenset[str]:
    return frozenset(
        p.name for p in STATIC_DIR.iterdir() if p.is_file() and p.suffix in STATIC_TYPES and not p.name.startswith(".")
    )


@functools.cache
def _load(name: str) -> Asset:
    body = (STATIC_DIR / name).read_bytes()
    return Asset(body, STATIC_TYPES[Path(name).suffix], '"' + hashlib.sha256(body).hexdigest()[:20] + '"')


def asset(name: str) -> Asset | None:
    """A file of core/web/static (found next to this module, whatever the working directory);
    only the files that are there are ever looked up or cached."""
    return _load(name) if name in _available() else None


def reload_assets() -> None:
    """Forget the cached files (for tests and development)."""
    _available.cache_clear()
    _load.cache_clear()


def static_url(root: str, name: str) -> str:
    """Versioned URL of a static file, so a new deployment is never served old assets."""
    found = asset(name)
    version = f"?v={found.etag.strip(chr(34))[:10]}" if found else ""
    return f"{root}/static/{name}{version}"


# --- the page ----------------------------------------------------------------------


def document(*, root: str, title: str, main: str, head: str = "", page: str = "") -> str:
    """A whole page: head with the stylesheet and script (both files, no inline code),
    a skip link, the site header, `main` and the footer."""
    nav = [
        ("Profiles", f"{root}/#profiles"),
        ("Build a feed", f"{root}/#build"),
        ("OPML", f"{root}/opml"),
        ("API", f"{root}/docs"),
    ]
    links = "".join(f'<li><a href="{e(href)}">{e(label)}</a></li>' for label, href in nav)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{e(title)}</title>
<link rel="icon" href="{e(static_url(root, 'icon.svg'))}" type="image/svg+xml">
<link rel="stylesheet" href="{e(static_url(root, 'style.css'))}">
<script src="{e(static_url(root, 'app.js'))}" defer></script>
{head}
</head>
<body class="{e(page)}">
<a class="skip" href="#main">Skip to content</a>
<header class="site-header">
<div class="wrap site-header-inner">
<a class="brand" href="{e(root)}/"><img src="{e(static_url(root, 'icon.svg'))}" alt="" width="28" height="28"><span>arxiv-feeds</span></a>
<nav aria-label="Site"><ul>{links}</ul></nav>
</div>
</header>
<main id="main" tabindex="-1">
{main}
</main>
<footer class="site-footer"><div class="wrap">
<p>Listings from <a href="https://arxiv.org/">arXiv</a>, fetched politely once per category and day.
Thank you to arXiv for use of its open access interoperability.
<a href="{e(root)}/health">Service health</a> · <a href="{e(root)}/config">Profiles as JSON</a></p>
</div></footer>
</body>
</html>"""


def html_page(body: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers={**PAGE_HEADERS, **(headers or {})})


def error_page(root: str, status: int, heading: str, message: str, back: str | None = None) -> HTMLResponse:
    main = f"""<div class="wrap narrow">
<section class="notice error" role="alert" aria-labelledby="error-title">
<h1 id="error-title">{e(heading)}</h1>
<p>{e(message)}</p>
<p><a href="{e(back or root + '/#build')}">Back to the feed builder</a> · <a href="{e(root)}/">All feeds</a></p>
</section>
</div>"""
    headers = {"Cache-Control": "no-store"}
    if status == 503:
        headers["Retry-After"] = "300"
    return html_page(document(root=root, title=f"{heading} — arxiv-feeds", main=main), status, headers)


# --- fragments ---------------------------------------------------------------------


def spans_html(spans: list[Span]) -> str:
    return "".join(f"<mark>{e(s.text)}</mark>" if s.mark else e(s.text) for s in spans)


def category_chip(code: str, primary: bool = False) -> str:
    label = f"{code} — {category_name(code)}" + (" (primary)" if primary else "")
    return f'<li class="chip{" primary" if primary else ""}" title="{e(label)}">{e(code)}</li>'


def category_list(codes: list[str], names: bool = False) -> str:
    if names:
        items = "".join(f'<li class="chip"><b>{e(c)}</b> {e(category_name(c))}</li>' for c in codes)
    else:
        items = "".join(category_chip(c, primary=i == 0) for i, c in enumerate(codes))
    return f'<ul class="chips">{items}</ul>'


def copy_button(url: str, label: str) -> str:
    """Hidden until app.js runs (it cannot work without it); the URL stays visible and selectable."""
    return f'<button type="button" class="button small copy" data-copy="{e(url)}" aria-label="{e(label)}" hidden>Copy</button>'


def subscribe_block(urls: dict[str, str], what: str, preferred: str = "atom") -> str:
    """Links to each format, a copy button for each, a `feed:` link readers register for,
    and the preferred URL in a read-only field."""
    rows = []
    cite = [f'<a class="format" href="{e(url)}">{e(FORMAT_NAMES[fmt])}</a>' for fmt, url in urls.items()
            if REGISTRY[fmt].kind == "citations"]
    for fmt, url in urls.items():
        if REGISTRY[fmt].kind == "citations":
            continue
        name = FORMAT_NAMES[fmt]
        rows.append(
            f'<li><a class="format" href="{e(url)}">{e(name)}</a>'
            f"{copy_button(url, f'Copy the {name} URL of {what}')}</li>"
        )
    main_url = urls.get(preferred) or next(iter(urls.values()))
    field_id = "url-" + hashlib.sha1(main_url.encode()).hexdigest()[:8]
    reader = "feed:" + main_url
    return f"""<div class="subscribe">
<ul class="formats" aria-label="Feed formats of {e(what)}">{''.join(rows)}</ul>
<div class="url-row">
<label class="visually-hidden" for="{field_id}">{e(FORMAT_NAMES[preferred] if preferred in urls else 'Feed')} URL of {e(what)}</label>
<input id="{field_id}" class="copy-field" type="text" readonly value="{e(main_url)}">
<a class="button small" href="{e(reader)}">Open in feed reader</a>
</div>
<p class="cite">Cite these papers: {' · '.join(cite)}</p>
</div>"""


def paper_item(rank: int, item: Scored, marked: Highlighted, summary: Summary | None) -> str:
    """One paper of a preview page: highlighted title and abstract, score and why, summary."""
    paper = item.paper
    authors = ", ".join(
        f"<mark>{e(a.text)}</mark>" if a.mark else e(a.text) for a in marked.authors
    ) or "unknown authors"
    hits = "".join(
        f'<li><span class="term">{e(h.term)}</span> in {e(h.field)} <span class="points">+{h.points:g}</span></li>'
        for h in item.hits
    )
    why = (
        f'<ul class="hits" aria-label="Score breakdown">{hits}</ul>' if hits
        else '<p class="hits-none">No key terms: every paper in the categories is listed.</p>'
    )
    summary_html = ""
    if summary is not None:
        summary_html = (
            f'<section class="ai-summary" aria-label="AI summary"><h4>AI summary <span class="muted">({e(summary.model)})</span></h4>'
            f"{summary.html}</section>"  # markdown-it with raw HTML off: sanitised
        )
    return f"""<li class="paper" id="paper-{e(paper.id)}">
<div class="paper-head">
<p class="score"><span class="visually-hidden">score </span>{item.score:g}</p>
<div class="paper-heading">
<h3 class="paper-title"><span class="rank">{rank}.</span> <a href="{e(paper.abs_url)}">{spans_html(marked.title)}</a></h3>
<p class="authors">{authors}</p>
</div>
</div>
<div class="paper-meta">{category_list(paper.categories)}<span class="muted">{e(paper.announce_type)} · {e(paper.announced.isoformat())} · arXiv:{e(paper.id)}v{paper.version}</span></div>
<div class="why">{why}</div>
{summary_html}
<p class="abstract">{spans_html(marked.abstract)}</p>
<p class="paper-links"><a href="{e(paper.abs_url)}">Abstract page</a> · <a href="{e(paper.pdf_url)}">PDF</a></p>
</li>"""


def category_picker() -> str:
    """The category picker without JavaScript: a checkbox per archive and category, grouped
    by archive; app.js adds the text filter's behaviour and the chips of the selection."""
    groups: dict[str, list[str]] = {}
    for code in CATEGORIES:
        groups.setdefault(code.split(".", 1)[0], []).append(code)
    parts = []
    for archive, name in ARCHIVES.items():
        codes = groups.get(archive, [])
        options = []
        if codes != [archive]:
            options.append((archive, f"all of {name}"))
        options += [(c, CATEGORIES[c]) for c in codes]
        rows = "".join(
            f'<label class="cat" data-search="{e((code + " " + label).lower())}">'
            f'<input type="checkbox" name="cat" value="{e(code)}"><code>{e(code)}</code> <span>{e(label)}</span></label>'
            for code, label in options
        )
        parts.append(
            f'<fieldset class="cat-group" data-archive="{e(archive)}"><legend>{e(name)}</legend>{rows}</fieldset>'
        )
    return "".join(parts)


def categories_json() -> dict:
    """`/api/categories`: the taxonomy grouped by archive, with names."""
    groups: dict[str, list[dict]] = {}
    for code, name in CATEGORIES.items():
        groups.setdefault(code.split(".", 1)[0], []).append({"code": code, "name": name})
    return {
        "archives": [
            {"code": archive, "name": name, "categories": groups.get(archive, [])}
            for archive, name in ARCHIVES.items()
        ]
    }


# --- the index page ------------------------------------------------------------------


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


def _terms_html(keywords: list[tuple[str, float, list[str]]]) -> str:
    if not keywords:
        return '<span class="muted">none: every paper in the categories</span>'
    items = []
    for term, weight, aliases in keywords:
        extra = f' <span class="weight" title="weight">×{weight:g}</span>' if weight != 1 else ""
        also = f' <span class="muted">also {e(", ".join(aliases))}</span>' if aliases else ""
        items.append(f"<li>{e(term)}{extra}{also}</li>")
    return f'<ul class="terms">{"".join(items)}</ul>'


def _plain_list(values: list[str]) -> str:
    return f'<ul class="terms">{"".join(f"<li>{e(v)}</li>" for v in values)}</ul>'


def profile_card(card: ProfileCard) -> str:
    anchor = f"profile-{card.name}"
    if card.count is None:
        count = '<p class="count pending">not fetched yet</p>'
    else:
        papers = "paper" if card.count == 1 else "papers"
        newest = f'<span class="muted newest">newest listing {e(card.newest)}</span>' if card.newest else ""
        count = f'<p class="count"><b>{card.count}</b> {papers} now {newest}</p>'
    if card.note:
        count += f'<p class="count-note">{e(card.note)}</p>'
    facts = [("Categories", category_list(card.categories, names=True)), ("Key terms", _terms_html(card.keywords))]
    if card.exclude:
        facts.append(("Excludes", _plain_list(card.exclude)))
    if card.authors:
        facts.append(("Authors", _plain_list(card.authors)))
    facts.append(("Settings", e(card.settings)))
    facts_html = "".join(f"<div><dt>{e(k)}</dt><dd>{v}</dd></div>" for k, v in facts)
    description = f'<p class="description">{e(card.description)}</p>' if card.description else ""
    return f"""<article class="card profile" id="{e(anchor)}" aria-labelledby="{e(anchor)}-title">
<header class="card-head">
<h3 id="{e(anchor)}-title">{e(card.title)}</h3>
<div class="card-count">{count}</div>
</header>
{description}
<dl class="facts">{facts_html}</dl>
{subscribe_block(card.urls, card.title)}
<p class="card-foot"><a href="{e(card.preview_url)}">Preview “{e(card.title)}” with scores and explanations</a></p>
</article>"""


def index_main(*, root: str, base: str, cards: list[ProfileCard]) -> str:
    plural = "feed" if len(cards) == 1 else "feeds"
    return f"""<section class="hero"><div class="wrap">
<h1>Your arXiv, filtered and ranked</h1>
<p class="lede">Choose categories and the words you care about. Each weekday’s matching papers arrive in your
feed reader, best first, each with its score and the reason for it.</p>
<p class="cta"><a class="button primary" href="#build">Build a feed</a> <a class="button" href="#profiles">Subscribe to a profile</a></p>
</div></section>
<section id="profiles" class="wrap section" aria-labelledby="profiles-title">
<div class="section-head">
<h2 id="profiles-title">Profiles</h2>
<p><a class="button small" href="{e(root)}/opml">Download OPML</a> <span class="muted">all {len(cards)} {plural} in one file your reader can import</span></p>
</div>
<div class="profiles">
{''.join(profile_card(c) for c in cards)}
</div>
</section>
{builder(root=root, base=base)}"""


def builder(*, root: str, base: str) -> str:
    types = "".join(
        f'<label class="check"><input type="checkbox" name="type" value="{e(t)}"{" checked" if t in ("new", "cross") else ""}>'
        f" {e(label)}</label>"
        for t, label in TYPE_LABELS.items()
    )
    formats = "".join(
        f'<option value="{e(f)}"{" selected" if f == "rss" else ""}>{e(n)}</option>' for f, n in FORMAT_NAMES.items()
    )
    return f"""<section id="build" class="wrap section" aria-labelledby="build-title">
<div class="section-head">
<h2 id="build-title">Build a feed</h2>
<p class="muted">The feed is its URL: nothing is saved on the server, and you can change it any time.</p>
</div>
<div class="builder">
<form id="builder" class="card builder-form" action="{e(root)}/preview" method="get"
 data-base="{e(base)}" data-api="{e(root)}/api/preview" data-preview="{e(root)}/preview">
<fieldset class="categories">
<legend>Categories <span class="muted">(at least one)</span></legend>
<div id="cat-selected" class="chips selected" hidden></div>
<label for="cat-filter">Find a category</label>
<input id="cat-filter" type="search" autocomplete="off" placeholder="cs.AI, robotics, hep-th…"
 aria-controls="cat-list" aria-describedby="cat-filter-hint">
<p id="cat-filter-hint" class="hint">Type a code or a name; Enter selects the first match, ↓ moves into the list.</p>
<p id="cat-status" class="visually-hidden" role="status" aria-live="polite"></p>
<div id="cat-list" class="cat-list">{category_picker()}</div>
<p id="cat-empty" class="hint" hidden>No category matches.</p>
</fieldset>
<div class="field">
<label for="q">Terms</label>
<input id="q" name="q" type="text" autocomplete="off" spellcheck="false" aria-describedby="q-hint"
 placeholder="&quot;large language model&quot;^2, agent, -survey">
<p id="q-hint" class="hint">Separate with spaces or commas. <code>"a phrase"</code>, <code>+required</code>,
<code>-excluded</code>, <code>ti:</code>/<code>abs:</code>/<code>au:</code> for one field, <code>term^2</code> for weight.
A paper must match at least one term; none: every paper.</p>
</div>
<div class="field-row">
<div class="field">
<label for="exclude">Exclude</label>
<input id="exclude" name="exclude" type="text" autocomplete="off" placeholder="survey, benchmark" aria-describedby="exclude-hint">
<p id="exclude-hint" class="hint">Terms that remove a paper, comma-separated.</p>
</div>
<div class="field">
<label for="author">Authors</label>
<input id="author" name="author" type="text" autocomplete="off" placeholder="Yoshua Bengio" aria-describedby="author-hint">
<p id="author-hint" class="hint">Names to follow, comma-separated (+3 each).</p>
</div>
</div>
<fieldset class="types">
<legend>Announce types</legend>
{types}
</fieldset>
<div class="field-row three">
<div class="field">
<label for="min_score">Minimum score</label>
<input id="min_score" name="min_score" type="number" min="0" step="0.5" inputmode="decimal" placeholder="0">
</div>
<div class="field">
<label for="limit">At most</label>
<input id="limit" name="limit" type="number" min="1" max="500" step="1" inputmode="numeric" placeholder="50">
</div>
<div class="field">
<label for="format">Format</label>
<select id="format" name="format">{formats}</select>
</div>
</div>
<details class="more">
<summary>More options</summary>
<div class="field-row">
<div class="field">
<label for="days">Days of listings</label>
<input id="days" name="days" type="number" min="1" max="14" step="1" inputmode="numeric" placeholder="7">
</div>
<div class="field">
<label for="sort">Order</label>
<select id="sort" name="sort"><option value="score" selected>best score first</option><option value="date">newest first</option></select>
</div>
</div>
</details>
<p class="submit-row"><button type="submit" class="button primary" id="builder-submit">Show matching papers</button></p>
</form>
<div id="builder-output" class="builder-output" hidden>
<div class="card url-card">
<label for="feed-url">Your feed URL</label>
<input id="feed-url" class="copy-field mono" type="text" readonly value="">
<p class="actions">
<button type="button" class="button primary" id="copy-url">Copy URL</button>
<a class="button" id="open-feed" href="{e(root)}/feed">Open feed</a>
<a class="button" id="open-preview" href="{e(root)}/preview">Preview page</a>
</p>
<p id="copy-status" class="hint" role="status" aria-live="polite"></p>
</div>
<div id="preview-status" class="preview-status" role="status" aria-live="polite">Pick at least one category to see today’s papers.</div>
<ol id="preview-list" class="papers live" aria-label="Matching papers"></ol>
</div>
</div>
</section>"""


# --- the preview page ----------------------------------------------------------------


@dataclass
class PreviewData:
    kicker: str  # "Profile llm" / "Ad-hoc feed"
    title: str
    description: str
    urls: dict[str, str]
    items: list[tuple[Scored, Highlighted, Summary | None]]
    considered: int
    days: int
    newest: str | None
    stale: bool
    min_score: float
    limit: int


def preview_main(*, root: str, data: PreviewData) -> str:
    count = len(data.items)
    stats = [f"<b>{count}</b> {'paper' if count == 1 else 'papers'} in the feed",
             f"{data.considered} considered over the last {data.days} {'day' if data.days == 1 else 'days'} of listings"]
    if data.newest:
        stats.append(f"newest listing {e(data.newest)}")
    settings = []
    if data.min_score:
        settings.append(f"minimum score {data.min_score:g}")
    settings.append(f"at most {data.limit}")
    stale = (
        '<p class="notice warn">arXiv could not be reached at the last attempt: these are the last papers stored.</p>'
        if data.stale else ""
    )
    if data.items:
        items = "".join(paper_item(i, item, marked, summary) for i, (item, marked, summary) in enumerate(data.items, 1))
        listing = f'<h2 class="visually-hidden">Papers</h2><ol class="papers" aria-label="Papers in this feed">{items}</ol>'
    else:
        listing = ('<p class="notice empty">No paper matches right now. Try fewer terms, more categories, '
                   'more announce types or a lower minimum score.</p>')
    return f"""<div class="wrap">
<nav class="crumbs" aria-label="Breadcrumb"><a href="{e(root)}/">All feeds</a> <span aria-hidden="true">›</span> Preview</nav>
<header class="preview-head card">
<p class="kicker">{e(data.kicker)}</p>
<h1>{e(data.title)}</h1>
<p class="description">{e(data.description)}</p>
<p class="stats">{' · '.join(stats)} <span class="muted">({e(', '.join(settings))})</span></p>
{stale}
<h2 class="visually-hidden">Subscribe</h2>
{subscribe_block(data.urls, data.title)}
<details class="how">
<summary>How papers are scored</summary>
<p>Each term adds its weight × 2 when it is in the title, × 1 in the abstract, × 3 among the authors,
once per field. Matching ignores case and tolerates plurals, hyphens and spacing; highlighted words are
what matched.</p>
</details>
</header>
{listing}
</div>"""


def opml(*, title: str, outlines: list[dict[str, str]], created: str) -> bytes:
    """OPML 2.0 with one outline per feed (attributes escaped by ElementTree)."""
    root = ET.Element("opml", {"version": "2.0"})
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = xml_safe(title)
    ET.SubElement(head, "dateCreated").text = created
    ET.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = ET.SubElement(root, "body")
    group = ET.SubElement(body, "outline", {"text": xml_safe(title), "title": xml_safe(title)})
    for attributes in outlines:
        ET.SubElement(group, "outline", {k: xml_safe(v) for k, v in attributes.items()})
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
