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
import struct
import zlib
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


@pytest.fixture  # per test: each test that reads it builds the month (mutation testing sees every reader)
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
    assert focus._exact_quotient(Decimal("1E-21"), 1) == Decimal("1E-18")  # 18 places: kept


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
    for bad in ("2026-1", "26-01", None):
        with pytest.raises(ValueError, match="month must be YYYY-MM"):
            focus.parse_month(bad)
    for bad in ("2026-13", "2026-00"):
        with pytest.raises(ValueError, match="not a calendar month"):
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
    assert focus.publisher("cohere.command-r-v1.0") == "Cohere"  # the vendor is before the first dot
    assert focus.publisher("us-gov.meta.llama3-8b-instruct-v1:0") == "Meta"
    assert focus.base_model("us-gov.amazon.nova-pro-v1:0") == "amazon.nova-pro-v1:0"


def stored_row(**fields) -> dict:
    """A daily row as the table holds it, written out by hand."""
    row = {
        "pk": "acme",
        "sk": f"2026-11-05#{SONNET}",
        "date": "2026-11-05",
        "name": "acme",
        "model_id": SONNET,
        "input_tokens": 0,
        "output_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_write_input_tokens": 0,
        "invocations": 1,
        "input_cost": Decimal(0),
        "output_cost": Decimal(0),
        "cache_read_cost": Decimal(0),
        "cache_write_cost": Decimal(0),
        "unpriced": False,
        "price_missing": False,
        "price_region": "us-east-1",
    }
    row.update(fields)
    row["total_cost"] = sum(
        (row[c] for c in ("input_cost", "output_cost", "cache_read_cost", "cache_write_cost")), Decimal(0)
    )
    return row


US_PRICES = {
    "price_input": Decimal("0.003"),
    "price_output": Decimal("0.015"),
    "price_cache_read": Decimal("0.0003"),
    "price_cache_write": Decimal("0.00375"),
    "price_cache_write_1h": Decimal("0.006"),
    "price_tier": "standard",
    "price_as_of": "2025-05-22",
}


def charges(row) -> list[tuple]:
    return [(c.kind, c.tokens, c.cost, c.unit_price, c.status) for c in focus.kind_charges(row)]


def test_kinds_of_a_priced_row_are_priced_at_the_recorded_rates():
    row = stored_row(
        input_tokens=1000, input_cost=Decimal("0.003"), output_tokens=10, output_cost=Decimal("0.00015"),
        cache_read_input_tokens=2000, cache_read_cost=Decimal("0.0006"),
        cache_write_input_tokens=400, cache_write_cost=Decimal("0.0015"), **US_PRICES,
    )  # fmt: skip
    assert charges(row) == [
        ("input", 1000, Decimal("0.003"), Decimal("0.003"), "priced"),
        ("output", 10, Decimal("0.00015"), Decimal("0.015"), "priced"),
        ("cache_read", 2000, Decimal("0.0006"), Decimal("0.0003"), "priced"),
        ("cache_write", 400, Decimal("0.0015"), Decimal("0.00375"), "priced"),
    ]


def test_kinds_without_tokens_or_cost_are_left_out_and_the_others_kept():
    row = stored_row(output_tokens=10, output_cost=Decimal("0.00015"), **US_PRICES)
    del row["cache_write_cost"]  # a column the row never had: no tokens, no cost
    assert charges(row) == [("output", 10, Decimal("0.00015"), Decimal("0.015"), "priced")]


def test_only_one_hour_writes_and_split_writes():
    hour_only = stored_row(cache_write_input_tokens=500, cache_write_cost=Decimal("0.003"), **US_PRICES)
    assert charges(hour_only) == [("cache_write_1h", 500, Decimal("0.003"), Decimal("0.006"), "priced")]
    # exactly one 1-hour write among 1,000: 999 x 0.00375 + 1 x 0.006 per 1K
    one = stored_row(cache_write_input_tokens=1000, cache_write_cost=Decimal("0.00375225"), **US_PRICES)
    assert charges(one) == [
        ("cache_write", 999, Decimal("0.00374625"), Decimal("0.00375"), "priced"),
        ("cache_write_1h", 1, Decimal("0.000006"), Decimal("0.006"), "priced"),
    ]


