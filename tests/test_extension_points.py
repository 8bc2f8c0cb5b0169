"""docs/architecture.md's "Extension points" are the recipes for adding a source, a format, a
store, a ranking signal, a page or a setting. These tests hold each recipe against the code:
the registry a recipe names exists under that name in that file, and every entry registered
today lives where the recipe says a new one goes. A move that leaves the doc behind, or an
entry added some other way, fails here rather than misleading the next contributor.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
SECTION = DOC.split("## Extension points", 1)[1].split("\n## ", 1)[0]

# kind -> (the file the recipe must name, the registry in it the recipe must name)
RECIPES = {
    "source": ("core/sources/__init__.py", "SourceEntry"),
    "format": ("core/render/formats.py", "OutputFormat"),
    "store": ("core/kv/factory.py", "BACKENDS"),
    "ranking signal": ("core/ranking/registry.py", "REGISTRY"),
    "page": ("core/web/app.py", "create_app"),
    "setting": ("core/settings.py", "env"),
}


def _recipes() -> dict[str, str]:
    """The section's bullets, `- **A kind**: text`, by kind."""
    found = re.findall(r"^- \*\*An? ([a-z ]+)\*\*: (.*?)(?=^- \*\*|\Z)", SECTION, re.M | re.S)
    return {kind: text for kind, text in found}


def test_every_kind_of_extension_has_a_recipe():
    assert set(_recipes()) == set(RECIPES), "docs/architecture.md's Extension points lost or gained a kind"


@pytest.mark.parametrize("kind", sorted(RECIPES))
def test_each_recipe_names_the_file_and_registry_the_code_really_has(kind: str):
    path, name = RECIPES[kind]
    text = _recipes()[kind]
    assert f"`{path}`" in text and name in text, f"the {kind} recipe should name `{path}` and {name}"
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    defined = {t.id for node in ast.walk(tree) if isinstance(node, (ast.Assign, ast.AnnAssign))
               for t in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(t, ast.Name)}
    defined |= {node.name for node in ast.walk(tree) if isinstance(node, (ast.ClassDef, ast.FunctionDef))}
    assert name in defined, f"{path} defines no {name}, though the {kind} recipe says to add there"


def test_every_source_is_a_module_of_core_sources_with_one_entry():
    from core.sources import REGISTRY, SourceEntry

    for name, entry in REGISTRY.items():
        assert isinstance(entry, SourceEntry) and entry.name == name
        module = entry.source.partition(":")[0]
        assert module.startswith("core.sources."), f"source {name} lives in {module}"
        assert entry.load().name == name


def test_every_format_renders_from_its_own_module_of_core_render():
    from core.render.formats import REGISTRY

    for fmt in REGISTRY.values():
        module, _, function = fmt.renderer.partition(":")
        assert module.startswith("core.render.") and function.startswith("render_"), fmt
        assert callable(getattr(importlib.import_module(module), function))


def test_every_store_backend_is_a_module_of_core_kv():
    from core.kv.factory import BACKENDS

    for name in BACKENDS:
        assert (ROOT / "core" / "kv" / f"{name}.py").exists(), f"store {name} has no core/kv/{name}.py"


def test_every_signal_is_a_module_of_core_ranking_signals():
    from core.ranking.registry import REGISTRY
    from core.ranking.types import Signal

    assert REGISTRY
    for signal in REGISTRY:
        assert signal.__module__.startswith("core.ranking.signals."), signal
        assert Signal in signal.__mro__, f"{signal} does not subclass core.ranking.types.Signal"


def test_every_router_module_of_core_web_is_included_by_create_app():
    from core.web.app import create_app

    routers = {path.stem for path in (ROOT / "core" / "web").glob("*.py")
               if "router = APIRouter" in path.read_text(encoding="utf-8")}
    assert routers, "no router module found: the page recipe no longer matches core/web"
    app = create_app()
    included: set[int] = set()  # FastAPI keeps included routers whole (0.165) or copies their routes
    modules: set[str] = set()
    for route in app.routes:
        if hasattr(route, "original_router"):
            included.add(id(route.original_router))
        if hasattr(route, "endpoint"):
            modules.add(route.endpoint.__module__)
    missing = sorted(name for name in routers
                     if id(importlib.import_module(f"core.web.{name}").router) not in included
                     and f"core.web.{name}" not in modules)
    assert not missing, f"router modules create_app does not include: {missing}"
