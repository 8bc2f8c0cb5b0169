"""Text that is not ours (the query string, arXiv's data, the model's answer, config.json's
extras) never becomes markup, a script link or a leaked secret, through the real app over HTTP.

The Markdown digest is rendered here as a permissive viewer would (raw HTML on, every link
scheme accepted), so only the digest's own escaping protects it."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

import feedparser
import lxml.html
import pytest
from lxml import etree
from markdown_it import MarkdownIt

from core.render.texprint import plain
from tests.conftest import TEST_CONFIG, running_app
from tests.fakearxiv import Failure
from tests.llm_stub import LLMStub
from tests.test_hostile_upstream import day
from tests.test_summaries import with_llm

HOSTILE_UTM = ")[x](javascript:alert(1))<img/src=x/onerror=alert(1)>"


def permissive_html(markdown: str) -> lxml.html.HtmlElement:
    renderer = MarkdownIt("commonmark", {"html": True})
    renderer.validateLink = lambda url: True  # as a viewer that trusts the author would
    return lxml.html.fragment_fromstring(renderer.render(markdown), create_parent="div")


def assert_inert(markdown: str) -> list[str]:
    """No element but formatting and links, no event handler, every target http(s); the links."""
    html = permissive_html(markdown)
    tags = {el.tag for el in html.iter() if isinstance(el.tag, str)}
    assert tags <= {"div", "h1", "h2", "p", "em", "strong", "a", "blockquote", "br", "ul", "li", "code"}, tags
    for el in html.iter():
        if isinstance(el.tag, str):
            assert not [a for a in el.attrib if a.lower().startswith("on")], lxml.html.tostring(el)
    links = [el.get("href") or "" for el in html.iter("a")]
    assert all(urlsplit(link).scheme in ("http", "https") for link in links), links
    return links


def raw_get(base: str, target: str) -> tuple[int, str]:
    """A request line sent as written (httpx would percent-encode `<` and `>`)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("GET", target, skip_accept_encoding=True)
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8")
    finally:
        conn.close()


# --- item 4: the Markdown digest ---------------------------------------------------------


def test_markdown_digest_link_cannot_be_broken_out_of_by_the_query_string(app):
    target = "/feed?cat=cs.AI&q=agent&format=md&utm_x=" + HOSTILE_UTM
    status, raw_text = raw_get(app.url, target)
    assert status == 200, raw_text
    encoded = app.get("/feed", params={"cat": "cs.AI", "q": "agent", "format": "md", "utm_x": HOSTILE_UTM}).text
    for text in (raw_text, encoded):
        links = assert_inert(text)
        feed_links = [link for link in links if "/feed?" in link]
        # utm_* never reach the self link (issue 14: they do not change a feed), so nothing of it is there
        assert feed_links == [app.url + "/feed?cat=cs.AI&q=agent&format=md"], links


def test_markdown_digest_escapes_upstream_categories(fake_arxiv):
    hostile = "x](javascript:alert(2))&lt;img src=x onerror=alert(3)&gt;"
    listing = day("cs.AI", [{"title": "Diffusion", "abstract": "diffusion", "categories": ["cs.AI", hostile]}])
    with running_app(fake_arxiv) as app:
        fake_arxiv.fail_next(Failure(200, listing))
        md = app.get("/feed?cat=cs.AI&q=diffusion&format=md")
    assert md.status_code == 200, md.text
    assert "onerror" in md.text  # the hostile category is there, as text
    links = assert_inert(md.text)
    assert "javascript" not in " ".join(links)


LLM_ANSWER = (
    "**{title}** uses [a reference][1], [inline](javascript:alert(3)) and <img src=x onerror=alert(4)>.\n\n"
    "[1]: javascript:alert(5)\n\n"
    "- [c][2]\n\n"
    "> [2]:\n"
    ">   javascript:alert(6)\n\n"
    "[kept](https://example.org/ok)"
)


def digest_with_summaries(fake_arxiv, answer: str):
    """The Markdown digest of a cs.AI feed whose AI summaries are `answer` (the model's words)."""
    llm = LLMStub()
    llm.answer = answer
    try:
        with running_app(fake_arxiv, **with_llm(llm)) as app:
            md = app.get("/feed?cat=cs.AI&q=agent&format=md&summaries=1")
    finally:
        llm.stop()
    assert md.status_code == 200 and "**AI summary**" in md.text, md.text[:500]
    return md


