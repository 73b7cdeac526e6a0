"""Prices fixed per day and reruns that never shrink a day: pure functions, no AWS."""

from __future__ import annotations

from decimal import Decimal

import pytest
from token_profiler.aggregate import aggregate_lines
from token_profiler.day_prices import prices_for_day
from token_profiler.jobs import shortfall
from token_profiler.prices import load_catalog

from tests.support.usage_lines import TEST_KEYRING, usage_line

pytestmark = pytest.mark.unit

DAY = "2026-11-20"
SONNET = "anthropic.claude-3-sonnet-20240229-v1:0"  # catalog: 0.003 / 0.015 per 1K from 2024-03-04


def stored(**overrides):
    row = {
        "pk": "t",
        "sk": f"{DAY}#{SONNET}",
        "date": DAY,
        "model_id": SONNET,
        "price_region": "us-east-1",
        "unpriced": False,
        "price_input": Decimal("0.5"),
        "price_output": 2,  # DynamoDB gives back a whole number as an int
        "price_cache_read": Decimal(0),
        "price_cache_write": Decimal("0.25"),
        "price_as_of": "2026-10-01",
        "input_tokens": 1000,
        "output_tokens": 1000,
        "cache_read_input_tokens": 0,
        "cache_write_input_tokens": 0,
        "invocations": 1,
    }
    row.update(overrides)
    return row


def rows_for(prices, i=2000, o=1000):
    line = usage_line(
        keyring=TEST_KEYRING, tenant="t", request_id="r", model_id=SONNET, input_tokens=i, output_tokens=o
    )
    return aggregate_lines(DAY, [line], prices, keys=TEST_KEYRING.keys)[1]


def test_a_day_with_stored_prices_is_priced_at_them():
    (row,) = rows_for(prices_for_day(load_catalog(), DAY, [stored()]))
    # 2000 × 0.5 / 1000 + 1000 × 2 / 1000
    assert (row["input_cost"], row["output_cost"], row["total_cost"]) == (Decimal(1), Decimal(2), Decimal(3))
    assert (row["price_input"], row["price_output"], row["price_cache_write"]) == (
        Decimal("0.5"),
        Decimal(2),
        Decimal("0.25"),
    )
    assert row["price_as_of"] == "2026-10-01" and row["price_region"] == "us-east-1"


@pytest.mark.parametrize(
    "row",
    [
        stored(date="2026-11-21"),  # another day's row
        stored(unpriced=True),
        stored(price_region="us-east-1+eu-west-1"),
        stored(price_region=""),
        stored(model_id="amazon.nova-micro-v1:0"),
        # a row from before rows recorded prices
        {k: v for k, v in stored().items() if not k.startswith("price_") or k == "price_region"},
        stored(price_tier="no-such-tier"),
        stored(price_input="-1"),
    ],
)
def test_rows_that_pin_no_price_leave_the_catalogs(row):
    (priced,) = rows_for(prices_for_day(load_catalog(), DAY, [row]))
    # the catalog: 2000 × 0.003 / 1000 + 1000 × 0.015 / 1000
    assert priced["total_cost"] == Decimal("0.021")
    assert (priced["price_input"], priced["price_as_of"]) == (Decimal("0.003"), "2024-03-04")
    assert priced["price_tier"] == "standard" and "price_cache_write" not in priced  # no such rate


def test_stored_rates_are_pinned_per_tier_and_the_other_tiers_come_from_the_catalog():
    # Given a stored row that recorded flex rates (the catalog has no flex rate for this model)
    prices = prices_for_day(load_catalog(), DAY, [stored(price_tier="flex", price_cache_write_1h="0.75")])
    flex = usage_line(
        keyring=TEST_KEYRING,
        tenant="t",
        request_id="f",
        model_id=SONNET,
        input_tokens=2000,
        output_tokens=1000,
        schema_version=2,
        tier="flex",
        cache_write=4,
        cache_write_1h_input_tokens=4,
    )
    (row,) = aggregate_lines(DAY, [flex], prices, keys=TEST_KEYRING.keys)[1]
    # 2000 × 0.5 / 1000 + 1000 × 2 / 1000 + 4 × 0.75 / 1000, all at the stored flex rates
    assert (row["total_cost"], row["price_missing"]) == (Decimal("3.003"), False)
    assert (row["price_tier"], row["price_cache_write_1h"], row["price_as_of"]) == (
        "flex",
        Decimal("0.75"),
        "2026-10-01",
    )
    # and a standard line of the same day keeps the catalog's standard rates
    (standard,) = rows_for(prices)
    assert standard["total_cost"] == Decimal("0.021") and standard["price_tier"] == "standard"


def test_shortfall_is_any_stored_count_the_rerun_does_not_reach():
    old = [stored(), stored(pk="u", sk=f"{DAY}#x", invocations=2)]
    same = [dict(row) for row in old]
    assert shortfall(DAY, old, same) is None
    more = [dict(old[0], invocations=5, input_tokens=9000), dict(old[1]), stored(pk="v", sk="new")]
    assert shortfall(DAY, old, more) is None
    fewer_tokens = [dict(old[0], output_tokens=999), dict(old[1])]
    assert shortfall(DAY, old, fewer_tokens) == {
        "date": DAY,
        "rows_stored": 2,
        "rows_found": 2,
        "rows_short": 1,
        "invocations_stored": 3,
        "invocations_found": 3,
    }
    missing = [dict(old[1])]
    assert shortfall(DAY, old, missing)["rows_short"] == 1
    assert shortfall(DAY, old, [])["invocations_found"] == 0
    assert shortfall(DAY, [], []) is None
