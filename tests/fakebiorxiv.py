"""A fake api.biorxiv.org on 127.0.0.1, serving recorded records like the real one.

`/details/{server}/{from}/{to}/{cursor}[/json]` answers the records of `server` posted in that
window, `page_size` a page from `cursor` (100 in the API's documentation, 30 since 2026), with
`messages[0]` as the real API writes it (`total` and `count_new_papers` as strings, `cursor` and
`count` as numbers; `strings=True` sends them all as strings), or `no posts found`; `?category=`
filters by collection name as the API does. `/details/{server}/{doi}[/na/json]` answers every
version of one DOI. Records are real: whole recorded days (`recorded_day`: 149 bioRxiv records
of 2021-06-01, five medRxiv days; `derived_day` dates them elsewhere) and single recorded
answers (`serve_fixture`), all from tests/fixtures/biorxiv (see its README for where each was
recorded). Tests script trouble with `fail_next` (`Failure`: a status, an empty or HTML body, a
reset, a trickle) and `quirk_next` (`Quirk`: a short page, a wrong total, `cursor` ignored,
counts as strings), and read `requests`.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from core.sources.biorxiv.taxonomy import slug
from tests.fakearxiv import send_trickling

FIXTURES = Path(__file__).parent / "fixtures" / "biorxiv"
POLL_S = 0.01
NO_POSTS = {"messages": [{"status": "no posts found"}], "collection": []}
_DETAILS = re.compile(r"^/details/(?P<server>biorxiv|medrxiv)/(?P<rest>.+?)/?$")
_WINDOW = re.compile(r"^(?P<first>\d{4}-\d{2}-\d{2})/(?P<last>\d{4}-\d{2}-\d{2})(?:/(?P<cursor>\d+))?(?:/json)?$")
_DOI = re.compile(r"^(?P<doi>10\.\d{4,5}/[\d.]+?)(?:/na)?(?:/json)?$")


@dataclass
class Failure:
    status: int = 503
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    reset: bool = False  # close the connection without answering
    trickle: float = 0.0  # send the body a byte every this many seconds
    only: str = ""  # for the next request whose path holds this


@dataclass
class Quirk:
    """How one `details` window answer goes wrong; `Quirk()` is a correct one."""

    keep: int | None = None  # only the first `keep` records of the page (a short page)
    total: int | None = None  # this total instead of the true one
    ignore_cursor: bool = False  # the first page whatever the cursor asked
    strings: bool = False  # cursor and count as strings too
    only: str = ""


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    at: float


class FakeBiorxiv:
    def __init__(self, page_size: int = 100) -> None:
        self.page_size = page_size
        self.records: dict[str, list[dict]] = {"biorxiv": [], "medrxiv": []}
        self.failures: list[Failure] = []
        self.quirks: list[Quirk] = []
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": POLL_S},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeBiorxiv:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what it knows ---------------------------------------------------------------------

    def serve(self, server: str, records: list[dict]) -> None:
        with self._lock:
            self.records[server] = self.records[server] + [dict(r) for r in records]

    def serve_fixture(self, *names: str) -> None:
        """Add the records of these recorded answers, each to the server it names."""
        for name in names:
            for record in json.loads((FIXTURES / name).read_text())["collection"]:
                self.serve(record["server"].lower(), [record])

    def fail_next(self, *failures: Failure) -> None:
        with self._lock:
            self.failures.extend(failures)

    def quirk_next(self, *quirks: Quirk) -> None:
        with self._lock:
            self.quirks.extend(quirks)

    # --- answers ---------------------------------------------------------------------------

    def window(self, server: str, first: str, last: str, cursor: int, category: str | None,
               quirk: Quirk | None) -> dict:
        quirk = quirk or Quirk()
        with self._lock:
            found = [r for r in self.records[server] if first <= r["date"] <= last]
        if category:
            found = [r for r in found if slug(r["category"]) == slug(category)]
        found.sort(key=lambda r: (r["date"], r["doi"], int(r["version"])))
        if not found:
            return NO_POSTS
        start = 0 if quirk.ignore_cursor else cursor
        page = found[start:start + self.page_size][:quirk.keep]
        if not page:
            return NO_POSTS
        total = len(found) if quirk.total is None else quirk.total
        new = sum(1 for r in found if str(r["version"]) == "1")
        message = {"status": "ok", "category": category or "all", "interval": f"{first}:{last}",
                   "cursor": str(cursor) if quirk.strings else cursor,
                   "count": str(len(page)) if quirk.strings else len(page),
                   "count_new_papers": str(new), "total": str(total)}
        return {"messages": [message], "collection": page}

    def versions(self, server: str, doi: str) -> dict:
        with self._lock:
            found = [r for r in self.records[server] if r["doi"].lower() == doi.lower()]
        if not found:
            return NO_POSTS
        found.sort(key=lambda r: int(r["version"]))
        return {"messages": [{"status": "ok"}], "collection": found}

    def answer(self, path: str, query: dict[str, list[str]], quirk: Quirk | None) -> tuple[int, dict | None]:
        match = _DETAILS.match(path)
        if not match:
            return 404, None
        server, rest = match.group("server"), match.group("rest")
        window = _WINDOW.match(rest)
        if window:
            category = (query.get("category") or [None])[0]
            return 200, self.window(server, window.group("first"), window.group("last"),
                                    int(window.group("cursor") or 0), category, quirk)
        doi = _DOI.match(rest)
        if doi:
            return 200, self.versions(server, doi.group("doi"))
        return 200, {"messages": [{"status": "error: interval not recognised"}], "collection": []}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                with fake._lock:
                    fake.requests.append(Seen(self.path, dict(self.headers), time.monotonic()))
                    failure = next((f for f in fake.failures if f.only in self.path), None)
                    if failure is not None:
                        fake.failures.remove(failure)
                    quirk = next((q for q in fake.quirks if q.only in self.path), None)
                    if quirk is not None and failure is None:
                        fake.quirks.remove(quirk)
                if failure is not None:
                    self._fail(failure)
                    return
                status, body = fake.answer(unquote(parts.path), parse_qs(parts.query), quirk)
                if body is None:
                    self._send(status, b"Not Found", {"Content-Type": "text/html"})
                else:
                    self._send(status, json.dumps(body).encode(), {"Content-Type": "application/json"})

            def _fail(self, failure: Failure) -> None:
                if failure.reset:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if failure.trickle:
                    send_trickling(self, failure.status, failure.body, failure.trickle)
                    return
                self._send(failure.status, failure.body, failure.headers)

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body:
                    self.wfile.write(body)

        return Handler


# --- real recorded days ------------------------------------------------------------------------

RECORDED = {  # whole days of real records, as other projects saved them (see the fixtures' README)
    "biorxiv": "recorded_biorxiv_2021-06-01.json.gz",  # 149 records of 2021-06-01
    "medrxiv": "recorded_medrxiv_2021-06-01_2021-06-05.json.gz",  # 73, 43, 59, 69, 39 a day
}


@functools.cache
def _load(server: str) -> tuple[dict, ...]:
    with gzip.open(FIXTURES / RECORDED[server], "rt", encoding="utf-8") as text:
        return tuple(json.load(text))


def recorded(server: str) -> list[dict]:
    """Every recorded record of `server`'s saved days (copies), in the order they were saved."""
    return [dict(r) for r in _load(server)]


