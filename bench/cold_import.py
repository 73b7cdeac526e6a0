"""`cold_import`: import time of each handler module in a fresh interpreter (median of N).

Timed inside the child from just before the import to just after it, so interpreter start-up is
left out on both sides (it is reported on its own). The settings are read and the catalog parsed
at import (our cold start does that), with the environment Terraform gives each function.
Children of every module are interleaved round by round, so machine load hits all alike.
"""

from __future__ import annotations

import importlib.util
import re
import statistics
import subprocess
import time

from bench import harness
from bench.lambda_env import lambda_environ
from bench.loopback_bedrock import loopback_bedrock

# Our handler key -> the reference-imports module it is compared with.
BASELINE_FOR = {
    "invoke_model": "bench.baselines.reference_invoke_model",
    "cost_tracking": "bench.baselines.reference_cost_tracking",
    "cost_tracking_manual": "bench.baselines.reference_cost_tracking",
    "ddb_cost_retrieval": "bench.baselines.reference_retrieval",
}
# Handlers whose reference counterpart's imports are known (the 3x target applies to these);
# ddb_cost_retrieval is compared with the boto3 + Logger floor only, as information.
WITH_REFERENCE = ("invoke_model", "cost_tracking", "cost_tracking_manual")
# What each baseline module needs beyond the runtime packages.
NEEDS = {
    "bench.baselines.reference_invoke_model": "langchain_community",
    "bench.baselines.reference_cost_tracking": "pandas",
    "bench.baselines.reference_retrieval": "boto3",
}

_CHILD = """
import sys, time, warnings
warnings.simplefilter("ignore")
sys.path[:0] = {paths!r}
t0 = time.perf_counter()
{statement}
sys.stdout.write("\\nBENCH_SECONDS=" + repr(time.perf_counter() - t0) + "\\n")
"""
# Cold start to first answer: the import, then one request against Bedrock on loopback.
_FIRST_REQUEST = """{import_statement}
class _Context:
    function_name = "bench_invoke_model"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench_invoke_model"
    aws_request_id = "bench-request"
_response = {module}.lambda_handler({event!r}, _Context())
assert _response["statusCode"] == 200, _response"""


def handler_keys() -> list[str]:
    return sorted(p.parent.name for p in harness.FUNCTIONS.glob("*/index.py"))


