"""The day's CSV report in S3: one row per DynamoDB item, same columns."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from token_profiler import ROW_COSTS, ROW_COUNTS, money

COLUMNS = (
    "date",
    "pk",
    "sk",
    "name",
    "model_id",
    *ROW_COUNTS,
    *ROW_COSTS,
    "unpriced",
    "price_region",
    "price_missing",
    "price_changed",
    "ttl",
)


def report_key(day: str) -> str:
    return f"reports/{day}/usage.csv"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return money.money_str(value)
    return str(value)


def render_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in COLUMNS])
    return out.getvalue()


def put_report(client: Any, bucket: str, day: str, rows: list[dict[str, Any]]) -> str:
    key = report_key(day)
    client.put_object(
        Bucket=bucket,
        Key=key,
        Body=render_csv(rows).encode("utf-8"),
        ContentType="text/csv; charset=utf-8",
    )
    return key
