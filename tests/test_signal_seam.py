"""The ranking seam: a signal with a parameter of its own is one module and one registry entry.

`tests/pinsignal.py` is such a module (`pin=ID`: 100 points to that paper). Registered in a
fresh process before the app is made, it takes `pin=` in the query string and `pin` in a profile,
with its own check (a 400 naming it), appears in canonical URLs and OpenAPI, and changes the
ranking of real feeds served over HTTP; the app without it refuses `pin=` as unknown.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.ranking.types import SEEDS, ClientKey, Clients, MissingClient, Signal
from tests.conftest import App, free_port

ROOT = Path(__file__).resolve().parent.parent
CATS = "cs.AI,cs.CL,cs.LG"


def _ids(app: httpx.Client | App, path: str) -> list[str]:
    response = app.get(path)
    assert response.status_code == 200, response.text
    return [item["id"].rsplit("/", 1)[-1] for item in response.json()["items"]]


@contextlib.contextmanager
def _served(module: str, *args: str) -> Iterator[httpx.Client]:
    """`python -m module *args` (an app with one more signal registered) until it answers on the
    port it is given; closed afterwards."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", module, args[0], str(port), *args[1:]], cwd=ROOT)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                client.get("/health")
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, f"the app of {module} did not start"
                time.sleep(0.1)
        yield client
    finally:
        client.close()
        server.terminate()
        server.wait(10)


@pytest.fixture
def pinned_app(app: App) -> Iterator[tuple[httpx.Client, str, list[str]]]:
    """The app in another process with PinSignal registered, beside the same fake arXiv; its
    `pinned` profile pins the last paper the plain feed lists. Yields (client, that id, the
    plain feed's ids as the app without the signal ranks them)."""
    plain = _ids(app, f"/feed?cat={CATS}&q=agent,model&format=json")
    assert len(plain) >= 3, plain
    with _served("tests.pinsignal", app.fake.url, plain[-1]) as client:
        yield client, plain[-1], plain


class Citations(http.server.BaseHTTPRequestHandler):
    """A citation service: `/citing?ids=A,B` -> {"A": [papers citing A], ...} from `CITING`."""

    CITING: dict[str, list[str]] = {}
    asked: list[str] = []

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        ids = urllib.parse.parse_qs(url.query).get("ids", [""])[0].split(",")
        type(self).asked.append(self.path)
        body = json.dumps({ref: self.CITING.get(ref, []) for ref in ids}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def citations() -> Iterator[str]:
    Citations.CITING, Citations.asked = {}, []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Citations)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_without_the_signal_pin_is_an_unknown_parameter(app: App):
    response = app.get(f"/feed?cat={CATS}&pin=2604.00001")
    assert response.status_code == 400 and "unknown parameter 'pin'" in response.text


def test_a_signal_registered_with_its_own_input_changes_the_ranking_of_a_served_feed(pinned_app):
    client, last, plain = pinned_app
    # Without pin= the registered signal changes nothing: same ranking as the app without it.
    assert _ids(client, f"/feed?cat={CATS}&q=agent,model&format=json") == plain
    pinned = client.get(f"/feed?cat={CATS}&q=agent,model&pin={last}&format=json").json()["items"]
    assert [item["id"].rsplit("/", 1)[-1] for item in pinned] == [last, *plain[:-1]]
    assert f"pinned {last} +100" in pinned[0]["_arxiv_feeds"]["explanation"]
    # A profile's own `pin` (config.json); a request's pin= replaces it (Inputs.merged's default).
    assert _ids(client, "/feeds/pinned.json") == [last, *plain[:-1]]
    assert _ids(client, f"/feeds/pinned.json?pin={plain[-2]}") == [plain[-2], *plain[:-2], last]
    # The signal's own check is a 400 naming the parameter; the URL writer and OpenAPI know it.
    refused = client.get(f"/feed?cat={CATS}&pin=not-an-id")
    assert refused.status_code == 400 and "pin" in refused.text and "not a new-style arXiv id" in refused.text
    preview = client.get(f"/preview?cat={CATS}&q=agent&pin={last}")
    assert preview.status_code == 200 and f"pin={last}" in preview.text
    assert "Pinned papers: pin=ID adds 100 points" in preview.text  # "How papers are scored" lists it
    api = client.get(f"/api/preview?cat={CATS}&pin={last}&q=agent&limit=5").json()
    assert api["feed_url"].endswith(f"/feed?cat={CATS}&q=agent&pin={last}&limit=5")
    parameters = {p["name"] for p in client.get("/openapi.json").json()["paths"]["/feed"]["get"]["parameters"]}
    assert "pin" in parameters and "like" in parameters


