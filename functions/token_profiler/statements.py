"""Monthly statements: one tenant's UTC calendar month of daily usage rows, as CSV and JSON in S3.

A statement has one line per model and price set: rows of one model billed at different per-1K
prices (another Region, tier or price period) are separate lines, each showing the prices its rows
recorded; rows that recorded no single price (written before rows recorded prices, priced at
several prices in one row, unpriced) form lines with empty prices and say so. Nothing here looks a
price up: a statement repeats what the rows were billed at.

Money stays Decimal from the rows to the files. A line's costs are the exact sums of its rows'
costs, the statement's total the exact sum of every row's ``total_cost``: no figure is rounded
(the files hold exact decimal strings, see docs/statements.md).

The same rows always give the same bytes: no clock time is written, lines are sorted, JSON keys too.
Written under ``statements/<tenant>/<YYYY-MM>/statement.csv|json`` in the reports bucket.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import urllib.parse
from collections.abc import Iterable
from typing import Any

from token_profiler import money
from token_profiler.auth import Caller
from token_profiler.errors import BadRequest, Forbidden, NotFound, echo_names
from token_profiler.prices import PRICE_AS_OF, PRICE_COLUMNS, PRICE_TIER
from token_profiler.reports import _text
from token_profiler.storage import UsageTable

PREFIX = "statements/"
FORMATS = ("csv", "json")
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}
SCHEMA = "bedrock-token-profiler/statement"
SCHEMA_VERSION = 1
CURRENCY = "USD"
# A presigned download link is valid this long (seconds).
URL_SECONDS = 300
# Statements an answer lists at most (a tenant has twelve a year).
MAX_LISTED = 1000

TOKENS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_write_input_tokens",
)
# The share of cache writes kept for one hour, when rows record it (counted in cache writes too).
TOKENS_1H = "cache_write_1h_input_tokens"
COSTS = ("input_cost", "output_cost", "cache_read_cost", "cache_write_cost")
FLAGS = ("unpriced", "price_missing", "price_changed")

LINE_COLUMNS = (
    "model_id",
    "price_region",
    PRICE_TIER,
    *PRICE_COLUMNS,
    PRICE_AS_OF,
    "prices_recorded",
    "first_day",
    "last_day",
    "days",
    "rows",
    *TOKENS,
    TOKENS_1H,
    "invocations",
    *COSTS,
    "total_cost",
    *FLAGS,
)
CSV_COLUMNS = ("record", "tenant", "month", "status", *LINE_COLUMNS)

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_KEY = re.compile(r"^statements/([^/]+)/(\d{4}-\d{2})/statement\.(csv|json)$")


# -- months ---------------------------------------------------------------------------------------
def parse_month(value: object, today: dt.date, name: str = "month") -> str:
    """A ``YYYY-MM`` month not after ``today``'s (UTC); 400 naming the problem otherwise."""
    match = _MONTH.match(value) if isinstance(value, str) else None
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1970:
        raise BadRequest(f"{name} must be a month as YYYY-MM (1970 or later)")
    if value > today.strftime("%Y-%m"):
        raise BadRequest(f"{name} {value} is in the future (today is {today.isoformat()} UTC)")
    return value


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """First and last UTC day of ``YYYY-MM``."""
    year, number = (int(part) for part in month.split("-"))
    first = dt.date(year, number, 1)
    following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following - dt.timedelta(days=1)


def previous_month(today: dt.date) -> str:
    """The month before ``today``'s: the month the 1st's scheduled run closes."""
    index = today.year * 12 + today.month - 2  # months since year 0 (January = 0) of the month before
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_status(month: str, today: dt.date) -> str:
    """``final`` once the month's last UTC day is over, ``provisional`` while days can still come."""
    return "final" if today > month_bounds(month)[1] else "provisional"


# -- building ---------------------------------------------------------------------------------------
def _recorded_prices(row: dict[str, Any]) -> tuple[str, ...] | None:
    """The per-1K rates a row recorded (``""`` for a kind it has none for), or None if it recorded none."""
    if row.get("unpriced") or PRICE_COLUMNS[0] not in row:
        return None
    return tuple(money.money_str(money.to_decimal(row[c], c)) if c in row else "" for c in PRICE_COLUMNS)


