"""The import graph of `core/`: no cycle and no upward import beyond the ones listed here.

The graph is read statically with `ast` from every module under core/: every `import core...`
and `from core... import ...` counts, wherever it is written (at the top, inside a function,
under `if TYPE_CHECKING:`), because a cycle hidden in a function or behind a type-only import
is still two modules that cannot be understood, tested or moved one without the other.
`from core.a import b` is an edge to the module core/a/b.py when it exists, else to core.a.
Not counted: the registry's `"module:function"` strings (core/render/formats.py imports its
renderers by name on first use; they import the registry back by design).

The layers, bottom to top (a module may import from its own layer and those below; a cycle
inside one layer is still a cycle). This is today's intent read from the code and issue 20:
  0 foundation   core (the version), clock, errors, settings, redact, runtime (GC freezing, the worker thread, start-up shims), perloop,
                 cache, retry, papers (the domain type)
  1 storage      core.kv
  2 extract      core.extract (what a paper's text says: venue, code, DOI)
  3 sources      core.sources (the Source protocol and registry; arXiv's client, parsers,
                 calendar, categories and ids in core.sources.arxiv); core.seeds and
                 core.embeddings (the clients ranking's signals prepare through)
  4 listings     core.listings (the store of days, fetching, backfill, enrichment)
  5 ranking      core.ranking (text, matching, pool, signals), core.profiles, core.feeds
                 (query -> ranked papers)
  6 summaries    core.summaries (AI summaries of a feed's top items)
  7 render       core.render (documents and the output formats)
  8 service      core.pipeline, core.cron, core.health, core.services (the composition root), core.urls (every URL the site writes:
                 feeds in each format, pages, a feed's id; the service writes the id)
  9 entry points core.web, core.cli, core.__main__

A new module must be given a layer (the test says which is missing). When a cycle or an upward
import listed below goes away, the test fails until its entry is deleted, so the lists only
shrink; a new one fails the test.

One seam per server (issue 20): outside `core.sources`, no module (in core/ or api/) imports a
source's HTTP client or the parsers of its answers (`SOURCE_INTERNALS`); the rest of the service
talks to a server through its `Upstream` (`Services.upstreams`), arXiv's `ArxivUpstream`.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "core"

LAYERS: tuple[tuple[str, ...], ...] = (
    ("core", "core.clock", "core.errors", "core.settings", "core.redact", "core.runtime", "core.perloop",
     "core.cache", "core.retry", "core.papers"),
    ("core.kv",),
    ("core.extract",),
    ("core.sources", "core.seeds", "core.embeddings"),
    ("core.listings",),
    ("core.ranking", "core.profiles", "core.feeds"),
    ("core.summaries",),
    ("core.render",),
    ("core.pipeline", "core.cron", "core.health", "core.services", "core.urls"),
    ("core.web", "core.cli", "core.__main__"),
)

# Import cycles that exist today (issue 20), each the set of modules of one strongly connected
# component of the graph.
KNOWN_CYCLES: dict[frozenset[str], str] = {}

# Imports from a higher layer that exist today: (importer, imported) -> why.
KNOWN_UPWARD: dict[tuple[str, str], str] = {}

# What only a source's own package uses: its polite client and what turns its answers into papers.
SOURCE_INTERNALS = ("core.sources.arxiv.client", "core.sources.arxiv.parse", "core.sources.arxiv.fastparse",
                    "core.sources.arxiv.answers", "core.sources.biorxiv.client", "core.sources.biorxiv.records")


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(root: Path = CORE) -> dict[str, Path]:
    return {_module_name(path, root): path for path in sorted(root.rglob("*.py"))}


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module `name` refers to: itself, or the nearest enclosing module (an attribute)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _imports(source: str, importer: str, modules: dict[str, Path]) -> set[str]:
    """The core modules one module's source imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the importer's package
                package = importer.split(".")
                package = package[: len(package) - node.level + (1 if modules[importer].name == "__init__.py" else 0)]
                base = ".".join([*package, *([base] if base else [])])
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name == "core" or name.startswith("core."):
                target = _resolve(name, modules)
                if target and target != importer:
                    found.add(target)
    return found


