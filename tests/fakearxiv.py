"""A fake rss.arxiv.org and export.arxiv.org/api/query on 127.0.0.1, serving recorded data
like the real ones.

RSS: it holds a pool of items (the union of the recorded files for "today") and answers
`/rss/a+b+c` with the items in any of those categories, announce types relative to the
requested set, as arXiv does. Query API: `serve_api(entries)` holds Atom entries (`history()`
renders them from the recorded API answer with dates relative to "today"); `/api/query`
answers `search_query=cat:a OR cat:b` sorted and paged like arXiv (`sortBy`, `start`,
`max_results`, `opensearch:totalResults`), and `id_list`. `rss_for_day()` renders the listing
arXiv would publish for one day from the same entries. Tests script failures with `fail_next`,
query-API answers that lose papers with `quirk_next` (`Quirk`: short pages, wrong totals, `start=`
ignored, a cut body, stray dates, an empty answer), and read `requests` to count what reached
"arXiv".
"""

from __future__ import annotations

import copy
import datetime as dt
import email.utils
import hashlib
import re
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote
from zoneinfo import ZoneInfo

from core.sources.arxiv.schedule import listing_day_of_submission, weekdays_between

FIXTURES = Path(__file__).parent / "fixtures"
MAX_ITEMS = 2000
# How often serve_forever checks for shutdown(): the default 0.5 s made every stop() wait ~0.4 s.
POLL_S = 0.01
ARXIV_NS = "http://arxiv.org/schemas/atom"
ATOM_NS = "http://www.w3.org/2005/Atom"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
for prefix, uri in {"arxiv": ARXIV_NS, "dc": "http://purl.org/dc/elements/1.1/", "atom": ATOM_NS,
                    "opensearch": OPENSEARCH_NS}.items():
    ET.register_namespace(prefix, uri)
API_FIXTURE = "api_query_cat-csLG-OR-csAI_max20_2026-04-30.xml"
EASTERN = ZoneInfo("America/New_York")
A = f"{{{ATOM_NS}}}"


# The feed header of arXiv's recorded author-feed answer (help/institutional_repositories,
# `curl -L --header "Accept: application/atom+xml" http://arxiv.org/a/0000-0001-6286-1277`), the
# identifier put in; entries follow it.
AUTHOR_FEED_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>David R. Morrison's articles on arXiv</title>
  <link rel="describes" href="http://orcid.org/0000-0001-6286-1277"/>
  <updated>2015-09-23T00:00:00-04:00</updated>
  <id>http://arxiv.org/a/{id}</id>
  <link href="http://arxiv.org/a/{id}.atom" rel="self" type="application/atom+xml"/>
  <link rel="describes" href="http://arxiv.org/a/{id}"/>
