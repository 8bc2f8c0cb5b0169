"""The quick start's serve command installs only what serving needs (the runtime and uvicorn),
and that is enough: `python -m core serve` answers `/` with none of the test tools importable.

(Checked by hand in a fresh venv too: `pip install -r requirements-serve.txt` is 61 MB,
against 342 MB for requirements-dev.txt.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
# Installed by requirements-dev.txt for the tests only (lxml is not here: feedgen needs it).
TEST_ONLY = ["pytest", "hypothesis", "schemathesis", "playwright", "jsonschema", "yaml", "check_jsonschema",
             "bibtexparser", "pybtex", "citeproc", "uv"]


def requirements(name: str) -> list[str]:
    """The requirement names a file installs, following `-r`."""
    names: list[str] = []
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            names += requirements(line[3:].strip())
        elif line:
            names.append(re.split(r"[<>=\[ ;]", line, maxsplit=1)[0].lower())
    return names


def test_quick_start_serves_from_runtime_requirements_and_uvicorn_only():
    serve = re.search(r"pip install -r (\S+) && python -m core serve", README)
    assert serve, "no serve command in the README"
    installed = requirements(serve.group(1))
    assert set(installed) == set(requirements("requirements.txt")) | {"uvicorn"}, installed
    assert "pip install -r requirements-dev.txt && python -m pytest -q" in README  # the test command stays
    assert set(requirements("requirements-dev.txt")) > set(installed)


BLOCKED_SERVE = r"""
import importlib.abc, sys
blocked = set(sys.argv[1].split(","))
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ImportError(f"{name} is for tests only")
sys.meta_path.insert(0, Block())
sys.argv = ["python -m core", "serve", "--port", sys.argv[2]]
from core.cli import main
main()
"""


def test_the_serve_command_answers_without_any_test_tool(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KV_", "REDIS_", "UPSTASH_", "ARXIV_", "LLM_"))}
    env.update({"ARXIV_RSS_URL": "http://127.0.0.1:9/rss", "ARXIV_API_URL": "http://127.0.0.1:9/api",
                "ARXIV_RETRIES": "0", "KV_PATH": str(tmp_path / "kv.sqlite3"), "PYTHONPATH": str(ROOT)})
    server = subprocess.Popen([sys.executable, "-c", BLOCKED_SERVE, ",".join(TEST_ONLY), str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/", timeout=30)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.communicate()[0][-3000:]
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        assert response.status_code == 200 and "arxiv-feeds" in response.text
    finally:
        server.terminate()
        server.wait(10)
