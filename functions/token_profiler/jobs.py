"""The aggregation run shared by the scheduled and the manual aggregator.

For each UTC day: read the invoke function's log group, sum and price per (tenant, model), write
the rows to DynamoDB under deterministic keys, write the CSV report to S3. Rerunning a day (after
a crash, concurrently, or after late lines arrived) rewrites the same keys with the full day's sums.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from token_profiler.aggregate import DayAggregate, build_rows
from token_profiler.clients import aws_client
from token_profiler.logs import iter_day_messages
from token_profiler.prices import Catalog
from token_profiler.reports import put_report
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


def aggregate_day(logs_client: Any, log_group: str, day: dt.date, catalog: Catalog, retention_days: int):
    agg = DayAggregate(day.isoformat())
    add = agg.add
    for message in iter_day_messages(logs_client, log_group, day):
        add(message)
    rows, warnings = build_rows(agg, catalog, retention_days)
    return agg, rows, warnings


def run(
    days: list[dt.date],
    *,
    logs_client: Any,
    table: UsageTable,
    s3_client: Any,
    bucket: str,
    log_group: str,
    catalog: Catalog,
    retention_days: int,
) -> RunSummary:
    summary = RunSummary()
    tenants: set[str] = set()
    for day in days:
        agg, rows, warnings = aggregate_day(logs_client, log_group, day, catalog, retention_days)
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
        logs_client=aws_client("logs"),
        table=UsageTable(aws_client("dynamodb"), settings.table_name),
        s3_client=aws_client("s3"),
        bucket=settings.s3_bucket,
        log_group=settings.log_group_api,
        catalog=settings.catalog,
        retention_days=settings.retention_days,
    )
    answer = summary.as_dict()
    if settings.plans_table and days:  # plan counters against the ledger (token_profiler.reconcile)
        answer["drift"] = _drift(settings, max(days))
    for warning in summary.warnings:
        logger.warning(warning)
    logger.info("aggregation finished", extra={"summary": answer})
    return {"body": "Calculation Finished!", "summary": answer}


def _drift(settings: Any, through: dt.date) -> list[dict[str, Any]]:
    from token_profiler import plans, reconcile

    store = plans.store_from_settings(settings, aws_client("dynamodb"))
    return reconcile.drift(store, UsageTable(aws_client("dynamodb"), settings.table_name), through)
