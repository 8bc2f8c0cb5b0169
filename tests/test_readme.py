"""The README is true: its deploy button, its commands and its variables match the code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import ValidationError

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
    assert "pip install -r requirements-serve.txt && python -m core serve" in README
    assert "pip install -r requirements-dev.txt && python -m pytest -q" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert "pip install -q -r requirements-dev.txt" in ci and "python -m pytest -q" in ci
    subcommands = cli._parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for command in re.findall(r"python -m core (\w+)", README):
        assert command in subcommands, command


def environment_table() -> list[list[str]]:
    section = README.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip().strip("|").split(" | ") for line in section.splitlines() if line.startswith("| `")]
    assert rows and all(len(row) == 3 for row in rows)
    return rows


# Defaults the README states in words because the code works them out at start-up.
COMPUTED_DEFAULTS = {"kv_path"}


def shown(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value.name if isinstance(value, Path) else str(value)


def test_the_environment_table_is_the_settings():
    """Every variable Settings reads is in the table with its aliases (in order of precedence)
    and its default; the table names nothing else."""
    variables = Settings.variables()
    field_of = {name: field for field, names in variables.items() for name in names}
    listed: list[str] = []
    for names_cell, _, default_cell in environment_table():
        names = re.findall(r"`([A-Z][A-Z0-9_]+)`", names_cell)
        assert set(names) <= field_of.keys(), f"in the README but not read: {set(names) - field_of.keys()}"
        fields = list(dict.fromkeys(field_of[name] for name in names))
        listed += fields
        for field in fields:
            positions = [names.index(alias) if alias in names else -1 for alias in variables[field]]
            assert positions == sorted(positions) and -1 not in positions, f"{field}: {variables[field]}"
            default = Settings.model_fields[field].default
            if default_cell.startswith("none"):
                assert default is None, field
        defaults = re.findall(r"`([^`]+)`", default_cell)
        for field, text in zip(fields, defaults):
            if field not in COMPUTED_DEFAULTS:
                assert text == shown(Settings.model_fields[field].default), (field, text)
    assert sorted(listed) == sorted(variables), "read but not in the README (or listed twice)"


def test_from_env_reads_the_documented_names_only(monkeypatch):
    for names in Settings.variables().values():
        for name in names:
            monkeypatch.delenv(name, raising=False)
    assert Settings.from_env() == Settings()  # reads cleanly with none of them set
    monkeypatch.setenv("arxiv_timeout", "7")  # a field's own name is not a variable
    monkeypatch.setenv("ARXIV_RETRIES", "")  # empty means unset
    monkeypatch.setenv("KV_URL", "redis://second")
    assert Settings.from_env() == Settings(redis_url="redis://second")  # type: ignore[arg-type]
    monkeypatch.setenv("REDIS_URL", "redis://first")  # the first of a field's variables wins
    assert Settings.from_env() == Settings(redis_url="redis://first")  # type: ignore[arg-type]
    monkeypatch.setenv("ARXIV_TIMEOUT", "soon")
    with pytest.raises(ValidationError, match="ARXIV_TIMEOUT"):  # the error names the variable
        Settings.from_env()


def test_the_architecture_notes_cite_only_files_that_exist():
    notes = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    cited = set(re.findall(r"`((?:core|tests|api|bench|docs)/[\w./-]+)`", notes))
    cited |= set(re.findall(r"\b([A-Za-z][\w-]*\.md)\b", notes))  # DESIGN.md, README.md...

    def exists(path: str) -> bool:  # a file or folder, `module.attribute`, or a document's name
        module = path.rsplit(".", 1)[0] + ".py"
        places = (ROOT, ROOT / "docs", ROOT / "bench", ROOT / "tests")
        return (ROOT / module).exists() or any((place / path).exists() for place in places)

    missing = sorted(c for c in cited if not exists(c))
    assert not missing, f"docs/architecture.md cites what is not in the repository: {missing}"


# --- the README's claims about the tests -------------------------------------------------------

TESTS = ROOT / "tests"
TEST_SECTION = README.split("Run the tests", 1)[1].split("\n## ", 1)[0]
# Code that reaches a package registry: npm, a pip/uv install, PyPI itself.
REGISTRY_USE = re.compile(r'"npm"|"pip",\s*"install"|"uv",\s*"pip"|pypi\.org')


def test_tests_that_reach_a_package_registry_are_marked_and_named_with_how_to_leave_them_out():
    import importlib

    reaching = sorted(p.name for p in TESTS.glob("test_*.py") if p.name != "test_readme.py" and REGISTRY_USE.search(p.read_text()))
    assert reaching, "the Vercel build test installs from npm and PyPI: the pattern found nothing"
    for name in reaching:
        marks = getattr(importlib.import_module(f"tests.{name[:-3]}"), "pytestmark", [])
        marks = marks if isinstance(marks, list) else [marks]
        assert "registry" in {m.name for m in marks}, f"{name} reaches a registry but is not marked `registry`"
        assert f"tests/{name}" in TEST_SECTION, f"the README does not say that {name} uses a registry"
    assert 'python -m pytest -q -m "not registry"' in TEST_SECTION
    assert "nothing leaves the machine" not in TEST_SECTION.split('-m "not registry"')[0], "claimed before the exception"


def test_the_readme_test_command_shows_why_tests_skipped(tmp_path):
    """`python -m pytest -q` with this repository's pytest configuration lists skip reasons
    (without it, -q prints only "1 skipped"). A one-test file keeps this run small."""
    import os
    import subprocess
    import sys

    (tmp_path / "test_one.py").write_text(
        "import pytest\n\n@pytest.mark.skip(reason='REDIS_URL not set: the reason a newcomer needs')\ndef test_x(): pass\n")
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", str(ROOT / "pytest.ini"),
                          "--rootdir", str(tmp_path), str(tmp_path / "test_one.py")],
                         env=env, capture_output=True, text=True, timeout=120)
    assert "1 skipped" in run.stdout, run.stdout[-2000:] + run.stderr[-2000:]
    assert "SKIPPED" in run.stdout and "the reason a newcomer needs" in run.stdout, "with -q the skip reasons are not shown"


def test_the_readme_says_how_to_run_the_tests_that_need_redis():
    needing = sorted(p.name for p in TESTS.glob("test_*.py") if p.name != "test_readme.py" and "REDIS_URL" in p.read_text())
    assert needing
    for name in needing:
        assert f"tests/{name}" in TEST_SECTION, f"{name} needs REDIS_URL; the README does not say so"
    assert re.search(r"REDIS_URL=redis://127\.0\.0\.1:6379/\d+ python -m pytest -q", TEST_SECTION)
