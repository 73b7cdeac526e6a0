"""The FOCUS export: rows per tenant, model, day and token kind, checked against the recorded FOCUS
1.2 rules, with money that adds up to the daily rows to the last digit.

The daily rows come from the aggregator's own pricing (``build_rows``) over sums written here, with
a catalog written here. Every expected cost is worked out independently, with fractions from the
catalog's strings, for the Region, tier and cache duration each call had.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from token_profiler import focus, focus_check
from token_profiler.aggregate import DayAggregate, build_rows
from token_profiler.prices import Catalog

pytestmark = pytest.mark.unit

SONNET = "anthropic.claude-sonnet-4-20250514-v1:0"
PROFILE = "us.anthropic.claude-sonnet-4-20250514-v1:0"
LLAMA = "meta.llama3-70b-instruct-v1:0"
UNKNOWN = "acme.secret-model-v9"
RATES = {
    ("us-east-1", SONNET): {
        "input": "0.003",
        "output": "0.015",
        "cache_read": "0.0003",
        "cache_write": "0.00375",
        "cache_write_1h": "0.006",
        "flex_input": "0.0015",
        "flex_output": "0.0075",
    },
    ("eu-west-1", SONNET): {
        "input": "0.0036",
        "output": "0.018",
        "cache_read": "0.00036",
        "cache_write": "0.0045",
        "cache_write_1h": "0.0072",
    },
    ("us-east-1", LLAMA): {"input": "0.00099", "output": "0.00099"},
}
CATALOG = {
    "models": {
        SONNET: {
            "prices": {
                region: {"from": "2025-05-22", **rates}
                for (region, model), rates in RATES.items()
                if model == SONNET
            }
        },
        LLAMA: {"prices": {"us-east-1": {"from": "2024-04-23", **RATES[("us-east-1", LLAMA)]}}},
    }
}
ISSUER = focus.Issuer(provider_name="Example SaaS", billing_account_id="example-prod")
TIER_PREFIX = {"standard": "", "flex": "flex_"}


def expected_cost(model: str, region: str, tier: str, sums: list[int]) -> Fraction:
    """One (model, Region, tier) part's cost from the catalog's strings (0 without a price)."""
    rates = RATES.get((region, model.removeprefix("us.")))
    if rates is None:
        return Fraction(0)
    prefix = TIER_PREFIX[tier]
    i, o, cr, cw, _inv, cw1h = sums
    total = Fraction(0)
    for tokens, kind in (
        (i, "input"),
        (o, "output"),
        (cr, "cache_read"),
        (cw - cw1h, "cache_write"),
        (cw1h, "cache_write_1h"),
    ):
        if tokens and prefix + kind in rates:
            total += tokens * Fraction(rates[prefix + kind]) / 1000
    return total


def day_rows(day: str, sums: dict[tuple[str, str, str, str], list[int]]) -> list[dict]:
    agg = DayAggregate(day)
    agg.sums = {key: list(value) for key, value in sums.items()}
    rows, _warnings = build_rows(agg, Catalog(CATALOG), retention_days=0)
    return rows


def month_of_usage(seed: int = 7) -> tuple[list[dict], Fraction]:
    """A month of daily rows for three tenants (one in two Regions, one with 1-hour cache writes, one
    on the flex tier, one calling an unknown model) and the month's expected cost."""
    rng = random.Random(seed)
    rows: list[dict] = []
    expected = Fraction(0)
    for day in focus.month_days(dt.date(2026, 11, 1)):
        sums: dict[tuple[str, str, str, str], list[int]] = {}

        def add(tenant, model, region, tier, cache=True, hour=False, sums=sums):
            cw = rng.randint(0, 5000) if cache else 0
            sums[(tenant, model, region, tier)] = [
                rng.randint(1, 90_000),
                rng.randint(0, 9_000),
                rng.randint(0, 20_000) if cache else 0,
                cw,
                rng.randint(1, 40),
                rng.randint(0, cw) if hour else 0,
            ]

        add("acme", SONNET, "us-east-1", "standard", hour=True)
        add("acme", SONNET, "eu-west-1", "standard", hour=True)  # same row as the line above
        add("acme", LLAMA, "us-east-1", "standard", cache=False)
        add("globex", PROFILE, "us-east-1", "standard", hour=True)
        add("globex", SONNET, "us-east-1", "flex", cache=False)
        add("initech", UNKNOWN, "us-east-1", "standard")
        add("initech", LLAMA, "eu-west-1", "standard", cache=False)  # no price there
        for (_tenant, model, region, tier), parts in sums.items():
            expected += expected_cost(model, region, tier, parts)
        rows += day_rows(day, sums)
    return rows, expected


