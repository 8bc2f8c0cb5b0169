"""The daily-digest GitHub workflow (.github/workflows/digest.yml): a valid workflow, scheduled
after arXiv's rebuild, and the digest step it runs works — run here, as the runner would run it,
against the fake arXiv."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakearxiv import Failure, FakeArxiv

yaml = pytest.importorskip("yaml", reason="PyYAML is not installed (pip install -r requirements-dev.txt)")

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "digest.yml"
FEED_COMMAND = re.compile(r"python -m core feed \S+ --format md\b")
ARXIV_REBUILD_HOUR_UTC = 5  # rss.arxiv.org has the new listings from about 05:00 UTC


@pytest.fixture(scope="module")
def workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text())
    if True in data:  # YAML 1.1 reads the key `on` as the boolean true
        data["on"] = data.pop(True)
    return data


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def digest_step(workflow: dict) -> dict:
    found = [s for s in steps(workflow) if FEED_COMMAND.search(s.get("run", ""))]
    assert len(found) == 1, "expected one step running `python -m core feed PROFILE --format md`"
    return found[0]


# --- cron ------------------------------------------------------------------------------------------

CRON_FIELDS = [("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12), ("day of week", 0, 6)]


def cron_values(expression: str) -> list[set[int]]:
    """The values each of the five fields matches (POSIX cron as GitHub reads it); ValueError if invalid."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(f"{expression!r}: {len(fields)} fields, cron has 5")
    result = []
    for text, (name, low, high) in zip(fields, CRON_FIELDS):
        values: set[int] = set()
        for part in text.split(","):
            match = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", part)
            if not match:
                raise ValueError(f"{expression!r}: {name} {part!r} is not cron syntax")
            start, end = (low, high) if match[1] == "*" else (int(match[2]), int(match[3] or match[2]))
            step = int(match[4] or 1)
            if not (low <= start <= end <= high) or step < 1:
                raise ValueError(f"{expression!r}: {name} {part!r} is outside {low}-{high}")
            values.update(range(start, end + 1, step))
        result.append(values)
    return result


@pytest.mark.parametrize("expression,ok", [("45 6 * * *", True), ("*/15 0-4,22 * * 1-5", True), ("0 24 * * *", False),
                                           ("60 6 * * *", False), ("0 6 * *", False), ("0 6 * * mon", False)])
def test_cron_checker(expression, ok):
    if ok:
        cron_values(expression)
    else:
        with pytest.raises(ValueError):
            cron_values(expression)


def test_runs_daily_after_the_rebuild_and_by_hand(workflow):
    triggers = workflow["on"]
    assert "workflow_dispatch" in triggers
    schedule = triggers["schedule"]
    assert isinstance(schedule, list) and schedule
    for entry in schedule:
        minutes, hours, days, months, weekdays = cron_values(entry["cron"])
        assert len(minutes) == 1 and len(hours) == 1, f"{entry['cron']}: once a day"
        assert days == set(range(1, 32)) and months == set(range(1, 13)) and weekdays == set(range(0, 7)), f"{entry['cron']}: every day"
        assert min(hours) >= ARXIV_REBUILD_HOUR_UTC, f"{entry['cron']}: before arXiv's ~05:00 UTC rebuild"


# --- shape -------------------------------------------------------------------------------------------

def test_is_a_valid_github_workflow(workflow):
    assert workflow["permissions"] == {"contents": "write"}  # to push the digest, nothing more
    assert workflow["jobs"]
    for name, job in workflow["jobs"].items():
        assert job.get("runs-on"), f"jobs.{name}: runs-on"
        assert isinstance(job["steps"], list) and job["steps"], f"jobs.{name}: steps"
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), f"jobs.{name}: a step has exactly one of uses / run: {step}"
            if "run" in step:
                script = step["run"]
                # Expressions in a script are a script-injection risk; they go through env.
                assert "${{" not in script, f"pass expressions through env, not into the script: {script!r}"
                check = subprocess.run(["bash", "-n"], input=script, capture_output=True, text=True, timeout=30)
                assert check.returncode == 0, f"bash cannot parse {step.get('name', script)!r}: {check.stderr}"
    uses = [s["uses"] for s in steps(workflow) if "uses" in s]
    assert any(u.startswith("actions/checkout@") for u in uses)
    setup = [s for s in steps(workflow) if s.get("uses", "").startswith("actions/setup-python@")]
    assert setup and str(setup[0]["with"]["python-version"]) == (ROOT / ".python-version").read_text().strip()
    runs = "\n".join(s.get("run", "") for s in steps(workflow))
    assert "pip install -r requirements.txt" in runs
    assert "git push" in runs and "git diff --cached --quiet" in runs


