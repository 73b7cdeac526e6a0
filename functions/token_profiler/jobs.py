"""The aggregation run shared by the scheduled and the manual aggregator.

For each UTC day: read the usage ledger with the configured engine (token_profiler.ledger: the log
group, or the S3 archive through DuckDB or Athena), sum the lines that verify (signed lines;
unsigned ones only before SIGNED_LINES_FROM) and price per (tenant, model) at the day's prices,
write the rows to DynamoDB under deterministic keys, write the CSV report to S3. Rerunning a day
(after a crash, concurrently, or after late lines arrived) rewrites the same keys with the full
day's sums, at the prices its rows already recorded. A rerun that finds less than the stored rows
hold (logs expired, lines missing) writes nothing for that day and reports the difference.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from token_profiler import ROW_COUNTS
from token_profiler.aggregate import build_rows
from token_profiler.clients import aws_client
from token_profiler.day_prices import prices_for_day
from token_profiler.ledger import DayTotals
from token_profiler.prices import Catalog
from token_profiler.reports import put_report
from token_profiler.runs import RUNNING, RunStore, check_run_id
from token_profiler.signing import REASONS, Keyring, load_keyring
from token_profiler.storage import UsageTable


@dataclass
class RunSummary:
    dates: list[str] = field(default_factory=list)
    lines_read: int = 0
    lines_counted: int = 0
    lines_skipped: int = 0
    duplicates: int = 0
    lines_timed_out: int = 0
    lines_unpriced: int = 0
    rejected: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REASONS, 0))
    tenants: int = 0
    rows_written: int = 0
    reports: list[str] = field(default_factory=list)
    days_kept: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unpriced_rows: int = 0  # rows of a model the catalog does not know (cost 0)
    price_missing_rows: int = 0  # rows with tokens the catalog has no price for in their Region

    def as_dict(self) -> dict[str, Any]:
        return {
            "dates": self.dates,
            "lines_read": self.lines_read,
            "lines_counted": self.lines_counted,
            "lines_skipped": self.lines_skipped,
            "duplicates": self.duplicates,
            "lines_timed_out": self.lines_timed_out,
            "lines_unpriced": self.lines_unpriced,
            "rejected": dict(self.rejected),
            "tenants": self.tenants,
            "rows_written": self.rows_written,
            "reports": self.reports,
            "days_kept": self.days_kept,
            "warnings": self.warnings,
            "unpriced_rows": self.unpriced_rows,
            "price_missing_rows": self.price_missing_rows,
        }


def aggregate_day(
    read_day: Callable[..., DayTotals],
    day: dt.date,
    catalog: Any,
    retention_days: int,
    *,
    keyring: Keyring,
    accept_unsigned: bool,
    accept_undated: bool = True,
):
    """``read_day(day, keys, accept_unsigned, accept_undated=)``: the engine, which verifies before it
    de-duplicates."""
    agg = read_day(day, keyring.keys, accept_unsigned, accept_undated=accept_undated)
    rows, warnings = build_rows(agg, catalog, retention_days)
    return agg, rows, warnings


def shortfall(day: str, stored: list[dict[str, Any]], found: list[dict[str, Any]]) -> dict[str, Any] | None:
    """What the stored rows of a day hold that the rows just computed do not; None when nothing.

    A stored row missing from ``found``, or with any count lower there, means lines were not found
    again (logs expired, the archive is incomplete): the day's rows and report are then kept.
    """
    found_by_key = {(row["pk"], row["sk"]): row for row in found}
    short = []
    for row in stored:
        new = found_by_key.get((row.get("pk"), row.get("sk")))
        if new is None or any(int(new.get(c, 0)) < int(row.get(c, 0)) for c in ROW_COUNTS):
            short.append(row)
    if not short:
        return None
    return {
        "date": day,
        "rows_stored": len(stored),
        "rows_found": len(found),
        "rows_short": len(short),
        "invocations_stored": sum(int(row.get("invocations", 0)) for row in stored),
        "invocations_found": sum(int(row.get("invocations", 0)) for row in found),
    }


def day_reader(settings: Any, client: Callable[[str], Any]) -> Callable[..., DayTotals]:
    """The engine LEDGER_ENGINE names, bound to this container's settings and clients."""
    from token_profiler.ledger import athena_engine, duckdb_engine, logs_engine

    engines = {"logs": logs_engine, "duckdb": duckdb_engine, "athena": athena_engine}
    return engines[settings.ledger_engine].reader(settings, client)


