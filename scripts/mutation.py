"""Mutation testing of the billing and security core (``make mutation``, docs/mutation.md).

For each module, one at a time, mutmut runs in a staging directory of its own,
``build/mutation/<module>/``, which holds:

- ``src/token_profiler/``: a copy of ``functions/token_profiler``. mutmut names a mutant after the
  file's path minus ``src/``, so mutants are ``token_profiler.<module>.*``: the name the tests import.
  Run from the repository, the same code would be ``functions.token_profiler.*`` and no test would
  ever reach a mutant.
- ``tests/``: the shared conftest, ``tests/support`` and the domain's unit tests.
- ``pyproject.toml``: the mutmut settings (only this module is mutated) and the pytest settings.

mutmut first records which tests call which function, then runs each mutant in a process forked
for it, with only the tests that reach the mutated function. A fork per mutant also keeps the
powertools log handler's stream (closed at the end of a pytest session) out of the next run.

The results go to ``build/mutation/summary.json``, to ``docs/mutation.json`` (the same summary, kept in
the repository: a run of some modules on a fresh clone updates their rows and keeps the others, each
row with the commit it was measured at) and to ``docs/mutation.md``. Mutants listed in
``scripts/mutation_equivalents.json`` (name, the changed line, and why no test can tell it apart)
are left out of the score; an entry whose changed line no longer matches the mutant is reported as
stale and not left out.

    .venv-mutation/bin/python -m scripts.mutation money prices     # or: make mutation MODULES="..."
    .venv-mutation/bin/python -m scripts.mutation --report-only    # rewrite docs from the summary
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "functions" / "token_profiler"
BUILD = ROOT / "build" / "mutation"
SUMMARY = BUILD / "summary.json"
RECORD = ROOT / "docs" / "mutation.json"  # the summary as committed: what docs/mutation.md shows
DOC = ROOT / "docs" / "mutation.md"
EQUIVALENTS = Path(__file__).with_name("mutation_equivalents.json")
TARGET_SCORE = 90.0

# Unit tests that exercise something other than the domain package (the local stack, the benchmark
# harness, the package layering, the Postman environment): they never reach a mutant, so stats
# collection skips them.
SKIPPED_TESTS = (
    "test_local_*.py",
    "test_bench_smoke.py",
    "test_layering.py",
    "test_openapi.py",
    "test_postman_env.py",
)

# Top-level packages some domain tests import helpers from (bench.linegen's generated lines, the
# price-list script, the local gateway): copied next to the tests so those tests run too.
HELPER_PACKAGES = ("bench", "scripts", "local")
# ... and the files they read from the repository: test fixtures, the package's data (bench.linegen
# reads functions/token_profiler/catalog.json). Only data: the code under test is src/token_profiler.
HELPER_DATA = ("tests/fixtures", "functions/token_profiler/*.json")

# mutmut's exit codes, grouped as the summary counts them (mutmut.stats.status_by_exit_code).
KILLED = {"killed", "caught by type check"}
TIMEOUT = {"timeout"}

PYPROJECT = """\
[tool.mutmut]
source_paths = ["src"]
only_mutate = ["src/token_profiler/{module}.py"]
pytest_add_cli_args = ["-p", "no:cacheprovider", "-q"]
pytest_add_cli_args_test_selection = ["tests/unit"]
use_git_change_detection = false
also_copy = {helpers}
# every pytest session (stats, clean run, each mutant) in a process forked for it
process_isolation = "forkserver"

