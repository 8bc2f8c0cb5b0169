"""Importing the app (and building it: `api.index` calls `create_app`) changes nothing
process-wide; what the runtime sets up for speed (core.runtime) waits for the app to serve,
and then does what it is for.

Each check runs in a new interpreter: this process has long since imported and started everything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.test_lazy_imports import OPTIONAL_PREFIXES

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import gc, json, sys, threading
from fastapi._compat import shared

def state():
    probe = shared.is_pydantic_v1_model_class
    return {"switch": sys.getswitchinterval(), "frozen": gc.get_freeze_count(), "gc": gc.isenabled(),
            "threads": threading.active_count(), "probe": f"{probe.__module__}.{probe.__qualname__}",
            "modules": sorted(sys.modules)}

before = state()
stubs_before = {name for name, module in sys.modules.items() if module is None}
import api.index
after = state()
stubs = sorted(name for name, module in sys.modules.items() if module is None and name not in stubs_before)
print(json.dumps({"before": before, "after": after, "stubs": stubs, "v1": "pydantic.v1" in sys.modules}))
"""

SERVE = """
import asyncio, gc, json, sys
import api.index

async def health():
    sent = []
    scope = {"type": "http", "method": "GET", "path": "/health", "raw_path": b"/health", "query_string": b"",
             "headers": [(b"host", b"test")], "scheme": "http", "server": ("test", 80), "client": ("127.0.0.1", 1),
             "root_path": "", "http_version": "1.1", "asgi": {"version": "3.0"}}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    await api.index.app(scope, receive, send)
    return sent[0]["status"]

status = asyncio.run(health())
from core.runtime.shims import import_httpx
httpx = import_httpx()
print(json.dumps({"status": status, "switch": sys.getswitchinterval(), "frozen": gc.get_freeze_count(),
                  "v1": "pydantic.v1" in sys.modules, "httpx_cli": "httpx._main" in sys.modules,
                  "httpx_main_stub": sys.modules.get("httpx._main", 0) is None, "httpx": httpx.__name__}))
"""


def run(code: str, tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OPTIONAL_PREFIXES)}
    env["KV_PATH"] = str(tmp_path / "store.sqlite3")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_importing_and_building_the_app_changes_nothing_process_wide(tmp_path: Path) -> None:
    seen = run(PROBE, tmp_path)
    before, after = seen["before"], seen["after"]
    assert after["switch"] == before["switch"]  # sys.setswitchinterval waits for the worker thread
    assert after["frozen"] == before["frozen"]  # gc.freeze waits for the app to serve
    assert after["gc"] and before["gc"]
    assert after["threads"] == before["threads"]  # no worker thread yet
    assert after["probe"] == before["probe"] == "fastapi._compat.shared.is_pydantic_v1_model_class"  # not patched
    assert seen["stubs"] == []  # sys.modules holds imported modules only: no None placeholders (httpx._main)
    assert not seen["v1"]  # and the routes were still declared without importing pydantic.v1


def test_serving_sets_the_runtime_up_and_keeps_its_effects(tmp_path: Path) -> None:
    """The first request (Vercel and Lambda run no lifespan) freezes what start-up left alive and
    shortens the switch interval; httpx comes without its command-line tool and leaves no stub."""
    seen = run(SERVE, tmp_path)
    assert seen["status"] == 200
    assert seen["switch"] == 0.001
    assert seen["frozen"] > 10_000  # modules, models, routes
    assert not seen["v1"]
    assert not seen["httpx_cli"] and not seen["httpx_main_stub"] and seen["httpx"] == "httpx"


OPENAPI_MODELS = """
import json, pydantic
import api.index
from fastapi.openapi import models
built_at_import = models.OpenAPI.__pydantic_complete__
config_after_import = dict(pydantic.BaseModel.model_config)

class Declared(pydantic.BaseModel):  # a model of the user's, declared after the import
    x: int

spec = api.index.app.openapi()
models.OpenAPI.model_validate(spec)
print(json.dumps({"built_at_import": built_at_import, "config": config_after_import,
                  "later_model_deferred": Declared.__pydantic_complete__ is False,
                  "built_when_used": models.OpenAPI.__pydantic_complete__, "paths": len(spec["paths"])}))
"""


def test_fastapis_openapi_models_are_built_when_first_used_and_pydantic_is_left_as_it_was(tmp_path: Path) -> None:
    """`core.web` imports FastAPI with pydantic's `defer_build` (core.runtime.shims): its OpenAPI
    models wait for /openapi.json instead of costing every cold start; the setting is gone after
    the import, so models declared later (ours or a user's) are built as pydantic normally does."""
    seen = run(OPENAPI_MODELS, tmp_path)
    assert seen["built_at_import"] is False
    assert seen["config"] == {}
    assert not seen["later_model_deferred"]
    assert seen["built_when_used"] is True and seen["paths"] > 10