@pytest.fixture(scope="module")
def month():
    rows, expected = month_of_usage()
    return rows, expected, focus.focus_rows(rows, ISSUER)


def test_the_months_billed_cost_equals_an_independent_sum_to_the_last_digit(month):
    daily, expected, rows = month
    billed = sum((Fraction(r["BilledCost"]) for r in rows), Fraction(0))
    assert billed == expected
    # ... and the daily rows' stored totals, as the statements read them
    assert billed == sum((Fraction(r["total_cost"]) for r in daily), Fraction(0))
    assert all(r["EffectiveCost"] == r["ListCost"] == r["ContractedCost"] == r["BilledCost"] for r in rows)


def test_each_daily_rows_kinds_sum_exactly_to_its_stored_cost(month):
    daily, _expected, rows = month
    by_row: dict[tuple, list[Decimal]] = {}
    for r in rows:
        by_row.setdefault((r["ChargePeriodStart"][:10], r["SubAccountId"], r["x_ModelId"]), []).append(
            r["BilledCost"]
        )
    assert len(by_row) == len(daily)
    for row in daily:
        costs = by_row[(row["date"], row["pk"], row["model_id"])]
        assert sum(costs, Decimal(0)) == row["total_cost"]


def test_one_row_per_tenant_model_day_and_kind(month):
    _daily, _expected, rows = month
    keys = [(r["ChargePeriodStart"], r["SubAccountId"], r["x_ModelId"], r["x_TokenKind"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert {r["SubAccountId"] for r in rows} == {"acme", "globex", "initech"}
    assert {r["x_TokenKind"] for r in rows} <= set(focus.KINDS)
    assert all(r["ChargeCategory"] == "Usage" and r["BillingCurrency"] == "USD" for r in rows)


def test_a_priced_month_conforms_to_every_recorded_rule():
    rng = random.Random(3)
    rows = []
    for day in ("2026-11-29", "2026-11-30"):
        sums = {
            ("acme", SONNET, "us-east-1", "standard"): [rng.randint(1, 9999), 10, 20, 3000, 2, 1000],
            ("initech", SONNET, "us-east-1", "flex"): [7, 11, 0, 0, 1, 0],
            ("globex", LLAMA, "us-east-1", "standard"): [12345, 678, 0, 0, 3, 0],
        }
        rows += day_rows(day, sums)
    text = focus.render_jsonl(focus.focus_rows(rows, ISSUER))
    assert focus_check.check_jsonl(text) == []
    parsed = list(focus.parse_jsonl(text))
    for column in focus_check.mandatory_columns():
        assert all(column in r for r in parsed), column
    # FOCUS columns first, then the custom ones
    names = list(parsed[0])
    assert names == [n for n, _ in focus.export_columns()]
    first_custom = next(n for n, name in enumerate(names) if name.startswith("x_"))
    assert all(name.startswith("x_") for name in names[first_custom:])


def test_rows_that_have_no_single_rate_are_marked_and_the_only_rule_breakers(month):
    _daily, _expected, rows = month
    problems = focus_check.check_jsonl(focus.render_jsonl(rows))
    assert problems, "the month has multi-Region and unpriced rows"
    statuses = {}
    for p in problems:
        assert p.column in ("ListUnitPrice", "ContractedUnitPrice"), str(p)
        assert "must not be null" in p.message
        statuses[p.row] = rows[p.row]["x_PriceStatus"]
    assert set(statuses.values()) <= {"blended", "unpriced", "price_missing"}
    # every row whose unit price is null says why, and is flagged as a problem
    nulls = {n for n, r in enumerate(rows) if r["ListUnitPrice"] is None}
    assert nulls == set(statuses)


def test_an_unpriced_model_is_never_a_silent_zero(month):
    _daily, _expected, rows = month
    unknown = [r for r in rows if r["x_ModelId"] == UNKNOWN]
    assert unknown and all(r["BilledCost"] == 0 for r in unknown)
    assert all(r["x_PriceStatus"] == "unpriced" and r["ListUnitPrice"] is None for r in unknown)
    assert all(focus.NO_PRICE_NOTE in r["ChargeDescription"] for r in unknown)
    missing = [r for r in rows if r["SubAccountId"] == "initech" and r["x_ModelId"] == LLAMA]
    assert missing and all(r["x_PriceStatus"] == "price_missing" and r["BilledCost"] == 0 for r in missing)


def test_one_hour_cache_writes_become_their_own_row_at_their_own_rate():
    rows = day_rows(
        "2026-11-05", {("acme", SONNET, "us-east-1", "standard"): [1000, 100, 2000, 3000, 4, 1200]}
    )
    out = {r["x_TokenKind"]: r for r in focus.focus_rows(rows, ISSUER)}
    assert set(out) == {"input", "output", "cache_read", "cache_write", "cache_write_1h"}
    assert out["cache_write"]["ConsumedQuantity"] == 1800
    assert out["cache_write"]["ListUnitPrice"] == Decimal("0.00375")
    assert out["cache_write"]["BilledCost"] == Decimal("0.00675")  # 1,800 x 0.00375 / 1,000
    assert out["cache_write_1h"]["ConsumedQuantity"] == 1200
    assert out["cache_write_1h"]["ListUnitPrice"] == Decimal("0.006")
    assert out["cache_write_1h"]["BilledCost"] == Decimal("0.0072")
    assert out["cache_write_1h"]["PricingQuantity"] == Decimal("1.2")
    assert out["cache_write_1h"]["PricingUnit"] == "1000 Tokens"
    assert out["input"]["SkuId"] == f"{SONNET}/input/standard"
    assert out["input"]["RegionId"] == "us-east-1"
    assert out["input"]["PublisherName"] == "Anthropic"
    assert out["input"]["ChargePeriodStart"] == "2026-11-05T00:00:00Z"
    assert out["input"]["ChargePeriodEnd"] == "2026-11-06T00:00:00Z"
    assert out["input"]["BillingPeriodStart"] == "2026-11-01T00:00:00Z"
    assert out["input"]["BillingPeriodEnd"] == "2026-12-01T00:00:00Z"
    assert json.loads(out["input"]["Tags"]) == {
        "tokenprofiler/tenant": "acme",
        "tokenprofiler/price_tier": "standard",
    }
    assert focus_check.check_rows(list(out.values())) == []


def test_a_two_region_row_has_no_region_and_a_unit_price_only_when_exact():
    # 1,000 input tokens at 0.003 (us) and 1,000 at 0.0036 (eu): 0.0066 for 2,000, exactly 0.0033 per 1K
    rows = day_rows(
        "2026-11-05",
        {
            ("acme", SONNET, "us-east-1", "standard"): [1000, 0, 0, 0, 1, 0],
            ("acme", SONNET, "eu-west-1", "standard"): [1000, 0, 0, 0, 1, 0],
        },
    )
    (row,) = focus.focus_rows(rows, ISSUER)
    assert row["RegionId"] is None and row["x_PriceRegions"] == "eu-west-1+us-east-1"
    assert row["x_PriceStatus"] == "blended" and row["BilledCost"] == Decimal("0.0066")
    assert row["ListUnitPrice"] == Decimal("0.0033") and row["SkuId"] == f"{SONNET}/input/mixed"
    # 2 tokens in one Region, 5 in the other: 0.024 / 7 per 1K does not terminate, so no unit price
    rows = day_rows(
        "2026-11-05",
        {
            ("acme", SONNET, "us-east-1", "standard"): [2, 0, 0, 0, 1, 0],
            ("acme", SONNET, "eu-west-1", "standard"): [5, 0, 0, 0, 1, 0],
        },
    )
    (row,) = focus.focus_rows(rows, ISSUER)
    assert row["ListUnitPrice"] is None and row["BilledCost"] == Decimal("0.000024")
    # exact, but with more digits than the table's decimal(38,18) keeps: no unit price either
    assert focus._exact_quotient(Decimal("0.000003"), 2**20) is None
    assert focus._exact_quotient(Decimal("0.000003"), 2**4) == Decimal("0.0001875")
    assert focus._exact_quotient(Decimal("0.003"), 0) is None


BROKEN = [
    ("BilledCost", lambda r: r.pop("BilledCost"), "Mandatory column missing"),
    ("BilledCost", lambda r: r.update(BilledCost=None), "must not be null"),
    ("ChargeCategory", lambda r: r.update(ChargeCategory="Usages"), "not an allowed value"),
    ("ServiceCategory", lambda r: r.update(ServiceCategory="AI"), "not an allowed value"),
    ("ServiceSubcategory", lambda r: r.update(ServiceSubcategory="Object Storage"), "not a subcategory"),
    ("BillingCurrency", lambda r: r.update(BillingCurrency="usd"), "CurrencyFormat"),
    ("ChargePeriodStart", lambda r: r.update(ChargePeriodStart="2026-11-05 00:00:00"), "Date/Time Format"),
    ("ChargePeriodEnd", lambda r: r.update(ChargePeriodEnd="2026-11-04T00:00:00Z"), "after the start"),
    (
        "ChargePeriodStart",
        lambda r: r.update(ChargePeriodStart="2026-10-31T00:00:00Z", ChargePeriodEnd="2026-11-01T00:00:00Z"),
        "inside the billing period",
    ),
    ("Tags", lambda r: r.update(Tags='{"a": {"b": 1}}'), "scalars"),
    ("Tags", lambda r: r.update(Tags="[1]"), "JSON object"),
    ("ChargeDescription", lambda r: r.update(ChargeDescription=""), "empty string"),
    ("TokenKind", lambda r: r.update(TokenKind="input"), "x_ prefix"),
    ("ListUnitPrice", lambda r: r.update(ListUnitPrice=Decimal("0.004")), "x PricingQuantity"),
    (
        "ListUnitPrice",
        lambda r: r.update(ListUnitPrice=None),
        "must not be null when ChargeCategory is Usage",
    ),
    ("ListUnitPrice", lambda r: r.update(ListUnitPrice=Decimal("-0.003")), "negative"),
    ("PricingUnit", lambda r: r.update(PricingUnit=None), "null exactly when PricingQuantity"),
    (
        "ConsumedQuantity",
        lambda r: r.update(ChargeCategory="Credit"),
        "must be null when ChargeCategory is not Usage",
    ),
    ("PricingQuantity", lambda r: r.update(PricingQuantity="1.0"), "Decimal"),
    ("ChargeClass", lambda r: r.update(ChargeClass="Refund"), "not an allowed value"),
]


@pytest.mark.parametrize(("column", "damage", "message"), BROKEN, ids=[f"{c}:{m}" for c, _, m in BROKEN])
def test_the_validator_catches_a_broken_row(column, damage, message):
    rows = day_rows("2026-11-05", {("acme", SONNET, "us-east-1", "standard"): [1000, 100, 0, 0, 1, 0]})
    good = focus.focus_rows(rows, ISSUER)[0]
    assert focus_check.check_rows([good]) == []
    broken = dict(good)
    damage(broken)
    problems = focus_check.check_rows([broken])
    assert any(p.column == column and message in p.message for p in problems), problems


def test_the_validator_reads_numbers_as_written():
    rows = day_rows("2026-11-05", {("acme", SONNET, "us-east-1", "standard"): [1000, 0, 0, 0, 1, 0]})
    line = focus.render_jsonl(focus.focus_rows(rows, ISSUER))
    assert focus_check.check_jsonl(line) == []
    assert '"BilledCost":0.003,' in line
    bad = line.replace('"BilledCost":0.003,', '"BilledCost":3E+3,')
    assert any(
        p.column == "BilledCost" and "Numeric Format" in p.message for p in focus_check.check_jsonl(bad)
    )
    assert focus_check.check_jsonl("not json\n")[0].column == "*"


def test_rules_file_records_the_spec_version_and_every_mandatory_column():
    rules = focus_check.rules()
    assert rules["focus_version"] == "1.2" and rules["source"]["tag"] == "v1.2"
    mandatory = set(focus_check.mandatory_columns())
    # FOCUS 1.2's Mandatory columns (its column pages' "Feature level")
    assert mandatory == {
        "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
        "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd",
        "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost",
        "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
    }  # fmt: skip
    written = dict(focus.export_columns())
    for name, data_type in written.items():
        if not name.startswith("x_"):
            assert rules["columns"][name]["data_type"] == data_type, name
    assert mandatory <= set(written)


def test_export_rejects_a_column_it_does_not_declare():
    with pytest.raises(ValueError, match="not export columns: Extra"):
        focus.render_jsonl([{"BilledCost": Decimal(1), "Extra": 1}])


def test_months_days_and_keys():
    assert focus.months_to_write(dt.date(2026, 12, 2)) == [dt.date(2026, 11, 1), dt.date(2026, 12, 1)]
    assert focus.months_to_write(dt.date(2026, 12, 3)) == [dt.date(2026, 11, 1), dt.date(2026, 12, 1)]
    assert focus.months_to_write(dt.date(2026, 12, 4)) == [dt.date(2026, 12, 1)]
    assert focus.months_to_write(dt.date(2027, 1, 1)) == [dt.date(2026, 12, 1), dt.date(2027, 1, 1)]
    assert focus.month_days(dt.date(2028, 2, 1))[-1] == "2028-02-29"
    assert len(focus.month_days(dt.date(2026, 11, 1))) == 30
    assert focus.month_days(dt.date(2026, 11, 1), dt.date(2026, 11, 3)) == [
        "2026-11-01",
        "2026-11-02",
        "2026-11-03",
    ]
    assert len(focus.month_days(dt.date(2026, 11, 1), dt.date(2026, 12, 3))) == 30
    assert focus.export_key(dt.date(2026, 11, 1)) == "focus/billing_period=2026-11/focus-2026-11.jsonl.gz"
    assert focus.parse_month("2026-02") == dt.date(2026, 2, 1)
    for bad in ("2026-13", "2026-1", "26-01", None, "2026-00"):
        with pytest.raises(ValueError, match="month"):
            focus.parse_month(bad)


def test_the_gzip_is_deterministic():
    text = '{"a":1}\n'
    assert focus.gzip_bytes(text) == focus.gzip_bytes(text)
    assert gzip.decompress(focus.gzip_bytes(text)).decode() == text


def test_publisher_and_sku():
    assert focus.publisher(PROFILE) == "Anthropic"
    assert focus.publisher("global.anthropic.claude-sonnet-4-5-20250929-v1:0") == "Anthropic"
    assert focus.publisher(LLAMA) == "Meta"
    assert (
        focus.publisher("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc")
        == "Amazon Web Services"
    )
    assert focus.publisher(UNKNOWN) == "Amazon Web Services"
    assert focus.sku_id(SONNET, "output", None) == f"{SONNET}/output/mixed"