def test_markdown_digest_keeps_only_http_links_of_the_model(fake_arxiv):
    md = digest_with_summaries(fake_arxiv, LLM_ANSWER)
    links = assert_inert(md.text)
    assert "https://example.org/ok" in links
    assert "javascript" not in " ".join(links)
    # what the model wrote is still there to read, as text, after the digest's own headings
    assert md.text.startswith("# ") and "\n## 1. [" in md.text
    html = permissive_html(md.text)
    shown = " ".join(html.text_content().split())
    assert "<img src=x onerror=alert(4)>" in shown and "[inline])" in shown and "[1]: javascript:alert(5)" in shown
    label = next(p for p in html.iter("p") if p.text_content().startswith("AI summary"))
    assert " ".join(label.text_content().split()) == "AI summary (stub-1):"  # the answer starts a block of its own
    answer = label.getnext()
    assert answer.tag == "p" and answer.text_content().startswith(answer.find("strong").text_content() + " uses ")
    kept = next(a for a in html.iter("a") if a.get("href") == "https://example.org/ok")
    assert kept.getparent().text_content() == "kept"  # the answer's last line ends its block


# Schemes a javascript:-only filter would let through: a data: page, VBScript, and an
# entity-encoded javascript: (Markdown decodes `&#106;` to `j` in a link target).
OTHER_SCRIPT_LINKS = (
    "**{title}**: [page](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==), "
    "[vb](vbscript:msgbox(1)), [enc](&#106;avascript:alert(7)), [Enc](JaVaScRiPt:alert(8)) "
    "and [kept](https://example.org/ok)."
)


def test_markdown_digest_makes_no_live_link_of_data_vbscript_or_entity_encoded_script(fake_arxiv):
    md = digest_with_summaries(fake_arxiv, OTHER_SCRIPT_LINKS)
    links = assert_inert(md.text)  # every link a viewer makes of the digest is http(s)
    assert "https://example.org/ok" in links


def test_markdown_digest_reads_as_a_heading_per_paper_with_its_links_authors_and_abstract(app):
    feed = app.get("/feed?cat=cs.AI&q=agent&format=json&limit=3").json()
    md = app.get("/feed?cat=cs.AI&q=agent&format=md&limit=3")
    html = lxml.html.fragment_fromstring(MarkdownIt("commonmark").render(md.text), create_parent="div")
    text = lambda el: " ".join(el.text_content().split())  # noqa: E731
    assert [text(h) for h in html.iter("h1")] == [feed["title"]]
    assert text(html.findall("p")[0]) == feed["description"] == text(html.find("p/em"))
    header = html.findall("p")[1]
    assert text(header).startswith("Updated ") and text(header).endswith(f"{len(feed['items'])} papers · feed")
    assert [a.get("href") for a in header.iter("a")] == [f"{app.url}/feed?cat=cs.AI&q=agent&format=md&limit=3"]
    sections = html.findall("h2")
    assert len(sections) == len(feed["items"]) == 3
    quotes = [text(q) for q in html.iter("blockquote")]
    for rank, (h2, item) in enumerate(zip(sections, feed["items"]), 1):
        assert text(h2) == f"{rank}. {' '.join(item['title'].split())}"
        assert [a.get("href") for a in h2.iter("a")] == [item["url"]]
        details = h2.getnext()
        assert text(details).startswith(f"Authors: {', '.join(a['name'] for a in item['authors'])} Categories: ")
        meta = item["_arxiv_feeds"]
        assert f"Categories: {', '.join(item['tags'])} · Type: {meta['announce_type']}" in text(details)
        assert f"Announced: {item['date_published'][:10]}" in text(details)
        assert f"Score {meta['score']:g}: {meta['explanation']}" in text(details)
        assert meta["pdf_url"] in [a.get("href") for a in details.iter("a")]
        assert details.getnext().tag == "blockquote" and quotes[rank - 1] == " ".join(plain(item["summary"]).split())
    empty = app.get("/feed?cat=cs.AI&q=zzqqxx&format=md").text
    assert empty.startswith("# arXiv cs.AI: zzqqxx\n") and "## " not in empty
    said = lxml.html.fragment_fromstring(MarkdownIt("commonmark").render(empty), create_parent="div").findall("p")[-1]
    assert said.text_content() == "No matching papers in this window."


# --- item 5: RSS channel text built from the query --------------------------------------------


