"""The ranking seam: a signal with a parameter of its own is one module and one registry entry.

`tests/pinsignal.py` is such a module (`pin=ID`: 100 points to that paper). Registered in a
fresh process before the app is made, it takes `pin=` in the query string and `pin` in a profile,
with its own check (a 400 naming it), appears in canonical URLs and OpenAPI, and changes the
ranking of real feeds served over HTTP; the app without it refuses `pin=` as unknown.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import App, free_port

ROOT = Path(__file__).resolve().parent.parent
CATS = "cs.AI,cs.CL,cs.LG"


def _ids(app: httpx.Client | App, path: str) -> list[str]:
    response = app.get(path)
    assert response.status_code == 200, response.text
    return [item["id"].rsplit("/", 1)[-1] for item in response.json()["items"]]


@pytest.fixture
def pinned_app(app: App) -> Iterator[tuple[httpx.Client, str, list[str]]]:
    """The app in another process with PinSignal registered, beside the same fake arXiv; its
    `pinned` profile pins the last paper the plain feed lists. Yields (client, that id, the
    plain feed's ids as the app without the signal ranks them)."""
    plain = _ids(app, f"/feed?cat={CATS}&q=agent,model&format=json")
    assert len(plain) >= 3, plain
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tests.pinsignal", app.fake.url, str(port), plain[-1]], cwd=ROOT)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                client.get("/health")
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "the app with PinSignal did not start"
                time.sleep(0.1)
        yield client, plain[-1], plain
    finally:
        client.close()
        server.terminate()
        server.wait(10)


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
