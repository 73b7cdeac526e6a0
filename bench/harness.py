"""Shared plumbing for the benchmarks: statistics, the machine record, results, table and note."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ROOT / "functions"
BUILD = ROOT / "build" / "bench"
RESULTS = BUILD / "results.json"
NOTE = ROOT / "docs" / "benchmarks.md"
METRICS = ("handler_overhead", "cold_import", "package_size", "aggregation", "end_to_end", "ledger_scale")

# The domain package (the layer) and the repo (scripts.build) are importable, as in the tests.
for _path in (str(ROOT), str(FUNCTIONS)):
    if _path not in sys.path:
        sys.path.append(_path)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    """p50/p95/mean in milliseconds of a list of durations in seconds."""
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 4),
        "p95_ms": round(percentile(ms, 95), 4),
        "mean_ms": round(statistics.fmean(ms), 4),
    }


def ratio(baseline: float | None, ours: float | None) -> float | None:
    """How many times ours beats the baseline (baseline / ours), for 'lower is better' figures."""
    if baseline is None or ours is None or ours <= 0:
        return None
    return round(baseline / ours, 2)


def machine() -> dict[str, Any]:
    """What the figures were measured on; the load average says how busy the shared cores were."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem_gib,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg": load,
        "git_commit": git_commit(),
    }


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return out.stdout.strip() or None
    except OSError:
        return None


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def metric(name: str, *, status: str = "ok", **fields: Any) -> dict[str, Any]:
    """One metric record: every record carries the machine and the date it was measured on."""
    if name not in METRICS:
        raise ValueError(f"unknown metric {name}")
    record: dict[str, Any] = {
        "metric": name,
        "status": status,
        "ours": None,
        "baseline": None,
        "ratio": None,
        "targets": [],
        "notes": [],
    }
    record.update(fields)
    record["machine"] = machine()
    record["date"] = now_utc()
    return record


def not_run(name: str, reason: str, **fields: Any) -> dict[str, Any]:
    return metric(name, status="not_run", reason=reason, **fields)


def target(name: str, value: float | None, limit: float, *, at_most: bool = True) -> dict[str, Any]:
    met = None if value is None else (value <= limit if at_most else value >= limit)
    return {"target": name, "value": value, "limit": limit, "at_most": at_most, "met": met}


def write_results(records: dict[str, dict[str, Any]], path: Path = RESULTS) -> dict[str, Any]:
    document = {"schema_version": 1, "date": now_utc(), "machine": machine(), "metrics": records}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    return document


def worker_python() -> str:
    """The interpreter the subprocess workers use: the one running the harness."""
    return sys.executable


# ---------------------------------------------------------------- rendering


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value >= 1000:
            return f"{value:,.0f}"
        if value >= 10:
            return f"{value:.1f}"
        return f"{value:.3g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def rows(document: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """Flatten every metric into (metric, figure, ours, baseline, ratio) rows."""
    out: list[tuple[str, str, str, str, str]] = []
    for name in METRICS:
        record = document["metrics"].get(name)
        if record is None:
            out.append((name, "-", "missing", "", ""))
            continue
        if record["status"] == "not_run":
            out.append((name, "not run", record.get("reason", ""), "", ""))
            continue
        for line in record.get("table", []):
            out.append(
                (
                    name,
                    line["figure"],
                    _fmt(line.get("ours")),
                    _fmt(line.get("baseline")),
                    _fmt(line.get("ratio")),
                )
            )
    return out


def text_table(document: dict[str, Any]) -> str:
    header = ("metric", "figure", "ours", "baseline", "baseline/ours")
    body = rows(document)
    widths = [max(len(str(r[i])) for r in [header, *body]) for i in range(5)]
    widths = [min(w, 70) for w in widths]

    def line(r: tuple[str, ...]) -> str:
        return "  ".join(str(c)[:70].ljust(w) for c, w in zip(r, widths, strict=True))

    out = [line(header), line(tuple("-" * w for w in widths))]
    out += [line(r) for r in body]
    out.append("")
    out.append("targets:")
    for name in METRICS:
        for t in (document["metrics"].get(name) or {}).get("targets", []):
            mark = {True: "MET ", False: "MISS", None: "n/a "}[t["met"]]
            op = "<=" if t["at_most"] else ">="
            out.append(f"  [{mark}] {name}: {t['target']} = {_fmt(t['value'])} ({op} {_fmt(t['limit'])})")
    return "\n".join(out)
