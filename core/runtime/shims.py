"""Three start-up costs avoided, each only while the import or declaration it speeds up runs:
nothing stays patched, so importing the app leaves `sys.modules`, pydantic and FastAPI as they
were.

- `import_httpx()`: httpx imports its command-line tool (click, rich, pygments: ~30 ms) whenever
  those happen to be installed (here: by test tools); the service never uses it. Without them,
  httpx skips it the same way (its `main` then says the extras are missing).
- `declaring_routes()`: FastAPI checks every route parameter's type with
  `is_pydantic_v1_model_class`, only to reject pydantic v1 models, and that check imports the
  whole `pydantic.v1` package (~40 ms of a cold start) the first time. A v1 model class cannot
  exist unless `pydantic.v1` was imported, so while it is not, the answer is `False` without
  importing it; once it is, FastAPI's own check runs as before. (The same idea as
  fastapi/fastapi#16374; drop it when FastAPI does it itself.) Routes are declared (and copied
  by `include_router`) inside it, in `core.web.app.create_app`; FastAPI finishes each route on
  its first match, so `skip_v1_probe` installs it for good when the app starts serving.
- `deferring_model_builds()`: pydantic builds a model's validator and serializer when the class
  is declared. FastAPI declares its 36 OpenAPI models (`fastapi.openapi.models`) on import, and
  they are used only to answer `/openapi.json`: ~40-50 ms of a cold start, a tenth of importing
  the app. `core.web` imports FastAPI inside this block, where models get pydantic's own
  `defer_build` (their config inherits it from `BaseModel.model_config`, set only meanwhile), so
  each is built on first use instead, with the same result. Only FastAPI's: ours, declared
  later, are built as usual (deferring them too moved FastAPI's query-model check into pydantic's
  schema build, which then warned about the `Query()` alias).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any


def import_httpx() -> ModuleType:
    """httpx, imported (the first time) without its command-line tool."""
    module = sys.modules.get("httpx")
    if module is not None:
        return module
    stubbed = "httpx._main" not in sys.modules
    if stubbed:
        sys.modules["httpx._main"] = None  # type: ignore[assignment]  # makes `from ._main import main` fail
    try:
        import httpx
    finally:
        if stubbed and sys.modules.get("httpx._main", ...) is None:
            del sys.modules["httpx._main"]
    return httpx


def _shortcut(probe: Callable[[Any], bool]) -> Callable[[Any], bool]:
    def is_pydantic_v1_model_class(cls: Any) -> bool:
        return "pydantic.v1" in sys.modules and probe(cls)

    is_pydantic_v1_model_class._arxiv_feeds_shortcut = True  # type: ignore[attr-defined]
    return is_pydantic_v1_model_class


def skip_v1_probe() -> None:
    """Install the shortcut for good (`core.runtime.serving.start`): FastAPI 0.165 finishes a
    route's parameters on its first match, so the first request to each route checks again."""
    from fastapi._compat import shared

    probe = getattr(shared, "is_pydantic_v1_model_class", None)
    if probe is not None and not getattr(probe, "_arxiv_feeds_shortcut", False):
        shared.is_pydantic_v1_model_class = _shortcut(probe)


@contextmanager
def deferring_model_builds() -> Iterator[None]:
    """pydantic models declared inside this block are built on first use (see the module's
    docstring); nothing changes if a caller already set `defer_build` on `BaseModel`."""
    from pydantic import BaseModel

    config = BaseModel.model_config
    if "defer_build" in config:
        yield
        return
    config["defer_build"] = True
    try:
        yield
    finally:
        config.pop("defer_build", None)


@contextmanager
def declaring_routes() -> Iterator[None]:
    """The shortcut inside this block only (unless the app already serves: then it stays)."""
    from fastapi._compat import shared

    probe = getattr(shared, "is_pydantic_v1_model_class", None)
    if probe is None or getattr(probe, "_arxiv_feeds_shortcut", False):  # a FastAPI without it, or installed
        yield
        return
    shared.is_pydantic_v1_model_class = _shortcut(probe)
    try:
        yield
    finally:
        shared.is_pydantic_v1_model_class = probe