def test_a_cache_cost_no_whole_split_explains_stays_one_row():
    # below 1,000 writes at the 5-minute rate: the split would need -100 one-hour writes
    below = stored_row(
        cache_write_input_tokens=1000, cache_write_cost=Decimal("0.003525"), price_missing=True, **US_PRICES
    )
    assert charges(below) == [("cache_write", 1000, Decimal("0.003525"), None, "price_missing")]
    # a share that is not a whole number of tokens
    odd = stored_row(cache_write_input_tokens=1000, cache_write_cost=Decimal("0.0037511"), **US_PRICES)
    assert charges(odd) == [("cache_write", 1000, Decimal("0.0037511"), Decimal("0.0037511"), "blended")]
    # one of the two rates unknown: nothing to solve
    for missing in ("price_cache_write", "price_cache_write_1h"):
        prices = {k: v for k, v in US_PRICES.items() if k != missing}
        row = stored_row(cache_write_input_tokens=1000, cache_write_cost=Decimal("0.0049"), **prices)
        assert charges(row) == [("cache_write", 1000, Decimal("0.0049"), Decimal("0.0049"), "blended")]


def test_a_kind_is_never_priced_at_another_kinds_rate():
    # input priced like a 5-minute cache write: still the input kind at the input rate
    prices = {**US_PRICES, "price_input": Decimal("0.00375")}
    row = stored_row(input_tokens=1000, input_cost=Decimal("0.00375"), **prices)
    assert charges(row) == [("input", 1000, Decimal("0.00375"), Decimal("0.00375"), "priced")]


def test_statuses_of_rows_without_a_single_rate():
    unpriced = stored_row(model_id=UNKNOWN, input_tokens=50, output_tokens=5, unpriced=True, price_region="")
    assert charges(unpriced) == [("input", 50, 0, None, "unpriced"), ("output", 5, 0, None, "unpriced")]
    missing = stored_row(input_tokens=50, price_missing=True, price_region="eu-west-1")
    assert charges(missing) == [("input", 50, 0, None, "price_missing")]
    # priced for what had a rate even when the row is flagged (the flagged part had no tokens of this kind)
    partly = stored_row(input_tokens=1000, input_cost=Decimal("0.003"), price_missing=True, **US_PRICES)
    assert charges(partly) == [("input", 1000, Decimal("0.003"), Decimal("0.003"), "priced")]
    # a rate recorded, but the cost is not tokens x rate (another Region's calls in it): blended
    mixed = stored_row(input_tokens=2000, input_cost=Decimal("0.0066"), **US_PRICES)
    assert charges(mixed) == [("input", 2000, Decimal("0.0066"), Decimal("0.0033"), "blended")]
    flex = stored_row(
        input_tokens=1000, input_cost=Decimal("0.0015"), price_tier="flex", price_input=Decimal("0.0015")
    )
    assert charges(flex) == [("input", 1000, Decimal("0.0015"), Decimal("0.0015"), "priced")]


def test_stored_costs_are_read_exactly_and_a_bool_is_refused():
    assert focus._as_decimal("0.00375") == Decimal("0.00375")
    assert focus._as_decimal(3) == Decimal(3)
    with pytest.raises(ValueError, match="^stored cost "):
        focus._as_decimal(True)
    with pytest.raises(ValueError, match="^stored cost "):
        focus._as_decimal(None)


