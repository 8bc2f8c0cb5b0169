"""Mutation testing of the modules that keep users safe and data whole, with mutmut 3.

Slow (minutes per module on 2 cores), so never in CI: run it after changing one of these
modules or the tests that guard it, and update bench/mutation_survivors.md.

    python -m bench.mutation                      # every module below, one worker
    python -m bench.mutation core/redact.py       # one module (or several)
    python -m bench.mutation --max-children 2     # two workers (the machine's 2 cores)
    python -m bench.mutation --list               # the module -> tests map
    python -m bench.mutation core/web/repeat_polls.py --functions 'x__read*'   # only some functions

Each module runs in a scratch copy of the working tree (`--workdir`, default under the system
temporary directory, one directory per module, started fresh every time), with a `setup.cfg`
that tells mutmut which file (and which functions) to mutate and which test files to run. mutmut
first runs those tests once to learn which test calls which function, then runs every mutant
against only the tests that reach it. A mutant is killed when a test fails (or times out).

What mutmut 3 leaves alone, by design: module-level code (the regular expressions and word sets
defined at import) and decorated functions other than `@classmethod`/`@staticmethod` (routes,
`functools.cache`). Those rules are held by behaviour tests named in bench/mutation_survivors.md.

After adding tests for survivors, `--recheck` runs only the last run's survivors again (with the
tests as they are now) in the same copy, which takes a minute or two instead of a whole run.

Results: a table on stdout and, per module, `bench/results/mutation-<module>.md` with the diff of
every surviving mutant. Install requirements-bench.txt first (mutmut, pytest-timeout).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


@dataclass(frozen=True)
class Target:
    """A module to mutate, the functions of it that matter (globs over mutmut's names of them,
    e.g. `xǁFeedSpecǁcheck_cost*` for a method, `x__read*` for a function; `*` for all) and the
    few test files that cover it."""

    path: str
    tests: tuple[str, ...]
    functions: tuple[str, ...] = ("*",)


# Keep each list short: mutmut runs them all once (to map tests to functions), then per mutant
# only the tests that reach it.
TARGETS: tuple[Target, ...] = (
    Target("core/redact.py", ("tests/test_injection.py", "tests/test_security.py")),
    Target("core/render/bibtex.py", ("tests/test_citations.py",)),
    Target("core/render/csljson.py", ("tests/test_citations.py",)),
    Target("core/render/markdown.py", ("tests/test_injection.py",)),
    Target("core/feeds.py", ("tests/test_cost_limit.py",), functions=("xǁFeedSpecǁcheck_cost*",)),
    # what each signal costs (the arithmetic behind MAX_RANK_COST)
    Target("core/ranking/cost.py", ("tests/test_cost_limit.py",)),
    # the merge rules (a day is merged into, never replaced; the listing wins; backfilled copies leave)
    # tests/test_store_merge.py alone: the HTTP scenarios of test_history/test_ingest take a minute
    # per surviving mutant on a loaded machine (test_store_faults' Redis database would also race)
    Target("core/listings/store.py", ("tests/test_store_merge.py",),
           functions=("xǁDayStoreǁmerge*", "xǁDayStoreǁdrop_backfilled*")),
    # which days a run stores (only those its pages covered completely) and which are holidays,
    # and the run itself (paging, stopping, strays, the deadline)
    # test_backfill_runs drives the Backfiller directly (a second for all) and goes first, so most
    # mutants die before the app's HTTP scenarios (~20 s) start. Caveat (7 Dec 2026): with this
    # file mapped, mutmut's forkserver workers sat idle ~60 s per mutant (cause not found; such a
    # timeout counts as killed). The scores in mutation_survivors.md come from running each
    # mutant in mutmut's mutants/ copy with MUTANT_UNDER_TEST set and pytest -x over these files.
    Target("core/listings/backfill.py", ("tests/test_backfill_runs.py", "tests/test_history.py",
                                         "tests/test_lossless_backfill.py"),
           functions=("xǁBackfillerǁ_store*", "xǁBackfillerǁ_run__*")),
    # the completeness rule: only whole query-API pages count; arXiv's history search over them
    Target("core/sources/arxiv/paging.py", ("tests/test_backfill_runs.py", "tests/test_lossless_backfill.py")),
    Target("core/web/repeat_polls.py", ("tests/test_repeat_polls.py",)),
    Target("core/web/admin.py", ("tests/test_summaries.py", "tests/test_security.py"), functions=("x__authorised*", "x__refusal*")),
)

TEST_TIMEOUT_S = 60  # a test a mutant made hang fails after this (pytest-timeout); the slowest takes ~20 s under load
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped", 36: "timeout",
          -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout", None: "not checked"}


def _slug(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def _copy_tree(workdir: Path) -> None:
    """The working tree as git sees it (tracked and untracked, not ignored) into `workdir`."""
    if workdir.exists():
        shutil.rmtree(workdir)
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                            capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            target = workdir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _setup_cfg(target: Target) -> str:
    tests = "\n    ".join(target.tests)
    return (
        "[mutmut]\n"
        "source_paths = core\n"
        f"only_mutate = {target.path}\n"
        f"pytest_add_cli_args_test_selection =\n    {tests}\n"
        f"pytest_add_cli_args =\n    -p\n    no:cacheprovider\n    -x\n    -q\n    --timeout={TEST_TIMEOUT_S}\n"
        "use_git_change_detection = false\n"
        # Each mutant from a fresh fork of a server that only imported and collected the tests: a
        # fork of mutmut's own process (which ran the suite) inherits its threads' locks, and some
        # mutants then hung for 30 s and counted as killed when the tests would have passed.
        "process_isolation = forkserver\n"
    )


def _statuses(target: Target, workdir: Path) -> dict[str, str] | None:
    """Each mutant of the target's functions and what became of it (None: no results yet)."""
    meta = workdir / "mutants" / f"{target.path}.meta"
    if not meta.exists():
        return None
    codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
    module = _slug(target.path)
    return {name: STATUS.get(code, "suspicious") for name, code in codes.items()
            if any(fnmatch.fnmatchcase(name, f"{module}.{glob}") for glob in target.functions)}