</feed>"""


@dataclass
class Failure:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    only: str = ""  # for the next such request whose path holds this (`id_list=`: a seed fetch)
    reset: bool = False  # close the connection without answering
    api: bool = False  # for a query-API request (else for the next listing or HTML request)
    trickle: float = 0.0  # send the body one byte every this many seconds (each read in time)


@dataclass
class Quirk:
    """How one query-API answer goes wrong (the real API does each now and then); `Quirk()`
    is a correct answer. Applied in order to the next API requests (`quirk_next`)."""

    keep: int | None = None  # only the first `keep` entries of the page (0: an empty page)
    total: int | None = None  # this `totalResults` instead of the true one
    ignore_start: bool = False  # the first page whatever `start=` asked
    cut_at: float | None = None  # the body cut at this fraction with `</feed>` appended
    extra: list[ET.Element] = field(default_factory=list)  # entries outside the asked range too
    only: str = ""  # for the next request whose path holds this (`id_list=`: a seed fetch)


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float
    size: int = 0  # bytes of the answer's body


def send_trickling(handler: BaseHTTPRequestHandler, status: int, body: bytes, seconds: float) -> None:
    """Answer `body` one byte every `seconds` (an upstream that never times out a read, only a
    whole-answer deadline stops it), then close; shared by every fake upstream here."""
    handler.send_response(status)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.close_connection = True
    try:
        for byte in body:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(seconds)
    except OSError:  # the client stopped listening: what a deadline does
        pass


class FakeArxiv:
    def __init__(self) -> None:
        self.channel: ET.Element | None = None
        self.items: list[ET.Element] = []
        self.failures: list[Failure] = []
        self.quirks: list[Quirk] = []
        self.requests: list[Seen] = []
        self.delay = 0.0
        self.html_pages: dict[str, bytes] = {}  # "2604.21935v1" -> arxiv.org/html page
        self.api_entries: list[ET.Element] = []  # the query API's papers, newest change first
        self.old_versions: dict[str, ET.Element] = {}  # "2604.14706v1" -> that version (id_list only)
        self.withdrawn: set[str] = set()  # ids whose API entry says "withdrawn" (like= seeds)
        self.api_gate = threading.Event()  # query-API answers wait until it is set (cleared: "arXiv is slow")
        self.api_gate.set()
        self.authors: dict[str, list[str]] = {}  # author identifier or ORCID iD -> arXiv ids (/a/{id}.atom)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": POLL_S}, daemon=True
        )

    # --- control -------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "FakeArxiv":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def serve_day(self, *fixture_names: str) -> None:
        """Make today's listing the union of these recorded RSS files (none: an empty weekend day)."""
        names = fixture_names or ("rss_cs_empty_weekend_2026-03-29.xml",)
        self.serve_xml(*((FIXTURES / name).read_bytes() for name in names))

    def serve_xml(self, *bodies: bytes) -> None:
        """Make today's listing the union of the items of these RSS documents."""
        channel, items, seen = None, [], set()
        for body in bodies:
            root = ET.fromstring(body)
            found = root.find("channel")
            assert found is not None
            if channel is None:
                channel = copy.deepcopy(found)
                for item in channel.findall("item"):
                    channel.remove(item)
            for item in found.findall("item"):
                guid = item.findtext("guid")
                if guid not in seen:
                    seen.add(guid)
                    items.append(item)
        with self._lock:
            self.channel, self.items = channel, items

    def fail_next(self, *failures: Failure) -> None:
        with self._lock:
            self.failures.extend(failures)

    def quirk_next(self, *quirks: Quirk) -> None:
        with self._lock:
            self.quirks.extend(quirks)

    def listing_requests(self) -> list[Seen]:
        return [r for r in self.requests if r.path.startswith("/rss/")]

    def api_requests(self) -> list[Seen]:
        return [r for r in self.requests if r.path.startswith("/api/")]

    def serve_api_from(self, *fixture_names: str, metadata: dict[str, dict[str, str]] | None = None) -> None:
        """Let the query API also know the papers of these recorded RSS listings (`like=` seeds),
        with arXiv's `comment`, `journal_ref` and `doi` per id from `metadata`
        (`real_comments()` gives the recorded real comments)."""
        entries = []
        for name in fixture_names:
            for item in ET.fromstring((FIXTURES / name).read_bytes()).iter("item"):
                entry = _entry_from_item(item)
                for field, value in (metadata or {}).get(_ref(entry)[0], {}).items():
                    if value:
                        ET.SubElement(entry, f"{{{ARXIV_NS}}}{field}").text = value
                entries.append(entry)
        with self._lock:
            self.api_entries = self.api_entries + entries

    def serve_api(self, entries: list[ET.Element]) -> None:
        """What the query API knows (only announced papers, as on arXiv)."""
        with self._lock:
            self.api_entries = sorted(entries, key=lambda e: e.findtext(f"{A}updated") or "", reverse=True)

    # --- the query API -----------------------------------------------------------

    def api_answer(self, query: dict[str, list[str]], quirk: Quirk | None = None) -> bytes:
        quirk = quirk or Quirk()
        search = (query.get("search_query") or [""])[0]
        ids = [i for i in (query.get("id_list") or [""])[0].split(",") if i]
        start = int((query.get("start") or ["0"])[0])
        size = min(int((query.get("max_results") or ["10"])[0]), 2000)
        sort_key = {"submittedDate": f"{A}published"}.get((query.get("sortBy") or [""])[0], f"{A}updated")
        wanted = set(re.findall(r"cat:([\w.-]+)", search))
        with self._lock:
            entries = list(self.api_entries)
        span = re.search(r"lastUpdatedDate:\[(\d{12}) TO (\d{12})\]", search)
        if span:  # GMT, to the minute, inclusive
            low, high = (dt.datetime.strptime(v, "%Y%m%d%H%M").strftime("%Y-%m-%dT%H:%M") for v in span.groups())
            entries = [e for e in entries if low <= (e.findtext(f"{A}updated") or "")[:16] <= high]
        if wanted:
            entries = [e for e in entries if any(c in wanted or c.split(".")[0] in wanted for c in _entry_categories(e))]
        if ids:
            asked = _asked(ids)
            entries = [e for e in entries if _asked_for(e, asked)]
            entries = [_withdrawn(e) if _ref(e)[0] in self.withdrawn else e for e in entries]
            entries += [self.old_versions[ref] for ref in ids if ref in self.old_versions]  # as arXiv: that version too
        entries += quirk.extra
        entries.sort(key=lambda e: e.findtext(sort_key) or "", reverse=(query.get("sortOrder") or ["descending"])[0] == "descending")
        root = ET.Element(f"{A}feed")
        ET.SubElement(root, f"{A}title").text = f"arXiv Query: search_query={search}"
        ET.SubElement(root, f"{A}updated").text = "2026-04-30T17:33:16Z"
        total = len(entries) if quirk.total is None else quirk.total
        ET.SubElement(root, f"{{{OPENSEARCH_NS}}}totalResults").text = str(total)
        ET.SubElement(root, f"{{{OPENSEARCH_NS}}}startIndex").text = str(start)
        ET.SubElement(root, f"{{{OPENSEARCH_NS}}}itemsPerPage").text = str(size)
        first = 0 if quirk.ignore_start else start
        page = entries[first : first + size][: quirk.keep]
        root.extend(copy.deepcopy(e) for e in page)
        body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
        if quirk.cut_at is not None:
            body = body[: int(len(body) * quirk.cut_at)] + b"</feed>"
        return body

    # --- author feeds (arxiv.org/a/{id}.atom) -------------------------------------

    def author_feed(self, identifier: str) -> bytes | None:
        """arXiv's author feed for `identifier` (None: arXiv does not know it, a 404): the
        recorded answer's feed header (arXiv's help page on institutional repositories shows
        `curl -L -H "Accept: application/atom+xml" http://arxiv.org/a/0000-0001-6286-1277`) and
        one entry per paper of `authors[identifier]` that the query API knows, in the shape
        arXiv's author-feed code writes (`.atom`: one <author> per name, primary category, a
        pdf link), newest first."""
        with self._lock:
            refs = self.authors.get(identifier)
            entries = [e for e in self.api_entries if refs is not None and _ref(e)[0] in refs]
        if refs is None:
            return None
        root = ET.fromstring(AUTHOR_FEED_HEAD.format(id=identifier).encode())
        for entry in entries:
            entry = copy.deepcopy(entry)
            arxiv_id, version = _ref(entry)
            ET.SubElement(entry, f"{A}link", {"href": f"http://arxiv.org/abs/{arxiv_id}v{version}", "rel": "alternate", "type": "text/html"})
            ET.SubElement(entry, f"{A}link", {"title": "pdf", "href": f"https://arxiv.org/pdf/{arxiv_id}v{version}", "rel": "alternate", "type": "application/pdf"})
            root.append(entry)
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)

    # --- the listing -----------------------------------------------------------

    def listing(self, categories: list[str]) -> bytes:
        wanted = set(categories)

        def member(cat: str) -> bool:
            return cat in wanted or cat.split(".")[0] in wanted

        assert self.channel is not None, "call serve_day() first"
        channel = copy.deepcopy(self.channel)
        channel.find("title").text = f"{'+'.join(categories)} updates on arXiv.org"  # type: ignore[union-attr]
        for item in self.items:
            cats = [c.text or "" for c in item.findall("category")]
            if not any(member(c) for c in cats):
                continue
            item = copy.deepcopy(item)
            kind_el = item.find(f"{{{ARXIV_NS}}}announce_type")
            kind = kind_el.text if kind_el is not None else "new"
            replaced = kind.startswith("replace")
            primary_in = member(cats[0])
            new_kind = ("replace" if primary_in else "replace-cross") if replaced else ("new" if primary_in else "cross")
            if kind_el is not None:
                kind_el.text = new_kind
            desc = item.find("description")
            if desc is not None and desc.text:
                desc.text = desc.text.replace(f"Announce Type: {kind} ", f"Announce Type: {new_kind} ", 1)
            channel.append(item)
            if len(channel.findall("item")) == MAX_ITEMS:  # arXiv caps a listing at 2000 items
                break
        root = ET.Element("rss", {"version": "2.0"})
        root.append(channel)
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                with fake._lock:
                    self.seen = Seen(self.path, dict(self.headers), time.monotonic())
                    fake.requests.append(self.seen)
                    is_api = self.path.startswith("/api/")
                    failure = next((f for f in fake.failures if f.api == is_api and f.only in self.path), None)
                    if failure is not None:
                        fake.failures.remove(failure)
                if fake.delay:
                    time.sleep(fake.delay)
                if is_api:
                    fake.api_gate.wait(30)
                if failure is not None:
                    if failure.delay:
                        time.sleep(failure.delay)
                    if failure.reset:
                        self.close_connection = True
                        self.connection.shutdown(2)
                        return
                    if failure.trickle:
                        self._trickle(failure)
                        return
                    self._send(failure.status, failure.body, failure.headers)
                    return
                path = unquote(self.path.split("?", 1)[0])
                if path.startswith("/html/"):
                    page = fake.html_pages.get(path[len("/html/"):])
                    if page is None:
                        self._send(404, b"No HTML for this paper", {})
                    else:
                        self._send(200, page, {"Content-Type": "text/html; charset=utf-8"})
                    return
                if path.startswith("/a/") and path.endswith(".atom"):
                    body = fake.author_feed(path[len("/a/"):-len(".atom")])
                    if body is None:
                        self._send(404, b"Not Found", {"Content-Type": "text/html"})
                    else:
                        self._send(200, body, {"Content-Type": "application/atom+xml"})
                    return
                if path == "/api/query":
                    query = parse_qs(self.path.split("?", 1)[1] if "?" in self.path else "")
                    with fake._lock:
                        quirk = next((q for q in fake.quirks if q.only in self.path), None)
                        if quirk is not None:
                            fake.quirks.remove(quirk)
                    self._send(200, fake.api_answer(query, quirk), {"Content-Type": "application/atom+xml"})
                    return
                if not path.startswith("/rss/"):
                    self._send(404, b"not found", {})
                    return
                categories = [c for c in path[len("/rss/"):].replace(" ", "+").split("+") if c]
                body = fake.listing(categories)
                etag = '"' + hashlib.md5(body).hexdigest() + '"'
                if self.headers.get("If-None-Match") == etag:
                    self._send(304, b"", {"ETag": etag})
                    return
                self._send(200, body, {"ETag": etag, "Content-Type": "application/rss+xml"})

            def _trickle(self, failure: Failure) -> None:
                send_trickling(self, failure.status, failure.body, failure.trickle)

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if getattr(self, "seen", None) is not None:
                    self.seen.size = len(body)
                if body:
                    self.wfile.write(body)

        return Handler


