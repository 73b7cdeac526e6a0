"""Build the price catalog (functions/token_profiler/catalog.json) from the AWS Price List.

    python -m scripts.prices --offer-file PATH    # the bulk offer file (AmazonBedrock, JSON)
    python -m scripts.prices --api                # pricing GetProducts, ServiceCode AmazonBedrock

Three inputs make the catalog:

- the Price List: products (``sku``, ``productFamily``, ``attributes``) and their OnDemand terms
  (``effectiveDate``, ``priceDimensions`` with ``unit`` and ``pricePerUnit.USD``). A product is
  read as (``attributes.model``, ``regionCode``, scope, rate field) from ``feature``,
  ``inferenceType`` and ``usagetype``;
- ``models.json``: the facts the Price List does not hold (model id per Price List model name,
  label, kind, API, lifecycle, Regions where only a profile can call the model, long-context
  threshold);
- ``overrides.json``: figures the Price List lacks, each naming its source. An override fills a
  field only when the Price List has no figure for it.

The existing catalog is read first: a rate that changed appends a new period (``history`` keeps the
old one), an unchanged one keeps its period and sources. Every rate names its source: the offer's
SKU and version, or the override's id.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CATALOG = ROOT / "functions" / "token_profiler" / "catalog.json"
MODELS = HERE / "models.json"
OVERRIDES = HERE / "overrides.json"
HANDBUILT_OFFER = HERE / "handbuilt_offer.json"
SERVICE_CODE = "AmazonBedrock"
RATE_KINDS = ("input", "output", "cache_read", "cache_write", "cache_write_1h")
TIER_PREFIXES = ("", "long_", "batch_", "flex_", "priority_")
RATE_FIELDS = tuple(prefix + kind for prefix in TIER_PREFIXES for kind in RATE_KINDS)
PROFILE_PREFIXES = ["us-gov.", "us.", "eu.", "apac.", "jp.", "au.", "ca.", "in.", "global."]
# Features that are not per-call inference (provisioned throughput, customization, storage...)
_SKIP_FEATURE = re.compile(r"provisioned|custom|training|storage|model unit|import|evaluation", re.I)
_TOKEN_UNITS = {"1k tokens": Decimal(1), "1m tokens": Decimal(1000), "million tokens": Decimal(1000)}


class PriceListError(Exception):
    """The offer file or the API answer is not what the Price List publishes."""


@dataclass(frozen=True)
class Rate:
    """One Price List figure, read into the catalog's terms."""

    model_name: str
    region: str
    scope: str  # "" in-Region (and geographic profiles), "global" for the global profile
    field: str  # a RATE_FIELDS name, or "unit:<unit>" for a model billed in another unit
    usd_per_1k: Decimal  # for "unit:" rates: US$ per that unit
    effective: str  # YYYY-MM-DD
    source: str  # "AmazonBedrock <sku> v<version>"


def classify(attributes: dict[str, Any]) -> tuple[str, str] | None:
    """(scope, rate field) of a product from its attributes; None when it is not a per-call price."""
    feature = str(attributes.get("feature", ""))
    if _SKIP_FEATURE.search(feature):
        return None
    usage = str(attributes.get("usagetype", "")).lower()
    words = f"{attributes.get('inferenceType', '')} {usage}".lower().replace("_", "-")
    if "cache" in words:
        if "read" in words:
            kind = "cache_read"
        elif "write" in words:
            kind = "cache_write_1h" if re.search(r"\b1h\b|1-hour|1hr|one-hour", words) else "cache_write"
        else:
            return None
    elif "output" in words or "response" in words:
        kind = "output"
    else:
        kind = "input"
    feature_l = feature.lower()
    tiers = [
        prefix
        for prefix, pattern in (
            ("batch_", r"batch"),
            ("flex_", r"flex"),
            ("priority_", r"priority"),
            ("long_", r"long[- ]?context|lctx"),
        )
        if re.search(pattern, f"{feature_l} {words}")
    ]
    if len(tiers) > 1:
        return None  # a combination the catalog has no field for
    scope = "global" if re.search(r"\bglobal\b", f"{feature_l} {words}") else ""
    return scope, (tiers[0] if tiers else "") + kind


def _per_1k(dimension: dict[str, Any], where: str) -> tuple[str, Decimal]:
    unit = str(dimension.get("unit", ""))
    try:
        usd = Decimal(str(dimension["pricePerUnit"]["USD"]))
    except (KeyError, TypeError, ArithmeticError, ValueError):
        raise PriceListError(f"{where}: no pricePerUnit.USD") from None
    if not usd.is_finite() or usd < 0:
        raise PriceListError(f"{where}: price must be a number >= 0")
    factor = _TOKEN_UNITS.get(unit.strip().lower())
    if factor is None:
        return f"unit:{unit}", usd
    return "", usd / factor