def run_target(target: Target, workdir: Path, max_children: int, recheck: bool = False) -> dict:
    """Run mutmut on one target in a fresh copy (or, with `recheck`, only its survivors again
    in the last run's copy, with the tests as they are now); the counts and survivors' diffs."""
    module = _slug(target.path)
    names = [f"{module}.{glob}" for glob in target.functions]
    before = _statuses(target, workdir) if recheck else None
    if before is None:
        _copy_tree(workdir)
        (workdir / "setup.cfg").write_text(_setup_cfg(target))
    else:  # new tests only: mutmut maps them to functions, then runs just these mutants
        shutil.copytree(ROOT / "tests", workdir / "tests", dirs_exist_ok=True)
        (workdir / "setup.cfg").write_text(_setup_cfg(target))  # the map may name new test files
        names = sorted(n for n, s in before.items() if s not in ("killed", "timeout"))
    started = time.monotonic()
    log = workdir / "mutmut-run.log"
    status = 0
    if names:
        with log.open("w") as out:
            status = subprocess.run(
                [sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children), *names], cwd=workdir,
                stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            ).returncode
    seconds = time.monotonic() - started
    statuses = _statuses(target, workdir)
    if statuses is None or (status != 0 and all(s == "not checked" for s in statuses.values())):
        return {"module": target.path, "seconds": seconds,
                "error": f"mutmut stopped before any mutant (did the clean tests fail?): see {log}"}
    survivors = sorted(n for n, s in statuses.items() if s not in ("killed", "timeout"))
    diffs = {name: subprocess.run([sys.executable, "-m", "mutmut", "show", name], cwd=workdir, capture_output=True,
                                  text=True).stdout for name in survivors}
    killed = sum(1 for s in statuses.values() if s in ("killed", "timeout"))
    return {"module": target.path, "functions": target.functions, "killed": killed, "total": len(statuses),
            "survivors": {n: statuses[n] for n in survivors}, "diffs": diffs, "seconds": seconds}


def _write_report(result: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"mutation-{_slug(result['module'])}.md"
    lines = [f"# {result['module']} ({', '.join(result.get('functions', ('*',)))})", ""]
    if "error" in result:
        lines.append(result["error"])
    else:
        lines.append(f"killed {result['killed']}/{result['total']} in {result['seconds']:.0f} s")
        for name, status in result["survivors"].items():
            lines += ["", f"## {name}: {status}", "", "```diff", result["diffs"][name].strip(), "```"]
    path.write_text("\n".join(lines) + "\n")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", help="paths as in the map (default: all)")
    parser.add_argument("--max-children", type=int, default=1, help="parallel mutant workers (default 1)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "arxiv-feeds-mutation")
    parser.add_argument("--functions", nargs="+", metavar="GLOB",
                        help="only these functions of the module(s) (mutmut's names, e.g. 'x__read*'): a shorter run")
    parser.add_argument("--list", action="store_true", help="print the module -> tests map and stop")
    parser.add_argument("--recheck", action="store_true",
                        help="rerun only the last run's survivors, with the tests as they are now (after adding tests)")
    args = parser.parse_args()
    by_path = {t.path: t for t in TARGETS}
    unknown = [m for m in args.modules if m not in by_path]
    if unknown:
        parser.error(f"not in the map: {', '.join(unknown)} (known: {', '.join(by_path)})")
    if args.list:
        for t in TARGETS:
            print(f"{t.path} [{', '.join(t.functions)}]: {' '.join(t.tests)}")
        return 0
    rows = []
    for target in [by_path[m] for m in args.modules] or list(TARGETS):
        if args.functions:
            target = Target(target.path, target.tests, tuple(args.functions))
        result = run_target(target, args.workdir / _slug(target.path), args.max_children, args.recheck)
        report = _write_report(result)
        rows.append(result)
        if "error" in result:
            print(f"{target.path}: {result['error']}", flush=True)
        else:
            score = 100 * result["killed"] / result["total"] if result["total"] else 100.0
            print(f"{target.path:28} {result['killed']:4}/{result['total']:<4} {score:5.1f} %  "
                  f"{len(result['survivors'])} survivors  {result['seconds']:.0f} s  ({report.relative_to(ROOT)})", flush=True)
    return 1 if any("error" in r for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