def closed_url(path: str = "") -> str:
    """A URL on 127.0.0.1 where nothing listens: every connection is refused."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"


def real_comments() -> dict[str, dict[str, str]]:
    """arXiv's real comments of the recorded cs.CV days, by id (tests/fixtures/real_comments.jsonl)."""
    import json

    rows = [json.loads(line) for line in (FIXTURES / "real_comments.jsonl").read_text().splitlines()]
    return {row["id"]: {"comment": row["comment"]} for row in rows if row["comment"] and "daily_cs.CV" in row["source"]}


# --- history relative to "today", rendered from the recorded query-API answer ----------------


def _entry_categories(entry: ET.Element) -> list[str]:
    """Primary first, as arXiv lists them."""
    primary = entry.find(f"{{{ARXIV_NS}}}primary_category")
    cats = [c.get("term") or "" for c in entry.findall(f"{A}category")]
    if primary is not None and primary.get("term") in cats:
        cats.remove(primary.get("term") or "")
        cats.insert(0, primary.get("term") or "")
    return cats


def _ref(entry: ET.Element) -> tuple[str, int]:
    arxiv_id, _, version = (entry.findtext(f"{A}id") or "").rsplit("/abs/", 1)[-1].rpartition("v")
    return arxiv_id, int(version or 1)


