"""`make bench`: run every benchmark with its baselines, write build/bench/results.json, print the
table and write docs/benchmarks.md.

    python -m bench                       # everything, full sizes (needs .venv-bench)
    python -m bench --only aggregation    # one metric (the others keep their last results)
    python -m bench --quick               # small sizes, a smoke run
    python -m bench --render              # rewrite docs/benchmarks.md from build/bench/results.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path

from bench import harness
from bench.reference_figures import faithfulness

# Hand-written analysis of the last full run (causes of misses, fixes), appended to the note.
FINDINGS = Path(__file__).resolve().parent / "findings.md"

FULL = {
    "handler_overhead": {
        "rounds": 3,
        "ours_requests": 2000,
        "baseline_requests": 60,
        "litellm_requests": 500,
    },
    "cold_import": {"repeats": 11},
    "package_size": {},
    "aggregation": {
        "lines": 1_000_000,
        "memory_sizes": (250_000, 1_000_000),
        "pandas_sizes": (10_000, 40_000),
        "litellm_sizes": (5_000, 20_000),
    },
    "end_to_end": {"clients": 8, "invocations": 25},
    "ledger_scale": {"lines": 2_000_000},
}
QUICK = {
    "handler_overhead": {
        "rounds": 1,
        "ours_requests": 50,
        "baseline_requests": 3,
        "litellm_requests": 20,
        "warmup": 3,
    },
    "cold_import": {"repeats": 1, "profile": False},
    "package_size": {},
    "aggregation": {
        "lines": 5_000,
        "memory_sizes": (1_000, 4_000),
        "pandas_sizes": (300, 600),
        "litellm_sizes": (300, 600),
    },
    "end_to_end": {"clients": 2, "invocations": 2},
    "ledger_scale": {"lines": 20_000},
}


def run_metric(name: str, params: dict, *, require_baselines: bool = True) -> dict:
    module = __import__(f"bench.{name}", fromlist=["run"])
    kwargs = dict(params)
    if name in ("handler_overhead", "cold_import", "package_size", "aggregation"):
        kwargs["require_baselines"] = require_baselines
    started = time.perf_counter()
    try:
        record = module.run(**kwargs)
    except Exception as exc:  # noqa: BLE001 - one failing benchmark must not hide the others
        record = harness.not_run(
            name, f"failed: {type(exc).__name__}: {exc}"[:1500], traceback=traceback.format_exc()[-3000:]
        )
    record["seconds"] = round(time.perf_counter() - started, 1)
    return record


def render_capacity(record: dict) -> list[str]:
    """The usage ledger's capacity model (bench/ledger_scale.py), computed from the measured line
    size and throughput and AWS's published quotas and prices."""
    model = record.get("capacity")
    if record.get("status") != "ok" or not model:
        return []
    sizes = record["sizes"]
    out = [
        "## Capacity of the usage ledger",
        "",
        f"Computed from `ledger_scale`'s measured line ({sizes['bytes_per_line']} bytes; "
        f"{sizes['gzip_bytes_per_line']} bytes gzip in the archive; "
        f"{sizes['envelope_gzip_bytes_per_line']} bytes in CloudWatch Logs' gzip subscription records) and "
        "throughput, with AWS's published quotas and us-east-1 list prices (bench/ledger_scale.py names "
        "each; the Firehose decompression rate is an assumption to check against the pricing page).",
        "",
        "FilterLogEvents: 5 requests/s per account, at most 1 MB a page = "
        f"{model['filter_lines_per_page']:,} lines a page, so at best "
        f"{model['filter_fetch_lines_per_s']:,} lines/s; with the measured parse "
        f"rate the logs engine reads {model['logs_engine_lines_per_s']:,} lines/s.",
        "",
        "| engine | time limit | largest day (calls) |",
        "|---|---|---:|",
    ]
    for row in model["largest_day"]:
        out.append(f"| {row['engine']} | {row['limit']} | {row['calls']:,} |")
    out += [
        "| athena | Athena's own (DML timeout 30 min by default); the function only polls | "
        "not bound by the function (see below) |",
        "",
        "Cost per day, US$ (Bedrock spend at the generated mix's "
        f"{model['bedrock_cost_per_call_usd']} US$ a call):",
        "",
        "| calls/day | CloudWatch ingestion | Firehose | S3 (a month of storage + PUTs) | Athena scan "
        "| metering total | Bedrock spend | metering / Bedrock |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in model["cost_per_day_usd"]:
        share = row["metering_share_of_bedrock"]
        out.append(
            f"| {row['calls']:,} | {row['cloudwatch_ingestion']:,.2f} | {row['firehose']:,.2f} | "
            f"{row['s3']:,.2f} | {row['athena']:,.4f} | {row['metering']:,.2f} | {row['bedrock']:,.0f} | "
            f"{share:.4%} |"
        )
    biggest = model["cost_per_day_usd"][-1]
    out += [
        "",
        "- CloudWatch ingestion is paid today already (the usage line is logged either way); the archive "
        "adds Firehose, S3 and Athena.",
        "- Time from a day's close to its rows with the athena engine: Firehose writes within its "
        "buffer (300 s or 128 MB), so the last line of a day is in S3 by about 00:05 UTC; the schedule "
        "(default 00:15 UTC; 00:10 is enough) then runs one Athena query over the day's 25 hour "
        "partitions and prices the grouped rows in Python. Athena's query time over the 100M-call day "
        f"(about {biggest['archive_gb']:,.1f} GB of gzip in about {biggest['objects']:,.0f} objects) was not "
        "measured here (no Athena offline); "
        "at Athena's usual scan rates it is minutes, which puts the rows within about 15 minutes of "
        "the close. The logs engine cannot reach that size at all (table above).",
        "",
    ]
    return out


def render_markdown(document: dict) -> str:
    m = document["machine"]
    out = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/); the raw figures are in `build/bench/results.json`.",
        "Every figure is measured in the same command as its baseline, on a shared 2-core machine:",
        "read the ratios, not the absolute numbers. `baseline/ours` > 1 means we are that many times",
        "better (faster, smaller).",
        "",
        f"- date: {document['date']}",
        f"- machine: {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}, "
        f"load average at the end {m['loadavg']}",
        f"- commit: {m['git_commit']}",
        "",
        "| metric | figure | ours | baseline | baseline/ours |",
        "|---|---|---:|---:|---:|",
    ]
    for row in harness.rows(document):
        out.append("| " + " | ".join(str(c).replace("|", "/") for c in row) + " |")
    out += ["", "## Targets", ""]
    for name in harness.METRICS:
        record = document["metrics"].get(name) or {}
        for t in record.get("targets", []):
            mark = {True: "met", False: "**missed**", None: "n/a"}[t["met"]]
            op = "≤" if t["at_most"] else "≥"
            value, limit = harness._fmt(t["value"]), harness._fmt(t["limit"])
            out.append(f"- {name}: {t['target']}: {value} ({op} {limit}) — {mark}")
    out += ["", "## How each figure was measured", ""]
    for name in harness.METRICS:
        record = document["metrics"].get(name)
        if record is None:
            continue
        out.append(f"### {name}")
        out.append("")
        if record["status"] != "ok":
            out.append(f"Not run: {record.get('reason', '')}")
            out.append("")
        for note in record.get("notes", []):
            out.append(f"- {note}")
        for line in record.get("analysis", []):
            out.append(f"- {line}")
        out.append(f"- measured {record['date']}, took {record.get('seconds', '?')} s")
        out.append("")
    out += render_capacity(document["metrics"].get("ledger_scale") or {})
    checks = faithfulness(document)
    if checks:
        out += ["## Are the baselines faithful?", ""]
        out += ["Each re-created baseline beside what the reference's own code measured (issue 6):", ""]
        out += [f"- {line}" for line in checks] + [""]
    if FINDINGS.exists():
        out += [FINDINGS.read_text().rstrip(), ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="run the benchmarks")
    parser.add_argument("--only", action="append", choices=harness.METRICS)
    parser.add_argument("--skip", action="append", choices=harness.METRICS, default=[])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    parser.add_argument("--results", type=Path, default=harness.RESULTS)
    parser.add_argument("--note", type=Path, default=harness.NOTE)
    parser.add_argument("--no-note", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument(
        "--render", action="store_true", help="only re-render the table and note from --results"
    )
    args = parser.parse_args(argv)
    if args.render:
        document = json.loads(args.results.read_text())
        print(harness.text_table(document))
        args.note.write_text(render_markdown(document) + "\n")
        print(f"\nwrote {args.note}")
        return 0
    sizes = QUICK if args.quick else FULL
    names = [n for n in (args.only or harness.METRICS) if n not in args.skip]
    previous: dict = {}
    if args.only and args.results.exists():
        previous = json.loads(args.results.read_text()).get("metrics", {})
    records = dict(previous)
    for name in names:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        records[name] = run_metric(name, sizes[name])
        print(
            f"bench: {name} {records[name]['status']} in {records[name]['seconds']} s",
            file=sys.stderr,
            flush=True,
        )
    for name in harness.METRICS:
        records.setdefault(name, harness.not_run(name, "skipped on the command line"))
    ordered = {name: records[name] for name in harness.METRICS}
    document = harness.write_results(ordered, args.results)
    print(harness.text_table(document))
    for line in faithfulness(document):
        print(f"  baseline check: {line}")
    if not args.no_note:
        args.note.parent.mkdir(parents=True, exist_ok=True)
        args.note.write_text(render_markdown(document) + "\n")
        print(f"\nwrote {args.results} and {args.note}")
    else:
        print(f"\nwrote {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
