"""A real `vercel build` of this repository, without a Vercel account, and the function it builds
run the way Vercel's Python runtime runs it.

The Vercel CLI is pinned in tests/vercel/package.json (+ package-lock.json) and installed with
`npm ci --prefix tests/vercel` (.ci/run does this; so does this test when node_modules is missing
and the npm registry answers). The build needs `uv` (requirements-dev.txt) and a Python 3.12
interpreter, and reaches only the npm registry and PyPI; the built function talks only to a
fake arXiv on 127.0.0.1. Whatever is missing makes the test skip and say what to install.

What it proves: `vercel build` accepts vercel.json (framework preset, `functions."api/index.py"`,
crons), finds `app` in api/index.py, bundles every file the app needs (config.json included)
with its dependencies, and the bundle alone — a bare Python 3.12 with no site-packages, started
through Vercel's own handler — answers /health, a profile feed and a 404.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import feedparser
import httpx
import pytest

from tests.fakearxiv import FakeArxiv

# `npm ci` of the pinned CLI (when tests/vercel/node_modules is missing) and `vercel build`,
# which installs requirements.txt from PyPI: `-m "not registry"` leaves this file out.
pytestmark = pytest.mark.registry

ROOT = Path(__file__).resolve().parent.parent
CLI_DIR = Path(__file__).resolve().parent / "vercel"
VERCEL_BIN = CLI_DIR / "node_modules" / ".bin" / "vercel"
PINNED = json.loads((CLI_DIR / "package.json").read_text())["devDependencies"]["vercel"]
NPM_CI = ["npm", "ci", "--prefix", str(CLI_DIR), "--no-audit", "--no-fund"]

HANDLER_MODULE = "vc__handler__python"
CRON_SECRET = "test-cron-secret"  # Vercel Cron sends `Authorization: Bearer $CRON_SECRET`
NPM_CI_TIMEOUT = 120
BUILD_TIMEOUT = 120
START_TIMEOUT = 45
# Variables of the outer environment that would change what the build or the app does.
SCRUBBED_PREFIXES = ("VERCEL", "NOW_", "KV_", "REDIS_", "UPSTASH_", "ARXIV_", "PUBLIC_BASE_URL", "CRON_SECRET", "PYTHON", "VIRTUAL_ENV", "UV_PYTHON")


# --- prerequisites ------------------------------------------------------------------------------

def _scrubbed_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED_PREFIXES)}


def _python312() -> str | None:
    """A real (non-venv) CPython 3.12: the runtime vercel.json's .python-version asks for."""
    candidates = [os.environ.get("VERCEL_TEST_PYTHON312"), shutil.which("python3.12")]
    if sys.version_info[:2] == (3, 12):
        candidates.append(getattr(sys, "_base_executable", None) or sys.executable)
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12")), reverse=True)
    candidates += ["/usr/local/bin/python3.12", "/usr/bin/python3.12"]
    for candidate in filter(None, candidates):
        try:
            out = subprocess.run(
                [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 12), getattr(sys, '_base_executable', sys.executable))"],
                capture_output=True, text=True, timeout=20,
            ).stdout.split()
        except (OSError, subprocess.SubprocessError):
            continue
        if out and out[0] == "True" and Path(out[1]).exists():
            return out[1]
    return None


def _uv() -> str | None:
    return shutil.which("uv") or next((str(p) for p in [Path(sys.executable).parent / "uv"] if p.exists()), None)


def _reachable(url: str) -> str | None:
    """None when `url` answers (any HTTP status), else why not."""
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="GET"), timeout=15).close()
    except urllib.error.HTTPError:
        return None
    except (urllib.error.URLError, OSError) as exc:
        return f"{url}: {getattr(exc, 'reason', exc)}"
    return None


def _installed_cli_version() -> str | None:
    manifest = CLI_DIR / "node_modules" / "vercel" / "package.json"
    if not VERCEL_BIN.exists() or not manifest.exists():
        return None
    return json.loads(manifest.read_text()).get("version")