def _asked(refs: list[str]) -> dict[str, int]:
    """`id_list` as id -> the lowest version asked (0: any)."""
    asked: dict[str, int] = {}
    for ref in refs:
        arxiv_id, _, version = ref.partition("v") if re.match(r"^\d{4}\.", ref) else (ref, "", "")
        asked[arxiv_id] = min(asked.get(arxiv_id, 10**6), int(version or 0))
    return asked


def _asked_for(entry: ET.Element, asked: dict[str, int]) -> bool:
    """`id_list` names this paper, without a version or with one it has."""
    arxiv_id, version = _ref(entry)
    return arxiv_id in asked and asked[arxiv_id] <= version


def _withdrawn(entry: ET.Element) -> ET.Element:
    entry = copy.deepcopy(entry)
    entry.find(f"{A}summary").text = "This paper has been withdrawn by the author."  # type: ignore[union-attr]
    ET.SubElement(entry, f"{{{ARXIV_NS}}}comment").text = "This paper has been withdrawn"
    return entry


def _entry_from_item(item: ET.Element) -> ET.Element:
    """A query-API entry with the text of an RSS listing item."""
    guid = item.findtext("guid") or ""
    arxiv_id, version = guid.rsplit(":", 1)[-1].rsplit("v", 1)
    entry = ET.Element(f"{A}entry")
    ET.SubElement(entry, f"{A}id").text = f"http://arxiv.org/abs/{arxiv_id}v{version}"
    ET.SubElement(entry, f"{A}title").text = item.findtext("title")
    ET.SubElement(entry, f"{A}summary").text = (item.findtext("description") or "").split("Abstract: ", 1)[-1]
    ET.SubElement(entry, f"{A}published").text = "2026-04-16T17:00:00Z"
    ET.SubElement(entry, f"{A}updated").text = "2026-04-16T17:00:00Z"
    categories = [c.text or "" for c in item.findall("category")]
    ET.SubElement(entry, f"{{{ARXIV_NS}}}primary_category", {"term": categories[0]})
    for category in categories:
        ET.SubElement(entry, f"{A}category", {"term": category, "scheme": "http://arxiv.org/schemas/atom"})
    creator = item.findtext("{http://purl.org/dc/elements/1.1/}creator") or ""
    for name in [n.strip() for n in creator.split(",") if n.strip()]:
        ET.SubElement(ET.SubElement(entry, f"{A}author"), f"{A}name").text = name
    return entry


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def api_entry(template: ET.Element, arxiv_id: str, version: int, published: dt.datetime,
              updated: dt.datetime, categories: list[str]) -> ET.Element:
    """A query-API entry: the recorded entry's text under a new id, dates and categories."""
    entry = copy.deepcopy(template)
    entry.find(f"{A}id").text = f"http://arxiv.org/abs/{arxiv_id}v{version}"  # type: ignore[union-attr]
    entry.find(f"{A}published").text = _stamp(published)  # type: ignore[union-attr]
    entry.find(f"{A}updated").text = _stamp(updated)  # type: ignore[union-attr]
    entry.find(f"{A}title").text = f"{entry.findtext(f'{A}title')} [{arxiv_id}]"  # type: ignore[union-attr]
    for element in entry.findall(f"{A}category"):
        entry.remove(element)
    for category in categories:
        ET.SubElement(entry, f"{A}category", {"term": category, "scheme": "http://arxiv.org/schemas/atom"})
    entry.find(f"{{{ARXIV_NS}}}primary_category").set("term", categories[0])  # type: ignore[union-attr]
    return entry


