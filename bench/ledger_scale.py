"""ledger_scale: one large day in the archive's own object format, aggregated two ways.

N generated usage lines (bench/linegen.py, with its 0.5% noise and its independent truth) are
written as the archive holds them with Firehose's message extraction: gzip objects of one log
message per line, about as many lines per object as a 128 MB buffer holds. Then, each in a fresh
worker process (so peak memory is the process's own, DuckDB's native allocations included):

- duckdb: token_profiler.ledger.duckdb_engine as read_day runs it (unpack each object to lines,
  then day.sql over the files), without the S3 GETs;
- msgspec: today's Python path (DayAggregate.add, msgspec fast path) over the same objects' lines.

Both must give the generator's totals exactly. The measured line size and compressed size feed the
capacity model in docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import harness
from bench.linegen import Truth, catalog_prices, generate

DAY = "2026-11-26"
LINES_PER_OBJECT = 150_000  # about 128 MB of messages (Firehose's largest buffer), before gzip


PROCESSOR_SAMPLE = 100_000  # lines of the day the processor's CPU time is measured on


def write_objects(
    n: int, directory: Path, seed: int = 11, sample: list[str] | None = None
) -> tuple[Truth, dict]:
    """Write the day's objects; fill ``sample`` with its first PROCESSOR_SAMPLE messages."""
    truth = Truth(day=DAY)
    raw_bytes = gz_bytes = objects = 0
    batch: list[str] = []

    def flush():
        nonlocal raw_bytes, gz_bytes, objects
        data = ("\n".join(batch) + "\n").encode()
        packed = gzip.compress(data, compresslevel=6)
        (directory / f"{objects:05d}.gz").write_bytes(packed)
        raw_bytes += len(data)
        gz_bytes += len(packed)
        objects += 1
        batch.clear()

    envelope_bytes = envelope_lines = 0
    for event in generate(n, day=DAY, seed=seed, truth=truth):
        batch.append(event["message"])
        if sample is not None and len(sample) < PROCESSOR_SAMPLE:
            sample.append(event["message"])
        if len(batch) == LINES_PER_OBJECT:
            if not envelope_lines:  # what CloudWatch Logs sends Firehose: gzip envelopes of events
                envelope_bytes, envelope_lines = _envelope_sample(batch[:20_000])
            flush()
    if batch:
        if not envelope_lines:
            envelope_bytes, envelope_lines = _envelope_sample(batch[:20_000])
        flush()
    sizes = {
        "envelope_gzip_bytes_per_line": round(envelope_bytes / envelope_lines, 1),
        "objects": objects,
        "raw_bytes": raw_bytes,
        "gzip_bytes": gz_bytes,
        "bytes_per_line": round(raw_bytes / n, 1),
        "gzip_bytes_per_line": round(gz_bytes / n, 1),
    }
    return truth, sizes


def _envelope_sample(messages: list[str], per_record: int = 50) -> tuple[int, int]:
    """Bytes of the gzip subscription records (``per_record`` events each) carrying `messages`."""
    total = 0
    for start in range(0, len(messages), per_record):
        total += len(_envelope(messages[start : start + per_record], start))
    return total, len(messages)


