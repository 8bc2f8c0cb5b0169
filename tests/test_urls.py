"""Feed URLs are written in one place (`core/urls.py`), and every surface that shows one (the
index, the previews, the live preview, OPML, a feed's own self link and the CLI) gives the
same URL for the same feed."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import lxml.html
from lxml import etree

from core.urls import Urls, canonical_pairs
from core.web.params import FeedQuery
from tests.conftest import TEST_CONFIG, make_settings, running_app

ROOT = Path(__file__).resolve().parent.parent
ATOM = "{http://www.w3.org/2005/Atom}"


def _self_links(atom: etree._Element) -> list[str]:
    return [link.get("href") for link in atom.findall(f"{ATOM}link") if link.get("rel") == "self"]


def _writes_a_site_url(node: ast.AST) -> bool:
    """An f-string or `+` that puts a site path after something computed (`f"{base}/feeds/..."`,
    `base + "/feed"`): how a URL of ours is built."""
    paths = ("/feeds/", "/feed", "/preview")
    if isinstance(node, ast.JoinedStr):
        parts = node.values
        return any(isinstance(a, ast.FormattedValue) and isinstance(b, ast.Constant) and str(b.value).startswith(paths)
                   for a, b in zip(parts, parts[1:]))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        right = node.right
        return isinstance(right, ast.Constant) and isinstance(right.value, str) and right.value.startswith(paths)
    return False


def test_no_module_but_core_urls_builds_a_feed_or_page_url():
    writers = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        if path == ROOT / "core" / "urls.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if _writes_a_site_url(node):
                writers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not writers, f"feed or page URLs built outside core/urls.py: {writers}"


def test_canonical_pairs_keep_a_fixed_order_and_leave_defaults_out():
    query = FeedQuery(summaries="0", sort="date", days=3, limit=9, min_score=0, type=["cross", "new"], like_author="doe_j_1",
                      has=["code"], venue=["CVPR"], unlike=["2604.00002"], like=["2604.00001"], author=["J Smith"],
                      exclude=["survey"], q=' "large model" ', cat=["cs.AI", "cs.CL"], format="json")
    assert canonical_pairs(query, adhoc=True) == [
        ("cat", "cs.AI,cs.CL"), ("q", '"large model"'), ("exclude", "survey"), ("author", "J Smith"),
        ("like", "2604.00001"), ("unlike", "2604.00002"), ("venue", "CVPR"), ("has", "code"), ("like_author", "doe_j_1"),
        ("limit", "9"), ("days", "3"), ("sort", "date"), ("summaries", "0")]
    # On a profile every given value overrides the profile's, defaults included.
    assert ("type", "cross,new") in canonical_pairs(query, adhoc=False) and ("min_score", "0") in canonical_pairs(query, adhoc=False)
    urls = Urls("https://feeds.example")
    assert urls.adhoc_feed(query, "json") == (
        "https://feeds.example/feed?cat=cs.AI,cs.CL&q=%22large+model%22&exclude=survey&author=J+Smith&like=2604.00001"
        "&unlike=2604.00002&venue=CVPR&has=code&like_author=doe_j_1&limit=9&days=3&sort=date&summaries=0&format=json")
    assert urls.adhoc_feed(FeedQuery(cat=["cs.AI"]), "rss") == "https://feeds.example/feed?cat=cs.AI"  # rss: the default
    assert urls.profile_feed("llm", "csl", FeedQuery(limit=5)) == "https://feeds.example/feeds/llm.csl.json?limit=5"


def test_every_surface_gives_the_same_url_for_a_profile_feed(fake_arxiv, tmp_path):
    base = "https://feeds.example"
    with running_app(fake_arxiv, public_base_url=base) as app:
        index = lxml.html.fromstring(app.get("/").content)
        card = index.xpath("//link[@rel='alternate' and @title='LLM papers']/@href")
        opml = etree.fromstring(app.get("/opml").content).xpath("//outline[@text='LLM papers']/@xmlUrl")
        served = etree.fromstring(app.get("/feeds/llm.atom").content)
        self_link = _self_links(served)
        feed_id = served.findtext(f"{ATOM}id")
        assert card == opml == self_link == [f"{base}/feeds/llm.atom"]
        assert feed_id == f"{base}/feeds/llm"
        live = lxml.html.fromstring(app.get("/api/preview.html?cat=cs.AI&q=agent&format=atom").content)
        assert live.xpath("//@data-feed-url") == [app.get("/api/preview?cat=cs.AI&q=agent&format=atom").json()["feed_url"]]
        preview = lxml.html.fromstring(app.get("/preview?cat=cs.AI&q=agent").content)
        assert live.xpath("//@data-feed-url")[0] in preview.xpath("//a/@href | //input/@value")

    config = tmp_path / "config.json"
    config.write_text(json.dumps(TEST_CONFIG))
    settings = make_settings(fake_arxiv)
    env = {**os.environ, "ARXIV_FEEDS_CONFIG": str(config), "KV_BACKEND": "memory", "PUBLIC_BASE_URL": base,
           "ARXIV_RSS_URL": settings.arxiv_rss_url, "ARXIV_API_URL": settings.arxiv_api_url,
           "ARXIV_BACKFILL_MAX_REQUESTS": "0", "ENRICH_MAX_REQUESTS": "0"}
    done = subprocess.run([sys.executable, "-m", "core", "feed", "llm", "--format", "atom"], cwd=ROOT, env=env,
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    printed = etree.fromstring(done.stdout)
    assert _self_links(printed) == self_link
    assert printed.findtext(f"{ATOM}id") == feed_id
