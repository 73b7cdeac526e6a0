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


def write_objects(n: int, directory: Path, seed: int = 11) -> tuple[Truth, dict]:
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
        events = [
            {"id": str(start + i), "timestamp": 0, "message": m}
            for i, m in enumerate(messages[start : start + per_record])
        ]
        body = {
            "messageType": "DATA_MESSAGE",
            "owner": "123456789012",
            "logGroup": "/aws/lambda/x",
            "logStream": "2026/11/26/[$LATEST]0",
            "subscriptionFilters": ["x"],
            "logEvents": events,
        }
        total += len(gzip.compress(json.dumps(body, separators=(",", ":")).encode()))
    return total, len(messages)


# ---- capacity model -----------------------------------------------------------------------------
# AWS's published quotas and us-east-1 list prices this model uses (check them against the pricing
# pages before quoting a customer; they change).
FILTER_LOG_EVENTS_TPS = 5  # per account and Region, not adjustable
FILTER_PAGE_BYTES = 1_048_576  # a FilterLogEvents page holds at most 1 MB (or 10,000 events)
FILTER_PAGE_EVENTS = 10_000
EVENT_OVERHEAD_BYTES = 26  # CloudWatch Logs counts 26 bytes per event on top of the message
LAMBDA_LIMITS_S = {"manual (API, 28 s)": 28, "scheduled (300 s)": 300, "Lambda maximum (900 s)": 900}
PRICE = {
    "cloudwatch_ingest_gb": 0.50,  # CloudWatch Logs, Standard class, per GB ingested
    "firehose_ingest_gb": 0.029,  # Firehose Direct PUT, first 500 TB/month, per GB in 5 KB steps
    "firehose_decompress_gb": 0.00325,  # assumed rate for CloudWatch Logs decompression, per GB out
    "s3_storage_gb_month": 0.023,  # S3 Standard
    "s3_put_1000": 0.005,
    "athena_tb_scanned": 5.0,  # minimum 10 MB per query
}
FIREHOSE_RECORD_STEP = 5 * 1024
BUFFER_SECONDS = 300  # the archive module's buffering_seconds
BUFFER_MB = 128  # and buffering_mb
DAYS = (1_000_000, 10_000_000, 100_000_000)


def capacity(sizes: dict, results: dict, cost_per_call: float) -> dict:
    """Largest day per engine within each time limit, cost per day, delay from a day's close."""
    line = sizes["bytes_per_line"]
    per_page = int(min(FILTER_PAGE_EVENTS, FILTER_PAGE_BYTES // (line + EVENT_OVERHEAD_BYTES)))
    fetch_rate = FILTER_LOG_EVENTS_TPS * per_page  # lines/s FilterLogEvents can return at best
    parse_rate = results["msgspec"]["lines_per_s"]
    logs_rate = 1 / (1 / fetch_rate + 1 / parse_rate)  # fetch and parse in turn, one thread
    duck_rate = results["duckdb"]["lines_per_s"]
    largest = [
        {"engine": "logs", "limit": name, "calls": int(logs_rate * seconds)}
        for name, seconds in LAMBDA_LIMITS_S.items()
    ] + [
        {"engine": "duckdb (one machine, this one's rate)", "limit": name, "calls": int(duck_rate * seconds)}
        for name, seconds in LAMBDA_LIMITS_S.items()
    ]
    costs = []
    for calls in DAYS:
        ingest_gb = calls * (line + EVENT_OVERHEAD_BYTES) / 1e9
        envelope = sizes["envelope_gzip_bytes_per_line"] * 50  # one subscription record: 50 events
        firehose_gb = calls / 50 * (-(-envelope // FIREHOSE_RECORD_STEP) * FIREHOSE_RECORD_STEP) / 1e9
        archive_gb = calls * sizes["gzip_bytes_per_line"] / 1e9
        # Firehose's buffer counts the data before compression: an object per 128 MB of messages
        objects = max(86_400 / BUFFER_SECONDS, calls * line / (BUFFER_MB * 2**20))
        row = {
            "calls": calls,
            "cloudwatch_ingestion": ingest_gb * PRICE["cloudwatch_ingest_gb"],
            "firehose": firehose_gb * PRICE["firehose_ingest_gb"]
            + calls * line / 1e9 * PRICE["firehose_decompress_gb"],
            "s3": archive_gb * PRICE["s3_storage_gb_month"] + objects / 1000 * PRICE["s3_put_1000"],
            "athena": max(archive_gb * 25 / 24, 0.01) / 1000 * PRICE["athena_tb_scanned"],
            "bedrock": calls * cost_per_call,
        }
        row["archive_gb"] = archive_gb
        row["objects"] = objects
        row["metering"] = row["cloudwatch_ingestion"] + row["firehose"] + row["s3"] + row["athena"]
        row["added_by_archive"] = row["firehose"] + row["s3"] + row["athena"]
        row["metering_share_of_bedrock"] = row["metering"] / row["bedrock"] if row["bedrock"] else None
        costs.append({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
    return {
        "filter_lines_per_page": per_page,
        "filter_fetch_lines_per_s": fetch_rate,
        "logs_engine_lines_per_s": round(logs_rate),
        "largest_day": largest,
        "cost_per_day_usd": costs,
        "bedrock_cost_per_call_usd": round(cost_per_call, 6),
        "prices": PRICE,
    }


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
        truth, sizes = write_objects(lines, directory, seed)
        generate_s = round(time.perf_counter() - t0, 1)
        results = {path: run_worker(path, directory) for path in ("duckdb", "msgspec")}
    for result in results.values():
        result["lines_per_s"] = round(lines / result["seconds"]) if result["seconds"] else None
        result["lines_per_cpu_s"] = round(lines / result["cpu_seconds"]) if result["cpu_seconds"] else None
        result["correct"] = _correct(result, truth)
        del result["sums"]
    duck, py = results["duckdb"], results["msgspec"]
    cost_per_call = float(truth.total_cost(catalog_prices())) / max(truth.valid, 1)
    model = capacity(sizes, results, cost_per_call)
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
