"""The usage table: deterministic writes with BatchWriteItem, Query-only reads.

The table name and the client are injected, so tests and the local stack can point it anywhere.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from token_profiler import money

TABLE_SCHEMA_PATH = Path(__file__).with_name("table.json")
BATCH_SIZE = 25  # BatchWriteItem's limit
DATE_INDEX = "by_date"
# '$' sorts right after '#', so "<day>$" bounds every "<day>#<model>" sort key of that day.
_DAY_END = "$"


@cache
def table_schema() -> dict[str, Any]:
    """The key schema from table.json (the same file Terraform reads)."""
    with TABLE_SCHEMA_PATH.open(encoding="utf-8") as handle:
        return json.load(handle)


def _serialize(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, Decimal):
        return {"N": money.money_str(value)}
    if isinstance(value, str):
        return {"S": value}
    raise TypeError(f"cannot store {type(value).__name__}")


def _deserialize(attr: dict[str, Any]) -> Any:
    ((kind, value),) = attr.items()
    if kind == "N":
        return Decimal(value) if any(c in value for c in ".eE") else int(value)
    if kind == "BOOL":
        return bool(value)
    return value


def to_item(row: dict[str, Any]) -> dict[str, Any]:
    return {key: _serialize(value) for key, value in row.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _deserialize(value) for key, value in item.items()}


class UsageTable:
    def __init__(
        self,
        client: Any,
        table_name: str,
        *,
        max_attempts: int = 10,
        base_delay: float = 0.05,
        max_delay: float = 2.0,
        sleep: Callable[[float], None] | None = None,
    ):
        self.client = client
        self.name = table_name
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep or time.sleep
        self.retries = 0

    # -- writes ---------------------------------------------------------------------------------
    def put_rows(self, rows: list[dict[str, Any]]) -> int:
        """Write rows (full items, so a rerun overwrites with identical content); returns rows written.

        UnprocessedItems are resent with exponential backoff and jitter; after ``max_attempts`` a
        RuntimeError says how many items are still unwritten (the run can then simply be repeated).
        """
        requests = [{"PutRequest": {"Item": to_item(row)}} for row in rows]
        for start in range(0, len(requests), BATCH_SIZE):
            self._write_batch(requests[start : start + BATCH_SIZE])
        return len(rows)

    def _write_batch(self, batch: list[dict[str, Any]]) -> None:
        pending = {self.name: batch}
        for attempt in range(self.max_attempts):
            response = self.client.batch_write_item(RequestItems=pending)
            pending = {k: v for k, v in (response.get("UnprocessedItems") or {}).items() if v}
            if not pending:
                return
            self.retries += 1
            delay = min(self.max_delay, self.base_delay * (2**attempt))
            self.sleep(delay * (0.5 + random.random() / 2))  # noqa: S311 - jitter, not security
        left = sum(len(v) for v in pending.values())
        raise RuntimeError(f"DynamoDB left {left} item(s) unprocessed after {self.max_attempts} attempts")

    # -- reads ----------------------------------------------------------------------------------
    def _rows(self, read: Any, model_id: str | None, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every item a Query or Scan (``read``) returns, page after page, of one model if given."""
        kwargs["TableName"] = self.name
        if model_id:
            kwargs["FilterExpression"] = "#m = :m"
            kwargs.setdefault("ExpressionAttributeNames", {})["#m"] = "model_id"
            kwargs.setdefault("ExpressionAttributeValues", {})[":m"] = {"S": model_id}
        while True:
            page = read(**kwargs)
            for item in page.get("Items", []):
                yield from_item(item)
            last = page.get("LastEvaluatedKey")
            if not last:
                return
            kwargs["ExclusiveStartKey"] = last

    def query_tenant(
        self, tenant: str, start: str | None = None, end: str | None = None, model_id: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Rows of one tenant (Query on pk), optionally between two days and for one model."""
        names = {"#pk": "pk"}
        values: dict[str, Any] = {":pk": {"S": tenant}}
        condition = "#pk = :pk"
        if start or end:
            names["#sk"] = "sk"
            values[":lo"] = {"S": start or "0000-00-00"}
            values[":hi"] = {"S": (end or "9999-99-99") + _DAY_END}
            condition += " AND #sk BETWEEN :lo AND :hi"
        return self._rows(
            self.client.query,
            model_id,
            KeyConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def query_day(self, day: str, model_id: str | None = None) -> Iterator[dict[str, Any]]:
        """Rows of every tenant for one day (Query on the by_date index)."""
        return self._rows(
            self.client.query,
            model_id,
            IndexName=DATE_INDEX,
            KeyConditionExpression="#d = :d",
            ExpressionAttributeNames={"#d": "date"},
            ExpressionAttributeValues={":d": {"S": day}},
        )

    def scan_page(
        self,
        limit: int,
        start_key: dict[str, str] | None = None,
        model_id: str | None = None,
        start: str | None = None,
        end: str | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        """Up to ``limit`` rows in the table's own order, after ``start_key`` (the string key of the
        last row a page ended on), and the key to continue from (None at the end).

        DynamoDB keeps the position, so a page reads about ``limit`` items however deep it is
        (admin listing only; never used to answer a tenant).
        """
        kwargs: dict[str, Any] = {"TableName": self.name}
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        conditions = []
        if model_id:
            names["#m"], values[":m"] = "model_id", {"S": model_id}
            conditions.append("#m = :m")
        if start or end:
            names["#d"] = "date"
            values[":lo"], values[":hi"] = {"S": start or "0000-00-00"}, {"S": end or "9999-99-99"}
            conditions.append("#d BETWEEN :lo AND :hi")
        if conditions:
            kwargs.update(
                FilterExpression=" AND ".join(conditions),
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        if start_key:
            kwargs["ExclusiveStartKey"] = {name: {"S": value} for name, value in start_key.items()}
        rows: list[dict[str, Any]] = []
        while True:
            # Limit counts items read, so a page never reads more than it may still answer
            kwargs["Limit"] = limit - len(rows)
            page = self.client.scan(**kwargs)
            rows += [from_item(item) for item in page.get("Items", [])]
            last = page.get("LastEvaluatedKey")
            if not last:
                return rows, None
            if len(rows) >= limit:
                return rows, {name: value["S"] for name, value in last.items()}
            kwargs["ExclusiveStartKey"] = last
