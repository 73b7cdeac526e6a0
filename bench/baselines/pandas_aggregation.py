"""The reference's aggregation: a DataFrame of the day's lines, a row-wise `apply` pricing each
row by re-reading the price file, then a groupby. Needs pandas (.venv-bench).

Faithful to what the reference did per row (open + json.load of the price file, then a lookup),
and kinder where it was unclear: request ids are de-duplicated with `drop_duplicates` (vectorised,
cheap), and malformed lines are dropped while parsing.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd

PRICE_FILE = Path(__file__).resolve().parents[2] / "functions" / "token_profiler" / "catalog.json"
PREFIXES = ("us.", "eu.", "apac.", "global.")


def _price_row(row) -> float:
    # The reference re-read its price file for every row.
    with open(PRICE_FILE) as handle:
        catalog = json.load(handle)
    model = row["model_id"]
    for prefix in PREFIXES:
        if model.startswith(prefix):
            model = model[len(prefix) :]
            break
    price = catalog["models"][model]["prices"][row["region"]]
    return (
        row["input_tokens"] / 1000 * float(price["input"])
        + row["output_tokens"] / 1000 * float(price["output"])
        + row["cache_read_input_tokens"] / 1000 * float(price.get("cache_read", 0))
        + row["cache_write_input_tokens"] / 1000 * float(price.get("cache_write", 0))
    )


def aggregate(events) -> pd.DataFrame:
    """events: FilterLogEvents dicts. Returns one row per (tenant_id, model_id, date)."""
    rows = []
    for event in events:
        try:
            line = json.loads(event["message"])
        except ValueError:
            continue
        if line.get("message") != "TOKEN_USAGE":
            continue
        usage = line.get("token_usage") or {}
        if usage.get("output_tokens", -1) < 0 or usage.get("input_tokens", -1) < 0:
            continue
        usage["timestamp"] = event["timestamp"]
        rows.append(usage)
    df = pd.DataFrame(rows)
    df = df.drop_duplicates(subset="request_id", keep="first")
    df["date"] = pd.to_datetime(df["timestamp"], unit="ms", utc=True).dt.strftime("%Y-%m-%d")
    df["cost"] = df.apply(_price_row, axis=1)
    df["invocations"] = 1
    return df.groupby(["tenant_id", "model_id", "date"], as_index=False)[
        [
            "input_tokens",
            "output_tokens",
            "cache_read_input_tokens",
            "cache_write_input_tokens",
            "invocations",
            "cost",
        ]
    ].sum()


def total_cost(frame: pd.DataFrame) -> Decimal:
    return Decimal(str(round(float(frame["cost"].sum()), 6)))
