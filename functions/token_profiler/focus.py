"""The FOCUS 1.2 export: the provider's charges to its tenants, in the FinOps Foundation's format.

One FOCUS row per tenant, model, UTC day and token kind, built from the usage table's daily rows
(the same rows the monthly statements read). A daily row stores its cost per kind (``input_cost``,
``output_cost``, ``cache_read_cost``, ``cache_write_cost``) and, when it was priced at one price,
the per-1K rates it used (``price_input`` ..). So:

- ``BilledCost`` of a kind is the row's stored cost of that kind, never recomputed: the kinds of a
  row sum to its ``total_cost`` exactly (``total_cost`` is the exact sum of the four);
- ``ListUnitPrice`` is the recorded rate when ``tokens / 1000 x rate`` gives the stored cost to the
  last digit. Cache writes mix two rates (5-minute and 1-hour) and the row stores their sum only:
  the 1-hour share is solved exactly from the two recorded rates (one linear equation, an integer
  answer between 0 and the writes) and the kind becomes two FOCUS rows, ``cache_write`` and
  ``cache_write_1h``, whose costs still add up to the stored cost exactly; when no exact integer
  share exists the kind stays one row;
- a row priced at several prices (calls in two Regions, or two tiers) records no rate: its unit
  price is the stored cost divided by the pricing quantity when that division is exact, else null
  (``x_PriceStatus`` "blended"; the validator reports the null, docs/focus.md says why);
- a row the aggregator flagged ``unpriced`` or ``price_missing`` keeps its stored cost (0 for what
  had no price) with ``x_PriceStatus`` saying so and no unit price: never a silent $0 charge.

Output: JSON Lines (one object per row, FOCUS columns first, then the ``x_`` columns), gzip, one
object per billing period under ``focus/billing_period=YYYY-MM/`` (Athena partition projection).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Context, Decimal, Inexact, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from token_profiler import focus_check, money
from token_profiler.prices import DEFAULT_PREFIXES, PRICE_AS_OF, PRICE_TIER, TIERS, price_from_columns

COLUMNS_PATH = Path(__file__).with_name("focus_export.json")
PREFIX = "focus/"
CURRENCY = "USD"
CONSUMED_UNIT = "Tokens"
PRICING_UNIT = "1000 Tokens"  # the catalog's rates are per 1,000 tokens (Unit Format's "1000 Tokens")
SERVICE_CATEGORY = "AI and Machine Learning"
SERVICE_SUBCATEGORY = "Generative AI"
DEFAULT_SERVICE_NAME = "Bedrock model access"
TAG_PREFIX = "tokenprofiler/"  # provider-defined tag keys carry a provider prefix (FOCUS Tags)
# Days into a month during which the previous month is written again, so a closed month is final
# even when its last day was aggregated (or re-aggregated) after midnight.
CLOSE_DAYS = 3

# token kind -> (tokens column, cost column) of a daily row; cache_write_1h is split out of cache_write
KINDS = ("input", "output", "cache_read", "cache_write", "cache_write_1h")
_ROW_KINDS = {
    "input": ("input_tokens", "input_cost"),
    "output": ("output_tokens", "output_cost"),
    "cache_read": ("cache_read_input_tokens", "cache_read_cost"),
    "cache_write": ("cache_write_input_tokens", "cache_write_cost"),
}
_KIND_LABEL = {
    "input": "input",
    "output": "output",
    "cache_read": "cache read",
    "cache_write": "cache write",
    "cache_write_1h": "1-hour cache write",
}
# Model publishers by the vendor part of a Bedrock model id ("anthropic.claude-..." -> Anthropic).
PUBLISHERS = {
    "ai21": "AI21 Labs",
    "amazon": "Amazon",
    "anthropic": "Anthropic",
    "cohere": "Cohere",
    "deepseek": "DeepSeek",
    "google": "Google",
    "meta": "Meta",
    "minimax": "MiniMax",
    "mistral": "Mistral AI",
    "moonshot": "Moonshot AI",
    "nvidia": "NVIDIA",
    "openai": "OpenAI",
    "qwen": "Qwen",
    "stability": "Stability AI",
    "twelvelabs": "TwelveLabs",
    "writer": "Writer",
}
FALLBACK_PUBLISHER = "Amazon Web Services"  # an application profile ARN names no vendor
NO_PRICE_NOTE = "no catalog price for some of these tokens: they are billed at 0 until the day is re-priced"

_MONTH = re.compile(r"^\d{4}-\d{2}$")
_EXACT = Context(prec=60, traps=[Inexact, InvalidOperation])
MAX_SCALE = 18  # digits after the point the Glue table's decimal(38,18) keeps


@dataclass(frozen=True)
class Issuer:
    """Who bills: the provider running this deployment (configuration, not data)."""

    provider_name: str
    billing_account_id: str
    billing_account_name: str | None = None
    service_name: str = DEFAULT_SERVICE_NAME


@dataclass(frozen=True)
class KindCharge:
    kind: str
    tokens: int
    cost: Decimal
    unit_price: Decimal | None  # per 1,000 tokens
    status: str  # priced | blended | price_missing | unpriced


@cache
def export_columns() -> tuple[tuple[str, str], ...]:
    """(column, FOCUS data type) in file order, from focus_export.json (Terraform reads it too)."""
    with COLUMNS_PATH.open(encoding="utf-8") as handle:
        raw = json.load(handle)
    return tuple((c["name"], c["data_type"]) for c in raw["columns"])


# -- months and keys ------------------------------------------------------------------------------
def parse_month(value: object) -> dt.date:
    """The first day of a month given as YYYY-MM; ValueError names the problem."""
    if not isinstance(value, str) or not _MONTH.match(value):
        raise ValueError(f"month must be YYYY-MM, got {value!r}")
    year, month = int(value[:4]), int(value[5:])
    if not 1 <= month <= 12 or year < 1970:
        raise ValueError(f"month is not a calendar month: {value}")
    return dt.date(year, month, 1)


def next_month(first: dt.date) -> dt.date:
    return dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)


def previous_month(first: dt.date) -> dt.date:
    return (first - dt.timedelta(days=1)).replace(day=1)


def months_to_write(today: dt.date, close_days: int = CLOSE_DAYS) -> list[dt.date]:
    """The scheduled run's months: the current one so far, and the previous one during the first
    ``close_days`` days of a month (its last days may have been aggregated after midnight)."""
    current = today.replace(day=1)
    if today.day <= close_days:
        return [previous_month(current), current]
    return [current]


def month_days(first: dt.date, today: dt.date | None = None) -> list[str]:
    """Days of the month, up to ``today`` when the month is the current one."""
    end = next_month(first) - dt.timedelta(days=1)
    if today is not None and first <= today < end:
        end = today
    return [(first + dt.timedelta(days=n)).isoformat() for n in range((end - first).days + 1)]


def export_key(first: dt.date) -> str:
    period = f"{first:%Y-%m}"
    return f"{PREFIX}billing_period={period}/focus-{period}.jsonl.gz"


def _instant(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


# -- one daily row -> its kinds ---------------------------------------------------------------------
def _exact_quotient(cost: Decimal, tokens: int) -> Decimal | None:
    """cost / (tokens / 1000) when the division is exact and fits the table's decimal(38,18), else None."""
    if not tokens:
        return None
    try:
        quotient = _EXACT.divide(cost.scaleb(3), Decimal(tokens))
    except (Inexact, InvalidOperation):
        return None
    return quotient if quotient.as_tuple().exponent >= -MAX_SCALE else None


