"""The aggregation run shared by the scheduled and the manual aggregator.

For each UTC day: read the usage ledger with the configured engine (token_profiler.ledger: the log
group, or the S3 archive through DuckDB or Athena), sum and price per (tenant, model), write
the rows to DynamoDB under deterministic keys, write the CSV report to S3. Rerunning a day (after
a crash, concurrently, or after late lines arrived) rewrites the same keys with the full day's sums.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from token_profiler.aggregate import build_rows
from token_profiler.clients import aws_client
from token_profiler.ledger import DayTotals
from token_profiler.prices import Catalog
from token_profiler.reports import put_report
from token_profiler.runs import RUNNING, RunStore, check_run_id
from token_profiler.storage import UsageTable


@dataclass
class RunSummary:
    dates: list[str] = field(default_factory=list)
    lines_read: int = 0
    lines_counted: int = 0
    lines_skipped: int = 0
    duplicates: int = 0
    tenants: int = 0
    rows_written: int = 0
    reports: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dates": self.dates,
            "lines_read": self.lines_read,
            "lines_counted": self.lines_counted,
            "lines_skipped": self.lines_skipped,
            "duplicates": self.duplicates,
            "tenants": self.tenants,
            "rows_written": self.rows_written,
            "reports": self.reports,
            "warnings": self.warnings,
        }


def aggregate_day(
    read_day: Callable[[dt.date], DayTotals], day: dt.date, catalog: Catalog, retention_days: int
):
    agg = read_day(day)
    rows, warnings = build_rows(agg, catalog, retention_days)
    return agg, rows, warnings


def day_reader(settings: Any, client: Callable[[str], Any]) -> Callable[[dt.date], DayTotals]:
    """The engine LEDGER_ENGINE names, bound to this container's settings and clients."""
    from token_profiler.ledger import athena_engine, duckdb_engine, logs_engine

    engines = {"logs": logs_engine, "duckdb": duckdb_engine, "athena": athena_engine}
    return engines[settings.ledger_engine].reader(settings, client)


def run(
    days: list[dt.date],
    *,
    read_day: Callable[[dt.date], DayTotals],
    table: UsageTable,
    s3_client: Any,
    bucket: str,
    catalog: Catalog,
    retention_days: int,
) -> RunSummary:
    summary = RunSummary()
    tenants: set[str] = set()
    for day in days:
        agg, rows, warnings = aggregate_day(read_day, day, catalog, retention_days)
        summary.dates.append(agg.day)
        summary.lines_read += agg.lines_read
        summary.lines_counted += agg.lines_counted
        summary.lines_skipped += agg.lines_skipped
        summary.duplicates += agg.duplicates
        summary.rows_written += table.put_rows(rows)
        summary.reports.append(put_report(s3_client, bucket, agg.day, rows))
        tenants.update(row["pk"] for row in rows)
        for warning in warnings:
            if warning not in summary.warnings:
                summary.warnings.append(warning)
    summary.tenants = len(tenants)
    return summary


def run_and_answer(days: list[dt.date], settings: Any, logger: Any) -> dict[str, Any]:
    """Both aggregators' whole job: run with this container's clients and settings, log the
    warnings and the summary, and give the answer the API documents."""
    summary = run(
        days,
        read_day=day_reader(settings, aws_client),
        table=UsageTable(aws_client("dynamodb"), settings.table_name),
        s3_client=aws_client("s3"),
        bucket=settings.s3_bucket,
        catalog=settings.catalog,
        retention_days=settings.retention_days,
    )
    for warning in summary.warnings:
        logger.warning(warning)
    logger.info("aggregation finished", extra={"summary": summary.as_dict()})
    return {"body": "Calculation Finished!", "summary": summary.as_dict()}


def start_run(days: list[dt.date], settings: Any, requested_by: str, logger: Any) -> dict[str, Any]:
    """Hand a range too long for the API to the scheduled aggregator (invoked asynchronously with
    a run id); the answer names the run."""
    run_id = RunStore(aws_client("dynamodb"), settings.runs_table).record_start(days, requested_by)
    payload = {"start_date": days[0].isoformat(), "end_date": days[-1].isoformat(), "run_id": run_id}
    aws_client("lambda").invoke(
        FunctionName=settings.aggregator_function,
        InvocationType="Event",
        Payload=json.dumps(payload).encode(),
    )
    logger.info("aggregation run started", extra={"run_id": run_id, "days": len(days)})
    return {"run_id": run_id, "status": RUNNING, "dates": [d.isoformat() for d in days]}


def run_and_record(run_id: Any, days: list[dt.date], settings: Any, logger: Any) -> dict[str, Any]:
    """``run_and_answer`` for a handed-over run: its outcome is recorded under its id."""
    runs = RunStore(aws_client("dynamodb"), settings.runs_table)
    check_run_id(run_id)
    try:
        answer = run_and_answer(days, settings, logger)
    except Exception as exc:
        # recorded, then raised: Lambda retries an asynchronous invocation, and a retry that
        # succeeds records its summary over this
        runs.record_failure(run_id, f"{type(exc).__name__}: {exc}")
        raise
    runs.record_success(run_id, answer["summary"])
    return answer