def read_items(products: dict[str, Any], on_demand: dict[str, Any], version: str) -> Iterator[Rate]:
    """Rates from an offer's products and OnDemand terms (one offer or one GetProducts item)."""
    for sku, product in sorted(products.items()):
        attributes = product.get("attributes", {})
        if attributes.get("servicecode", SERVICE_CODE) != SERVICE_CODE:
            continue
        model_name = attributes.get("model")
        region = attributes.get("regionCode")
        if not model_name or not region:
            continue
        kind = classify(attributes)
        if kind is None:
            continue
        scope, field = kind
        for term_code, term in sorted(on_demand.get(sku, {}).items()):
            effective = str(term.get("effectiveDate", ""))[:10]
            try:
                dt.date.fromisoformat(effective)
            except ValueError:
                raise PriceListError(f"{sku}/{term_code}: effectiveDate is not a date") from None
            for dim_code, dimension in sorted(term.get("priceDimensions", {}).items()):
                if str(dimension.get("beginRange", "0")) not in ("0", ""):
                    continue  # a volume tier beyond the first: Bedrock tokens have none
                unit_field, value = _per_1k(dimension, dim_code)
                yield Rate(
                    model_name=model_name,
                    region=region,
                    scope=scope,
                    field=unit_field or field,
                    usd_per_1k=value,
                    effective=effective,
                    source=f"{SERVICE_CODE} {sku} v{version}",
                )


def read_offer(offer: dict[str, Any]) -> list[Rate]:
    """Rates of a bulk offer file (``offerCode`` AmazonBedrock)."""
    if offer.get("offerCode") != SERVICE_CODE:
        raise PriceListError(f"not an {SERVICE_CODE} offer file (offerCode {offer.get('offerCode')!r})")
    if not isinstance(offer.get("products"), dict) or not isinstance(offer.get("terms"), dict):
        raise PriceListError("an offer file has 'products' and 'terms' objects")
    return list(
        read_items(offer["products"], offer["terms"].get("OnDemand", {}), str(offer.get("version", "")))
    )


def read_price_list(items: Iterable[str | dict[str, Any]]) -> list[Rate]:
    """Rates of GetProducts' PriceList items (each a JSON string: product, terms, version)."""
    rates: list[Rate] = []
    for item in items:
        record = json.loads(item) if isinstance(item, str) else item
        product = record.get("product", {})
        sku = product.get("sku")
        if not sku:
            raise PriceListError("a PriceList item without product.sku")
        rates.extend(
            read_items(
                {sku: product},
                {sku: record.get("terms", {}).get("OnDemand", {})},
                str(record.get("version", "")),
            )
        )
    return rates


def fetch_price_list(client: Any) -> list[str]:
    """Every AmazonBedrock PriceList item through pricing GetProducts (paged)."""
    items: list[str] = []
    kwargs: dict[str, Any] = {"ServiceCode": SERVICE_CODE, "FormatVersion": "aws_v1", "MaxResults": 100}
    while True:
        answer = client.get_products(**kwargs)
        items.extend(answer.get("PriceList", []))
        token = answer.get("NextToken")
        if not token:
            return items
        kwargs["NextToken"] = token


# -- the catalog ------------------------------------------------------------------------------