def test_channel_title_and_description_built_from_the_query_hold_no_markup(app):
    query = {"cat": "cs.AI", "q": "<img src=x onerror=alert(1)> agent &amp;lt;b&amp;gt;"}
    rss = app.get("/feed", params=query)
    atom = app.get("/feed", params={**query, "format": "atom"})
    feed = app.get("/feed", params={**query, "format": "json"}).json()
    assert rss.status_code == atom.status_code == 200
    channel = etree.fromstring(rss.content).find("channel")
    texts = [channel.findtext("title"), channel.findtext("description"), feed["title"], feed["description"],
             feedparser.parse(atom.content).feed.title]
    for text in texts:
        assert "agent" in text
        # a reader that takes the text as HTML finds no element in it
        html = lxml.html.fragment_fromstring(text, create_parent="div")
        assert [el.tag for el in html.iterdescendants()] == [], text
        assert "<" not in text and ">" not in text and "&" not in text, text


# --- item 6: /config never shows a secret ---------------------------------------------------------

SECRETS = ("pw-in-url", "sk-live-0123456789abcdef", "k-hyphen-secret", "bearer-token-xyz", "cookie-value", "tok-nested")


def test_config_strips_userinfo_and_redacts_secrets_by_pattern_at_any_depth(fake_arxiv):
    profile = {
        **TEST_CONFIG["profiles"]["llm"],
        "summaries": {
            "enabled": False,
            "base_url": "https://user:pw-in-url@llm.example/v1?api_key=sk-live-0123456789abcdef&region=eu",
            "api-key": "k-hyphen-secret",
            "headers": {"Authorization": "Bearer bearer-token-xyz"},
            "options": {"Cookie": "cookie-value", "extra": [{"x-auth-token": "tok-nested"}], "note": "Bearer sk-live-0123456789abcdef"},
            "api_key_env": "MY_LLM_KEY",
            "model": "qwen-long",
        },
    }
    with running_app(fake_arxiv, config={"profiles": {"llm": profile}}) as app:
        response = app.get("/config")
    assert response.status_code == 200
    text = response.text
    leaked = [s for s in SECRETS if s in text]
    assert leaked == [], text
    shown = response.json()["profiles"]["llm"]["summaries"]
    assert shown["base_url"].startswith("https://llm.example/v1?") and "region=eu" in shown["base_url"]
    assert shown["api_key_env"] == "MY_LLM_KEY" and shown["model"] == "qwen-long"  # names and models are not secrets
    assert "keywords" in response.json()["profiles"]["llm"]
    assert json.loads(text)["profiles"]["llm"]["categories"] == ["cs.AI", "cs.CL", "cs.LG"]


MID_VALUE_SECRETS = ("sk-mid0123456789abcdef", "ghp_0123456789abcdefghijklmnopqrstuv", "AKIAABCDEFGHIJKLMNOP",
                     "xoxb-1234567890-abcdef")


def test_config_hides_a_key_in_the_middle_of_an_innocently_named_value(fake_arxiv):
    profile = {
        **TEST_CONFIG["profiles"]["llm"],
        "summaries": {
            "enabled": False,
            "model": "qwen-long",
            "note": f"the key is {MID_VALUE_SECRETS[0]} until May",
            "comment": ["rotated; the deploy token is now " + MID_VALUE_SECRETS[1]],
            "extra": {"aws": "id=" + MID_VALUE_SECRETS[2], "slack": "bot " + MID_VALUE_SECRETS[3]},
        },
    }
    with running_app(fake_arxiv, config={"profiles": {"llm": profile}}) as app:
        response = app.get("/config")
    assert response.status_code == 200
    assert [s for s in MID_VALUE_SECRETS if s in response.text] == [], response.text
    assert response.json()["profiles"]["llm"]["summaries"]["model"] == "qwen-long"  # the rest is still shown


@pytest.mark.parametrize("name", ["api-key", "apiKey", "X-Api-Key", "client_secret", "Authorization", "set-cookie",
                                  "headers", "db_password", "access_token", "accessToken", "clientSecret", "DB2Password"])
def test_secret_names_in_any_spelling_are_recognised(name):
    from core.redact import secret_name

    assert secret_name(name)
    assert not secret_name("keywords") and not secret_name("api_key_env") and not secret_name("monkey")


@pytest.mark.parametrize("url,bare,auth", [
    ("https://user:p%40ss@llm.example/v1?x=1", "https://llm.example/v1?x=1", ("user", "p@ss")),
    ("http://user:pw@127.0.0.1:8080/rss", "http://127.0.0.1:8080/rss", ("user", "pw")),
    ("https://ghp_token@git.example/repo", "https://git.example/repo", ("ghp_token", "")),  # a token as the user
    ("https://:only-pw@llm.example/v1", "https://llm.example/v1", ("", "only-pw")),
    ("https://llm.example:8443/v1", "https://llm.example:8443/v1", None),
])
def test_credentials_leave_a_configured_url_and_travel_as_auth(url, bare, auth):
    from core.redact import split_userinfo

    assert split_userinfo(url) == (bare, auth)