def _line_key(row: dict[str, Any]) -> tuple[Any, ...]:
    prices = _recorded_prices(row)
    return (
        str(row["model_id"]),
        str(row.get("price_region") or ""),
        str(row.get(PRICE_TIER) or "") if prices else "",
        prices or ("",) * len(PRICE_COLUMNS),
        prices is not None,
    )


def _decimal(row: dict[str, Any], name: str):
    value = row.get(name, 0)
    return money.to_decimal(value, name)


def build(tenant: str, month: str, rows: Iterable[dict[str, Any]], status: str) -> dict[str, Any]:
    """The statement of ``tenant`` for ``month`` from its daily rows (rows of other tenants or
    other months are ignored, so a caller cannot widen it by mistake)."""
    first, last = (d.isoformat() for d in month_bounds(month))
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        day = str(row.get("date"))
        if row.get("pk") != tenant or not first <= day <= last:
            continue
        groups.setdefault(_line_key(row), []).append(row)
    lines = [_line(key, groups[key]) for key in sorted(groups)]
    all_rows = [row for members in groups.values() for row in members]
    total = money.add(*(_decimal(row, "total_cost") for row in all_rows))
    counts = {name: sum(int(row.get(name, 0)) for row in all_rows) for name in (*TOKENS, "invocations")}
    flagged = {name: sum(1 for row in all_rows if _flag(row, name)) for name in FLAGS}
    unrecorded = sum(line["rows"] for line in lines if not line["prices_recorded"])
    costs = {name: money.money_str(money.add(*(_decimal(row, name) for row in all_rows))) for name in COSTS}
    warnings = []
    if flagged["unpriced"]:
        warnings.append(
            f"{flagged['unpriced']} daily row(s) of a model without a price were counted at cost 0"
        )
    if flagged["price_missing"]:
        warnings.append(
            f"{flagged['price_missing']} daily row(s) had no price in the Region called: those calls cost 0"
        )
    no_price = unrecorded - flagged["unpriced"]
    if no_price > 0:
        warnings.append(f"{no_price} daily row(s) recorded no single price: their lines show no prices")
    if status != "final":
        warnings.append(f"provisional: {month} is not over, days may still be added")
    return {
        "schema": SCHEMA,
        "version": SCHEMA_VERSION,
        "tenant": tenant,
        "month": month,
        "period_start": first,
        "period_end": last,
        "status": status,
        "currency": CURRENCY,
        "lines": lines,
        "totals": {**counts, **costs, "total_cost": money.money_str(total)},
        "total_usd": money.money_str(total),
        "daily_rows": len(all_rows),
        "days_with_usage": len({row["date"] for row in all_rows}),
        "flagged_rows": {**flagged, "prices_not_recorded": unrecorded},
        "needs_review": bool(flagged["unpriced"] or flagged["price_missing"] or unrecorded),
        "warnings": warnings,
    }


def _flag(row: dict[str, Any], name: str) -> bool:
    if name == "price_missing":  # rows written before per-Region prices said price_fallback
        return bool(row.get("price_missing", row.get("price_fallback", False)))
    return bool(row.get(name, False))


def _line(key: tuple[Any, ...], rows: list[dict[str, Any]]) -> dict[str, Any]:
    model_id, region, tier, prices, recorded = key
    days = sorted({str(row["date"]) for row in rows})
    as_of = sorted({str(row.get(PRICE_AS_OF, "")) for row in rows} - {""}) if recorded else []
    with_1h = [row for row in rows if TOKENS_1H in row]
    line: dict[str, Any] = {
        "model_id": model_id,
        "price_region": region,
        PRICE_TIER: tier,
        **{column: prices[n] for n, column in enumerate(PRICE_COLUMNS)},
        PRICE_AS_OF: " ".join(as_of),
        "prices_recorded": recorded,
        "first_day": days[0],
        "last_day": days[-1],
        "days": len(days),
        "rows": len(rows),
    }
    for name in (*TOKENS, "invocations"):
        line[name] = sum(int(row.get(name, 0)) for row in rows)
    line[TOKENS_1H] = sum(int(row[TOKENS_1H]) for row in with_1h) if with_1h else ""
    for name in (*COSTS, "total_cost"):
        line[name] = money.money_str(money.add(*(_decimal(row, name) for row in rows)))
    for name in FLAGS:
        line[name] = any(_flag(row, name) for row in rows)
    return line