def import_graph(root: Path = CORE) -> dict[str, set[str]]:
    modules = _modules(root)
    return {name: _imports(path.read_text(), name, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.add(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@cache
def layer_of(module: str) -> int | None:
    """The layer of the longest prefix in LAYERS that names `module` or a package holding it."""
    best: tuple[int, int] | None = None
    for number, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if module == prefix or (prefix != "core" and module.startswith(prefix + ".")):
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), number)
    return None if best is None else best[1]


def upward(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {(a, b) for a, targets in graph.items() for b in targets if layer_of(b) > layer_of(a)}  # type: ignore[operator]


def shortest_cycle(component: frozenset[str], graph: dict[str, set[str]]) -> list[str]:
    """One shortest loop of imports inside a cycle's modules, to show where to cut."""
    best: list[str] = []
    for start in sorted(component):
        paths, seen, queue = {start: [start]}, {start}, [start]
        while queue:
            node = queue.pop(0)
            for target in sorted(graph[node] & component):
                if target == start and (not best or len(paths[node]) + 1 < len(best)):
                    best = paths[node] + [start]
                if target not in seen:
                    seen.add(target)
                    paths[target] = paths[node] + [target]
                    queue.append(target)
    return best


def _cycles_message(found: set[frozenset[str]], graph: dict[str, set[str]]) -> str:
    new = [" -> ".join(shortest_cycle(c, graph)) + f" ({len(c)} modules in all)" for c in found - KNOWN_CYCLES.keys()]
    gone = [sorted(c) for c in KNOWN_CYCLES.keys() - found]
    return (f"new import cycles (break them; a shortest loop of each): {new}; " if new else "") + (
        f"cycles in KNOWN_CYCLES not found as listed (broken: delete the entry; grown into a new one: see above): {gone}" if gone else "")


def test_every_core_module_has_a_layer():
    missing = sorted(name for name in import_graph() if layer_of(name) is None)
    assert not missing, f"give these modules a layer in LAYERS (and the docstring): {missing}"


def test_the_only_import_cycles_in_core_are_the_known_ones():
    graph = import_graph()
    found = cycles(graph)
    assert found == KNOWN_CYCLES.keys(), _cycles_message(found, graph)


def test_no_module_in_core_imports_from_a_higher_layer_beyond_the_known_ones():
    found = upward(import_graph())
    new = sorted(found - KNOWN_UPWARD.keys())
    gone = sorted(KNOWN_UPWARD.keys() - found)
    assert not new, "upward imports (importer -> imported, layers in this test's docstring): " + ", ".join(
        f"{a} (layer {layer_of(a)}) -> {b} (layer {layer_of(b)})" for a, b in new)
    assert not gone, f"imports in KNOWN_UPWARD that no longer exist (delete their entries): {gone}"


def source_internals_imported_outside(root: Path = CORE) -> set[tuple[str, str]]:
    """(importer, internal module) for every import of `SOURCE_INTERNALS` outside core.sources:
    by core's modules and by the entry points in api/."""
    modules = _modules(root)
    graph = {name: _imports(path.read_text(), name, modules) for name, path in modules.items()}
    graph |= {f"api.{path.stem}": _imports(path.read_text(), f"api.{path.stem}", modules)
              for path in sorted((root.parent / "api").glob("*.py"))}
    return {(a, b) for a, targets in graph.items() for b in targets
            if b in SOURCE_INTERNALS and not (a == "core.sources" or a.startswith("core.sources."))}


def _methods(path: Path, cls: str) -> set[str]:
    tree = ast.parse(path.read_text())
    body = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == cls).body
    return {node.name for node in body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def arxiv_client_calls_outside(root: Path = CORE) -> set[tuple[str, str]]:
    """(module, method) for every use outside core.sources of a method `ArxivClient` has and
    `ArxivUpstream` does not (`fetch_ids`, `fetch_html`...): the client reached behind the seam."""
    arxiv = root / "sources" / "arxiv"
    private = {m for m in _methods(arxiv / "client.py", "ArxivClient") - _methods(arxiv / "__init__.py", "ArxivUpstream")
               if not m.startswith("_")}
    return {(name, node.attr) for name, path in _modules(root).items()
            if not (name == "core.sources" or name.startswith("core.sources."))
            for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Attribute) and node.attr in private}


def test_outside_core_sources_nothing_imports_a_sources_client_or_parsers():
    """ArxivClient, its parsers and bioRxiv's client are reached only through the upstreams."""
    found = source_internals_imported_outside()
    assert not found, "talk to the server through its Upstream (Services.upstreams) instead: " + ", ".join(
        f"{a} imports {b}" for a, b in sorted(found))
    called = arxiv_client_calls_outside()
    assert not called, "ask ArxivUpstream (core/sources/arxiv/__init__.py), not its client: " + ", ".join(
        f"{a} uses .{b}" for a, b in sorted(called))


def test_the_checker_sees_imports_in_functions_and_type_checking_blocks_and_relative_ones(tmp_path):
    """The reader itself: a cycle made only of a function-level import and a TYPE_CHECKING one
    is found, and so is a relative import."""
    package = tmp_path / "core"
    (package / "web").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("def f():\n    from core.web.top import x\n")
    (package / "web" / "__init__.py").write_text("")
    (package / "web" / "top.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from core.low import f\nfrom . import other\n")
    (package / "web" / "other.py").write_text("")
    modules = _modules(package)
    graph = {name: _imports(path.read_text(), name, modules) for name, path in modules.items()}
    assert graph["core.web.top"] == {"core.low", "core.web.other"}
    assert cycles(graph) == {frozenset({"core.low", "core.web.top"})}
    assert shortest_cycle(frozenset({"core.low", "core.web.top"}), graph) == ["core.low", "core.web.top", "core.low"]
