"""Cost retrieval: an admin may read every tenant, a tenant only its own rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from token_profiler import money
from token_profiler.auth import Caller
from token_profiler.dates import days_between, parse_day
from token_profiler.errors import BadRequest, Forbidden
from token_profiler.storage import UsageTable

FILTERS = ("start_date", "end_date", "tenant", "model_id")
# Above this many days an admin listing without a tenant reads the table once instead of per day.
MAX_INDEX_DAYS = 366
STRING_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_write_input_tokens",
    "invocations",
    "input_cost",
    "output_cost",
    "cache_read_cost",
    "cache_write_cost",
    "total_cost",
)


def parse_filters(body: Any) -> dict[str, Any]:
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    unknown = sorted(set(body) - set(FILTERS))
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(unknown)}")
    filters: dict[str, Any] = {}
    for name in ("tenant", "model_id"):
        value = body.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str) or len(value) > 256:
            raise BadRequest(f"{name} must be a string of at most 256 characters")
        filters[name] = value
    for name in ("start_date", "end_date"):
        if body.get(name) not in (None, ""):
            filters[name] = parse_day(body[name], name)
    if "start_date" in filters and "end_date" in filters and filters["end_date"] < filters["start_date"]:
        raise BadRequest("end_date is before start_date")
    return filters


def _present(value: Any) -> str:
    if isinstance(value, Decimal):
        return money.money_str(value)
    return str(value)


def present(row: dict[str, Any]) -> dict[str, Any]:
    """The API shape: numbers as exact decimal strings (as the seed documented), flags as booleans."""
    item = {
        "date": row.get("date", ""),
        "pk": row.get("pk", ""),
        "sk": row.get("sk", ""),
        "name": row.get("name", row.get("pk", "")),
        "model_id": row.get("model_id", ""),
    }
    for name in STRING_FIELDS:
        item[name] = _present(row.get(name, 0))
    item["unpriced"] = bool(row.get("unpriced", False))
    item["price_region"] = row.get("price_region", "")
    item["price_fallback"] = bool(row.get("price_fallback", False))
    return item


def retrieve(table: UsageTable, caller: Caller, body: Any, admin_group: str) -> list[dict[str, Any]]:
    filters = parse_filters(body)
    start: dt.date | None = filters.get("start_date")
    end: dt.date | None = filters.get("end_date")
    model_id = filters.get("model_id")
    tenant = filters.get("tenant")
    if not caller.is_member(admin_group):
        if tenant is not None and tenant != caller.tenant_id:
            raise Forbidden("a tenant may only read its own usage")
        tenant = caller.tenant_id
    lo = start.isoformat() if start else None
    hi = end.isoformat() if end else None
    if tenant is not None:
        rows = table.query_tenant(tenant, lo, hi, model_id)
    elif start and end and (end - start).days < MAX_INDEX_DAYS:
        rows = (row for day in days_between(start, end) for row in table.query_day(day.isoformat(), model_id))
    else:
        rows = (
            row
            for row in table.scan_all(model_id)
            if (lo is None or row.get("date", "") >= lo) and (hi is None or row.get("date", "") <= hi)
        )
    if not caller.is_member(admin_group):
        # belt and braces: a tenant's answer holds its own partition only
        rows = (row for row in rows if row.get("pk") == caller.tenant_id)
    items = [present(row) for row in rows]
    items.sort(key=lambda item: (item["date"], item["pk"], item["model_id"]))
    return items
