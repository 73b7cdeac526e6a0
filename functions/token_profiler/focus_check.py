"""Check FOCUS rows against the FOCUS 1.2 rules recorded in ``focus_1_2_columns.json``.

``check_jsonl(text)`` reads an export as written (numbers checked in their written form) and
returns every problem found; ``check_rows(rows)`` does the same for parsed rows. The rules are data
(feature level, data type, nullability, allowed values, formats, conditional row rules), so this
module holds only how to apply each kind of rule, not the rules themselves.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Context, Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

RULES_PATH = Path(__file__).with_name("focus_1_2_columns.json")
_EXACT = Context(prec=100)  # unit price x quantity, never rounded


@dataclass(frozen=True)
class Problem:
    row: int  # 0-based row (line) number
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.column}: {self.message}"


@cache
def rules() -> dict[str, Any]:
    with RULES_PATH.open(encoding="utf-8") as handle:
        return json.load(handle)


def mandatory_columns() -> list[str]:
    return sorted(name for name, col in rules()["columns"].items() if col["feature_level"] == "Mandatory")


class _Number(Decimal):
    """A JSON number that remembers how it was written."""

    text: str

    def __new__(cls, text: str) -> _Number:
        number = super().__new__(cls, text)
        number.text = text
        return number


def _holds(condition: Mapping[str, Mapping[str, list]], row: Mapping[str, Any]) -> bool:
    for column, test in condition.items():
        value = row.get(column)
        if "in" in test and value not in test["in"]:
            return False
        if "not_in" in test and value in test["not_in"]:
            return False
    return True


def _check_value(name: str, spec: Mapping[str, Any], value: Any, formats: Mapping[str, Any]) -> list[str]:
    """Type, format and allowed-value problems of one non-null value."""
    kind = spec["data_type"]
    fmt = spec.get("value_format")
    if kind == "Decimal":
        if not isinstance(value, Decimal) or not value.is_finite():
            return [f"must be a Decimal number, got {value!r}"]
        text = getattr(value, "text", None) or format(value, "f")
        if not re.match(formats["NumericFormat"]["pattern"], text):
            return [f"{text!r} breaks Numeric Format"]
        if spec.get("non_negative") and value < 0:
            return [f"must not be negative, got {text}"]
        return []
    if not isinstance(value, str):
        return [f"must be a {kind} string, got {type(value).__name__}"]
    if value == "":
        return ["an empty string must be null instead (Null Handling)"]
    if kind == "DateTime":
        if not re.match(formats["DateTimeFormat"]["pattern"], value):
            return [f"{value!r} breaks Date/Time Format (YYYY-MM-DDTHH:mm:ssZ, UTC)"]
        try:
            dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return [f"{value!r} is not a real instant"]
        return []
    if kind == "JSON":
        try:
            parsed = json.loads(value)
        except ValueError:
            return ["is not serialized JSON (Key-Value Format)"]
        if not isinstance(parsed, dict):
            return ["must be a JSON object (Key-Value Format)"]
        if any(isinstance(v, dict | list) for v in parsed.values()):
            return ["values must be scalars, not objects or arrays (Key-Value Format)"]
        return []
    if fmt == "AllowedValues" and value not in spec["allowed_values"]:
        return [f"{value!r} is not an allowed value"]
    if fmt in ("CurrencyFormat", "UnitFormat") and not re.match(formats[fmt]["pattern"], value):
        return [f"{value!r} breaks {fmt}"]
    return []


def check_rows(rows: Iterable[Mapping[str, Any]], column_order: bool = True) -> list[Problem]:
    """Every rule the rows break (an empty list: they conform)."""
    spec = rules()
    columns = spec["columns"]
    formats = spec["formats"]
    custom = spec["column_handling"]["custom_column_prefix"]
    mandatory = mandatory_columns()
    problems: list[Problem] = []
    for n, row in enumerate(rows):

        def bad(column: str, message: str, n: int = n) -> None:
            problems.append(Problem(n, column, message))

        for name in mandatory:
            if name not in row:
                bad(name, "Mandatory column missing")
        seen_custom = False
        for name, value in row.items():
            if name.startswith(custom):
                seen_custom = True
                continue
            if name not in columns:
                bad(name, f"not a FOCUS 1.2 column; custom columns need the {custom} prefix")
                continue
            if seen_custom and column_order:
                bad(name, "FOCUS columns come before custom columns")
            col = columns[name]
            if value is None:
                if not col["allows_nulls"]:
                    bad(name, "must not be null")
            else:
                for message in _check_value(name, col, value, formats):
                    bad(name, message)
            row_rules = col.get("row_rules", {})
            for condition in row_rules.get("not_null_when", []):
                if value is None and _holds(condition, row):
                    bad(name, f"must not be null when {_describe(condition)}")
            for condition in row_rules.get("null_when", []):
                if value is not None and _holds(condition, row):
                    bad(name, f"must be null when {_describe(condition)}")
            other = row_rules.get("null_iff_null")
            if other and (value is None) != (row.get(other) is None):
                bad(name, f"must be null exactly when {other} is null")
            cost = row_rules.get("times_pricing_quantity_equals")
            quantity = row.get("PricingQuantity")
            if (
                cost
                and isinstance(value, Decimal)
                and isinstance(quantity, Decimal)
                and isinstance(row.get(cost), Decimal)
                and row.get("ChargeClass") != "Correction"
            ):
                product = _EXACT.multiply(Decimal(value), Decimal(quantity))
                if product != Decimal(row[cost]):
                    bad(name, f"x PricingQuantity is {product}, but {cost} is {row[cost]}")
        _check_pairs(row, columns, bad)
    return problems


def _check_pairs(row: Mapping[str, Any], columns: Mapping[str, Any], bad: Any) -> None:
    """Subcategory within its category; each period's start before its end; charge within billing."""
    sub = row.get("ServiceSubcategory")
    pairs = columns["ServiceSubcategory"].get("allowed_pairs_with_ServiceCategory", [])
    if isinstance(sub, str) and [row.get("ServiceCategory"), sub] not in pairs:
        bad("ServiceSubcategory", f"{sub!r} is not a subcategory of {row.get('ServiceCategory')!r}")
    bounds = {}
    pattern = rules()["formats"]["DateTimeFormat"]["pattern"]
    for name in ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd"):
        value = row.get(name)
        if not isinstance(value, str) or not re.match(pattern, value):
            return  # reported as a format problem already
        try:
            bounds[name] = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return
    if bounds["ChargePeriodStart"] >= bounds["ChargePeriodEnd"]:
        bad("ChargePeriodEnd", "the exclusive end must come after the start")
    if bounds["BillingPeriodStart"] >= bounds["BillingPeriodEnd"]:
        bad("BillingPeriodEnd", "the exclusive end must come after the start")
    if not bounds["BillingPeriodStart"] <= bounds["ChargePeriodStart"] < bounds["BillingPeriodEnd"]:
        bad("ChargePeriodStart", "the charge period must start inside the billing period")


def _describe(condition: Mapping[str, Mapping[str, list]]) -> str:
    parts = []
    for column, test in condition.items():
        if "in" in test:
            parts.append(f"{column} is {' or '.join(map(str, test['in']))}")
        if "not_in" in test:
            parts.append(f"{column} is not {' or '.join(map(str, test['not_in']))}")
    return " and ".join(parts)


def check_jsonl(text: str) -> list[Problem]:
    """Problems of an export as written: one JSON object per line."""
    rows = []
    problems: list[Problem] = []
    for n, line in enumerate(text.splitlines()):
        try:
            row = json.loads(line, parse_float=_Number, parse_int=_Number)
        except (ValueError, InvalidOperation) as exc:
            problems.append(Problem(n, "*", f"not a JSON object: {exc}"))
            row = {}
        if not isinstance(row, dict):
            problems.append(Problem(n, "*", "not a JSON object"))
            row = {}
        rows.append(row)
    return problems + check_rows(rows)