@pytest.fixture(scope="module")
def toolchain() -> dict[str, str]:
    """Node with the pinned Vercel CLI, uv and Python 3.12, or a skip saying which is missing."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.skip(f"`{tool}` is not installed: the Vercel CLI needs Node.js 20+ and npm")
    uv = _uv()
    if uv is None:
        pytest.skip("`uv` is not installed (pip install -r requirements-dev.txt): Vercel's Python builder installs with it")
    python = _python312()
    if python is None:
        pytest.skip("no Python 3.12 interpreter (python3.12 on PATH, ~/.pyenv/versions/3.12.*, or VERCEL_TEST_PYTHON312)")
    pypi = os.environ.get("UV_DEFAULT_INDEX") or os.environ.get("UV_INDEX_URL") or "https://pypi.org/simple/"
    if (why := _reachable(pypi.rstrip("/") + "/fastapi/")) is not None:
        pytest.skip(f"PyPI is unreachable, and the build installs requirements.txt from it ({why})")
    if _installed_cli_version() != PINNED:
        ping = subprocess.run(["npm", "ping"], capture_output=True, text=True, timeout=60, env=_scrubbed_env())
        if ping.returncode != 0:
            pytest.skip(f"the Vercel CLI is not installed and the npm registry does not answer; run `{' '.join(NPM_CI)}` ({ping.stderr.strip()[-300:]})")
        ci = subprocess.run(NPM_CI, capture_output=True, text=True, timeout=NPM_CI_TIMEOUT, env=_scrubbed_env())
        assert ci.returncode == 0, f"`{' '.join(NPM_CI)}` failed:\n{ci.stdout[-2000:]}\n{ci.stderr[-3000:]}"
        assert _installed_cli_version() == PINNED
    return {"uv": uv, "python": python}


# --- the build ------------------------------------------------------------------------------------

def project_files() -> list[str]:
    """What a deployment uploads: the repository's tracked and untracked, not ignored, files."""
    try:  # reads the file list only
        listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, timeout=60)
    except OSError:
        listed = None
    if listed is not None and listed.returncode == 0:
        names = [n for n in listed.stdout.decode().split("\0") if n]
    else:  # not a git checkout: walk it, skipping what .gitignore names
        skip = {".git", "node_modules", ".venv", "venv", ".cache", "__pycache__", ".vercel", ".pytest_cache", "results", "artifacts"}
        names = []
        for folder, dirs, files in os.walk(ROOT):
            dirs[:] = [d for d in dirs if d not in skip]
            names += [os.path.relpath(os.path.join(folder, f), ROOT) for f in files if not f.endswith(".pyc")]
    return sorted(n for n in names if "node_modules" not in Path(n).parts and (ROOT / n).is_file())


@pytest.fixture(scope="module")
def built(toolchain: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("vercel")
    project = base / "project"
    for name in project_files():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, project / name)
    # What `vercel link` + `vercel pull` leave behind; with settings present, `vercel build`
    # needs neither a token nor the API.
    (project / ".vercel").mkdir()
    (project / ".vercel" / "project.json").write_text(json.dumps({
        "projectId": "prj_test",
        "orgId": "team_test",
        "settings": {
            "framework": "fastapi",
            "installCommand": None,
            "buildCommand": None,
            "devCommand": None,
            "outputDirectory": None,
            "rootDirectory": None,
        },
    }))
    env = _scrubbed_env()
    path = [str(Path(toolchain["uv"]).parent), str(Path(toolchain["python"]).parent), env.get("PATH", "/usr/bin:/bin")]
    env.update({
        "PATH": os.pathsep.join(path),
        "HOME": str(base / "home"),  # no ~/.vercel credentials or config of the person running the tests
        "VERCEL_TELEMETRY_DISABLED": "1",
        "NO_UPDATE_NOTIFIER": "1",
        "CI": "1",
    })
    started = time.monotonic()
    try:
        result = subprocess.run(
            [str(VERCEL_BIN), "build", "--yes"], cwd=project, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"vercel build took over {BUILD_TIMEOUT}s:\n{(exc.stdout or b'')[-2000:]!r}\n{(exc.stderr or b'')[-2000:]!r}")
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"vercel build failed:\n{log[-5000:]}"
    output = project / ".vercel" / "output"
    functions = sorted((output / "functions").rglob("*.func"))
    return {
        "project": project,
        "output": output,
        "config": json.loads((output / "config.json").read_text()),
        "functions": functions,
        "log": log,
        "seconds": time.monotonic() - started,
        "base": base,
    }