def history(today: dt.date, categories: list[str], per_day: int = 3, days: int = 14) -> list[ET.Element]:
    """The papers arXiv announced for the listing days of the last `days` days up to `today`:
    per listing day and category, `per_day` new papers submitted at 10:00 Eastern on the
    weekday before, one cross-list (primary cs.RO) and one replacement (v2 of an older paper)."""
    templates = ET.parse(FIXTURES / API_FIXTURE).getroot().findall(f"{A}entry")
    entries: list[ET.Element] = []
    serial = 0
    for day in sorted(weekdays_between(today - dt.timedelta(days=days - 1), today)):
        cutoff = day - dt.timedelta(days=1)
        while cutoff.weekday() >= 5:
            cutoff -= dt.timedelta(days=1)
        submitted = dt.datetime.combine(cutoff, dt.time(10, 0), EASTERN)
        assert listing_day_of_submission(submitted) == day
        that_day = 0  # seconds after 10:00: a day's entries stay before the 14:00 cutoff
        for category in categories:
            kinds = [("new", [category, "cs.AI" if category != "cs.AI" else "cs.LG"])] * per_day
            kinds += [("cross", ["cs.RO", category]), ("replace", [category])]
            for kind, cats in kinds:
                serial += 1
                arxiv_id = f"{day:%y%m}.{serial:05d}"
                template = templates[serial % len(templates)]
                that_day += 1
                when = submitted + dt.timedelta(seconds=that_day)
                if kind == "replace":
                    entries.append(api_entry(template, arxiv_id, 2, when - dt.timedelta(days=30), when, cats))
                else:
                    entries.append(api_entry(template, arxiv_id, 1, when, when, cats))
    return entries


