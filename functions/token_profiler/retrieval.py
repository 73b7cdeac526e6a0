"""Cost retrieval: an admin may read every tenant, a tenant only its own rows."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from token_profiler import ROW_COSTS, ROW_COUNTS, money
from token_profiler.auth import Caller
from token_profiler.dates import days_between, parse_day
from token_profiler.errors import BadRequest, Forbidden, echo_names
from token_profiler.prices import PRICE_AS_OF, PRICE_COLUMNS, PRICE_TIER
from token_profiler.storage import UsageTable

FILTERS = ("start_date", "end_date", "tenant", "model_id", "limit", "next_token")
# Items per answer: 5,000 rows stay well under Lambda's 6 MB response limit.
MAX_LIMIT = 5000
# Above this many days an admin listing without a tenant reads the table once instead of per day.
MAX_INDEX_DAYS = 366
STRING_FIELDS = ROW_COUNTS + ROW_COSTS


def parse_filters(body: Any) -> dict[str, Any]:
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    unknown = sorted(set(body) - set(FILTERS))
    if unknown:
        raise BadRequest(f"unknown field(s): {echo_names(unknown)}")
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
    limit = body.get("limit")
    if limit is not None:
        if type(limit) is not int or not 1 <= limit <= MAX_LIMIT:
            raise BadRequest(f"limit must be an integer between 1 and {MAX_LIMIT}")
        filters["limit"] = limit
    token = body.get("next_token")
    if token not in (None, ""):
        if not isinstance(token, str) or len(token) > 2048:
            raise BadRequest("next_token is not valid")
        filters["next_token"] = decode_token(token)
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
    # rows written before the catalog's per-Region prices said price_fallback (priced elsewhere)
    item["price_missing"] = bool(row.get("price_missing", row.get("price_fallback", False)))
    item["price_changed"] = bool(row.get("price_changed", False))
    # the per-1K prices the row was billed at ("" on rows written before rows recorded them)
    for name in PRICE_COLUMNS:
        item[name] = _present(row[name]) if name in row else ""
    item[PRICE_TIER] = str(row.get(PRICE_TIER, ""))
    item[PRICE_AS_OF] = str(row.get(PRICE_AS_OF, ""))
    return item


def _position(row: dict[str, Any]) -> tuple[str, str, str]:
    return (str(row.get("date", "")), str(row.get("pk", "")), str(row.get("model_id", "")))


def encode_token(position: tuple[str, str, str] | dict[str, str]) -> str:
    """A position (date, tenant, model) as a list, or the table key a scan stopped at as an object."""
    value = list(position) if isinstance(position, tuple) else position
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def decode_token(token: str) -> tuple[str, str, str] | dict[str, str]:
    try:
        value = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        raise BadRequest("next_token is not valid") from None
    if isinstance(value, dict):
        if set(value) == {"pk", "sk"} and all(isinstance(v, str) and v for v in value.values()):
            return {"pk": value["pk"], "sk": value["sk"]}
        raise BadRequest("next_token is not valid")
    if not (isinstance(value, list) and len(value) == 3 and all(isinstance(v, str) for v in value)):
        raise BadRequest("next_token is not valid")
    parse_day(value[0], "next_token")
    return (value[0], value[1], value[2])


def _scans(tenant: str | None, start: dt.date | None, end: dt.date | None) -> bool:
    """An admin listing of every tenant without a short date range pages through the table itself."""
    return tenant is None and not (start and end and (end - start).days < MAX_INDEX_DAYS)


def _sorted_rows(
    table: UsageTable,
    tenant: str | None,
    start: dt.date | None,
    end: dt.date | None,
    model_id: str | None,
    after: tuple[str, str, str] | None,
) -> Iterator[dict[str, Any]]:
    """Rows in (date, tenant, model) order, from the cheapest read that answers the filters."""
    lo = start.isoformat() if start else None
    hi = end.isoformat() if end else None
    if after and (lo is None or after[0] > lo):
        lo = after[0]  # a continuation re-reads at most the day it stopped in
    if lo and hi and lo > hi:
        return  # a token past end_date: nothing is left (DynamoDB refuses BETWEEN with lo > hi)
    if tenant is not None:
        # one partition: DynamoDB returns it ordered by sk = "<date>#<model>", i.e. (date, model)
        yield from table.query_tenant(tenant, lo, hi, model_id)
    else:
        for day in days_between(dt.date.fromisoformat(lo), dt.date.fromisoformat(hi)):
            yield from sorted(table.query_day(day.isoformat(), model_id), key=_position)


def retrieve(
    table: UsageTable, caller: Caller, body: Any, admin_group: str
) -> tuple[list[dict[str, Any]], str | None]:
    """Items in (date, tenant, model) order, at most ``limit``, and a token for the next page (or None).

    An admin listing of every tenant without a date range shorter than MAX_INDEX_DAYS comes in the
    table's own order instead, paged by DynamoDB (the token holds the key the scan stopped at).
    """
    filters = parse_filters(body)
    model_id = filters.get("model_id")
    tenant = filters.get("tenant")
    admin = caller.is_member(admin_group)
    if not admin:
        if tenant is not None and tenant != caller.tenant_id:
            raise Forbidden("a tenant may only read its own usage")
        tenant = caller.tenant_id
    limit = filters.get("limit", MAX_LIMIT)
    after = filters.get("next_token")
    items: list[dict[str, Any]] = []
    start, end = filters.get("start_date"), filters.get("end_date")
    if _scans(tenant, start, end):  # admins only: a tenant always has ``tenant`` set
        if isinstance(after, tuple):
            raise BadRequest("next_token does not belong to these filters")
        rows, last = table.scan_page(
            limit,
            after,
            model_id,
            start.isoformat() if start else None,
            end.isoformat() if end else None,
        )
        return [present(row) for row in rows], encode_token(last) if last else None
    if isinstance(after, dict):
        raise BadRequest("next_token does not belong to these filters")
    for row in _sorted_rows(table, tenant, start, end, model_id, after):
        if not admin and row.get("pk") != caller.tenant_id:
            continue  # belt and braces: a tenant's answer holds its own partition only
        if after and _position(row) <= after:
            continue
        if len(items) == limit:
            return items, encode_token(_position(items[-1]))
        items.append(present(row))
    return items, None
