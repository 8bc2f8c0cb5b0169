"""The README is true: its deploy button, its commands and its variables match the code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from core import cli
from core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_deploy_button_asks_for_the_cron_secret_and_attaches_upstash():
    url = re.search(r"\[!\[Deploy with Vercel\]\(https://vercel.com/button\)\]\((\S+)\)", README).group(1)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "vercel.com", "/new/clone")
    query = parse_qs(parts.query)
    assert query["env"] == ["CRON_SECRET"]
    assert "CRON_SECRET" in query["envDescription"][0]
    assert query["repository-url"][0].startswith("https://github.com/")
    assert json.loads(query["products"][0]) == [
        {"type": "integration", "protocol": "storage", "productSlug": "upstash-kv", "integrationSlug": "upstash"}
    ]


def test_quick_start_commands_are_the_ones_that_exist():
    assert "pip install -r requirements-dev.txt && python -m core serve" in README
    assert "pip install -r requirements-dev.txt && python -m pytest -q" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -q -r requirements-dev.txt" in ci and "python -m pytest -q" in ci
    subcommands = cli._parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for command in re.findall(r"python -m core (\w+)", README):
        assert command in subcommands, command


def test_every_documented_variable_is_read_and_every_read_variable_is_documented(monkeypatch):
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]{2,})`", README))
    for name in documented:
        monkeypatch.delenv(name, raising=False)
    source = (ROOT / "core" / "settings.py").read_text()
    read = set(re.findall(r'"([A-Z][A-Z0-9_]{2,})"', source))
    missing_docs = read - documented
    assert not missing_docs, f"read but not in the README: {sorted(missing_docs)}"
    assert Settings.from_env()  # reads cleanly with none of them set