def test_matches_the_github_workflow_schema():
    """SchemaStore's schema for workflows, as check-jsonschema vendors it (no network)."""
    if importlib.util.find_spec("check_jsonschema") is None:  # not imported here: it takes seconds
        pytest.skip("check-jsonschema is not installed (pip install -r requirements-dev.txt)")
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


# --- the digest step, run --------------------------------------------------------------------------

@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """What actions/checkout leaves: the code and config.json (no .cache from this machine)."""
    work = tmp_path / "checkout"
    work.mkdir()
    for name in ("api", "core"):
        shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("config.json", "requirements.txt"):
        shutil.copy2(ROOT / name, work / name)
    return work


def run_step(workflow: dict, step: dict, checkout: Path, tmp_path: Path, fake: FakeArxiv, **variables: str) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    """Run a step's script the way the runner does (`bash --noprofile --norc -eo pipefail`), with
    the workflow's env (expressions evaluate to `variables` or, as on a scheduled run with no
    repository variables, to ""), `python` being this interpreter, arXiv being the fake."""
    job = next(j for j in workflow["jobs"].values() if step in j["steps"])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARXIV_", "KV_", "REDIS_", "UPSTASH_", "PUBLIC_BASE_URL", "PROFILE", "GITHUB_"))}
    for name, value in {**workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})}.items():
        env[name] = variables.get(name, "") if "${{" in str(value) else str(value)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    python = bin_dir / "python"  # a wrapper, not a symlink: a venv's python must keep its path
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    output_file = tmp_path / "github_output"
    output_file.touch()
    env.update({
        "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
        "GITHUB_OUTPUT": str(output_file),
        "GITHUB_WORKSPACE": str(checkout),
        "ARXIV_RSS_URL": f"{fake.url}/rss",
        "ARXIV_MIN_INTERVAL": "0.05",
        "ARXIV_RETRIES": "1",
        "ARXIV_RETRY_BUDGET": "2",
        "ARXIV_TIMEOUT": "10",
    })
    script = tmp_path / "step.sh"
    script.write_text(step["run"])
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=checkout, env=env, capture_output=True, text=True, timeout=120,
    )
    outputs = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
    return result, outputs


def test_digest_step_writes_the_default_profiles_digest(workflow, checkout, tmp_path, fake_arxiv):
    step = digest_step(workflow)
    result, outputs = run_step(workflow, step, checkout, tmp_path, fake_arxiv)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    config = json.loads((ROOT / "config.json").read_text())
    default = "default" if "default" in config["profiles"] else next(iter(config["profiles"]))
    assert outputs.get("profile") == default
    digest = (checkout / "digest" / "README.md").read_text()
    assert digest.startswith(f"# {config['profiles'][default].get('title', default)}\n")
    papers = re.findall(r"^## \d+\. \[.+\]\(https://arxiv\.org/abs/\d{4}\.\d{4,5}\)", digest, re.M)
    assert papers, digest[:2000]
    assert any(r.path.startswith("/rss/") for r in fake_arxiv.requests)
    assert (checkout / ".cache").is_dir(), "the listings were not stored in .cache/, which the workflow caches between runs"


def test_digest_step_takes_the_profile_from_the_variables(workflow, checkout, tmp_path, fake_arxiv):
    step = digest_step(workflow)
    config = json.loads((ROOT / "config.json").read_text())
    other = list(config["profiles"])[-1]
    result, outputs = run_step(workflow, step, checkout, tmp_path, fake_arxiv, PROFILE=other)
    assert result.returncode == 0, result.stderr[-3000:]
    assert outputs.get("profile") == other
    assert (checkout / "digest" / "README.md").read_text().startswith(f"# {config['profiles'][other].get('title', other)}\n")


def test_a_failed_fetch_fails_the_step_and_keeps_the_last_digest(workflow, checkout, tmp_path):
    step = digest_step(workflow)
    (checkout / "digest").mkdir()
    (checkout / "digest" / "README.md").write_text("# yesterday's digest\n")
    down = FakeArxiv().start()  # arXiv down: every request answers 503
    try:
        down.serve_day()
        down.fail_next(*[Failure(503)] * 50)
        result, outputs = run_step(workflow, step, checkout, tmp_path, down)
    finally:
        down.stop()
    assert result.returncode != 0
    assert "error:" in result.stderr
    assert (checkout / "digest" / "README.md").read_text() == "# yesterday's digest\n"
    assert "profile" not in outputs
