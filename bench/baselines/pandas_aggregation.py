"""The reference's aggregation: a DataFrame of the day's lines, a row-wise `apply` pricing each
row by re-reading the price file, then a groupby. Needs pandas (.venv-bench).

Faithful to what the reference did per row (open + json.load of the price file, then an exact-key
lookup), and kinder where it was unclear: request ids are de-duplicated with `drop_duplicates`
(vectorised, cheap), malformed lines are dropped while parsing, and cache tokens are priced.

The price file is the reference's own kind: a small JSON table, model id -> Region -> per-1K
prices, looked up by the exact id (the reference had no profile-id resolution and no effective
dates). It is written by ``write_price_file`` from our catalog's prices for the models the
benchmark calls, so both sides price with the same rates; re-reading our effective-dated
catalog (about 130 kB) per row would charge the baseline for a file the reference never read.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
# written before each run (write_price_file); under build/, never committed
PRICE_FILE = ROOT / "build" / "bench" / "reference_prices.json"
PRICE_KINDS = ("input", "output", "cache_read", "cache_write")


def price_table(models: tuple[str, ...] | None = None) -> dict[str, dict[str, dict[str, str]]]:
    """model id as called -> Region -> {input, output[, cache_read, cache_write]} per 1,000 tokens,
    for every Region our catalog prices the model in (the rates bench.linegen.catalog_prices reads)."""
    from bench.linegen import CATALOG, MODELS, catalog_prices

    models = models or MODELS
    catalog = json.loads(CATALOG.read_text())["models"]
    regions = sorted({region for entry in catalog.values() for region in entry.get("prices", {})})
    table: dict[str, dict[str, dict[str, str]]] = {model: {} for model in models}
    for region in regions:
        for model in models:
            try:
                prices = catalog_prices((model,), region)[model]
            except KeyError:  # not priced in this Region
                continue
            table[model][region] = {kind: str(prices[kind]) for kind in PRICE_KINDS if kind in prices}
    return table


def write_price_file(path: Path = PRICE_FILE, models: tuple[str, ...] | None = None) -> dict:
    """Write the reference-style price file; returns its size and shape for the notes."""
    table = price_table(models)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(table, indent=2) + "\n")
    return {
        "path": str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path),
        "bytes": path.stat().st_size,
        "models": len(table),
        "prices": sum(len(regions) for regions in table.values()),
    }


def _price_row(row, price_file: Path = PRICE_FILE) -> float:
    # The reference re-read its price file for every row, then looked the model up by its exact id.
    with open(price_file) as handle:
        table = json.load(handle)
    price = table[row["model_id"]][row["region"]]
    return (
        row["input_tokens"] / 1000 * float(price["input"])
        + row["output_tokens"] / 1000 * float(price["output"])
        + row["cache_read_input_tokens"] / 1000 * float(price.get("cache_read", 0))
        + row["cache_write_input_tokens"] / 1000 * float(price.get("cache_write", 0))
    )


def aggregate(events, price_file: Path = PRICE_FILE) -> pd.DataFrame:
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
    df["cost"] = df.apply(_price_row, axis=1, args=(price_file,))
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