def test_markdown_digest_shows_venue_code_doi_comments_and_journal_in_one_escaped_paragraph():
    """What arXiv's API adds to a paper (venue, code links, DOI, comment, journal reference) is
    one paragraph under its score, each part named, links https and percent-encoded, arXiv's
    text escaped; a paper without any has no such paragraph."""
    import datetime as dt

    from core.ranking.types import Scored
    from core.papers import Paper
    from core.render import FeedDocument, render

    described = Paper(id="2604.00001", version=1, title="A *bold* title $x_1$", abstract="We show 91.0\\% mAP$_{50}$.",
                      categories=["cs.CV", "cs.AI"], authors=["A. Smith", "B_Jones"], announced=dt.date(2026, 4, 27),
                      comment="Accepted at CVPR 2026. Code: https://github.com/kd-tao/omnizip and https://kd-tao.github.io/omnizip",
                      journal_ref="CVPR 2026 [x]", doi="10.1109/CVPR.2026.001")
    bare = Paper(id="2604.00002", version=1, title="Plain", abstract="a", categories=["cs.CV"], authors=["C"],
                 announced=dt.date(2026, 4, 27))
    doc = FeedDocument(title="T", description="d", self_url="http://x/feed?q=a b", home_url="http://x/", feed_id="x",
                       updated=dt.datetime(2026, 4, 27, 13, 5, tzinfo=dt.UTC),
                       items=[Scored(paper=described, score=1.5, hits=[]), Scored(paper=bare, score=1, hits=[])])
    every = "no keyword terms: every paper in the categories is listed"
    assert render(doc, "md").decode() == "\n".join([
        "# T", "", "_d_", "", "Updated 2026-04-27 13:05 UTC · 2 papers · [feed](http://x/feed?q=a%20b)", "",
        "## 1. [A \\*bold\\* title x₁](https://arxiv.org/abs/2604.00001)", "",
        "**Authors:** A. Smith, B\\_Jones  ",
        "**Categories:** cs.CV, cs.AI · **Type:** new · **Announced:** 2026-04-27 · [PDF](https://arxiv.org/pdf/2604.00001v1)  ",
        f"**Score 1.5:** {every}", "",
        "**Venue:** CVPR 2026 · **Code:** [github.com/kd-tao/omnizip](https://github.com/kd-tao/omnizip), "
        "[kd-tao.github.io/omnizip](https://kd-tao.github.io/omnizip) · "
        "**DOI:** [10.1109/CVPR.2026.001](https://doi.org/10.1109/CVPR.2026.001) · "
        "**Comments:** Accepted at CVPR 2026. Code: https://github.com/kd-tao/omnizip and https://kd-tao.github.io/omnizip · "
        "**Journal:** CVPR 2026 \\[x\\]", "",
        "> We show 91.0% mAP₅₀.", "",
        "## 2. [Plain](https://arxiv.org/abs/2604.00002)", "",
        "**Authors:** C  ",
        "**Categories:** cs.CV · **Type:** new · **Announced:** 2026-04-27 · [PDF](https://arxiv.org/pdf/2604.00002v1)  ",
        f"**Score 1:** {every}", "",
        "> a", ""])


def test_a_code_link_reads_as_the_whole_address_it_opens_even_an_archived_copy():
    """The link text is the target without its scheme: an archived copy reads as the archive,
    not as the repository inside its address."""
    import datetime as dt

    from core.ranking.types import Scored
    from core.papers import Paper
    from core.render import FeedDocument, render

    archived = "https://web.archive.org/web/2024/https://github.com/kd-tao/omnizip"
    paper = Paper(id="2604.00001", version=1, title="t", abstract="a", categories=["cs.CV"], authors=["C"],
                  announced=dt.date(2026, 4, 27), comment=f"Code: {archived}")
    doc = FeedDocument(title="T", description="d", self_url="http://x/feed", home_url="http://x/", feed_id="x",
                       updated=dt.datetime(2026, 4, 27, tzinfo=dt.UTC), items=[Scored(paper=paper, score=1, hits=[])])
    digest = render(doc, "md").decode()
    assert f"**Code:** [web.archive.org/web/2024/https://github.com/kd-tao/omnizip]({archived}) · " in digest