# ---- capacity model -----------------------------------------------------------------------------
# AWS's published quotas and us-east-1 list prices this model uses (check them against the pricing
# pages before quoting a customer; they change). Region us-east-1; the list prices as AWS published
# them in 2025 (this machine has no internet: they were not re-read on the run's date).
PRICES_REGION = "us-east-1"
PRICES_AS_OF = "2025 list prices (AWS pricing pages), not re-read on the run date"
FILTER_LOG_EVENTS_TPS = 5  # per account and Region, not adjustable
FILTER_PAGE_BYTES = 1_048_576  # a FilterLogEvents page holds at most 1 MB (or 10,000 events)
FILTER_PAGE_EVENTS = 10_000
EVENT_OVERHEAD_BYTES = 26  # CloudWatch Logs counts 26 bytes per event on top of the message
LAMBDA_LIMITS_S = {"manual (API, 28 s)": 28, "scheduled (300 s)": 300, "Lambda maximum (900 s)": 900}
PRICE = {
    "cloudwatch_ingest_gb": 0.50,  # CloudWatch Logs, Standard class, per GB ingested
    "firehose_ingest_gb": 0.029,  # Firehose Direct PUT, first 500 TB/month, per GB in 5 KB steps
    "lambda_gb_s": 0.0000166667,  # Lambda, x86_64 (terraform/modules/functions), first 6 billion GB-s
    "lambda_requests_million": 0.20,  # Lambda, per 1M requests
    "s3_storage_gb_month": 0.023,  # S3 Standard
    "s3_put_1000": 0.005,
    "s3_get_1000": 0.0004,
    "athena_tb_scanned": 5.0,  # minimum 10 MB per query
}
FIREHOSE_RECORD_STEP = 5 * 1024
EVENTS_PER_RECORD = 50  # assumed: CloudWatch Logs' subscription batches several events per record
# day.sql and refused.sql, each over the day's 25 hour partitions, started together (athena_engine)
ATHENA_QUERIES = 2
ATHENA_MIN_BYTES = 10 * 1024 * 1024
# Lambda gives a function CPU in proportion to its memory: one full vCPU at 1,769 MB.
LAMBDA_MB_PER_VCPU = 1769
# Athena's scan speed is not published and cannot be measured offline: this model assumes 1 GB of
# uncompressed JSON per second for a query (parallel readers over the day's objects); the time rows
# below also show it at a tenth of that.
ATHENA_ASSUMED_RAW_BYTES_PER_S = 1e9
DAYS = (1_000_000, 10_000_000, 100_000_000)
GOAL_CALLS, GOAL_SECONDS, GOAL_SHARE = 100_000_000, 15 * 60, 0.01
TERRAFORM = harness.ROOT / "terraform"


def _tf_number(text: str, block: str, key: str) -> float:
    """``key = <number>`` inside the first ``block = {`` of a Terraform file (a functions map entry)."""
    at = re.search(rf"\n\s*{re.escape(block)} = \{{", text)
    if at is None:
        raise LookupError(f"{block} not found")
    value = re.compile(rf"\n\s*{re.escape(key)}\s*=\s*\"?([0-9.]+)\"?").search(text, at.end())
    if value is None:
        raise LookupError(f"{block}.{key} not found")
    return float(value.group(1))


def _tf_default(path: Path, variable: str) -> str:
    match = re.search(rf'variable "{variable}" \{{.*?\n\s*default\s*=\s*(.+?)\n', path.read_text(), re.S)
    if match is None:
        raise LookupError(f"{variable} has no default in {path}")
    return match.group(1).strip().strip('"')


def deployment() -> dict:
    """The figures the model takes from the Terraform sources (so it follows them when they change)."""
    main = (TERRAFORM / "main.tf").read_text()
    archive_main = (TERRAFORM / "modules" / "archive" / "main.tf").read_text()
    archive_vars = TERRAFORM / "modules" / "archive" / "variables.tf"
    cron = _tf_default(TERRAFORM / "variables.tf", "schedule_expression")  # cron(M H * * ? *)
    minute, hour = (int(x) for x in cron.removeprefix("cron(").split()[:2])
    return {
        "processor_memory_mb": int(_tf_number(main, "archive_verify", "memory_size")),
        "processor_timeout_s": int(_tf_number(main, "archive_verify", "timeout")),
        "processor_buffer_mb": _tf_number(archive_main, "Lambda", "BufferSizeInMBs"),
        "processor_buffer_s": 60,  # Firehose's default processing interval (the module leaves it unset)
        "buffering_mb": int(_tf_default(archive_vars, "buffering_mb")),
        "buffering_seconds": int(_tf_default(archive_vars, "buffering_seconds")),
        "scheduled_timeout_s": int(_tf_number(main, "cost_tracking", "timeout")),
        "schedule": cron,
        "schedule_after_close_s": hour * 3600 + minute * 60,
        "athena_cutoff_bytes": int(_tf_default(TERRAFORM / "variables.tf", "athena_bytes_scanned_cutoff")),
    }