def test_focus_rows_columns_from_a_row_and_their_order():
    rows = [
        stored_row(pk="acme", date="2026-11-06", input_tokens=1, input_cost=Decimal("0.000003")),
        stored_row(
            pk="zeta",
            sk=f"2026-11-05#{LLAMA}",
            model_id=LLAMA,
            input_tokens=1,
            input_cost=Decimal("0.00000099"),
        ),
        stored_row(date="2026-11-04", input_tokens=1000, input_cost=Decimal("0.003"), **US_PRICES),
        stored_row(pk="zeta", input_tokens=1000, input_cost=Decimal("0.003"), price_region=None),
        stored_row(input_tokens=7, input_cost=Decimal(0), price_missing=True),
        stored_row(model_id=PROFILE, input_tokens=1, input_cost=Decimal("0.000003"), **US_PRICES),
    ]
    out = focus.focus_rows(rows, ISSUER, names={"zeta": "Zeta Corp"})
    assert [(r["ChargePeriodStart"][:10], r["SubAccountId"], r["x_ModelId"]) for r in out] == [
        ("2026-11-04", "acme", SONNET),
        ("2026-11-05", "acme", SONNET),
        ("2026-11-05", "acme", PROFILE),
        ("2026-11-05", "zeta", SONNET),
        ("2026-11-05", "zeta", LLAMA),
        ("2026-11-06", "acme", SONNET),
    ]
    first, missing, profile, no_region, llama, _last = out
    assert first["Tags"] == '{"tokenprofiler/price_tier":"standard","tokenprofiler/tenant":"acme"}'
    assert first["x_PriceAsOf"] == "2025-05-22" and first["x_PriceTier"] == "standard"
    assert first["ChargeDescription"] == "Input tokens of " + SONNET + " on 2026-11-04"
    assert missing["ChargeDescription"] == f"Input tokens of {SONNET} on 2026-11-05 ({focus.NO_PRICE_NOTE})"
    assert missing["x_PriceStatus"] == "price_missing"
    assert (
        missing["x_PriceAsOf"] is None
        and missing["x_PriceTier"] is None
        and missing["SkuId"] == f"{SONNET}/input/mixed"
    )
    assert missing["Tags"] == '{"tokenprofiler/tenant":"acme"}'
    assert profile["PublisherName"] == "Anthropic" and profile["SkuId"] == f"{PROFILE}/input/standard"
    assert no_region["RegionId"] is None and no_region["x_PriceRegions"] is None
    assert no_region["SubAccountName"] == "Zeta Corp" and first["SubAccountName"] == "acme"
    assert llama["PublisherName"] == "Meta" and llama["RegionId"] == "us-east-1"
    assert llama["ProviderName"] == llama["InvoiceIssuerName"] == "Example SaaS"
    assert llama["BillingAccountId"] == "example-prod" and llama["ServiceName"] == focus.DEFAULT_SERVICE_NAME


def test_months_at_the_edges():
    assert focus.next_month(dt.date(2026, 12, 1)) == dt.date(2027, 1, 1)
    assert focus.next_month(dt.date(2026, 11, 1)) == dt.date(2026, 12, 1)
    assert focus.next_month(dt.date(2026, 1, 1)) == dt.date(2026, 2, 1)
    assert focus.previous_month(dt.date(2027, 1, 1)) == dt.date(2026, 12, 1)
    assert focus.month_days(dt.date(2026, 11, 1), dt.date(2026, 11, 1)) == ["2026-11-01"]
    assert focus.month_days(dt.date(2026, 11, 1), dt.date(2026, 11, 30))[-1] == "2026-11-30"
    for good, first in (
        ("2026-01", dt.date(2026, 1, 1)),
        ("2026-12", dt.date(2026, 12, 1)),
        ("1970-01", dt.date(1970, 1, 1)),
    ):
        assert focus.parse_month(good) == first
    with pytest.raises(ValueError, match="not a calendar month"):
        focus.parse_month("1969-12")


def test_parse_and_render_keep_numbers_exact():
    rows = list(focus.parse_jsonl('{"a":0.1,"b":3}\n\n{"a":2.5E-7}\n'))
    assert rows == [{"a": Decimal("0.1"), "b": Decimal(3)}, {"a": Decimal("2.5E-7")}]
    assert all(isinstance(v, Decimal) for r in rows for v in r.values())
    assert focus._value("Café") == '"Café"' and focus._value(None) == "null"
    assert focus._value(Decimal("0.000030")) == "0.00003"
    with pytest.raises(ValueError, match="not export columns: Extra, Zzz"):
        focus.render_jsonl([{"Extra": 1, "Zzz": 2}])


class FakeTable:
    def __init__(self, rows):
        self.rows = rows
        self.days = []

    def query_day(self, day):
        self.days.append(day)
        return iter([r for r in self.rows if r["date"] == day])


class FakeS3:
    def __init__(self):
        self.puts = []

    def put_object(self, **kwargs):
        self.puts.append(kwargs)


NOT_NULL_ON_USAGE = (
    "must not be null when ChargeCategory is Usage or Purchase and ChargeClass is not Correction"
)