@pytest.fixture(scope="module")
def function(built: dict) -> dict:
    assert len(built["functions"]) == 1, f"expected one function for every path, got {built['functions']}"
    func = built["functions"][0]
    vc_config = json.loads((func / ".vc-config.json").read_text())
    return {"dir": func, "name": func.relative_to(built["output"] / "functions").as_posix().removesuffix(".func"), "vc": vc_config}


def lay_out(function: dict, project: Path, task: Path, *, leave_out: set[str] = frozenset()) -> Path:
    """The function as the platform unpacks it into /var/task: the .func folder's own files, plus
    every filePathMap entry (bundle path -> file in the project), nothing else."""
    shutil.copytree(function["dir"], task)
    for dest, src in function["vc"].get("filePathMap", {}).items():
        if dest in leave_out:
            continue
        target = task / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(project / src, target)
    return task


# --- running it as Vercel's Python runtime does -----------------------------------------------------

class Function:
    """The built function started like the platform starts it: a bare Python 3.12 (no
    site-packages) importing the handler module from the task root, with the .vc-config.json
    environment and VERCEL_IPC_PATH set; the runtime reports `server-started` with the HTTP
    port over that socket, then each request reports `handler-started` and `end`."""

    def __init__(self, python: str, task: Path, env: dict[str, str]):
        self._sockdir = tempfile.mkdtemp(prefix="vcipc")  # AF_UNIX paths must be short
        sock_path = os.path.join(self._sockdir, "ipc.sock")
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(sock_path)
        self._server.listen(1)
        self._server.settimeout(START_TIMEOUT)
        self.messages: list[dict] = []
        self._started = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [python, "-s", "-S", "-c", f"import sys; assert not [p for p in sys.path if 'site-packages' in p], sys.path; import {HANDLER_MODULE}"],
            cwd=task, env={**env, "VERCEL_IPC_PATH": sock_path}, stdout=self.log, stderr=subprocess.STDOUT,
        )
        self.port: int | None = None

    def _read(self) -> None:
        try:
            conn, _ = self._server.accept()
        except OSError:
            return
        buffer = b""
        with conn:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                buffer += chunk
                while b"\0" in buffer:
                    raw, buffer = buffer.split(b"\0", 1)
                    message = json.loads(raw)
                    self.messages.append(message)
                    if message.get("type") in ("server-started", "unrecoverable-error"):
                        self._started.set()

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def wait_started(self) -> dict:
        """The first of `server-started` / `unrecoverable-error`, or the process's exit."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and not self._started.is_set() and self.proc.poll() is None:
            self._started.wait(0.05)
        self._started.wait(0.5)
        for message in self.messages:
            if message["type"] == "server-started":
                self.port = message["payload"]["httpPort"]
                return message
            if message["type"] == "unrecoverable-error":
                return message
        return {"type": "exited" if self.proc.poll() is not None else "timeout", "returncode": self.proc.poll()}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._server.close()
        self.log.close()
        shutil.rmtree(self._sockdir, ignore_errors=True)


def function_env(vc_config: dict, fake: FakeArxiv, home: Path) -> dict[str, str]:
    """Roughly a Vercel function's environment: the runtime's own variables, the .vc-config.json
    `environment`, and the project's (here: point the app at the fake arXiv)."""
    home.mkdir(parents=True, exist_ok=True)
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "TMPDIR": str(home),
        "VERCEL": "1",
        "VERCEL_ENV": "preview",
        "VERCEL_REGION": "iad1",
        **vc_config.get("environment", {}),
        "ARXIV_RSS_URL": f"{fake.url}/rss",
        "ARXIV_MIN_INTERVAL": "0.05",
        "ARXIV_RETRIES": "1",
        "ARXIV_TIMEOUT": "10",
        "KV_PATH": str(home / "kv.sqlite3"),
        "CRON_SECRET": CRON_SECRET,
    }


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeArxiv]:
    fake = FakeArxiv().start()
    fake.serve_day("rss_cs.AI_2026-04-27_trimmed3.xml", "rss_cs.CL_2026-04-27_trimmed3.xml", "rss_cs.LG_2026-04-27_trimmed3.xml")
    yield fake
    fake.stop()


