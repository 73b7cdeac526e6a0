"""The day's CSV report in S3: one row per DynamoDB item, same columns."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from typing import Any

from token_profiler import ROW_COSTS, ROW_COUNTS, money
from token_profiler.prices import PRICE_AS_OF, PRICE_COLUMNS, PRICE_TIER

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
    *PRICE_COLUMNS,
    PRICE_TIER,
    PRICE_AS_OF,
)


def report_key(day: str) -> str:
    return f"reports/{day}/usage.csv"


# A cell a spreadsheet would run as a formula; a plain number (e.g. "-1.5") is left alone.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def _text(value: str) -> str:
    """A tenant-controlled string made inert: a leading ' keeps a spreadsheet from running it."""
    if value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return money.money_str(value)
    if isinstance(value, str):
        return _text(value)
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
