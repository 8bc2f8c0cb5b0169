"""A fake rss.arxiv.org on 127.0.0.1, serving recorded listings like the real one.

It holds a pool of items (the union of the recorded files for "today") and
answers `/rss/a+b+c` with the items in any of those categories, announce types
relative to the requested set, as arXiv does. Tests script failures with
`fail_next` and read `requests` to count what reached "arXiv".
"""

from __future__ import annotations

import copy
import hashlib
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

FIXTURES = Path(__file__).parent / "fixtures"
MAX_ITEMS = 2000
ARXIV_NS = "http://arxiv.org/schemas/atom"
for prefix, uri in {"arxiv": ARXIV_NS, "dc": "http://purl.org/dc/elements/1.1/", "atom": "http://www.w3.org/2005/Atom"}.items():
    ET.register_namespace(prefix, uri)


@dataclass
class Failure:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False  # close the connection without answering


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float


class FakeArxiv:
    def __init__(self) -> None:
        self.channel: ET.Element | None = None
        self.items: list[ET.Element] = []
        self.failures: list[Failure] = []
        self.requests: list[Seen] = []
        self.delay = 0.0
        self.html_pages: dict[str, bytes] = {}  # "2604.21935v1" -> arxiv.org/html page
        self.api_papers: dict[str, ET.Element] = {}  # "2604.21935" -> an RSS item the query API knows
        self.withdrawn: set[str] = set()  # ids whose API entry says "withdrawn"
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

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

    def serve_api(self, *fixture_names: str) -> None:
        """Let the query API's `id_list` know the papers of these recorded RSS files."""
        for name in fixture_names:
            for item in ET.fromstring((FIXTURES / name).read_bytes()).iter("item"):
                self.api_papers[(item.findtext("link") or "").rsplit("/", 1)[-1]] = item

    def api_query(self, id_list: str) -> bytes:
        """export.arxiv.org/api/query?id_list=... in the real shape: an entry per known id
        (a requested version must exist), nothing for unknown ones."""
        feed = ET.Element("{http://www.w3.org/2005/Atom}feed")
        ET.SubElement(feed, "{http://www.w3.org/2005/Atom}id").text = "https://arxiv.org/api/fake"
        ET.SubElement(feed, "{http://www.w3.org/2005/Atom}title").text = f"arXiv Query: id_list={id_list}"
        entries = []
        for ref in [r for r in id_list.split(",") if r]:
            arxiv_id, _, version = ref.partition("v") if "/" not in ref else (ref.split("v")[0], "", "")
            item = self.api_papers.get(arxiv_id)
            if item is None:
                continue
            guid = item.findtext("guid") or ""
            have = int(guid.rsplit("v", 1)[-1]) if "v" in guid else 1
            if version and int(version) > have:
                continue
            entries.append((arxiv_id, int(version or have), item))
        opensearch = "http://a9.com/-/spec/opensearch/1.1/"
        ET.SubElement(feed, f"{{{opensearch}}}totalResults").text = str(len(entries))
        for arxiv_id, version, item in entries:
            atom = "{http://www.w3.org/2005/Atom}"
            entry = ET.SubElement(feed, f"{atom}entry")
            ET.SubElement(entry, f"{atom}id").text = f"http://arxiv.org/abs/{arxiv_id}v{version}"
            ET.SubElement(entry, f"{atom}title").text = item.findtext("title")
            abstract = (item.findtext("description") or "").split("Abstract: ", 1)[-1]
            if arxiv_id in self.withdrawn:
                abstract = "This paper has been withdrawn by the author."
                ET.SubElement(entry, f"{{{ARXIV_NS}}}comment").text = "This paper has been withdrawn"
            ET.SubElement(entry, f"{atom}summary").text = abstract
            ET.SubElement(entry, f"{atom}published").text = "2026-04-20T17:00:00Z"
            ET.SubElement(entry, f"{atom}updated").text = "2026-04-20T17:00:00Z"
            cats = [c.text or "" for c in item.findall("category")]
            ET.SubElement(entry, f"{{{ARXIV_NS}}}primary_category", {"term": cats[0] if cats else "cs.CV"})
            for cat in cats:
                ET.SubElement(entry, f"{atom}category", {"term": cat})
            creator = item.findtext("{http://purl.org/dc/elements/1.1/}creator") or ""
            for name in [n.strip() for n in creator.split(",") if n.strip()][:50]:
                ET.SubElement(ET.SubElement(entry, f"{atom}author"), f"{atom}name").text = name
        return ET.tostring(feed, encoding="utf-8", xml_declaration=True)

    def api_requests(self) -> list[Seen]:
        return [r for r in self.requests if r.path.startswith("/api/")]

    def fail_next(self, *failures: Failure) -> None:
        with self._lock:
            self.failures.extend(failures)

    def listing_requests(self) -> list[Seen]:
        return [r for r in self.requests if r.path.startswith("/rss/")]

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
                    fake.requests.append(Seen(self.path, dict(self.headers), time.monotonic()))
                    failure = fake.failures.pop(0) if fake.failures else None
                if fake.delay:
                    time.sleep(fake.delay)
                if failure is not None:
                    if failure.delay:
                        time.sleep(failure.delay)
                    if failure.reset:
                        self.close_connection = True
                        self.connection.shutdown(2)
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
                if path.startswith("/api/query"):
                    from urllib.parse import parse_qs
                    query = parse_qs(self.path.split("?", 1)[1] if "?" in self.path else "")
                    body = fake.api_query(",".join(query.get("id_list", [""])))
                    self._send(200, body, {"Content-Type": "application/atom+xml"})
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

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

        return Handler