@contextlib.contextmanager
def started(toolchain, function, built, fake, name: str, **lay_out_options) -> Iterator[Function]:
    task = lay_out(function, built["project"], built["base"] / name / "task", **lay_out_options)
    running = Function(toolchain["python"], task, function_env(function["vc"], fake, built["base"] / name / "tmp"))
    try:
        yield running
    finally:
        running.stop()


# --- the tests ------------------------------------------------------------------------------------

def test_build_output_routes_everything_to_one_python_function(built, function):
    python_version = (ROOT / ".python-version").read_text().strip()
    assert f"Using Python {python_version} from .python-version" in built["log"], built["log"][-3000:]
    assert "Installing required dependencies from requirements.txt" in built["log"], built["log"][-3000:]
    config = built["config"]
    assert config["version"] == 3
    vercel_json = json.loads((ROOT / "vercel.json").read_text())
    assert config.get("crons", []) == vercel_json["crons"]
    assert not {"rewrites", "routes", "builds"} & set(vercel_json), "the FastAPI preset routes every path; no rewrite to /api/index"
    dests = [r.get("dest", "") for r in config["routes"]]
    assert not any("api/index" in d for d in dests), config["routes"]
    catch_all = [r for r in config["routes"] if r.get("src") == "/(.*)"]
    assert catch_all and catch_all[0]["dest"] == "/" + function["name"], config["routes"]

    vc = function["vc"]
    assert vc["handler"] == "vc__handler__python.vc_handler"
    assert vc["runtime"] == f"python{python_version}"
    assert vc["maxDuration"] == vercel_json["functions"]["api/index.py"]["maxDuration"]
    trampoline = (function["dir"] / "vc__handler__python.py").read_text()
    assert '"__VC_HANDLER_ENTRYPOINT": "api/index.py"' in trampoline
    assert '"__VC_HANDLER_VARIABLE_NAME": "app"' in trampoline


def test_bundle_has_the_code_and_config_but_not_tests(built, function):
    bundled = set(function["vc"]["filePathMap"]) | {p.relative_to(function["dir"]).as_posix() for p in function["dir"].rglob("*") if p.is_file()}
    project = built["project"]
    needed = {"api/index.py", "config.json"} | {p.relative_to(project).as_posix() for p in (project / "core").rglob("*.py")}
    assert needed <= bundled, f"missing from the bundle: {sorted(needed - bundled)}"
    excluded = [n for n in bundled if n.split("/")[0] in ("tests", "bench", "docs", ".ci", ".cache")]
    assert not excluded, f"excludeFiles did not apply: {excluded[:10]}"
    vendored = {n.split("/")[1] for n in bundled if n.startswith("_vendor/")}
    assert {"fastapi", "starlette", "pydantic", "httpx", "feedparser", "feedgen", "tzdata", "vercel_runtime"} <= vendored
    size = sum((project / src).stat().st_size for src in function["vc"]["filePathMap"].values())
    assert size < 250_000_000, f"the bundle is {size / 1e6:.0f} MB; Vercel's limit is 250 MB unzipped"