def recorded_days_records(server: str) -> list[dict]:
    """Every recorded record of `server`, day by day, oldest day first."""
    return [r for day in recorded_days(server) for r in recorded_day(server, day)]


def recorded_days(server: str) -> list[dt.date]:
    """The days of `server` with recorded records, oldest first."""
    return sorted({dt.date.fromisoformat(r["date"]) for r in recorded(server)})


def recorded_day(server: str, day: dt.date | None = None, on: dt.date | None = None) -> list[dict]:
    """The real records `server` posted on `day` (the first recorded day by default). With `on`,
    each record's `date` says `on` instead, the one field changed, for tests whose clock stands
    elsewhere (tests/test_biorxiv_feeds.py mixes them with arXiv's recorded 2026 listing)."""
    day = day or recorded_days(server)[0]
    records = [r for r in recorded(server) if r["date"] == day.isoformat()]
    return [dict(r, date=on.isoformat()) if on else r for r in records]


def derived_day(server: str, day: dt.date, count: int) -> list[dict]:
    """`count` records of `server` dated `day`, for a test that needs a size no recorded day has:
    the server's recorded records day by day, one version of each DOI (149 for bioRxiv, 275 for
    medRxiv), `date` changed to `day`, so `count` records are `count` papers; only past those,
    the same records again under new DOIs (`10.1101/{day}.{n}`), the one thing derived. Every
    call starts from the same records: for several days at once serve `recorded_day`s instead
    (different DOIs each day)."""
    pool, seen = [], set()
    for record in recorded_days_records(server):  # the first version of each DOI recorded
        if record["doi"] not in seen:
            seen.add(record["doi"])
            pool.append(record)
    records = []
    for n in range(count):
        record = dict(pool[n % len(pool)], date=day.isoformat())
        if n >= len(pool):  # a DOI of the shape the server gives that day's new preprints
            serial = f"{n + 1:08d}" if server == "medrxiv" else f"{n + 1:06d}"
            record["doi"] = f"10.1101/{day:%Y.%m.%d}.{serial}"
        records.append(record)
    return records


def real_records() -> list[dict]:
    """Every record of the recorded single answers in tests/fixtures/biorxiv (both servers)."""
    records = []
    for path in sorted(FIXTURES.glob("*.json")):
        records += json.loads(path.read_text())["collection"]
    return records
