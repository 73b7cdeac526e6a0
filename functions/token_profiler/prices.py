"""The model catalog and price table (``catalog.json``), plus overrides from ``PRICE_OVERRIDES``.

``catalog.json`` is written by ``make prices`` (``scripts/prices``) from the AWS Price List; its
format is in docs/api.md ("Price catalog"). In brief, per base model id:

- ``prices[region]``: the period in force now (rates per 1,000 tokens, ``from`` its first day,
  ``sources`` naming the Price List SKU or override of each rate), and ``history``: the earlier
  periods, oldest first. A price change appends a period; nothing is overwritten.
- ``profile_prices[geo][region]``: the same, for a cross-region profile that has its own price
  (``global`` from Claude Sonnet 4.5 on). A profile without its own price costs the in-Region price
  of the Region the call ran in.
- ``lifecycle`` (legacy / end-of-life dates, successor), ``profile_only`` (Regions where the bare id
  cannot be called on demand, with the profiles to use), ``billing`` (``tokens`` or another unit).

Resolution of an id as called: a base id; a profile id (``us.``, ``eu.``, ``apac.``, ``jp.``,
``au.``, ``ca.``, ``in.``, ``us-gov.``, ``global.`` + base id); an application inference profile
ARN, through ``application_profiles`` (from ``PRICE_OVERRIDES``). A call is priced in the Region it
ran in, on the day it ran: a missing price is flagged (``Quote.missing``), never another Region's.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from token_profiler import money
from token_profiler.errors import ConfigError

CATALOG_PATH = Path(__file__).with_name("catalog.json")
KINDS = ("text", "embedding", "image", "video", "rerank")
APIS = ("converse", "titan-embed-v1", "titan-embed-v2", "cohere-embed", "")
BILLING = ("tokens", "image", "video-second", "query", "request")
# What a token is billed as, and the service tiers (a field is tier prefix + kind: "flex_input").
RATE_KINDS = ("input", "output", "cache_read", "cache_write", "cache_write_1h")
TIERS = {"standard": "", "long_context": "long_", "batch": "batch_", "flex": "flex_", "priority": "priority_"}
RATE_FIELDS = tuple(prefix + kind for prefix in TIERS.values() for kind in RATE_KINDS)
PRICE_FIELDS = RATE_FIELDS  # kept for readers of the previous name
DEFAULT_PREFIXES = ("us-gov.", "us.", "eu.", "apac.", "jp.", "au.", "ca.", "in.", "global.")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_APP_PROFILE = re.compile(
    r"^arn:aws[a-z-]*:bedrock:[a-z0-9-]+:\d{12}:application-inference-profile/[A-Za-z0-9]+$"
)
# The columns of a usage row that record the per-1K rates it was billed at (one per rate kind, the
# rates of the row's tier), the tier, and the first day of the price period (or "stored row" day).
PRICE_COLUMNS = tuple(f"price_{kind}" for kind in RATE_KINDS)
PRICE_TIER = "price_tier"
PRICE_AS_OF = "price_as_of"


@dataclass(frozen=True)
class Price:
    """One effective period of one (model, scope, Region): rates in US$ per 1,000 tokens."""

    rates: dict[str, Decimal]
    sources: dict[str, str]  # rate field -> where it came from (offer SKU and version, or override)
    effective: str  # first day in force (YYYY-MM-DD); "" means since always

    @property
    def input(self) -> Decimal:
        return self.rates["input"]

    @property
    def output(self) -> Decimal:
        return self.rates.get("output", money.ZERO)

    @property
    def cache_read(self) -> Decimal | None:
        return self.rates.get("cache_read")

    @property
    def cache_write(self) -> Decimal | None:
        return self.rates.get("cache_write")


@dataclass(frozen=True)
class Lifecycle:
    legacy: str  # first day the model is legacy ("" when not announced)
    end_of_life: str  # first day Bedrock no longer serves it ("" when not announced)
    successor: str  # the model to call instead ("" when the catalog names none)

    def status(self, day: str) -> str:
        if self.end_of_life and day >= self.end_of_life:
            return "end-of-life"
        if self.legacy and day >= self.legacy:
            return "legacy"
        return "active"


@dataclass(frozen=True)
class Model:
    model_id: str  # base id, as in the catalog
    label: str
    kind: str
    api: str
    max_tokens: int | None
    prices: dict[str, list[Price]]  # region -> periods, oldest first
    profile_prices: dict[str, dict[str, list[Price]]]  # geography -> region -> periods
    billing: str
    lifecycle: Lifecycle
    profile_only: dict[str, tuple[str, ...]]  # region -> profile geographies, first preferred
    long_context_threshold: int | None  # input tokens above which the long-context tier applies
    # generation speed, for the output cap that keeps a call inside the Bedrock read timeout
    output_tokens_per_second: float | None = None


@dataclass(frozen=True)
class Quote:
    """The price that applies to one model id as called, in one Region, on one day."""

    price: Price | None
    region: str  # the Region the call ran in
    scope: str  # "" for the in-Region price, else the profile geography whose own price applied
    missing: bool  # a known model without a price for that Region (and day): flagged, cost 0
    unpriced: bool  # unknown model: cost 0
    changed_on_day: bool = False  # another period of this price starts or ends on that day


@dataclass(frozen=True)
class Costs:
    input: Decimal
    output: Decimal
    cache_read: Decimal
    cache_write: Decimal
    missing: tuple[str, ...] = ()  # rate fields that had tokens but no price

    @property
    def total(self) -> Decimal:
        return money.add(self.input, self.output, self.cache_read, self.cache_write)


UNPRICED = Quote(price=None, region="", scope="", missing=False, unpriced=True)


def _day(value: Any, where: str) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or not _DAY.match(value):
        raise ConfigError(f"{where}: must be a date YYYY-MM-DD")
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{where}: not a calendar date: {value}") from None
    return value


def _parse_period(raw: Any, where: str) -> Price:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: a price must be an object with input/output")
    if "input" not in raw:
        raise ConfigError(f"{where}.input: missing")
    rates: dict[str, Decimal] = {}
    for name in RATE_FIELDS:
        if name in raw:
            try:
                rates[name] = money.to_decimal(raw[name], f"{where}.{name}")
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
    sources = raw.get("sources", {})
    if not isinstance(sources, dict) or not all(isinstance(v, str) for v in sources.values()):
        raise ConfigError(f"{where}.sources: must be an object of strings")
    if "source" in raw:  # a hand-written price names one source for all its rates
        sources = {name: str(raw["source"]) for name in rates} | sources
    effective = _day(raw.get("from", raw.get("as_of", "")), f"{where}.from")
    return Price(rates=rates, sources=dict(sources), effective=effective)


def _parse_periods(raw: Any, where: str) -> list[Price]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: a price must be an object with input/output")
    history = raw.get("history", [])
    if not isinstance(history, list):
        raise ConfigError(f"{where}.history: must be a list of earlier periods")
    periods = [_parse_period(p, f"{where}.history[{n}]") for n, p in enumerate(history)]
    periods.append(_parse_period(raw, where))
    for before, after in zip(periods, periods[1:], strict=False):
        if not after.effective or before.effective >= after.effective:
            raise ConfigError(f"{where}.history: periods must be in order of their 'from' dates")
    return periods


def _parse_profile_only(raw: Any, where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be an object: region -> list of profile geographies")
    result = {}
    for region, geos in raw.items():
        if not isinstance(geos, list) or not geos or not all(isinstance(g, str) and g for g in geos):
            raise ConfigError(f"{where}.{region}: must be a non-empty list of geographies")
        result[region] = tuple(geos)
    return result


def _parse_model(model_id: str, raw: Any, where: str) -> Model:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be an object")
    kind = raw.get("kind", "text")
    if kind not in KINDS:
        raise ConfigError(f"{where}.kind: must be one of {', '.join(KINDS)}")
    default_api = {"text": "converse"}.get(kind, "")
    api = raw.get("api", default_api)
    if (
        api not in APIS
        or (kind == "text") != (api == "converse")
        or (kind == "embedding") != (api.endswith("embed") or "-embed-" in api)
    ):
        raise ConfigError(f"{where}.api: must be one of {', '.join(a for a in APIS if a)} and match kind")
    billing = raw.get("billing", "tokens")
    if billing not in BILLING:
        raise ConfigError(f"{where}.billing: must be one of {', '.join(BILLING)}")
    max_tokens = raw.get("max_tokens", 4096 if kind == "text" else None)
    if max_tokens is not None and (type(max_tokens) is not int or max_tokens < 1):
        raise ConfigError(f"{where}.max_tokens: must be a positive integer or null")
    rate = raw.get("output_tokens_per_second")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0):
        raise ConfigError(f"{where}.output_tokens_per_second: must be a positive number or absent")
    threshold = raw.get("long_context_threshold")
    if threshold is not None and (type(threshold) is not int or threshold < 1):
        raise ConfigError(f"{where}.long_context_threshold: must be a positive integer or null")
    prices_raw = raw.get("prices", {})
    if not isinstance(prices_raw, dict):
        raise ConfigError(f"{where}.prices: must be an object keyed by region")
    prices = {region: _parse_periods(p, f"{where}.prices.{region}") for region, p in prices_raw.items()}
    profiles_raw = raw.get("profile_prices", {})
    if not isinstance(profiles_raw, dict):
        raise ConfigError(f"{where}.profile_prices: must be an object keyed by geography")
    profile_prices = {}
    for geo, by_region in profiles_raw.items():
        if not isinstance(by_region, dict):
            raise ConfigError(f"{where}.profile_prices.{geo}: must be an object keyed by region")
        profile_prices[geo] = {
            region: _parse_periods(p, f"{where}.profile_prices.{geo}.{region}")
            for region, p in by_region.items()
        }
    life = raw.get("lifecycle", {})
    if not isinstance(life, dict):
        raise ConfigError(f"{where}.lifecycle: must be an object")
    lifecycle = Lifecycle(
        legacy=_day(life.get("legacy"), f"{where}.lifecycle.legacy"),
        end_of_life=_day(life.get("end_of_life"), f"{where}.lifecycle.end_of_life"),
        successor=str(life.get("successor") or ""),
    )
    return Model(
        model_id=model_id,
        label=str(raw.get("label", model_id)),
        kind=kind,
        api=api,
        max_tokens=max_tokens,
        prices=prices,
        profile_prices=profile_prices,
        billing=billing,
        lifecycle=lifecycle,
        profile_only=_parse_profile_only(raw.get("profile_only", {}), f"{where}.profile_only"),
        long_context_threshold=threshold,
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


def _period_at(periods: list[Price], day: str) -> tuple[Price | None, bool]:
    """The period in force on ``day`` and whether a period starts on that day (a change)."""
    found = None
    for period in periods:
        if period.effective <= day:
            found = period
    changed = any(p.effective == day for p in periods[1:])
    return found, changed


def today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


class Catalog:
    """Models by base id, with price lookup for ids as called."""

    def __init__(self, raw: dict[str, Any], overrides: dict[str, Any] | None = None):
        self.prefixes: tuple[str, ...] = tuple(
            sorted(raw.get("profile_prefixes", DEFAULT_PREFIXES), key=len, reverse=True)
        )
        models_raw = raw.get("models", {})
        overrides = dict(overrides or {})
        app_profiles = overrides.pop("application_profiles", {})
        if not isinstance(app_profiles, dict):
            raise ConfigError("PRICE_OVERRIDES.application_profiles: must be an object: ARN -> model id")
        self.application_profiles: dict[str, str] = _parse_app_profiles(
            {**raw.get("application_profiles", {}), **app_profiles}
        )
        if overrides:
            models_raw = _merge(models_raw, overrides)
        self.models: dict[str, Model] = {}
        for model_id, model_raw in models_raw.items():
            where = f"PRICE_OVERRIDES.{model_id}" if model_id in overrides else f"catalog.{model_id}"
            self.models[model_id] = _parse_model(model_id, model_raw, where)
        for arn, target in self.application_profiles.items():
            if self.split(target)[1] not in self.models:
                raise ConfigError(f"PRICE_OVERRIDES.application_profiles.{arn}: unknown model {target}")
        self._quotes: dict[tuple[str, str, str], Quote] = {}

    def split(self, model_id: str) -> tuple[str, str]:
        """(geography, base id); geography is '' for a plain id. An application inference profile
        ARN is first replaced by the id it was made from."""
        model_id = self.application_profiles.get(model_id, model_id)
        if model_id in self.models:
            return "", model_id
        for prefix in self.prefixes:
            if model_id.startswith(prefix):
                return prefix[:-1], model_id[len(prefix) :]
        return "", model_id

    def resolve(self, model_id: str) -> Model | None:
        """The catalog entry for a model id as called, or None when unknown."""
        return self.models.get(self.split(model_id)[1])

    def quote(self, model_id: str, region: str, day: str | None = None) -> Quote:
        """The price of ``model_id`` as called in ``region`` on ``day`` (today when None)."""
        return self.price_for(model_id, region, day or today())

    def price_for(self, model_id: str, region: str, day: str) -> Quote:
        """The price in force on ``day`` (YYYY-MM-DD) for a call of ``model_id`` (as called: base
        id, profile id or application profile ARN) that ran in ``region``. Cached per container."""
        key = (model_id, region, day)
        quote = self._quotes.get(key)
        if quote is None:
            quote = self._quotes[key] = self._quote(model_id, region, day)
        return quote

    def _quote(self, model_id: str, region: str, day: str) -> Quote:
        geo, base = self.split(model_id)
        model = self.models.get(base)
        if model is None:
            return UNPRICED
        own = model.profile_prices.get(geo, {}).get(region) if geo else None
        periods, scope = (own, geo) if own else (model.prices.get(region), "")
        if not periods:
            return Quote(price=None, region=region, scope="", missing=True, unpriced=False)
        price, changed = _period_at(periods, day)
        if price is None:
            return Quote(price=None, region=region, scope=scope, missing=True, unpriced=False)
        return Quote(
            price=price, region=region, scope=scope, missing=False, unpriced=False, changed_on_day=changed
        )

    def costs(
        self,
        quote: Quote,
        input_tokens: int,
        output_tokens: int,
        cache_read: int,
        cache_write: int,
        cache_write_1h: int = 0,
        tier: str = "standard",
    ) -> Costs:
        """Cost of token counts at a quote. ``cache_write`` counts every cache write, of which
        ``cache_write_1h`` were written for one hour. A count with no rate is reported in
        ``Costs.missing`` and costs 0, never another tier's or Region's rate."""
        if tier not in TIERS:
            raise ValueError(f"unknown tier {tier!r}")
        if not 0 <= cache_write_1h <= cache_write:
            raise ValueError("cache_write_1h must be between 0 and cache_write")
        price = quote.price
        if price is None:
            zero = money.ZERO
            return Costs(zero, zero, zero, zero)
        prefix = TIERS[tier]
        missing: list[str] = []

        def part(tokens: int, kind: str) -> Decimal:
            if not tokens:
                return money.ZERO
            rate = price.rates.get(prefix + kind)
            if rate is None:
                missing.append(prefix + kind)
                return money.ZERO
            return money.cost(tokens, rate)

        input_cost = part(input_tokens, "input")
        output_cost = part(output_tokens, "output")
        read_cost = part(cache_read, "cache_read")
        write_cost = money.add(
            part(cache_write - cache_write_1h, "cache_write"), part(cache_write_1h, "cache_write_1h")
        )
        return Costs(input_cost, output_cost, read_cost, write_cost, tuple(missing))

    def profile_for(self, model_id: str, region: str) -> tuple[str, ...]:
        """Profile ids to call instead of ``model_id`` when it is a bare id that ``region`` serves
        only through an inference profile; () when the id can be called as it is."""
        geo, base = self.split(model_id)
        model = self.models.get(base)
        if geo or model is None or model_id != base:
            return ()
        return tuple(f"{g}.{base}" for g in model.profile_only.get(region, ()))


def _parse_app_profiles(raw: dict[str, Any]) -> dict[str, str]:
    for arn, target in raw.items():
        if not _APP_PROFILE.match(arn):
            raise ConfigError(
                f"PRICE_OVERRIDES.application_profiles.{arn}: not an application inference profile ARN"
            )
        if not isinstance(target, str) or not target:
            raise ConfigError(f"PRICE_OVERRIDES.application_profiles.{arn}: must name the model id it calls")
    return dict(raw)


def price_columns(price: Price, tier: str = "standard") -> dict[str, Any]:
    """A row's record of the price it used: the per-1K rates of its tier (a kind the price has no
    rate for is left out), the tier, and the first day of the period (``price_as_of``)."""
    prefix = TIERS[tier]
    columns: dict[str, Any] = {
        column: price.rates[prefix + kind]
        for column, kind in zip(PRICE_COLUMNS, RATE_KINDS, strict=True)
        if prefix + kind in price.rates
    }
    columns[PRICE_TIER] = tier
    columns[PRICE_AS_OF] = price.effective
    return columns


def price_from_columns(row: dict[str, Any]) -> tuple[str, dict[str, Decimal], str] | None:
    """(tier, rate fields -> per-1K rate, as_of) a stored row recorded, or None when it recorded
    none (older rows, unpriced, a row priced at several prices). A row written before tiers is
    standard."""
    tier = str(row.get(PRICE_TIER, "standard"))
    if PRICE_COLUMNS[0] not in row or tier not in TIERS:
        return None
    prefix = TIERS[tier]
    try:
        rates = {
            prefix + kind: money.to_decimal(row[column], column)
            for column, kind in zip(PRICE_COLUMNS, RATE_KINDS, strict=True)
            if column in row
        }
    except ValueError:
        return None
    return tier, rates, str(row.get(PRICE_AS_OF, ""))


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