def _child(
    statement: str, paths: list[str], function: str, extra: list[str] | None = None, env: dict | None = None
) -> subprocess.CompletedProcess:
    code = _CHILD.format(paths=paths, statement=statement)
    return subprocess.run(
        [harness.worker_python(), *(extra or []), "-c", code],
        cwd=harness.ROOT,
        env=lambda_environ(function) | (env or {}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _ours_spec(key: str) -> tuple[str, list[str]]:
    return "import index", [str(harness.FUNCTIONS / key), str(harness.FUNCTIONS)]


def _baseline_spec(module: str) -> tuple[str, list[str]]:
    return f"import {module}", [str(harness.ROOT)]


def _time(statement: str, paths: list[str], function: str, env: dict | None = None) -> tuple[float, float]:
    """(seconds inside the child for the statement, seconds for the whole child process)."""
    t0 = time.perf_counter()
    out = _child(statement, paths, function, env=env)
    whole = time.perf_counter() - t0
    marks = [line for line in out.stdout.splitlines() if line.startswith("BENCH_SECONDS=")]
    if out.returncode != 0 or not marks:
        raise RuntimeError(f"`{statement}` failed in a fresh interpreter: {out.stderr[-1500:]}")
    return float(marks[-1].split("=", 1)[1]), whole


def _first_request_specs() -> dict[str, tuple[str, list[str]]]:
    from bench.handler_overhead import MODEL
    from bench.lambda_env import invoke_event

    event = invoke_event(MODEL)
    ours = _FIRST_REQUEST.format(import_statement="import index", module="index", event=event)
    theirs = _FIRST_REQUEST.format(
        import_statement="import bench.baselines.reference_invoke_model as ref", module="ref", event=event
    )
    return {
        "ours": (ours, [str(harness.FUNCTIONS / "invoke_model"), str(harness.FUNCTIONS)]),
        "base": (theirs, [str(harness.ROOT)]),
    }


def top_imports(key: str, limit: int = 6) -> list[dict]:
    """Where our handler's import time goes: self time (python -X importtime) summed per top-level package."""
    statement, paths = _ours_spec(key)
    with loopback_bedrock() as url:
        out = _child(
            statement, paths, key, ["-X", "importtime"], env={"AWS_ENDPOINT_URL_SECRETS_MANAGER": url}
        )
    by_package: dict[str, int] = {}
    for line in out.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if match:
            root = match.group(2).split(".")[0]
            by_package[root] = by_package.get(root, 0) + int(match.group(1))
    ranked = sorted(by_package.items(), key=lambda kv: -kv[1])[:limit]
    return [{"package": name, "self_ms": round(us / 1000, 1)} for name, us in ranked]


def run(*, repeats: int = 11, require_baselines: bool = True, profile: bool = True) -> dict:
    keys = handler_keys()
    if not keys:
        return harness.not_run("cold_import", "no functions/<key>/index.py found")
    notes = [
        f"median of {repeats} fresh interpreters per module, interleaved; time of the import statement only",
        "baselines: bench/baselines/reference_invoke_model.py (langchain-community Bedrock adapter, "
        "boto3, powertools Logger), reference_cost_tracking.py (pandas, boto3, Logger), "
        "reference_retrieval.py (boto3, Logger; conservative)",
        "ddb_cost_retrieval has no measured reference counterpart: it is compared with the boto3 + "
        "Logger floor, for information, and the 3x target is not applied to it",
        "interpreter_startup_ms: a whole `python -c pass` child, for scale (not part of any figure above)",
    ]
    baselines = sorted(set(BASELINE_FOR.get(k, "bench.baselines.reference_retrieval") for k in keys))
    runnable = []
    for module in baselines:
        if importlib.util.find_spec(NEEDS[module]) is not None:
            runnable.append(module)
        elif require_baselines:
            raise RuntimeError(f"{NEEDS[module]} is not installed: run `make bench` (it builds .venv-bench)")
        else:
            notes.append(f"baseline {module} skipped: {NEEDS[module]} not installed in this interpreter")
    samples: dict[str, list[float]] = {f"ours:{k}": [] for k in keys} | {f"base:{m}": [] for m in runnable}
    samples["interpreter_startup"] = []
    first = "invoke_model" in keys and "bench.baselines.reference_invoke_model" in runnable
    if first:
        samples["first:ours"], samples["first:base"] = [], []
        specs = _first_request_specs()
    with loopback_bedrock() as bedrock_url:
        # invoke_model reads its signing keyring at import, as on Lambda: from the loopback server
        secrets = {"AWS_ENDPOINT_URL_SECRETS_MANAGER": bedrock_url}
        for _ in range(repeats):
            for key in keys:
                samples[f"ours:{key}"].append(_time(*_ours_spec(key), key, env=secrets)[0])
            for module in runnable:
                samples[f"base:{module}"].append(_time(*_baseline_spec(module), "invoke_model")[0])
            samples["interpreter_startup"].append(_time("pass", [], "invoke_model")[1])
            if first:
                for side in ("ours", "base"):
                    seconds = _time(
                        *specs[side], "invoke_model", env={"BEDROCK_URL": bedrock_url, **secrets}
                    )[0]
                    samples[f"first:{side}"].append(seconds)
    median = {name: round(statistics.median(values) * 1000, 1) for name, values in samples.items()}
    ours, baseline, ratio, table, targets = {}, {}, {}, [], []
    for key in keys:
        module = BASELINE_FOR.get(key, "bench.baselines.reference_retrieval")
        mine = median[f"ours:{key}"]
        theirs = median.get(f"base:{module}")
        ours[key] = {"median_ms": mine, "min_ms": round(min(samples[f"ours:{key}"]) * 1000, 1)}
        if profile:
            ours[key]["top_imports"] = top_imports(key)
        baseline[key] = {"module": module, "median_ms": theirs}
        ratio[key] = harness.ratio(theirs, mine)
        table.append(
            {"figure": f"{key} import ms (median)", "ours": mine, "baseline": theirs, "ratio": ratio[key]}
        )
        targets.append(harness.target(f"{key} import ms <= 300", mine, 300))
        if key in WITH_REFERENCE:
            targets.append(
                harness.target(f"{key} x reference-imports baseline >= 3", ratio[key], 3, at_most=False)
            )
    cold_first = None
    if first:
        cold_first = {
            "ours_ms": median["first:ours"],
            "baseline_ms": median["first:base"],
            "ratio": harness.ratio(median["first:base"], median["first:ours"]),
        }
        table.append(
            {
                "figure": "invoke_model import + first request ms",
                "ours": cold_first["ours_ms"],
                "baseline": cold_first["baseline_ms"],
                "ratio": cold_first["ratio"],
            }
        )
        notes.append(
            "import + first request: our handler imports boto3 and builds its client on the first "
            "call, not at import; this row charges that to us (Bedrock on a loopback HTTP server "
            "answering at once, both sides)"
        )
    return harness.metric(
        "cold_import",
        cold_first_request=cold_first,
        unit="ms",
        ours=ours,
        baseline=baseline,
        ratio=ratio,
        interpreter_startup_ms=median["interpreter_startup"],
        repeats=repeats,
        targets=targets,
        notes=notes,
        table=table,
    )
