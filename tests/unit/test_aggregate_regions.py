"""One (tenant, model) called from several Regions: every Region's tokens and costs in one row.

The catalog here is written in the test (schema 2: per-Region price periods, cache prices included,
different prices per Region), and every expected cost is worked out with fractions from its own
strings, for the Region each call ran in and the period in force on the row's day. A Region without
a price is never priced at another Region's rate: its part costs 0 and the row is flagged
``price_missing``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from itertools import count

import pytest
from token_profiler.aggregate import DayAggregate, build_rows, ttl_for
from token_profiler.prices import PRICE_COLUMNS, Catalog

from tests.support.timezones import ZONES, local_time_zone
from tests.support.usage_lines import TEST_KEYRING, usage_line

pytestmark = pytest.mark.unit

DAY = "2026-11-26"
MODEL = "anthropic.claude-sonnet-4-20250514-v1:0"
EU_ONLY = "mistral.mistral-large-2402-v1:0"
UNKNOWN = "acme.secret-model-v9"
# schema 2, US$ per 1,000 tokens. eu-west-1's current MODEL period starts after DAY, so on DAY its
# earlier period (history) is in force: a lookup that ignores the day prices at the wrong rates.
CATALOG = {
    "schema_version": 2,
    "unit": "USD per 1,000 tokens",
    "default_region": "us-east-1",
    "models": {
        MODEL: {
            "prices": {
                "us-east-1": {
                    "from": "2025-05-22",
                    "input": "0.003",
                    "output": "0.015",
                    "cache_read": "0.0003",
                    "cache_write": "0.00375",
                },
                "eu-west-1": {
                    "from": "2026-12-01",
                    "input": "0.0039",
                    "output": "0.0195",
                    "cache_read": "0.00039",
                    "cache_write": "0.004875",
                    "history": [
                        {
                            "from": "2025-05-22",
                            "input": "0.0036",
                            "output": "0.018",
                            "cache_read": "0.00036",
                            "cache_write": "0.0045",
                        }
                    ],
                },
            }
        },
        EU_ONLY: {
            "prices": {
                "eu-west-1": {
                    "from": "2024-02-26",
                    "input": "0.0042",
                    "output": "0.0125",
                    "cache_read": "0.0001",
                    "cache_write": "0.001",
                }
            }
        },
    },
}
FIELDS = ("input", "output", "cache_read", "cache_write")
TOKENS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_write_input_tokens")


@pytest.fixture
def catalog() -> Catalog:
    return Catalog(CATALOG)


_ids = count()


def calls(agg: DayAggregate, tenant: str, model: str, region: str, *tokens: tuple[int, ...]) -> None:
    for i, o, cr, cw in tokens:
        agg.add(
            usage_line(
                tenant=tenant,
                request_id=f"req-{next(_ids)}",
                model_id=model,
                input_tokens=i,
                output_tokens=o,
                cache_read=cr,
                cache_write=cw,
                region=region,
                keyring=TEST_KEYRING,
            )
        )


def period_on(model: str, region: str, day: str) -> dict:
    """The catalog period of (model, region) in force on ``day``, read from the raw catalog."""
    current = CATALOG["models"][model]["prices"][region]
    periods = [*current.get("history", []), current]
    started = [p for p in periods if p["from"] <= day]  # periods are oldest first
    return started[-1]


def cost(tokens: int, price: str) -> Fraction:
    return Fraction(tokens) * Fraction(price) / 1000


def expected_costs(parts: list[tuple[str | None, tuple[int, int, int, int]]], model: str) -> list[Fraction]:
    """Per field, the sum over the Regions' token sums priced at the Region given on DAY (None: no
    price there, so that part costs 0)."""
    totals = [Fraction(0)] * 4
    for region, sums in parts:
        if region is None:
            continue
        price = period_on(model, region, DAY)
        totals = [totals[n] + cost(sums[n], price[FIELDS[n]]) for n in range(4)]
    return totals


def as_fraction(value: Decimal) -> Fraction:
    assert isinstance(value, Decimal)
    return Fraction(str(value))


def check_costs(row: dict, want: list[Fraction]) -> None:
    got = [as_fraction(row[f"{field}_cost"]) for field in FIELDS]
    assert got == want
    assert as_fraction(row["total_cost"]) == sum(want)


def missing_warning(model: str, region: str) -> str:
    return f"model {model} has no price in {region} on {DAY}: counted with cost 0 and flagged price_missing"


def test_the_periods_in_force_on_the_day_are_picked_by_the_test_itself():
    """The expected prices come from the period in force on DAY, not from the newest period."""
    assert period_on(MODEL, "eu-west-1", DAY)["input"] == "0.0036"
    assert period_on(MODEL, "eu-west-1", "2026-12-01")["input"] == "0.0039"
    assert period_on(MODEL, "us-east-1", DAY)["input"] == "0.003"


def test_two_priced_regions_with_cache_tokens(catalog):
    agg = DayAggregate(DAY, TEST_KEYRING.keys)
    us = [(1200, 340, 5000, 800), (10, 20, 0, 64)]
    eu = [(700, 90, 12000, 1500), (3, 4, 7, 0), (1, 1, 900, 11)]
    calls(agg, "acme", MODEL, "us-east-1", *us)
    calls(agg, "acme", MODEL, "eu-west-1", *eu)
    rows, warnings = build_rows(agg, catalog, retention_days=30)
    # two Regions' prices in one row: no single per-1K price to record, and the run says so
    assert warnings == [
        f"model {MODEL} was priced at several prices or tiers in one row: "
        f"its {PRICE_COLUMNS[0]}.. columns are left out"
    ]
    (row,) = rows
    assert not set(PRICE_COLUMNS) & set(row)
    us_sums = tuple(sum(call[n] for call in us) for n in range(4))
    eu_sums = tuple(sum(call[n] for call in eu) for n in range(4))
    assert [row[k] for k in TOKENS] == [us_sums[n] + eu_sums[n] for n in range(4)]
    assert row["invocations"] == len(us) + len(eu)
    check_costs(row, expected_costs([("us-east-1", us_sums), ("eu-west-1", eu_sums)], MODEL))
    assert row["price_region"] == "eu-west-1+us-east-1"
    assert row["price_missing"] is False
    assert row["price_changed"] is False
    assert row["unpriced"] is False
    assert (row["pk"], row["name"], row["model_id"], row["date"]) == ("acme", "acme", MODEL, DAY)
    assert row["sk"] == f"{DAY}#{MODEL}"
    assert row["ttl"] == ttl_for(DAY, 30)


def test_a_region_without_a_price_costs_nothing_and_is_flagged(catalog):
    """ap-south-1 has no MODEL price: its tokens count, at cost 0 (never us-east-1's rate), and the
    row is flagged price_missing; eu-west-1's part is priced at eu-west-1's rate."""
    agg = DayAggregate(DAY, TEST_KEYRING.keys)
    calls(agg, "acme", MODEL, "ap-south-1", (100, 10, 2000, 300))
    calls(agg, "acme", MODEL, "eu-west-1", (50, 5, 1000, 200))
    (row,), warnings = build_rows(agg, catalog, retention_days=0)
    assert warnings == [missing_warning(MODEL, "ap-south-1")]
    assert [row[k] for k in TOKENS] == [150, 15, 3000, 500]
    assert row["invocations"] == 2
    check_costs(row, expected_costs([(None, (100, 10, 2000, 300)), ("eu-west-1", (50, 5, 1000, 200))], MODEL))
    assert row["price_region"] == "eu-west-1"
    assert row["price_missing"] is True
    assert row["unpriced"] is False
    assert "ttl" not in row


def test_the_missing_flag_stays_when_a_priced_region_follows(catalog):
    agg = DayAggregate(DAY, TEST_KEYRING.keys)
    calls(agg, "acme", MODEL, "ap-south-1", (1, 1, 1, 1))
    calls(agg, "acme", MODEL, "us-east-1", (2, 2, 2, 2))
    (row,), warnings = build_rows(agg, catalog, retention_days=0)
    assert warnings == [missing_warning(MODEL, "ap-south-1")]
    assert row["price_missing"] is True
    assert row["price_region"] == "us-east-1"
    assert [row[k] for k in TOKENS] == [3, 3, 3, 3]
    check_costs(row, expected_costs([(None, (1, 1, 1, 1)), ("us-east-1", (2, 2, 2, 2))], MODEL))


def test_an_unknown_model_in_two_regions_keeps_every_regions_tokens(catalog):
    agg = DayAggregate(DAY, TEST_KEYRING.keys)
    calls(agg, "acme", UNKNOWN, "us-east-1", (10, 20, 30, 40), (1, 2, 3, 4))
    calls(agg, "acme", UNKNOWN, "eu-west-1", (100, 200, 300, 400))
    calls(agg, "beta", UNKNOWN, "eu-west-1", (7, 8, 9, 10))
    rows, warnings = build_rows(agg, catalog, retention_days=0)
    assert warnings == [f"model {UNKNOWN} has no price: counted with cost 0 and flagged unpriced"]
    acme, beta = rows
    assert (acme["pk"], beta["pk"]) == ("acme", "beta")
    assert [acme[k] for k in TOKENS] == [111, 222, 333, 444]
    assert [beta[k] for k in TOKENS] == [7, 8, 9, 10]
    assert acme["invocations"] == 3 and beta["invocations"] == 1
    for row in rows:
        check_costs(row, [Fraction(0)] * 4)
        assert row["unpriced"] is True
        assert row["price_region"] == ""
        assert row["price_missing"] is False
        assert not set(PRICE_COLUMNS) & set(row)


def test_a_model_unpriced_in_one_region_and_priced_in_another(catalog):
    """EU_ONLY has a price in eu-west-1 only: ap-south-1 calls cost 0 and flag the row
    price_missing (the model is known, so not unpriced), eu-west-1 calls are priced, and the row
    keeps both Regions' tokens."""
    agg = DayAggregate(DAY, TEST_KEYRING.keys)
    calls(agg, "acme", EU_ONLY, "ap-south-1", (1000, 100, 10, 1))
    calls(agg, "acme", EU_ONLY, "eu-west-1", (2000, 300, 40, 5))
    rows, warnings = build_rows(agg, catalog, retention_days=0)
    (row,) = rows
    assert warnings == [missing_warning(EU_ONLY, "ap-south-1")]
    assert [row[k] for k in TOKENS] == [3000, 400, 50, 6]
    check_costs(row, expected_costs([(None, (1000, 100, 10, 1)), ("eu-west-1", (2000, 300, 40, 5))], EU_ONLY))
    assert row["price_missing"] is True
    assert row["unpriced"] is False
    assert row["price_region"] == "eu-west-1"


def test_rows_are_ordered_by_tenant_then_model(catalog):
    agg = DayAggregate(DAY, TEST_KEYRING.keys)
    calls(agg, "zeta", MODEL, "us-east-1", (1, 1, 0, 0))
    calls(agg, "acme", UNKNOWN, "us-east-1", (1, 1, 0, 0))
    calls(agg, "acme", EU_ONLY, "eu-west-1", (1, 1, 0, 0))
    rows, _ = build_rows(agg, catalog, retention_days=0)
    assert [(row["pk"], row["model_id"]) for row in rows] == [
        ("acme", UNKNOWN),
        ("acme", EU_ONLY),
        ("zeta", MODEL),
    ]


@pytest.mark.parametrize("zone", ZONES)
def test_the_expiry_is_counted_from_the_utc_day(zone):
    with local_time_zone(zone):
        days_since_1970 = (dt.date(2026, 11, 26) - dt.date(1970, 1, 1)).days
        assert ttl_for(DAY, 30) == (days_since_1970 + 30) * 86_400
        assert ttl_for(DAY, 1) == (days_since_1970 + 1) * 86_400
        assert ttl_for(DAY, 0) is None
        assert ttl_for(DAY, -1) is None


def good_line(**overrides) -> str:
    fields = {"tenant": "acme", "request_id": "r-1", "model_id": MODEL, "input_tokens": 5, "output_tokens": 6}
    return usage_line(**{**fields, **overrides}, keyring=TEST_KEYRING)


@pytest.mark.parametrize(
    "message",
    [
        "x" + good_line(),  # one character before the object
        "2026-11-26T10:00:00Z " + good_line(),  # a timestamp before the object
        good_line().replace('"message":"TOKEN_USAGE"', '"message":"TOKEN_USAGE_V2"'),  # another message
        good_line().replace('"message":"TOKEN_USAGE",', ""),  # no message at all
    ],
    ids=["one-char-prefix", "timestamp-prefix", "other-message", "no-message"],
)
@pytest.mark.parametrize("path", ["_add_fast", "_add_checked"])
def test_a_line_that_is_not_a_usage_object_is_skipped(message, path):
    """Only a line that is one JSON object whose message is TOKEN_USAGE counts, on either path."""
    assert '"token_usage":{' in message
    agg = DayAggregate(DAY, TEST_KEYRING.keys)
    assert getattr(agg, path)(message) is False
    assert (agg.lines_read, agg.lines_skipped, agg.sums) == (1, 1, {})
    assert agg.add(good_line()) is True  # the same object, well framed, counts


def test_rows_with_no_priced_part_say_price_changed_false_not_nothing(catalog):
    """A row with no priced part (an unknown model, a Region without a price) still holds the
    boolean False for price_changed: rows hold bool, never None (stored as a DynamoDB NULL)."""
    agg = DayAggregate(DAY, TEST_KEYRING.keys)
    calls(agg, "acme", UNKNOWN, "us-east-1", (1, 1, 0, 0))
    calls(agg, "beta", MODEL, "ap-south-1", (1, 1, 0, 0))
    rows, _ = build_rows(agg, catalog, retention_days=0)
    assert [(row["pk"], row["unpriced"], row["price_missing"]) for row in rows] == [
        ("acme", True, False),
        ("beta", False, True),
    ]
    for row in rows:
        assert row["price_changed"] is False