[tool.pytest.ini_options]
testpaths = ["tests/unit"]
pythonpath = ["src", "."]
addopts = "--import-mode=importlib"
markers = ["unit: no AWS at all", "integration: a moto server on loopback"]
"""


def stage(module: str, unit_tests: Path) -> Path:
    """A fresh staging directory where the package is top level (see the module docstring)."""
    where = BUILD / module
    shutil.rmtree(where, ignore_errors=True)
    shutil.copytree(PACKAGE, where / "src" / "token_profiler", ignore=shutil.ignore_patterns("__pycache__"))
    tests = where / "tests"
    shutil.copytree(
        ROOT / "tests" / "support", tests / "support", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy2(ROOT / "tests" / "conftest.py", tests / "conftest.py")
    shutil.copytree(
        unit_tests,
        tests / "unit",
        ignore=shutil.ignore_patterns("__pycache__", *SKIPPED_TESTS),
    )
    for helper in HELPER_PACKAGES:
        shutil.copytree(ROOT / helper, where / helper, ignore=shutil.ignore_patterns("__pycache__"))
    for pattern in HELPER_DATA:
        for source in ROOT.glob(pattern):
            target = where / source.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target)
            else:
                shutil.copy2(source, target)
    (where / "pyproject.toml").write_text(
        PYPROJECT.format(module=module, helpers=json.dumps([*HELPER_PACKAGES, "functions"])), encoding="utf-8"
    )
    return where


def run_mutmut(module: str, max_children: int, unit_tests: Path) -> float:
    where = stage(module, unit_tests)
    log = BUILD / f"{module}.log"
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        result = subprocess.run(
            [sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children)],
            cwd=where,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            check=False,
        )
    seconds = time.monotonic() - started
    if result.returncode != 0 and "could not find any test case for any mutant" in log.read_text():
        return seconds  # no test reaches the module: every mutant is counted as having no tests
    if result.returncode != 0:
        sys.exit(f"mutmut failed on {module} (exit {result.returncode}); see {log}")
    return seconds


def same_package(module: str) -> bool:
    """Whether the package staged for ``module``'s last full run is the package as it is now."""
    staged = BUILD / module / "src" / "token_profiler"
    now = {
        p.relative_to(PACKAGE): p.read_bytes()
        for p in PACKAGE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    then = {
        p.relative_to(staged): p.read_bytes()
        for p in staged.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    return now == then


def retest_mutmut(module: str, max_children: int, unit_tests: Path, names: list[str]) -> float:
    """Re-run only ``names`` (the last full run's survivors) against the current unit tests.

    Sound only while the package is unchanged since that full run: then a mutant killed there is
    still killed (tests were added, not weakened), and only the survivors can change."""
    where = BUILD / module
    if not (where / "mutants").is_dir() or not same_package(module):
        sys.exit(f"mutation: {module}: the package changed since its last full run; run it in full")
    shutil.rmtree(where / "tests" / "unit")
    shutil.copytree(
        unit_tests, where / "tests" / "unit", ignore=shutil.ignore_patterns("__pycache__", *SKIPPED_TESTS)
    )
    # the tests' helpers too: a test written since may use a stand-in added to tests/support since
    shutil.rmtree(where / "tests" / "support")
    shutil.copytree(
        ROOT / "tests" / "support", where / "tests" / "support", ignore=shutil.ignore_patterns("__pycache__")
    )
    if not names:
        return 0.0
    log = BUILD / f"{module}.retest.log"
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        result = subprocess.run(
            [sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children), *names],
            cwd=where,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            check=False,
        )
    if result.returncode != 0:
        sys.exit(f"mutmut failed on {module} (exit {result.returncode}); see {log}")
    return time.monotonic() - started


def changed_line(diff: str) -> str:
    """The mutated line of a mutant's diff (its first '+' line, stripped)."""
    for line in diff.splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            return line[1:].strip()
    return ""


def read_results(module: str) -> dict[str, tuple[str, str]]:
    """{mutant name: (status, changed line)} from mutmut's files in the module's staging directory."""
    where = BUILD / module
    code = (
        "import json, sys\n"
        "from mutmut.stats import status_by_exit_code\n"
        "from mutmut.mutation.diff_apply import get_diff_for_mutant\n"
        "path = 'src/token_profiler/' + sys.argv[1] + '.py'\n"
        "meta = json.load(open('mutants/' + path + '.meta'))\n"
        "out = {}\n"
        "for name, code in meta['exit_code_by_key'].items():\n"
        "    status = status_by_exit_code[code]\n"
        "    diff = get_diff_for_mutant(name, path=path) if status not in ('killed',) else ''\n"
        "    out[name] = [status, diff]\n"
        "print(json.dumps(out))\n"
    )
    text = subprocess.run(
        [sys.executable, "-c", code, module], cwd=where, capture_output=True, text=True, check=True
    ).stdout
    return {name: (status, changed_line(diff)) for name, (status, diff) in json.loads(text).items()}


def load_equivalents() -> dict[str, dict[str, str]]:
    return json.loads(EQUIVALENTS.read_text(encoding="utf-8"))


def tally(
    mutants: int,
    killed: int,
    timed_out: int,
    undetected: list[dict[str, str]],
    equivalents: dict[str, dict[str, str]],
    equivalent: int = 0,
) -> dict:
    """The counts and score of a module's mutants: ``undetected`` are those neither killed nor timed
    out ({name, status, change}); the ones listed as equivalent with the same changed line leave the
    score (on top of ``equivalent`` already left out), a listed one whose line differs is stale."""
    counts = {"survived": 0, "no_tests": 0}
    survivors: list[dict[str, str]] = []
    stale: list[str] = []
    for mutant in undetected:
        known = equivalents.get(mutant["name"])
        if known is not None:
            if known.get("change", "").strip() == mutant["change"]:
                equivalent += 1
                continue
            stale.append(mutant["name"])
        counts["no_tests" if mutant["status"] in ("no tests", "not checked") else "survived"] += 1
        survivors.append(mutant)
    scored = mutants - equivalent
    detected = killed + timed_out
    return {
        "mutants": mutants,
        "killed": killed,
        "timed_out": timed_out,
        **counts,
        "equivalent": equivalent,
        "score": round(100.0 * detected / scored, 1) if scored else 100.0,
        "survivors": survivors,
        "stale_equivalents": stale,
    }


def summarise(module: str, seconds: float | None, equivalents: dict[str, dict[str, str]]) -> dict:
    results = read_results(module)
    statuses = [status for status, _ in results.values()]
    undetected = [
        {"name": name, "status": status, "change": line}
        for name, (status, line) in sorted(results.items())
        if status not in KILLED and status not in TIMEOUT
    ]
    row = tally(
        len(results),
        sum(1 for status in statuses if status in KILLED),
        sum(1 for status in statuses if status in TIMEOUT),
        undetected,
        equivalents,
    )
    return {**row, "seconds": round(seconds, 1) if seconds is not None else None}


def rescore(row: dict, equivalents: dict[str, dict[str, str]]) -> dict:
    """A stored row (its mutmut files are gone, e.g. on a fresh clone) with today's equivalents:
    a survivor listed since, with the same changed line, leaves the score as in ``summarise``."""
    scored = tally(
        row["mutants"], row["killed"], row["timed_out"], row["survivors"], equivalents, row["equivalent"]
    )
    return {**row, **scored}


def current_commit() -> str:
    """The short commit the run measured, with ``+`` when the package or the unit tests differ."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short=7", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "functions/token_profiler", "tests/unit", "tests/support")
    return commit + ("+" if dirty else "")


def listed_modules() -> list[str]:
    """The Makefile's MUTATION_MODULES."""
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        if line.startswith("MUTATION_MODULES :="):
            return line.split(":=", 1)[1].split()
    return []


def write_doc(summary: dict, equivalents: dict[str, dict[str, str]]) -> None:
    lines = [
        "# Mutation testing",
        "",
        '`make mutation` (or `make mutation MODULES="prices dates"`) runs mutmut on the billing and',
        "security core, one module at a time, and writes `build/mutation/summary.json` and this page.",
        "A mutant is one small change to the code (an operator, a constant, a dropped argument); it is",
        "killed when a unit test fails. The score is (killed + timed out) / (mutants - equivalent);",
        f"the target is {TARGET_SCORE:.0f}% per module. How it runs, and how to add a module, is in",
        "`scripts/mutation.py` and the Makefile's `MUTATION_MODULES`. Run times are wall-clock seconds",
        "on a shared 2-core machine and vary with its load. `run` is the last full run of a module;",
        "`commit` is the commit it measured (`+`: with uncommitted changes to the package or its tests;",
        "`recorded`: a row copied from this page as it stood at that commit, before the summary was kept",
        "in `docs/mutation.json`). Measuring some modules updates their rows and keeps the others.",
        "`retest` (`scripts.mutation --retest <module>`) re-ran only that run's survivors against the",
        "tests written since, which is sound because the package is unchanged since the full run (the",
        "script checks): a mutant the full run killed stays killed when tests are only added.",
        "",
        "This page is generated: edit `scripts/mutation_equivalents.json`, not the tables.",
        "",
        "To add a module of `functions/token_profiler`: append its name (without `.py`) to",
        "`MUTATION_MODULES` in the Makefile (a module of a subpackage by its path, `ledger/archive`),",
        "run `make mutation MODULES=<name>`, write unit tests",
        "(in `tests/unit`, importing `token_profiler.<name>`) until the survivors are killed, and list",
        "in `scripts/mutation_equivalents.json` only the mutants no input can tell apart, with why.",
        "Each run stages the package as `build/mutation/<name>/src/token_profiler`, so mutants are",
        "named `token_profiler.<name>.*` like the imports of the tests; mutmut records which tests call",
        "which function and runs only those for a mutant, each pytest session in a forked process.",
        "",
        "## Scores",
        "",
        "| module | mutants | killed | timed out | survived | no tests | equivalent | score | run (s)"
        " | retest (s) | commit |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for module, row in sorted(summary["modules"].items()):
        lines.append(
            f"| {module}.py | {row['mutants']} | {row['killed']} | {row['timed_out']} | {row['survived']}"
            f" | {row['no_tests']} | {row['equivalent']} | {row['score']:.1f}% | {row['seconds']}"
            f" | {row.get('retest_seconds') or ''} | {row.get('commit', '')} |"
        )
    unmeasured = [m for m in listed_modules() if m not in summary["modules"]]
    if unmeasured:
        lines += ["", f"Listed in `MUTATION_MODULES` but not measured yet: {', '.join(unmeasured)}."]
    lines += ["", "## Surviving mutants", ""]
    any_survivor = False
    for _module, row in sorted(summary["modules"].items()):
        for survivor in row["survivors"]:
            any_survivor = True
            lines.append(f"- `{survivor['name']}` ({survivor['status']}): `{survivor['change']}`")
        for name in row["stale_equivalents"]:
            lines.append(f"- `{name}`: listed as equivalent, but its change no longer matches (stale)")
    if not any_survivor:
        lines.append("None outside the equivalents below.")
    lines += [
        "",
        "## Equivalent mutants (kept on purpose, left out of the score)",
        "",
        "An equivalent mutant behaves like the original code for every input the product can give it",
        "(the reason says which inputs, when that matters), so no test can kill it. Each one is listed",
        "in `scripts/mutation_equivalents.json` with the changed line and the reason.",
        "",
        "| mutant | change | why it is equivalent |",
        "|---|---|---|",
    ]
    for name, entry in sorted(equivalents.items()):
        change = entry["change"].replace("|", "\\|")
        reason = entry["reason"].replace("|", "\\|")
        lines.append(f"| `{name}` | `{change}` | {reason} |")
    DOC.write_text("\n".join(lines) + "\n", encoding="utf-8")


def save(summary: dict, equivalents: dict[str, dict[str, str]]) -> None:
    summary["total_seconds"] = round(sum(row["seconds"] or 0 for row in summary["modules"].values()), 1)
    text = json.dumps(summary, indent=2) + "\n"
    SUMMARY.write_text(text, encoding="utf-8")
    RECORD.write_text(text, encoding="utf-8")
    write_doc(summary, equivalents)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="modules of functions/token_profiler (without .py)")
    parser.add_argument("--max-children", type=int, default=2, help="mutants tested in parallel")
    parser.add_argument(
        "--tests",
        type=Path,
        default=ROOT / "tests" / "unit",
        help="the unit tests to run (another copy, e.g. an older commit's, to measure a baseline)",
    )
    parser.add_argument("--report-only", action="store_true", help="re-read the last runs, run nothing")
    parser.add_argument(
        "--retest",
        action="store_true",
        help="re-run only the last full run's survivors against the current tests (package unchanged)",
    )
    args = parser.parse_args(argv)
    BUILD.mkdir(parents=True, exist_ok=True)
    # the committed record (merged branches' rows included), else this machine's last runs: measuring
    # some modules keeps the others' rows
    source = RECORD if RECORD.exists() else SUMMARY
    summary = json.loads(source.read_text()) if source.exists() else {"modules": {}}
    modules = args.modules or list(summary["modules"])
    for module in modules:
        if not (PACKAGE / f"{module}.py").is_file():
            parser.error(f"no module functions/token_profiler/{module}.py")
    equivalents = load_equivalents()
    commit = current_commit()
    for module in modules:
        seconds = None
        retest_seconds = summary["modules"].get(module, {}).get("retest_seconds")
        measured_at = commit
        if args.report_only and not (BUILD / module / "mutants").is_dir():
            if module in summary["modules"]:  # no mutmut files here: the stored row, rescored
                summary["modules"][module] = rescore(summary["modules"][module], equivalents)
            continue
        if args.report_only:
            measured_at = summary["modules"].get(module, {}).get("commit", "")
            seconds = summary["modules"].get(module, {}).get("seconds")
        elif args.retest:
            last = summary["modules"].get(module, {})
            seconds = last.get("seconds")
            names = [s["name"] for s in last.get("survivors", [])]
            print(f"mutation: {module}: retesting {len(names)} survivors ...", flush=True)
            retest_seconds = round(retest_mutmut(module, args.max_children, args.tests.resolve(), names), 1)
            measured_at = f"{summary['modules'].get(module, {}).get('commit', '')}, retest {commit}"
        else:
            print(f"mutation: {module} ...", flush=True)
            seconds = run_mutmut(module, args.max_children, args.tests.resolve())
            retest_seconds = None
        row = summarise(module, seconds, equivalents)
        row["retest_seconds"] = retest_seconds
        row["commit"] = measured_at
        summary["modules"][module] = row
        print(
            f"mutation: {module}: {row['mutants']} mutants, {row['killed']} killed, "
            f"{row['timed_out']} timed out, {row['survived'] + row['no_tests']} left, "
            f"{row['equivalent']} equivalent, score {row['score']:.1f}% in {row['seconds']} s",
            flush=True,
        )
        save(summary, equivalents)  # after each module: an interrupted run keeps what it measured
    save(summary, equivalents)
    low = [m for m in modules if m in summary["modules"] and summary["modules"][m]["score"] < TARGET_SCORE]
    if low:
        print(f"mutation: below {TARGET_SCORE:.0f}%: {', '.join(low)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
