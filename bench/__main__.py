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
    size and throughput, the Terraform sources' settings and AWS's published quotas and prices."""
    model = record.get("capacity")
    if record.get("status") != "ok" or not model or "timing" not in model:
        return []
    sizes, proc, tf = record["sizes"], model["processor"], model["deployment"]
    timing, goal = model["timing"], model["goal"]
    athena_gbps = model["assumptions"]["athena_raw_bytes_per_s"] / 1e9
    out = [
        "## Capacity of the usage ledger",
        "",
        f"Computed by bench/ledger_scale.py from `ledger_scale`'s measured signed line "
        f"({sizes['bytes_per_line']} bytes; {sizes['gzip_bytes_per_line']} bytes gzip in the archive; "
        f"{sizes['envelope_gzip_bytes_per_line']} bytes in CloudWatch Logs' gzip subscription records), "
        "its measured throughputs, the settings in terraform/ (read from the sources) and AWS's "
        f"published quotas and {model['prices_region']} list prices ({model['prices_as_of']}; "
        "ledger_scale.py names each).",
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
        "",
        f"The athena rows are not measured: Athena's speed is not published and there is no Athena "
        f"offline; they assume {athena_gbps:g} GB/s of uncompressed JSON per query; a day is two "
        "queries (day.sql and refused.sql) started together and waited for inside the aggregator "
        "function, so the function's time limit bounds them.",
        "",
        f"Archive processor (functions/archive_verify, {proc['memory_mb']} MB, {proc['timeout_s']} s in "
        f"terraform/main.tf): Firehose invokes it per {proc['buffer_mb']} MB of subscription records "
        f"(about {proc['lines_per_invocation']:,} lines) or {tf['processor_buffer_s']} s; measured "
        f"{proc['cpu_us_per_line']} µs of CPU a line here, so about {proc['invocation_s']} s an invocation "
        f"at its {proc['cpu_share']:.0%} share of a vCPU (Lambda: one vCPU at 1,769 MB).",
        "",
        "Cost per day, US$ (Bedrock spend at the generated mix's "
        f"{model['bedrock_cost_per_call_usd']} US$ a call):",
        "",
        "| calls/day | CloudWatch ingestion | Firehose | processor Lambda | S3 (a month of storage, "
        "PUTs, GETs) | Athena scan | metering total | Bedrock spend | metering / Bedrock |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in model["cost_per_day_usd"]:
        share = row["metering_share_of_bedrock"]
        out.append(
            f"| {row['calls']:,} | {row['cloudwatch_ingestion']:,.2f} | {row['firehose']:,.2f} | "
            f"{row['processor_lambda']:,.4f} | {row['s3']:,.2f} | {row['athena']:,.4f} | "
            f"{row['metering']:,.2f} | {row['bedrock']:,.0f} | {share:.4%} |"
        )
    biggest = model["cost_per_day_usd"][-1]

    def minutes(seconds: float) -> str:
        return f"{seconds / 60:.1f} min"

    out += [
        "",
        "- CloudWatch ingestion is paid today already (the usage line is logged either way); the archive "
        "adds Firehose, the processor, S3 and Athena. Firehose's own decompression is not configured "
        "(the processor unpacks the records), so it costs nothing; Firehose bills each subscription "
        f"record in 5 KB steps ({model['assumptions']['events_per_subscription_record']} events a record "
        "assumed). The processor: "
        f"{biggest['processor_invocations']:,.0f} invocations and {biggest['processor_gb_s']:,.0f} GB-s "
        f"on the {biggest['calls']:,}-call day.",
        f"- Time from a day's close to its rows (athena engine): a day's run also reads the next day's "
        f"first {minutes(timing['late_until_s'])} (calls logged after midnight), which are in S3 "
        f"{minutes(timing['in_s3_after_close_s'])} after the close (those minutes, the processor's buffer "
        f"of {tf['processor_buffer_s']} s and the archive's of {tf['buffering_seconds']} s; CloudWatch Logs' "
        "own delivery to Firehose, usually seconds, is not counted). The queries over "
        f"the {biggest['calls']:,}-call day (about {biggest['archive_gb']:,.1f} GB of gzip in about "
        f"{biggest['objects']:,.0f} objects) take {minutes(timing['query_s_assumed'])} at the assumed "
        f"rate ({minutes(timing['query_s_tenth_rate'])} at a tenth of it). With the default schedule "
        f"({tf['schedule']}, {minutes(timing['default_start_s'])} after the close) the rows are there "
        f"{minutes(timing['rows_after_close_s_default'])} after the close; with a schedule at the "
        f"earliest safe time, {minutes(timing['rows_after_close_s_earliest'])} "
        f"({minutes(timing['rows_after_close_s_earliest_tenth_rate'])} at a tenth of the rate).",
        f"- Goal: {goal['calls']:,} calls a day aggregated within {goal['within_s'] // 60} minutes of the "
        f"close, at a metering cost under {goal['share']:.0%} of their Bedrock spend. Cost: "
        f"{'met' if goal['cost_met'] else '**not met**'} "
        f"({biggest['metering_share_of_bedrock']:.4%}). Time: "
        f"{'met' if goal['time_met_default_schedule'] else '**not met**'} with the default schedule; "
        f"{'met' if goal['time_met_earliest_schedule'] else '**not met**'} with a schedule at "
        f"{minutes(timing['earliest_safe_start_s'])} after the close at the assumed Athena rate "
        f"({'met' if goal['time_met_earliest_schedule_tenth_rate'] else 'not met'} at a tenth of it), "
        "which no run here measured. The logs engine cannot reach that size at all (table above).",
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