# -- rendering ------------------------------------------------------------------------------------
def render_json(statement: dict[str, Any]) -> bytes:
    return (json.dumps(statement, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _text(str(value))


def render_csv(statement: dict[str, Any]) -> bytes:
    """One ``line`` record per statement line, then one ``total`` record (exact figures)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    head = [statement["tenant"], statement["month"], statement["status"]]
    for line in statement["lines"]:
        writer.writerow(["line", *[_cell(v) for v in head], *[_cell(line[c]) for c in LINE_COLUMNS]])
    totals = statement["totals"]
    writer.writerow(["total", *[_cell(v) for v in head], *[_cell(totals.get(c, "")) for c in LINE_COLUMNS]])
    return out.getvalue().encode()


RENDER = {"csv": render_csv, "json": render_json}


# -- S3 ---------------------------------------------------------------------------------------------
def tenant_part(tenant: str) -> str:
    """The tenant as one key segment ('/' and other unsafe characters percent-encoded)."""
    return urllib.parse.quote(tenant, safe="-_.~@+=:")


def statement_key(tenant: str, month: str, fmt: str) -> str:
    return f"{PREFIX}{tenant_part(tenant)}/{month}/statement.{fmt}"


def put_statement(s3: Any, bucket: str, statement: dict[str, Any]) -> list[str]:
    keys = []
    for fmt in FORMATS:
        key = statement_key(statement["tenant"], statement["month"], fmt)
        s3.put_object(Bucket=bucket, Key=key, Body=RENDER[fmt](statement), ContentType=CONTENT_TYPES[fmt])
        keys.append(key)
    return keys


def list_keys(s3: Any, bucket: str, tenant: str | None) -> dict[tuple[str, str], list[str]]:
    """(tenant, month) -> formats written, under one tenant's prefix or every tenant's."""
    prefix = PREFIX + (f"{tenant_part(tenant)}/" if tenant is not None else "")
    found: dict[tuple[str, str], list[str]] = {}
    kwargs = {"Bucket": bucket, "Prefix": prefix}
    while True:
        page = s3.list_objects_v2(**kwargs)
        for item in page.get("Contents", []):
            match = _KEY.match(item["Key"])
            if match:
                owner = urllib.parse.unquote(match.group(1))
                found.setdefault((owner, match.group(2)), []).append(match.group(3))
        if not page.get("IsTruncated"):
            return found
        kwargs["ContinuationToken"] = page["NextContinuationToken"]


def exists(s3: Any, bucket: str, key: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def read_json(s3: Any, bucket: str, key: str) -> dict[str, Any]:
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


# -- rows -------------------------------------------------------------------------------------------
def tenant_rows(table: UsageTable, tenant: str, month: str) -> list[dict[str, Any]]:
    first, last = month_bounds(month)
    return list(table.query_tenant(tenant, first.isoformat(), last.isoformat()))


def rows_by_tenant(table: UsageTable, month: str, today: dt.date) -> dict[str, list[dict[str, Any]]]:
    """Every tenant's rows of the month, one by_date Query per day (up to today)."""
    first, last = month_bounds(month)
    by_tenant: dict[str, list[dict[str, Any]]] = {}
    day = first
    while day <= min(last, today):
        for row in table.query_day(day.isoformat()):
            by_tenant.setdefault(str(row["pk"]), []).append(row)
        day += dt.timedelta(days=1)
    return by_tenant


def generate(
    table: UsageTable, s3: Any, bucket: str, month: str, today: dt.date, tenant: str | None = None
) -> list[dict[str, Any]]:
    """Write the month's statements (one tenant's, or every tenant's) where the tenant has rows;
    what was written (a tenant without usage that month gets none: a typo writes nothing)."""
    status = month_status(month, today)
    if tenant is not None:
        rows = {tenant: tenant_rows(table, tenant, month)}
    else:
        rows = rows_by_tenant(table, month, today)
    written = []
    for owner in sorted(owner for owner, owned in rows.items() if owned):  # no usage, no statement
        statement = build(owner, month, rows[owner], status)
        put_statement(s3, bucket, statement)
        written.append(_summary(statement, list(FORMATS)))
    return written


def _summary(statement: dict[str, Any], formats: list[str]) -> dict[str, Any]:
    return {
        "tenant": statement["tenant"],
        "month": statement["month"],
        "status": statement["status"],
        "total_usd": statement["total_usd"],
        "needs_review": statement["needs_review"],
        "formats": sorted(formats),
    }


# -- requests ---------------------------------------------------------------------------------------
def _fields(body: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    """The body's fields (an empty body arrives as {}; a JSON null or list is refused)."""
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise BadRequest(f"unknown field(s): {echo_names(unknown)}")
    tenant = body.get("tenant")
    if tenant is not None and (not isinstance(tenant, str) or not tenant.strip() or len(tenant) > 256):
        raise BadRequest("tenant must be a non-empty string of at most 256 characters")
    return body


def _whose(caller: Caller, admin_group: str, tenant: str | None, what: str) -> str | None:
    """The tenant a request may read: a tenant its own only, an admin the one asked for or all."""
    if caller.is_member(admin_group):
        return tenant
    if tenant is not None and tenant != caller.tenant_id:
        raise Forbidden(f"a tenant may only {what} its own statements")
    return caller.tenant_id


def list_request(
    s3: Any, bucket: str, caller: Caller, body: Any, admin_group: str, today: dt.date
) -> dict[str, Any]:
    fields = _fields(body, ("tenant", "month"))
    month = parse_month(fields["month"], today) if fields.get("month") is not None else None
    tenant = _whose(caller, admin_group, fields.get("tenant"), "list")
    found = list_keys(s3, bucket, tenant)
    answer = []
    for (owner, when), formats in sorted(found.items(), key=lambda kv: (kv[0][1], kv[0][0]), reverse=True):
        if month is not None and when != month:
            continue
        if tenant is not None and owner != tenant:
            continue  # a key of another tenant never answers a tenant
        if "json" not in formats or len(answer) == MAX_LISTED:
            continue
        statement = read_json(s3, bucket, statement_key(owner, when, "json"))
        answer.append(_summary(statement, formats))
    return {"statements": answer}


def download_request(
    s3: Any, bucket: str, caller: Caller, body: Any, admin_group: str, today: dt.date
) -> dict[str, Any]:
    fields = _fields(body, ("tenant", "month", "format"))
    if fields.get("month") is None:
        raise BadRequest("month is required (YYYY-MM)")
    month = parse_month(fields["month"], today)
    fmt = fields.get("format")
    if fmt not in FORMATS:
        raise BadRequest(f"format must be one of {', '.join(FORMATS)}")
    tenant = _whose(caller, admin_group, fields.get("tenant"), "download")
    if tenant is None:
        raise BadRequest("tenant is required for an administrator's download")
    key = statement_key(tenant, month, fmt)
    if not exists(s3, bucket, key):
        raise NotFound(f"no {fmt} statement of {month} for tenant {tenant}")
    filename = f"statement-{tenant_part(tenant)}-{month}.{fmt}"
    url = s3.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": key,
            "ResponseContentDisposition": f'attachment; filename="{filename}"',
            "ResponseContentType": CONTENT_TYPES[fmt],
        },
        ExpiresIn=URL_SECONDS,
    )
    return {"url": url, "expires_in": URL_SECONDS}


def generate_request(
    table: UsageTable, s3: Any, bucket: str, caller: Caller, body: Any, admin_group: str, today: dt.date
) -> dict[str, Any]:
    if not caller.is_member(admin_group):
        raise Forbidden(f"generating statements requires membership in the {admin_group} group")
    fields = _fields(body, ("tenant", "month"))
    if fields.get("month") is None:
        raise BadRequest("month is required (YYYY-MM)")
    month = parse_month(fields["month"], today)
    return {"statements": generate(table, s3, bucket, month, today, fields.get("tenant"))}


def scheduled_run(table: UsageTable, s3: Any, bucket: str, event: Any, today: dt.date) -> dict[str, Any]:
    """The month-close run: the previous month for every tenant with rows, or ``{"month"}`` given."""
    month = event.get("month") if isinstance(event, dict) else None
    month = parse_month(month, today) if month is not None else previous_month(today)
    return {"month": month, "statements": generate(table, s3, bucket, month, today)}