def _split_cache_write(
    tokens: int, cost: Decimal, rates: Mapping[str, Decimal]
) -> list[tuple[str, int, Decimal, Decimal]]:
    """[(kind, tokens, cost, rate)] whose costs sum to ``cost`` exactly at the recorded rates, or []."""
    five, hour = rates.get("cache_write"), rates.get("cache_write_1h")
    for kind, rate in (("cache_write", five), ("cache_write_1h", hour)):
        if rate is not None and money.cost(tokens, rate) == cost:
            return [(kind, tokens, cost, rate)]
    if five is None or hour is None or five == hour:
        return []
    try:  # (tokens - x) * five + x * hour = cost * 1000
        share = _EXACT.divide(
            _EXACT.subtract(cost.scaleb(3), _EXACT.multiply(Decimal(tokens), five)), hour - five
        )
    except (Inexact, InvalidOperation):
        return []
    if share != share.to_integral_value() or not 0 < share < tokens:
        return []
    hour_tokens = int(share)
    parts = [
        ("cache_write", tokens - hour_tokens, money.cost(tokens - hour_tokens, five), five),
        ("cache_write_1h", hour_tokens, money.cost(hour_tokens, hour), hour),
    ]
    if money.add(*(part[2] for part in parts)) != cost:
        return []
    return parts


