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