def _rate_str(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _latest(rates: list[Rate]) -> dict[tuple[str, str, str, str], Rate]:
    """Per (model name, region, scope, field) the figure with the latest effective date."""
    chosen: dict[tuple[str, str, str, str], Rate] = {}
    for rate in rates:
        key = (rate.model_name, rate.region, rate.scope, rate.field)
        if key not in chosen or rate.effective > chosen[key].effective:
            chosen[key] = rate
    return chosen


def _apply_overrides(
    periods: dict[tuple[str, str, str], dict[str, Any]], overrides: list[dict[str, Any]]
) -> list[str]:
    """Fill missing fields of the new periods from the override entries; returns notes on entries
    that filled nothing (the Price List has the figure, or the model has no price there)."""
    notes = []
    for entry in overrides:
        used = False
        for (model_id, scope, region), period in sorted(periods.items()):
            if model_id != entry["model"] or scope != entry.get("scope", ""):
                continue
            if entry.get("regions", ["*"]) != ["*"] and region not in entry["regions"]:
                continue
            for field, value in entry.get("rates", {}).items():
                if field not in period["rates"]:
                    period["rates"][field] = Decimal(value)
                    period["sources"][field] = f"override {entry['id']}"
                    period["from"] = max(period["from"], entry.get("from", ""))
                    used = True
            for field, (base, factor) in entry.get("derive", {}).items():
                if field not in period["rates"] and base in period["rates"]:
                    period["rates"][field] = period["rates"][base] * Decimal(factor)
                    period["sources"][field] = f"override {entry['id']} ({factor} x {base})"
                    period["from"] = max(period["from"], entry.get("from", ""))
                    used = True
        if not used:
            notes.append(
                f"override {entry['id']} filled nothing "
                "(the Price List has those figures, or no Region matches)"
            )
    return notes


def _period_json(period: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"from": period["from"]}
    for field in RATE_FIELDS:
        if field in period["rates"]:
            out[field] = _rate_str(period["rates"][field])
    out["sources"] = {f: period["sources"][f] for f in RATE_FIELDS if f in period["sources"]}
    return out


def _same_rates(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return {f: Decimal(a[f]) for f in RATE_FIELDS if f in a} == {
        f: Decimal(b[f]) for f in RATE_FIELDS if f in b
    }


def merge_period(old: dict[str, Any] | None, new: dict[str, Any], published: str) -> dict[str, Any]:
    """The catalog entry for one (model, scope, Region): the new period appended after the old
    ones when its rates differ, else the old entry unchanged. A new period starts on its
    effective date, or on the offer's publication day when that date is not after the last
    period's start (a correction published later); never earlier than a kept period."""
    if old is None:
        return new
    if _same_rates(old, new):
        return old
    history = [{k: v for k, v in old.items() if k != "history"}]
    history = [*old.get("history", []), *history]
    start = new["from"]
    if start <= history[-1]["from"]:
        start = published
    if start <= history[-1]["from"]:
        raise PriceListError(
            f"a price changed but its new period would start on {start}, not after the period of "
            f"{history[-1]['from']}: fix the offer or the catalog by hand"
        )
    return {**new, "from": start, "history": history}


def build_catalog(
    rates: list[Rate],
    models: dict[str, Any],
    overrides: list[dict[str, Any]],
    existing: dict[str, Any] | None,
    published: str,
) -> tuple[dict[str, Any], list[str]]:
    """The catalog JSON and notes (unmapped Price List models, unused overrides)."""
    by_name: dict[str, str] = {}
    for model_id, spec in models.items():
        for name in spec.get("price_list_names", []):
            by_name[name] = model_id
    notes: list[str] = []
    periods: dict[tuple[str, str, str], dict[str, Any]] = {}
    units: dict[str, str] = {}
    unmapped: set[str] = set()
    for (name, region, scope, field), rate in sorted(_latest(rates).items()):
        model_id = by_name.get(name)
        if model_id is None:
            unmapped.add(name)
            continue
        if field.startswith("unit:"):
            units[model_id] = field[5:]
            continue
        period = periods.setdefault((model_id, scope, region), {"from": "", "rates": {}, "sources": {}})
        period["rates"][field] = rate.usd_per_1k
        period["sources"][field] = rate.source
        period["from"] = max(period["from"], rate.effective)
    notes += [f"Price List model {name!r} is not in models.json: left out" for name in sorted(unmapped)]
    notes += _apply_overrides(periods, overrides)
    old_models = (existing or {}).get("models", {})
    out_models: dict[str, Any] = {}
    for model_id, spec in models.items():
        entry = {k: v for k, v in spec.items() if k != "price_list_names"}
        old = old_models.get(model_id, {})
        prices: dict[str, Any] = {}
        profile_prices: dict[str, dict[str, Any]] = {}
        for (mid, scope, region), period in sorted(periods.items()):
            if mid != model_id or "input" not in period["rates"]:
                continue
            if scope:
                before = old.get("profile_prices", {}).get(scope, {}).get(region)
                profile_prices.setdefault(scope, {})[region] = merge_period(
                    before, _period_json(period), published
                )
            else:
                prices[region] = merge_period(
                    old.get("prices", {}).get(region), _period_json(period), published
                )
        # a Region the Price List no longer lists keeps its history: prices are never deleted
        for region, kept in old.get("prices", {}).items():
            prices.setdefault(region, kept)
        for scope, by_region in old.get("profile_prices", {}).items():
            for region, kept in by_region.items():
                profile_prices.setdefault(scope, {}).setdefault(region, kept)
        if model_id in units:
            entry["billing_unit"] = units[model_id]
        if not prices and entry.get("billing", "tokens") == "tokens":
            notes.append(f"model {model_id} has no token price in the Price List or the overrides")
        entry["prices"] = dict(sorted(prices.items()))
        if profile_prices:
            entry["profile_prices"] = {s: dict(sorted(r.items())) for s, r in sorted(profile_prices.items())}
        out_models[model_id] = entry
    catalog = {
        "schema_version": 2,
        "unit": "USD per 1,000 tokens",
        "default_region": "us-east-1",
        "profile_prefixes": PROFILE_PREFIXES,
        "models": out_models,
    }
    return catalog, notes


def load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PriceListError(f"{path}: not found") from None
    except json.JSONDecodeError as exc:
        raise PriceListError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