def _as_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return money.to_decimal(value, "stored cost")


def kind_charges(row: Mapping[str, Any]) -> list[KindCharge]:
    """The row's charges by token kind; their costs sum exactly to the row's stored cost."""
    recorded = price_from_columns(dict(row))
    prefix_rates: dict[str, Decimal] = {}
    if recorded is not None:
        tier, rates, _as_of = recorded
        prefix = TIERS[tier]
        prefix_rates = {
            field[len(prefix) :]: rate for field, rate in rates.items() if field.startswith(prefix)
        }
    charges: list[KindCharge] = []
    for kind, (tokens_column, cost_column) in _ROW_KINDS.items():
        tokens = int(row.get(tokens_column) or 0)
        cost = _as_decimal(row.get(cost_column, 0))
        if not tokens and not cost:
            continue
        if row.get("unpriced"):
            charges.append(KindCharge(kind, tokens, cost, None, "unpriced"))
            continue
        if kind == "cache_write" and prefix_rates:
            parts = _split_cache_write(tokens, cost, prefix_rates)
            if parts:
                charges += [KindCharge(k, t, c, r, "priced") for k, t, c, r in parts]
                continue
        rate = prefix_rates.get(kind)
        if rate is not None and money.cost(tokens, rate) == cost:
            charges.append(KindCharge(kind, tokens, cost, rate, "priced"))
        elif row.get("price_missing"):
            charges.append(KindCharge(kind, tokens, cost, None, "price_missing"))
        else:
            charges.append(KindCharge(kind, tokens, cost, _exact_quotient(cost, tokens), "blended"))
    return charges


# -- FOCUS rows -----------------------------------------------------------------------------------
def base_model(model_id: str) -> str:
    # no profile prefix begins another ("us." and "us-gov." differ at their third character)
    for prefix in DEFAULT_PREFIXES:
        if model_id.startswith(prefix):
            return model_id[len(prefix) :]
    return model_id


def publisher(model_id: str) -> str:
    """The maker of a model, from the vendor part of its id; an application profile ARN (no vendor
    part) and an unknown vendor give FALLBACK_PUBLISHER."""
    return PUBLISHERS.get(base_model(model_id).partition(".")[0], FALLBACK_PUBLISHER)


def sku_id(model_id: str, kind: str, tier: str | None) -> str:
    """model as called / token kind / tier: the same SKU in every Region (FOCUS: a SKU id does not
    change with where the service runs or with its price)."""
    return f"{model_id}/{kind}/{tier or 'mixed'}"