def run(
    days: list[dt.date],
    *,
    read_day: Callable[..., DayTotals],
    table: UsageTable,
    s3_client: Any,
    bucket: str,
    catalog: Catalog,
    retention_days: int,
    keyring: Keyring,
    signed_lines_from: dt.date | None = None,
    signed_days_from: dt.date | None = None,
) -> RunSummary:
    """``signed_lines_from``: days before it still bill unsigned lines; None: no day does.
    ``signed_days_from``: days before it still bill signed lines that name no day; None: no day does."""
    summary = RunSummary()
    tenants: set[str] = set()
    for day in days:
        stored = list(table.query_day(day.isoformat()))
        agg, rows, warnings = aggregate_day(
            read_day,
            day,
            prices_for_day(catalog, day.isoformat(), stored),
            retention_days,
            keyring=keyring,
            accept_unsigned=signed_lines_from is not None and day < signed_lines_from,
            accept_undated=signed_days_from is not None and day < signed_days_from,
        )
        summary.dates.append(agg.day)
        summary.lines_read += agg.lines_read
        summary.lines_counted += agg.lines_counted
        summary.lines_skipped += agg.lines_skipped
        summary.duplicates += agg.duplicates
        summary.lines_timed_out += agg.timed_out
        if agg.timed_out:
            warnings = [
                *warnings,
                f"{agg.day}: {agg.timed_out} call(s) timed out; billed at their bounds (input estimated "
                "when Bedrock gave none, output = maxTokens sent)",
            ]
        for reason, count in agg.rejected.items():
            summary.rejected[reason] += count
        kept = shortfall(agg.day, stored, rows)
        if kept is not None:
            summary.days_kept.append(kept)
            warnings = [
                *warnings,
                f"{agg.day}: found {kept['invocations_found']} invocations, the stored rows hold "
                f"{kept['invocations_stored']}: rows and report left as they were",
            ]
        else:
            summary.lines_unpriced += sum(row["invocations"] for row in rows if row["unpriced"])
            summary.unpriced_rows += sum(1 for row in rows if row["unpriced"])
            summary.price_missing_rows += sum(1 for row in rows if row["price_missing"])
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
    warnings and the summary, and give the answer the API documents (the handlers turn its
    summary into metrics: telemetry.run_metrics)."""
    summary = run(
        days,
        read_day=day_reader(settings, aws_client),
        table=UsageTable(aws_client("dynamodb"), settings.table_name),
        s3_client=aws_client("s3"),
        bucket=settings.s3_bucket,
        catalog=settings.catalog,
        retention_days=settings.retention_days,
        keyring=load_keyring(aws_client("secretsmanager"), settings.signing_secret),
        signed_lines_from=settings.signed_lines_from,
        signed_days_from=settings.signed_days_from,
    )
    answer = summary.as_dict()
    if settings.plans_table and days:  # plan counters against the ledger (token_profiler.reconcile)
        answer["drift"] = _drift(settings, max(days))
    for warning in summary.warnings:
        logger.warning(warning)
    if any(summary.rejected.values()):
        logger.warning("usage lines rejected", extra={"rejected": summary.rejected, "dates": summary.dates})
    logger.info("aggregation finished", extra={"summary": answer})
    return {"body": "Calculation Finished!", "summary": answer}


def _drift(settings: Any, through: dt.date) -> list[dict[str, Any]]:
    from token_profiler import plans, reconcile

    store = plans.store_from_settings(settings, aws_client("dynamodb"))
    return reconcile.drift(store, UsageTable(aws_client("dynamodb"), settings.table_name), through)


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
