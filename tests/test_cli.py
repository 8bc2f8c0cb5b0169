"""The command line as a newcomer meets it: `python -m core` alone and `--help` say what to do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_no_command_prints_the_commands_and_an_example_not_only_an_error():
    done = run()
    assert done.returncode == 2
    for command in ("serve", "feed", "refresh", "backfill", "profiles"):
        assert f"    {command} " in done.stdout, command  # each listed with what it does
    assert "example: python -m core serve" in done.stdout
    assert "error" not in done.stdout + done.stderr


def test_serve_help_shows_the_defaults():
    done = run("serve", "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "--host HOST address to listen on (default 127.0.0.1" in text
    assert "--port PORT port to listen on (default 8000)" in text
    assert "--format {rss,atom,json,md,bib,csl} output format (default md)" in " ".join(run("feed", "--help").stdout.split())