def test_a_signal_with_its_own_client_and_cost_is_one_module_and_one_registry_entry(app: App, citations: str):
    """tests/citesignal.py: its client (HTTP to a citation service) made by the composition root
    from its `connect`, its cost (100,000 units a cited paper) in the too-costly check."""
    plain = _ids(app, f"/feed?cat={CATS}&q=agent,model&format=json")
    cited, citing = "2601.00001", plain[-1]
    Citations.CITING = {cited: [citing, "2601.99999"]}  # a paper outside the pool changes nothing
    with _served("tests.citesignal", app.fake.url, citations) as client:
        assert _ids(client, f"/feed?cat={CATS}&q=agent,model&format=json") == plain
        assert Citations.asked == []  # without cites=, no I/O
        items = client.get(f"/feed?cat={CATS}&q=agent,model&cites={cited}&format=json").json()["items"]
        assert [item["id"].rsplit("/", 1)[-1] for item in items] == [citing, *plain[:-1]]
        assert f"cites {cited} +50" in items[0]["_arxiv_feeds"]["explanation"]
        assert Citations.asked == [f"/citing?ids={cited}"]
        # Its cost: 5 cited papers are 500,000 units with the terms' (refused), 4 are served.
        many = [f"2601.0000{n}" for n in range(1, 6)]
        refused = client.get(f"/feed?cat={CATS}&q=agent,model&cites={','.join(many)}")
        assert refused.status_code == 400, refused.text
        message = refused.json()["error"]
        assert message.startswith("too costly: 2 terms x ") and "; 5 cites= papers looked up = 500,000; " in message, message
        assert message.endswith("narrow it: fewer cites= papers (cites=), fewer days (days=), "
                                 "fewer categories (cat=) or fewer terms (q=, exclude=, author=)"), message
        assert len(Citations.asked) == 1  # refused before its I/O
        assert client.get(f"/feed?cat={CATS}&q=agent,model&cites={','.join(many[:4])}").status_code == 200
        assert len(Citations.asked) == 2


class _NeedsCitations(Signal):
    name = "needy"
    description = "Needs a client the service does not provide."
    needs = (SEEDS, ClientKey("citations"))


def test_a_signal_needing_a_client_the_service_lacks_stops_it_at_start_up(monkeypatch):
    from core.kv.memory import MemoryKV
    from core.ranking import registry
    from core.settings import Settings
    from core.web import create_app

    monkeypatch.setattr(registry, "REGISTRY", (*registry.REGISTRY, _NeedsCitations))
    with pytest.raises(RuntimeError) as raised:
        create_app(Settings(), kv=MemoryKV())
    assert str(raised.value) == ("signal 'needy' needs client 'citations', which the service does not provide "
                                 "(it provides embedder, seeds)")


def test_a_signal_asking_for_a_client_it_does_not_declare_is_told_so():
    async def now(work, what):
        return await work

    clients = Clients("pin", {}, now)
    with pytest.raises(MissingClient, match="signal 'pin' asks for client 'seeds', which it does not declare in `needs`"):
        clients[SEEDS]


def _imports(path: Path) -> set[str]:
    """The modules a file imports, at any depth (imports inside functions too), but not those
    only type checkers read (`if TYPE_CHECKING:`)."""
    import ast

    found: set[str] = set()

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if "TYPE_CHECKING" in ast.unparse(node.test):
                for child in node.orelse:
                    self.visit(child)
                return
            self.generic_visit(node)

        def visit_Import(self, node: ast.Import) -> None:
            found.update(alias.name for alias in node.names)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.module:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def test_the_ranking_package_has_no_import_cycle_and_its_types_import_nothing_of_it():
    """core/ranking/types.py is the bottom of the package; no module of core/ranking reaches
    itself through imports, and none of it imports the feed, service or web layers."""
    package = ROOT / "core" / "ranking"
    modules = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p for p in package.rglob("*.py")}
    graph = {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}
    assert not graph["core.ranking.types"], graph["core.ranking.types"]

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(m == goal or (m not in seen and not seen.add(m) and reaches(m, goal, seen)) for m in graph[start])

    cyclic = sorted(name for name in graph if reaches(name, name, set()))
    assert not cyclic, f"import cycle through {cyclic}"
    upward = {name: sorted(m for m in _imports(path) if m.startswith(("core.feeds", "core.service", "core.web", "core.profiles")))
              for name, path in modules.items()}
    assert not any(upward.values()), upward