def rss_for_day(entries: list[ET.Element], day: dt.date) -> bytes:
    """The RSS listing arXiv publishes for `day`: the entries its schedule puts there."""
    midnight = dt.datetime.combine(day, dt.time(0), EASTERN)
    root = ET.parse(FIXTURES / "rss_cs_empty_weekend_2026-03-29.xml").getroot()
    channel = root.find("channel")
    assert channel is not None
    channel.find("pubDate").text = email.utils.format_datetime(midnight)  # type: ignore[union-attr]
    channel.find("lastBuildDate").text = email.utils.format_datetime(midnight.astimezone(dt.timezone.utc))  # type: ignore[union-attr]
    for entry in entries:
        updated = dt.datetime.fromisoformat((entry.findtext(f"{A}updated") or "").replace("Z", "+00:00"))
        if listing_day_of_submission(updated) != day:
            continue
        ref = (entry.findtext(f"{A}id") or "").rsplit("/", 1)[-1]
        arxiv_id, version = ref.split("v")
        kind = "new" if version == "1" else "replace"
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = entry.findtext(f"{A}title")
        ET.SubElement(item, "link").text = f"https://arxiv.org/abs/{arxiv_id}"
        ET.SubElement(item, "description").text = (
            f"arXiv:{ref} Announce Type: {kind} \nAbstract: {' '.join((entry.findtext(f'{A}summary') or '').split())}"
        )
        ET.SubElement(item, "guid", {"isPermaLink": "false"}).text = f"oai:arXiv.org:{ref}"
        for category in _entry_categories(entry):
            ET.SubElement(item, "category").text = category
        ET.SubElement(item, "pubDate").text = email.utils.format_datetime(midnight)
        ET.SubElement(item, f"{{{ARXIV_NS}}}announce_type").text = kind
        names = [a.findtext(f"{A}name") or "" for a in entry.findall(f"{A}author")]
        ET.SubElement(item, "{http://purl.org/dc/elements/1.1/}creator").text = ", ".join(names)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


_CHANNEL = """<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0"><channel>
<title>cs.AI updates on arXiv.org</title><link>http://rss.arxiv.org/rss/cs.AI</link><description>x</description>
<pubDate>Mon, 27 Apr 2026 00:00:00 -0400</pubDate>{items}</channel></rss>"""
_ITEM = """<item><title>{title}</title><link>https://arxiv.org/abs/2604.{n:05d}</link>
<description>arXiv:2604.{n:05d}v1 Announce Type: new
Abstract: {abstract}</description><guid isPermaLink="false">oai:arXiv.org:2604.{n:05d}v1</guid>
<category>cs.AI</category><pubDate>Mon, 27 Apr 2026 00:00:00 -0400</pubDate><arxiv:announce_type>new</arxiv:announce_type>
<dc:creator>{authors}</dc:creator></item>"""


def cs_ai_listing(items: list[dict]) -> bytes:
    """A cs.AI listing of arXiv's shape for 2026-04-27 with these items (`n`, `title`,
    `abstract`, `authors`, each already XML-escaped as arXiv sends them): for hostile text."""
    return _CHANNEL.format(items="".join(_ITEM.format(**item) for item in items)).encode()