def test_built_function_serves_health_feeds_and_404(toolchain, built, function, fake):
    with started(toolchain, function, built, fake, "run") as running:
        hello = running.wait_started()
        assert hello["type"] == "server-started", f"{hello}\n{running.output()[-4000:]}"
        asked_before = len(fake.listing_requests())
        seen_ids: list[str] = []

        def get(path: str, **headers: str) -> httpx.Response:
            invocation = f"inv-{len(seen_ids) + 1}"
            seen_ids.append(invocation)
            return httpx.get(
                f"http://127.0.0.1:{running.port}{path}", timeout=30,
                headers={"host": "arxiv-feeds.vercel.app", "x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7",
                         "x-vercel-internal-invocation-id": invocation, "x-vercel-internal-request-id": str(len(seen_ids)), **headers},
            )

        health = get("/health")
        assert health.status_code == 200, health.text
        assert health.headers["content-type"] == "application/json"

        profiles = get("/config")
        assert profiles.status_code == 200
        assert set(profiles.json()["profiles"]) == set(json.loads((ROOT / "config.json").read_text())["profiles"])

        feed = get("/feeds/llm.atom")
        assert feed.status_code == 200, feed.text[:2000]
        assert feed.headers["content-type"] == "application/atom+xml; charset=utf-8"
        parsed = feedparser.parse(feed.content)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.feed.title == json.loads((ROOT / "config.json").read_text())["profiles"]["llm"]["title"]
        assert parsed.entries
        assert [l["href"] for l in parsed.feed.links if l.get("rel") == "self"] == ["https://arxiv-feeds.vercel.app/feeds/llm.atom"]
        assert len(fake.listing_requests()) > asked_before, "the function did not fetch from ARXIV_RSS_URL"

        again = get("/feeds/llm.atom", **{"if-none-match": feed.headers["etag"]})
        assert again.status_code == 304

        digest = get("/feeds/llm.md")
        assert digest.status_code == 200 and digest.text.lstrip().startswith("#")

        swagger = get("/docs/assets/swagger-ui-bundle.js")  # the API page's assets ship in the bundle
        assert swagger.status_code == 200 and swagger.headers["content-type"].startswith("text/javascript")

        missing = get("/no/such/page")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/json" and missing.json()["status"] == 404

        # Vercel Cron: a GET of each path in the output's crons, with the secret.
        for cron in built["config"]["crons"]:
            refused = get(cron["path"])
            assert refused.status_code == 401, refused.text
            refreshed = get(cron["path"], authorization=f"Bearer {CRON_SECRET}")
            assert refreshed.status_code == 200, refreshed.text[:2000]
            assert refreshed.headers["content-type"] == "application/json"

        # The runtime's middleware saw each request (handler-started ... end, per invocation id).
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            ended = {m["payload"]["context"]["invocationId"] for m in running.messages if m["type"] == "end"}
            if set(seen_ids) <= ended:
                break
            time.sleep(0.05)
        assert set(seen_ids) <= ended, running.messages[-5:]
        assert running.proc.poll() is None, running.output()[-3000:]


def test_lambda_style_invocation_without_ipc(toolchain, built, function, fake):
    """The runtime's other entry: `vc_handler(event, context)` with the request in event["body"]."""
    task = lay_out(function, built["project"], built["base"] / "plain" / "task")
    env = function_env(function["vc"], fake, built["base"] / "plain" / "tmp")
    script = (
        "import json, sys\n"
        "assert not [p for p in sys.path if 'site-packages' in p], sys.path  # only the bundle can supply the dependencies\n"
        "import vc__handler__python as h\n"
        "def call(path):\n"
        "    event = {'body': json.dumps({'method': 'GET', 'path': path, 'headers': {'host': 'arxiv-feeds.vercel.app'}})}\n"
        "    return h.vc_handler(event, None)\n"
        "print('RESULT ' + json.dumps([call('/health'), call('/nowhere')]))\n"
    )
    result = subprocess.run([toolchain["python"], "-s", "-S", "-c", script], cwd=task, env=env, capture_output=True, text=True, timeout=START_TIMEOUT)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    line = next(l for l in result.stdout.splitlines() if l.startswith("RESULT "))
    health, missing = json.loads(line.removeprefix("RESULT "))
    assert health["statusCode"] == 200 and json.loads(health["body"])
    assert missing["statusCode"] == 404


def test_function_without_config_json_does_not_start(toolchain, built, function, fake):
    """The check above would catch a bundle that lost config.json: the app refuses to start."""
    with started(toolchain, function, built, fake, "no-config", leave_out={"config.json"}) as running:
        hello = running.wait_started()
        assert hello["type"] != "server-started"
        running.proc.wait(START_TIMEOUT)
        assert running.proc.returncode != 0
        assert "config.json" in running.output() + json.dumps(running.messages)