def focus_rows(
    rows: Iterable[Mapping[str, Any]], issuer: Issuer, names: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """FOCUS rows of daily usage rows, sorted by day, tenant, model and kind."""
    names = names or {}
    out: list[dict[str, Any]] = []
    for row in sorted(rows, key=lambda r: (str(r["date"]), str(r["pk"]), str(r["model_id"]))):
        day = dt.date.fromisoformat(str(row["date"]))
        month = day.replace(day=1)
        tenant = str(row["pk"])
        model_id = str(row["model_id"])
        regions = str(row.get("price_region") or "")
        tier = str(row[PRICE_TIER]) if PRICE_TIER in row else None
        tags = {f"{TAG_PREFIX}tenant": tenant}
        if tier:
            tags[f"{TAG_PREFIX}price_tier"] = tier
        for charge in kind_charges(row):
            description = f"{_KIND_LABEL[charge.kind].capitalize()} tokens of {model_id} on {day.isoformat()}"
            if charge.status in ("unpriced", "price_missing"):
                description += f" ({NO_PRICE_NOTE})"
            out.append(
                {
                    "BilledCost": charge.cost,
                    "BillingAccountId": issuer.billing_account_id,
                    "BillingAccountName": issuer.billing_account_name,
                    "BillingCurrency": CURRENCY,
                    "BillingPeriodEnd": _instant(next_month(month)),
                    "BillingPeriodStart": _instant(month),
                    "ChargeCategory": "Usage",
                    "ChargeClass": None,
                    "ChargeDescription": description,
                    "ChargeFrequency": "Usage-Based",
                    "ChargePeriodEnd": _instant(day + dt.timedelta(days=1)),
                    "ChargePeriodStart": _instant(day),
                    "ConsumedQuantity": Decimal(charge.tokens),
                    "ConsumedUnit": CONSUMED_UNIT,
                    "ContractedCost": charge.cost,
                    "ContractedUnitPrice": charge.unit_price,
                    "EffectiveCost": charge.cost,
                    "InvoiceIssuerName": issuer.provider_name,
                    "ListCost": charge.cost,
                    "ListUnitPrice": charge.unit_price,
                    "PricingCategory": "Standard",
                    "PricingQuantity": Decimal(charge.tokens).scaleb(-3),
                    "PricingUnit": PRICING_UNIT,
                    "ProviderName": issuer.provider_name,
                    "PublisherName": publisher(model_id),
                    "RegionId": regions if regions and "+" not in regions else None,
                    "ServiceCategory": SERVICE_CATEGORY,
                    "ServiceName": issuer.service_name,
                    "ServiceSubcategory": SERVICE_SUBCATEGORY,
                    "SkuId": sku_id(model_id, charge.kind, tier),
                    "SubAccountId": tenant,
                    "SubAccountName": names.get(tenant) or tenant,
                    "Tags": json.dumps(tags, sort_keys=True, separators=(",", ":")),
                    "x_ModelId": model_id,
                    "x_TokenKind": charge.kind,
                    "x_PriceStatus": charge.status,
                    "x_PriceTier": tier,
                    "x_PriceRegions": regions or None,
                    "x_PriceAsOf": str(row[PRICE_AS_OF]) if row.get(PRICE_AS_OF) else None,
                }
            )
    return out


# -- JSON Lines -----------------------------------------------------------------------------------
def _value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, Decimal):
        return money.money_str(value)  # a JSON number, exact, never an exponent
    return json.dumps(value, ensure_ascii=False)


def render_jsonl(rows: Iterable[Mapping[str, Any]]) -> str:
    """One JSON object per line, keys in export_columns() order; numbers exact, nulls as null."""
    columns = [name for name, _type in export_columns()]
    lines = []
    for row in rows:
        extra = set(row) - set(columns)
        if extra:
            raise ValueError(f"not export columns: {', '.join(sorted(extra))}")
        lines.append("{" + ",".join(f'"{name}":{_value(row.get(name))}' for name in columns) + "}")
    return "".join(line + "\n" for line in lines)


def parse_jsonl(text: str) -> Iterator[dict[str, Any]]:
    """Rows of an export, numbers as Decimal."""
    for line in text.splitlines():
        if line.strip():
            yield json.loads(line, parse_float=Decimal, parse_int=Decimal)


def gzip_bytes(text: str) -> bytes:
    """Deterministic gzip (no name, mtime 0): the same month gives the same object."""
    return gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)


# -- the export run ---------------------------------------------------------------------------------
def month_rows(table: Any, first: dt.date, today: dt.date | None = None) -> list[dict[str, Any]]:
    """The month's daily rows (so far), day by day on the by_date index."""
    rows: list[dict[str, Any]] = []
    for day in month_days(first, today):
        rows.extend(table.query_day(day))
    return rows


def write_month(
    s3: Any,
    bucket: str,
    table: Any,
    first: dt.date,
    issuer: Issuer,
    today: dt.date | None = None,
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Write one billing period's export; returns what was written (key, rows, BilledCost total).
    ``names``: tenant id -> display name (SubAccountName), from the tenant registry."""
    daily = month_rows(table, first, today)
    rows = focus_rows(daily, issuer, names)
    key = export_key(first)
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=gzip_bytes(render_jsonl(rows)),
        # a .gz object, not Content-Encoding: Athena and downloads read the bytes as stored
        ContentType="application/gzip",
    )
    problems = focus_check.check_rows(rows)
    return {
        "billing_period": f"{first:%Y-%m}",
        "key": key,
        "daily_rows": len(daily),
        "focus_rows": len(rows),
        "billed_cost": money.money_str(money.add(*(r["BilledCost"] for r in rows))),
        "unpriced_rows": sum(1 for r in rows if r["x_PriceStatus"] in ("unpriced", "price_missing")),
        # rules of FOCUS 1.2 the month's rows break (docs/focus.md: rows without a single rate)
        "rule_problems": len(problems),
        "first_problems": [str(p) for p in problems[:5]],
    }
