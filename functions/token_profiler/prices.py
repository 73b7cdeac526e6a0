"""The model catalog and price table (``catalog.json``), plus overrides from ``PRICE_OVERRIDES``.

Lookup is by exact model id. A cross-region inference profile id (``us.``, ``eu.``, ``apac.``,
``global.`` + base id) resolves to its base model. A known model without a price for the region
falls back to the catalog's ``default_region`` and is flagged; an unknown model is unpriced.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from token_profiler import money
from token_profiler.errors import ConfigError

CATALOG_PATH = Path(__file__).with_name("catalog.json")
KINDS = ("text", "embedding")
APIS = ("converse", "titan-embed-v1", "titan-embed-v2", "cohere-embed")
PRICE_FIELDS = ("input", "output", "cache_read", "cache_write")
# The columns of a usage row that record the per-1K prices it was billed at, and their as_of.
PRICE_COLUMNS = ("price_input", "price_output", "price_cache_read", "price_cache_write")
PRICE_AS_OF = "price_as_of"


@dataclass(frozen=True)
class Price:
    input: Decimal
    output: Decimal
    cache_read: Decimal
    cache_write: Decimal
    source: str = ""
    as_of: str = ""


@dataclass(frozen=True)
class Model:
    model_id: str  # base id, as in the catalog
    label: str
    kind: str
    api: str
    max_tokens: int | None
    prices: dict[str, Price]
    profile_prices: dict[str, dict[str, Price]]
    # generation speed, for the output cap that keeps a call inside the Bedrock read timeout
    output_tokens_per_second: float | None = None


@dataclass(frozen=True)
class Quote:
    """The price that applies to one model id as called, in one region."""

    price: Price | None
    region: str  # the region whose price was used ("" when unpriced)
    fallback: bool  # the requested region had no price, default region used
    unpriced: bool  # unknown model: cost 0


@dataclass(frozen=True)
class Costs:
    input: Decimal
    output: Decimal
    cache_read: Decimal
    cache_write: Decimal

    @property
    def total(self) -> Decimal:
        return money.add(self.input, self.output, self.cache_read, self.cache_write)


UNPRICED = Quote(price=None, region="", fallback=False, unpriced=True)


def _parse_price(raw: Any, where: str) -> Price:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: a price must be an object with input/output")
    values = {}
    for field in PRICE_FIELDS:
        value = raw.get(field, "0")
        if field in ("input", "output") and field not in raw:
            raise ConfigError(f"{where}.{field}: missing")
        try:
            values[field] = money.to_decimal(value, f"{where}.{field}")
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    return Price(source=str(raw.get("source", "")), as_of=str(raw.get("as_of", "")), **values)


def _parse_model(model_id: str, raw: Any, where: str) -> Model:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be an object")
    kind = raw.get("kind", "text")
    if kind not in KINDS:
        raise ConfigError(f"{where}.kind: must be one of {', '.join(KINDS)}")
    api = raw.get("api", "converse" if kind == "text" else "")
    if api not in APIS or (kind == "text") != (api == "converse"):
        raise ConfigError(f"{where}.api: must be one of {', '.join(APIS)} and match kind")
    max_tokens = raw.get("max_tokens", 4096 if kind == "text" else None)
    if max_tokens is not None and (type(max_tokens) is not int or max_tokens < 1):
        raise ConfigError(f"{where}.max_tokens: must be a positive integer or null")
    rate = raw.get("output_tokens_per_second")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0):
        raise ConfigError(f"{where}.output_tokens_per_second: must be a positive number or absent")
    prices_raw = raw.get("prices", {})
    if not isinstance(prices_raw, dict):
        raise ConfigError(f"{where}.prices: must be an object keyed by region")
    prices = {region: _parse_price(p, f"{where}.prices.{region}") for region, p in prices_raw.items()}
    profiles_raw = raw.get("profile_prices", {})
    if not isinstance(profiles_raw, dict):
        raise ConfigError(f"{where}.profile_prices: must be an object keyed by geography")
    profile_prices = {}
    for geo, by_region in profiles_raw.items():
        if not isinstance(by_region, dict):
            raise ConfigError(f"{where}.profile_prices.{geo}: must be an object keyed by region")
        profile_prices[geo] = {
            region: _parse_price(p, f"{where}.profile_prices.{geo}.{region}")
            for region, p in by_region.items()
        }
    return Model(
        model_id=model_id,
        label=str(raw.get("label", model_id)),
        kind=kind,
        api=api,
        max_tokens=max_tokens,
        prices=prices,
        profile_prices=profile_prices,
        output_tokens_per_second=float(rate) if rate is not None else None,
    )


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


class Catalog:
    """Models by base id, with price lookup for ids as called."""

    def __init__(self, raw: dict[str, Any], overrides: dict[str, Any] | None = None):
        self.default_region: str = raw.get("default_region", "us-east-1")
        self.prefixes: tuple[str, ...] = tuple(
            raw.get("profile_prefixes", ("us.", "eu.", "apac.", "global."))
        )
        models_raw = raw.get("models", {})
        if overrides:
            if not isinstance(overrides, dict):
                raise ConfigError("PRICE_OVERRIDES: must be a JSON object keyed by model id")
            models_raw = _merge(models_raw, overrides)
        self.models: dict[str, Model] = {}
        for model_id, model_raw in models_raw.items():
            where = (
                f"PRICE_OVERRIDES.{model_id}"
                if overrides and model_id in overrides
                else f"catalog.{model_id}"
            )
            self.models[model_id] = _parse_model(model_id, model_raw, where)
        self._quotes: dict[tuple[str, str], Quote] = {}

    def split(self, model_id: str) -> tuple[str, str]:
        """(geography, base id); geography is '' for a plain id."""
        if model_id in self.models:
            return "", model_id
        for prefix in self.prefixes:
            if model_id.startswith(prefix):
                return prefix[:-1], model_id[len(prefix) :]
        return "", model_id

    def resolve(self, model_id: str) -> Model | None:
        """The catalog entry for a model id as called, or None when unknown."""
        return self.models.get(self.split(model_id)[1])

    def quote(self, model_id: str, region: str) -> Quote:
        key = (model_id, region)
        quote = self._quotes.get(key)
        if quote is None:
            quote = self._quotes[key] = self._quote(model_id, region)
        return quote

    def _quote(self, model_id: str, region: str) -> Quote:
        geo, base = self.split(model_id)
        model = self.models.get(base)
        if model is None:
            return UNPRICED
        tables = []
        if geo and geo in model.profile_prices:
            tables.append(model.profile_prices[geo])
        tables.append(model.prices)
        for table in tables:
            if region in table:
                return Quote(price=table[region], region=region, fallback=False, unpriced=False)
        for table in tables:
            if self.default_region in table:
                return Quote(
                    price=table[self.default_region],
                    region=self.default_region,
                    fallback=True,
                    unpriced=False,
                )
        return UNPRICED

    def costs(
        self, quote: Quote, input_tokens: int, output_tokens: int, cache_read: int, cache_write: int
    ) -> Costs:
        price = quote.price
        if price is None:
            zero = money.ZERO
            return Costs(zero, zero, zero, zero)
        return Costs(
            input=money.cost(input_tokens, price.input),
            output=money.cost(output_tokens, price.output),
            cache_read=money.cost(cache_read, price.cache_read),
            cache_write=money.cost(cache_write, price.cache_write),
        )


def price_columns(price: Price) -> dict[str, Any]:
    """A row's record of the price it used: per-1K Decimals and the catalog's as_of."""
    columns: dict[str, Any] = {
        column: getattr(price, field) for column, field in zip(PRICE_COLUMNS, PRICE_FIELDS, strict=True)
    }
    columns[PRICE_AS_OF] = price.as_of
    return columns


def price_from_columns(row: dict[str, Any]) -> Price | None:
    """The price a stored row recorded, or None when it recorded none (older rows, unpriced)."""
    if not all(column in row for column in PRICE_COLUMNS):
        return None
    try:
        values = {
            field: money.to_decimal(row[column], column)
            for column, field in zip(PRICE_COLUMNS, PRICE_FIELDS, strict=True)
        }
    except ValueError:
        return None
    return Price(source="stored row", as_of=str(row.get(PRICE_AS_OF, "")), **values)


def parse_overrides(text: str | None) -> dict[str, Any] | None:
    if not text or not text.strip():
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"PRICE_OVERRIDES: not valid JSON ({exc.msg})") from None
    if not isinstance(value, dict):
        raise ConfigError("PRICE_OVERRIDES: must be a JSON object keyed by model id")
    return value


@cache
def _raw_catalog() -> dict[str, Any]:
    with CATALOG_PATH.open(encoding="utf-8") as handle:
        return json.load(handle)


@cache
def load_catalog(overrides_json: str | None = None) -> Catalog:
    """The catalog plus ``PRICE_OVERRIDES`` (its JSON text); cached per container."""
    return Catalog(_raw_catalog(), parse_overrides(overrides_json))


def clear_caches() -> None:
    _raw_catalog.cache_clear()
    load_catalog.cache_clear()