def test_write_month_writes_the_months_rows_and_says_what_it_wrote():
    rows = [
        stored_row(date="2026-10-31", input_tokens=1000, input_cost=Decimal("0.003"), **US_PRICES),
        stored_row(date="2026-11-01", input_tokens=1000, input_cost=Decimal("0.003"), **US_PRICES),
        stored_row(
            date="2026-11-02",
            input_tokens=3,
            output_tokens=1,
            output_cost=Decimal("0.000015"),
            price_missing=True,
            **US_PRICES,
        ),
        stored_row(date="2026-11-03", input_tokens=1000, input_cost=Decimal("0.003"), **US_PRICES),
    ]
    table, s3 = FakeTable(rows), FakeS3()
    summary = focus.write_month(s3, "reports", table, dt.date(2026, 11, 1), ISSUER, dt.date(2026, 11, 2))
    assert table.days == ["2026-11-01", "2026-11-02"]
    (put,) = s3.puts
    assert put["Bucket"] == "reports" and put["Key"] == "focus/billing_period=2026-11/focus-2026-11.jsonl.gz"
    assert put["ContentType"] == "application/gzip"
    expected = focus.focus_rows(rows[1:3], ISSUER)
    assert gzip.decompress(put["Body"]).decode() == focus.render_jsonl(expected)
    assert summary == {
        "billing_period": "2026-11",
        "key": put["Key"],
        "daily_rows": 2,
        "focus_rows": 3,
        "billed_cost": "0.003015",
        "unpriced_rows": 1,
        "rule_problems": 2,  # the price_missing input: no unit prices
        "first_problems": [
            f"row 1: ContractedUnitPrice: {NOT_NULL_ON_USAGE}",
            f"row 1: ListUnitPrice: {NOT_NULL_ON_USAGE}",
        ],
    }
    unknown = stored_row(date="2026-11-01", model_id=UNKNOWN, input_tokens=9, unpriced=True, price_region="")
    summary = focus.write_month(s3, "reports", FakeTable([unknown]), dt.date(2026, 11, 1), ISSUER)
    assert summary["unpriced_rows"] == 1 and summary["billed_cost"] == "0"
    many = [
        stored_row(date="2026-11-01", model_id=f"m{n}", input_tokens=1, price_missing=True) for n in range(3)
    ]
    summary = focus.write_month(s3, "reports", FakeTable(many), dt.date(2026, 11, 1), ISSUER)
    assert summary["rule_problems"] == 6 and len(summary["first_problems"]) == 5
    focus.write_month(s3, "reports", FakeTable(rows), dt.date(2026, 10, 1), ISSUER)
    assert gzip.decompress(s3.puts[-1]["Body"]).decode() == focus.render_jsonl(
        focus.focus_rows(rows[:1], ISSUER)
    )


def test_write_month_names_each_sub_account_from_the_names_given():
    rows = [
        stored_row(date="2026-11-01", input_tokens=1000, input_cost=Decimal("0.003"), **US_PRICES),
        stored_row(
            date="2026-11-01", pk="globex", input_tokens=10, input_cost=Decimal("0.00003"), **US_PRICES
        ),
    ]
    s3 = FakeS3()
    focus.write_month(
        s3, "reports", FakeTable(rows), dt.date(2026, 11, 1), ISSUER, names={"acme": "ACME Corp"}
    )
    written = list(focus.parse_jsonl(gzip.decompress(s3.puts[-1]["Body"]).decode()))
    assert {(r["SubAccountId"], r["SubAccountName"]) for r in written} == {
        ("acme", "ACME Corp"),
        ("globex", "globex"),
    }


def test_the_gzip_has_no_time_or_name_in_it():
    blob = focus.gzip_bytes("x" * 1000)
    assert blob[4:8] == b"\0\0\0\0"  # MTIME
    assert blob[3] == 0  # FLG: no name, no comment
    assert blob[8] == 0  # XFL: neither the fastest nor the best level (6)


def test_the_gzip_holds_a_level_6_deflate_stream_of_the_export():
    # a month's export compressed with zlib directly (raw deflate at level 6, gzip's crc32 and size
    # trailer): the same bytes, so a month re-written by another build gives the same object
    rows, _expected = month_of_usage()
    data = focus.render_jsonl(focus.focus_rows(rows, ISSUER)).encode("utf-8")
    deflate = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    stream = deflate.compress(data) + deflate.flush()
    blob = focus.gzip_bytes(data.decode("utf-8"))
    assert blob[:4] == b"\x1f\x8b\x08\x00"  # gzip magic, deflate, no flags
    assert blob[10:-8] == stream
    assert blob[-8:] == struct.pack("<II", zlib.crc32(data), len(data))
