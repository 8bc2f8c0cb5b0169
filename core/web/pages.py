"""`/`: a plain HTML page listing the profiles and their feed URLs."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from core.feeds import FORMATS
from core.web.feeds import base_url

router = APIRouter(tags=["pages"])

_FORMAT_NAMES = {"rss": "RSS", "atom": "Atom", "json": "JSON Feed", "md": "Markdown digest"}


@router.get("/", response_class=HTMLResponse, summary="Profiles and their feed URLs")
async def index(request: Request) -> HTMLResponse:
    service = request.app.state.service
    base = base_url(request)
    rows = []
    for name, profile in service.config.profiles.items():
        links = " · ".join(
            f'<a href="{escape(base)}/feeds/{escape(name)}.{fmt}">{_FORMAT_NAMES[fmt]}</a>' for fmt in FORMATS
        )
        terms = ", ".join(k if isinstance(k, str) else k.term for k in profile.keywords) or "(all papers)"
        rows.append(
            f"<li><h2>{escape(profile.title or name)}</h2>"
            f"<p>{escape(profile.description)}</p>"
            f"<p><b>Categories:</b> {escape(', '.join(profile.categories))}<br>"
            f"<b>Terms:</b> {escape(terms)}</p>"
            f"<p>{links}</p>"
            f"<p><code>{escape(base)}/feeds/{escape(name)}.atom</code></p></li>"
        )
    example = f"{base}/feed?cat=cs.LG&amp;q=%22diffusion+model%22,LLM^2"
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>arxiv-feeds</title>
<style>body{{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}}
li{{list-style:none;border-top:1px solid #ccc;padding:.5rem 0}}code{{background:#f3f3f3;padding:.1rem .3rem}}a{{color:#0645ad}}</style>
</head><body>
<h1>arxiv-feeds</h1>
<p>Filtered, ranked arXiv feeds. Subscribe to a profile below in any feed reader, or build an ad-hoc feed:
<br><code>{escape(base)}/feed?cat=cs.LG&amp;q=...</code> — for example <a href="{example}">{example}</a>.</p>
<ul>{''.join(rows)}</ul>
<p><a href="{escape(base)}/health">health</a> · <a href="{escape(base)}/config">config</a> · <a href="{escape(base)}/docs">API docs</a></p>
</body></html>"""
    return HTMLResponse(page)