def measure_processor(messages: list[str], buffer_mb: float, rounds: int = 3) -> dict:
    """CPU time of the archive stream's processor (token_profiler.ledger.ingest.process, what
    functions/archive_verify runs) over Firehose events of ``buffer_mb`` of gzip subscription records
    carrying ``messages``; best of ``rounds``, one thread."""
    import base64

    from token_profiler.ledger import ingest

    from bench.linegen import bench_keyring

    keys = bench_keyring().keys
    records, size = [], 0
    events: list[dict] = []
    for start in range(0, len(messages), EVENTS_PER_RECORD):
        data = base64.b64encode(_envelope(messages[start : start + EVENTS_PER_RECORD], start)).decode()
        records.append({"recordId": str(start), "approximateArrivalTimestamp": 0, "data": data})
        size += len(data) * 3 // 4
        if size >= buffer_mb * 2**20:
            events.append({"records": records})
            records, size = [], 0
    if records:
        events.append({"records": records})
    best = None
    for _ in range(rounds):
        c0 = time.process_time()
        counts: dict[str, int] = {}
        for event in events:
            _, got = ingest.process(event, keys, None)
            for k, v in got.items():
                counts[k] = counts.get(k, 0) + v
        cpu = time.process_time() - c0
        best = cpu if best is None else min(best, cpu)
    return {
        "lines": len(messages),
        "invocations": len(events),
        "cpu_s": round(best, 3),
        "cpu_us_per_line": round(best / len(messages) * 1e6, 2),
        "verified": counts.get("verified", 0),
        "refused": sum(v for k, v in counts.items() if k != "verified"),
    }


def capacity(sizes: dict, results: dict, cost_per_call: float, processor: dict, tf: dict) -> dict:
    """Largest day per engine within each time limit, cost per day, delay from a day's close."""
    line = sizes["bytes_per_line"]
    gz = sizes["gzip_bytes_per_line"]
    per_page = int(min(FILTER_PAGE_EVENTS, FILTER_PAGE_BYTES // (line + EVENT_OVERHEAD_BYTES)))
    fetch_rate = FILTER_LOG_EVENTS_TPS * per_page  # lines/s FilterLogEvents can return at best
    parse_rate = results["msgspec"]["lines_per_s"]
    logs_rate = 1 / (1 / fetch_rate + 1 / parse_rate)  # fetch and parse in turn, one thread
    duck_rate = results["duckdb"]["lines_per_s"]
    scan_share = 25 / 24  # the day's 24 hour partitions and the next day's first
    athena_rate = ATHENA_ASSUMED_RAW_BYTES_PER_S / line  # lines/s at the assumed scan speed
    largest = (
        [
            {"engine": "logs", "limit": name, "calls": int(logs_rate * seconds)}
            for name, seconds in LAMBDA_LIMITS_S.items()
        ]
        + [
            {
                "engine": "duckdb (one machine, this one's rate)",
                "limit": name,
                "calls": int(duck_rate * seconds),
            }
            for name, seconds in LAMBDA_LIMITS_S.items()
        ]
        + [
            {
                "engine": "athena (assumed 1 GB/s of JSON, not measured)",
                "limit": name,
                "calls": int(athena_rate * seconds),
            }
            for name, seconds in LAMBDA_LIMITS_S.items()
        ]
        + [
            {
                "engine": "athena",
                "limit": f"workgroup cutoff ({tf['athena_cutoff_bytes'] / 1e9:,.0f} GB scanned a query)",
                "calls": int(tf["athena_cutoff_bytes"] / (gz * scan_share)),
            }
        ]
    )
    # the processor: Firehose invokes it per processing buffer (BufferSizeInMBs of records, or its
    # interval); its CPU share is memory / 1,769 MB, so its duration is the measured CPU time scaled
    envelope = sizes["envelope_gzip_bytes_per_line"]
    buffer_bytes = tf["processor_buffer_mb"] * 2**20
    lines_per_invocation = buffer_bytes / envelope
    cpu_share = min(1.0, tf["processor_memory_mb"] / LAMBDA_MB_PER_VCPU)
    invocation_s = lines_per_invocation * processor["cpu_us_per_line"] / 1e6 / cpu_share
    costs = []
    for calls in DAYS:
        ingest_gb = calls * (line + EVENT_OVERHEAD_BYTES) / 1e9
        record = envelope * EVENTS_PER_RECORD
        firehose_gb = (
            calls / EVENTS_PER_RECORD * (-(-record // FIREHOSE_RECORD_STEP) * FIREHOSE_RECORD_STEP) / 1e9
        )
        invocations = max(86_400 / tf["processor_buffer_s"], calls * envelope / buffer_bytes)
        gb_s = invocations * invocation_s * tf["processor_memory_mb"] / 1024
        archive_gb = calls * gz / 1e9
        # Firehose's buffer counts the data before compression: an object per buffer of lines
        objects = max(86_400 / tf["buffering_seconds"], calls * line / (tf["buffering_mb"] * 2**20))
        scanned = max(archive_gb * scan_share * 1e9, ATHENA_MIN_BYTES) * ATHENA_QUERIES
        row = {
            "calls": calls,
            "cloudwatch_ingestion": ingest_gb * PRICE["cloudwatch_ingest_gb"],
            "firehose": firehose_gb * PRICE["firehose_ingest_gb"],
            "processor_lambda": gb_s * PRICE["lambda_gb_s"]
            + invocations / 1e6 * PRICE["lambda_requests_million"],
            "s3": archive_gb * PRICE["s3_storage_gb_month"]
            + objects / 1000 * PRICE["s3_put_1000"]
            + objects * scan_share * ATHENA_QUERIES / 1000 * PRICE["s3_get_1000"],
            "athena": scanned / 1e12 * PRICE["athena_tb_scanned"],
            "bedrock": calls * cost_per_call,
        }
        row["processor_invocations"] = invocations
        row["processor_gb_s"] = gb_s
        row["archive_gb"] = archive_gb
        row["objects"] = objects
        row["metering"] = (
            row["cloudwatch_ingestion"]
            + row["firehose"]
            + row["processor_lambda"]
            + row["s3"]
            + row["athena"]
        )
        row["added_by_archive"] = row["metering"] - row["cloudwatch_ingestion"]
        row["metering_share_of_bedrock"] = row["metering"] / row["bedrock"] if row["bedrock"] else None
        share = row.pop("metering_share_of_bedrock")
        costs.append({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
        costs[-1]["metering_share_of_bedrock"] = share
    # time from a day's close to its rows, athena engine: the next day's first LATE_UNTIL minutes
    # (the previous day's calls logged after midnight) must be in S3 before the run starts
    from token_profiler.aggregate import LATE_UNTIL

    late_s = int(LATE_UNTIL[:2]) * 3600 + int(LATE_UNTIL[3:]) * 60
    delivered_s = late_s + tf["processor_buffer_s"] + invocation_s + tf["buffering_seconds"]
    goal = next(row for row in costs if row["calls"] == GOAL_CALLS)
    query_s = goal["archive_gb"] * scan_share * (line / gz) * 1e9 / ATHENA_ASSUMED_RAW_BYTES_PER_S
    timing = {
        "late_until_s": late_s,
        "in_s3_after_close_s": round(delivered_s),
        "earliest_safe_start_s": round(delivered_s),
        "default_start_s": tf["schedule_after_close_s"],
        "query_s_assumed": round(query_s, 1),
        "query_s_tenth_rate": round(query_s * 10, 1),
    }
    for name, start in (("default", tf["schedule_after_close_s"]), ("earliest", delivered_s)):
        timing[f"rows_after_close_s_{name}"] = round(max(start, delivered_s) + query_s)
        timing[f"rows_after_close_s_{name}_tenth_rate"] = round(max(start, delivered_s) + query_s * 10)
    goal_met = {
        "calls": GOAL_CALLS,
        "within_s": GOAL_SECONDS,
        "share": GOAL_SHARE,
        "cost_met": goal["metering_share_of_bedrock"] < GOAL_SHARE,
        "time_met_default_schedule": timing["rows_after_close_s_default"] <= GOAL_SECONDS,
        "time_met_earliest_schedule": timing["rows_after_close_s_earliest"] <= GOAL_SECONDS,
        "time_met_earliest_schedule_tenth_rate": timing["rows_after_close_s_earliest_tenth_rate"]
        <= GOAL_SECONDS,
        "within_scheduled_timeout": query_s <= tf["scheduled_timeout_s"],
    }
    return {
        "filter_lines_per_page": per_page,
        "filter_fetch_lines_per_s": fetch_rate,
        "logs_engine_lines_per_s": round(logs_rate),
        "largest_day": largest,
        "cost_per_day_usd": costs,
        "bedrock_cost_per_call_usd": round(cost_per_call, 6),
        "processor": {
            **processor,
            "memory_mb": tf["processor_memory_mb"],
            "timeout_s": tf["processor_timeout_s"],
            "buffer_mb": tf["processor_buffer_mb"],
            "lines_per_invocation": round(lines_per_invocation),
            "invocation_s": round(invocation_s, 3),
            "cpu_share": round(cpu_share, 3),
        },
        "deployment": tf,
        "timing": timing,
        "goal": goal_met,
        "prices": PRICE,
        "prices_region": PRICES_REGION,
        "prices_as_of": PRICES_AS_OF,
        "assumptions": {
            "athena_raw_bytes_per_s": ATHENA_ASSUMED_RAW_BYTES_PER_S,
            "events_per_subscription_record": EVENTS_PER_RECORD,
            "lambda_mb_per_vcpu": LAMBDA_MB_PER_VCPU,
        },
    }


def _envelope(messages: list[str], first_id: int = 0) -> bytes:
    """One gzip CloudWatch Logs subscription record carrying ``messages`` (what Firehose receives)."""
    events = [{"id": str(first_id + i), "timestamp": 0, "message": m} for i, m in enumerate(messages)]
    body = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "/aws/lambda/x",
        "logStream": "2026/11/26/[$LATEST]0",
        "subscriptionFilters": ["x"],
        "logEvents": events,
    }
    return gzip.compress(json.dumps(body, separators=(",", ":")).encode())


def _worker(path: str, directory: str) -> dict:
    """Run one path over the objects in `directory`; figures and totals as JSON."""
    from token_profiler.ledger import archive

    day = dt.date.fromisoformat(DAY)
    files = sorted(Path(directory).glob("*.gz"))
    wall0, cpu0 = time.perf_counter(), time.process_time()
    from token_profiler.aggregate import DayAggregate

    from bench.linegen import bench_keyring

    keys = bench_keyring().keys  # the generated lines are signed: both paths verify every one
    if path == "duckdb":
        from token_profiler.ledger import duckdb_engine

        probe = DayAggregate(DAY, keys)
        with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
            unpacked = []
            for n, file in enumerate(files):
                target = Path(tmp) / f"{n:05d}.ndjson"
                # as duckdb_engine.read_day: lines verified in Python, then day.sql
                lines = archive.object_lines(file.read_bytes())
                target.write_bytes(duckdb_engine.verified_lines(lines, probe))
                unpacked.append(target)
            totals = duckdb_engine.query_files(day, unpacked)
        sums, skipped, duplicates = totals.sums, totals.lines_skipped, totals.duplicates
        read = totals.lines_read + probe.lines_rejected
    else:
        agg = DayAggregate(DAY, keys)
        add = agg.add
        for file in files:
            for line in archive.object_lines(file.read_bytes()).decode().splitlines():
                add(line)
        sums, skipped, duplicates, read = agg.sums, agg.lines_skipped, agg.duplicates, agg.lines_read
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    # DuckDB's threads count in process_time too (it is the process's CPU time)
    return {
        "path": path,
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "lines_read": read,
        "lines_skipped": skipped,
        "duplicates": duplicates,
        "sums": [[*key, *value] for key, value in sorted(sums.items())],
    }


def run_worker(path: str, directory: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(harness.ROOT), str(harness.FUNCTIONS)]))
    out = subprocess.run(
        [harness.worker_python(), "-m", "bench.ledger_scale", path, str(directory)],
        capture_output=True,
        text=True,
        check=False,
        cwd=harness.ROOT,
        env=env,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{path} worker failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout)


def _correct(result: dict, truth: Truth) -> bool:
    # the generated lines are plain calls: every one in the standard tier, no 1-hour cache writes
    expected = sorted([t, m, "us-east-1", "standard", *v, 0] for (t, m), v in truth.sums.items())
    return (
        result["sums"] == expected
        and result["lines_read"] == truth.lines
        and result["lines_skipped"] == truth.skipped
        and result["duplicates"] == truth.duplicates
    )


def run(*, lines: int = 2_000_000, seed: int = 11) -> dict:
    with tempfile.TemporaryDirectory(prefix="ledger-scale-") as tmp:
        directory = Path(tmp)
        t0 = time.perf_counter()
        sample: list[str] = []
        truth, sizes = write_objects(lines, directory, seed, sample)
        generate_s = round(time.perf_counter() - t0, 1)
        results = {path: run_worker(path, directory) for path in ("duckdb", "msgspec")}
    tf = deployment()
    processor = measure_processor(sample, tf["processor_buffer_mb"])
    del sample
    for result in results.values():
        result["lines_per_s"] = round(lines / result["seconds"]) if result["seconds"] else None
        result["lines_per_cpu_s"] = round(lines / result["cpu_seconds"]) if result["cpu_seconds"] else None
        result["correct"] = _correct(result, truth)
        del result["sums"]
    duck, py = results["duckdb"], results["msgspec"]
    cost_per_call = float(truth.total_cost(catalog_prices())) / max(truth.valid, 1)
    model = capacity(sizes, results, cost_per_call, processor, tf)
    notes = [
        f"{lines:,} generated usage lines of one UTC day (50 tenants x 10 models, 0.5% noise), signed as "
        "invoke_model signs them, written as "
        f"{sizes['objects']} archive objects of up to {LINES_PER_OBJECT:,} lines: gzip, one log message per "
        "line (Firehose's message extraction); generated in "
        f"{generate_s} s, outside the timers",
        f"line size {sizes['bytes_per_line']} bytes, {sizes['gzip_bytes_per_line']} bytes gzip-compressed "
        "(what S3 stores and Athena scans)",
        "each path in a fresh worker process: duckdb = unpack each object, verify its lines' signatures in "
        "Python, then day.sql (the DuckDB engine without the S3 GETs), msgspec = the same objects' lines "
        "through DayAggregate.add (which verifies them); peak memory "
        "is the worker's peak RSS (interpreter and libraries included)",
        "cpu seconds are the process's CPU time: DuckDB's worker threads count in it; on the shared "
        "2-core machine wall time depends on other load",
        f"the archive stream's processor (ingest.process, functions/archive_verify) over the day's first "
        f"{processor['lines']:,} lines in {processor['invocations']} Firehose events of "
        f"{tf['processor_buffer_mb']} MB of gzip subscription records ({EVENTS_PER_RECORD} events a record): "
        f"{processor['cpu_us_per_line']} µs of CPU a line (best of 3, one thread); "
        f"{processor['verified']:,} verified, {processor['refused']:,} refused (the day's noise)",
    ]

    notes.append(
        f"reading: the DuckDB path ran at {duck['lines_per_s'] / py['lines_per_s']:.2f}x the msgspec path's "
        "lines/s here (it unpacks each object to a file, then parses every line's JSON in SQL); it exists "
        "to run day.sql, the text Athena runs, on one machine, not to be faster. Past what one function "
        "can read, the engine is Athena"
    )

    def row(figure, mine, theirs=None, ratio=None):
        return {"figure": figure, "ours": mine, "baseline": theirs, "ratio": ratio}

    table = [
        row(
            "lines/s (wall) duckdb vs msgspec",
            duck["lines_per_s"],
            py["lines_per_s"],
            harness.ratio(py["seconds"], duck["seconds"]),
        ),
        row(
            "lines/s (cpu) duckdb vs msgspec",
            duck["lines_per_cpu_s"],
            py["lines_per_cpu_s"],
            harness.ratio(py["cpu_seconds"], duck["cpu_seconds"]),
        ),
        row(
            "peak RSS MiB duckdb vs msgspec",
            duck["peak_rss_mib"],
            py["peak_rss_mib"],
            harness.ratio(py["peak_rss_mib"], duck["peak_rss_mib"]),
        ),
        row(f"duckdb totals equal the ledger ({lines:,} lines)", duck["correct"]),
        row(f"msgspec totals equal the ledger ({lines:,} lines)", py["correct"]),
        row("bytes per line (raw / gzip)", f"{sizes['bytes_per_line']} / {sizes['gzip_bytes_per_line']}"),
    ]
    targets = [
        harness.target("lines in the day >= 2,000,000", lines, 2_000_000, at_most=False),
        harness.target(
            "duckdb totals equal the generated ledger", 1.0 if duck["correct"] else 0.0, 1.0, at_most=False
        ),
        harness.target(
            "msgspec totals equal the generated ledger", 1.0 if py["correct"] else 0.0, 1.0, at_most=False
        ),
    ]
    return harness.metric(
        "ledger_scale",
        unit="lines/s",
        ours=results,
        baseline=None,
        sizes=sizes,
        capacity=model,
        targets=targets,
        notes=notes,
        table=table,
    )


if __name__ == "__main__":
    print(json.dumps(_worker(sys.argv[1], sys.argv[2])))
