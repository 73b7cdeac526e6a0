"""DayPrices and prices_for_day on their own: which stored rows pin a rate, how a pinned rate is laid
over the catalog's quote (rates, sources, effective day, flags), the per-day cache, and costs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from token_profiler.day_prices import DayPrices, prices_for_day
from token_profiler.prices import UNPRICED, Price, Quote, load_catalog

pytestmark = pytest.mark.unit

DAY = "2026-11-20"
MODEL = "vendor.model-a"
OTHER = "vendor.model-b"

CATALOG_PRICE = Price(
    rates={"input": Decimal("0.003"), "output": Decimal("0.015"), "cache_read": Decimal("0.0003")},
    sources={"input": "offer SKU1", "output": "offer SKU2", "cache_read": "override x"},
    effective="2024-03-04",
)


class FakeCatalog:
    """price_for answers a fixed quote per (model, Region) and counts the questions."""

    def __init__(self, quotes: dict[tuple[str, str], Quote]):
        self.quotes = quotes
        self.asked: list[tuple[str, str, str]] = []

    def price_for(self, model_id, region, day):
        self.asked.append((model_id, region, day))
        return self.quotes.get((model_id, region), UNPRICED)


def row(**fields):
    base = {
        "date": DAY,
        "model_id": MODEL,
        "price_region": "us-east-1",
        "price_input": Decimal("0.5"),
        "price_output": Decimal("2"),
        "price_as_of": "2026-10-01",
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


PINNED = {(MODEL, "us-east-1"): ({"input": Decimal("0.5"), "output": Decimal("2")}, "2026-10-01")}


@pytest.mark.parametrize(
    "skipped",
    [
        row(date="2026-11-19"),
        row(unpriced=True),
        row(price_region="us-east-1+eu-west-1"),
        row(price_region=""),
        row(price_region=None),
        row(price_input=None, price_output=None),
        row(price_tier="no-such-tier"),
    ],
)
def test_a_row_that_pins_nothing_is_skipped_and_the_next_rows_still_count(skipped):
    day = prices_for_day(FakeCatalog({}), DAY, [skipped, row()])
    assert day.pinned == PINNED


def test_the_first_row_of_a_model_and_region_wins_and_later_rows_add_only_missing_rates():
    rows = [
        row(),
        row(price_input=Decimal("9"), price_cache_read=Decimal("0.05"), price_as_of="2026-11-01"),
        row(price_region="eu-west-1", price_input=Decimal("0.7"), price_output=None),
        row(model_id=OTHER, price_output=Decimal("3")),
    ]
    day = prices_for_day(FakeCatalog({}), DAY, rows)
    assert day.pinned == {
        (MODEL, "us-east-1"): (
            {"input": Decimal("0.5"), "output": Decimal("2"), "cache_read": Decimal("0.05")},
            "2026-10-01",
        ),
        (MODEL, "eu-west-1"): ({"input": Decimal("0.7")}, "2026-10-01"),
        (OTHER, "us-east-1"): ({"input": Decimal("0.5"), "output": Decimal("3")}, "2026-10-01"),
    }


def test_a_long_context_row_pins_the_long_context_rates():
    day = prices_for_day(FakeCatalog({}), DAY, [row(price_tier="long_context")])
    assert day.pinned == {
        (MODEL, "us-east-1"): ({"long_input": Decimal("0.5"), "long_output": Decimal("2")}, "2026-10-01")
    }


def test_stored_rates_lie_over_the_catalogs_quote_and_keep_its_flags():
    catalog_quote = Quote(
        price=CATALOG_PRICE,
        region="us-east-1",
        scope="us",
        missing=False,
        unpriced=False,
        changed_on_day=True,
    )
    catalog = FakeCatalog({(MODEL, "us-east-1"): catalog_quote})
    quote = DayPrices(catalog, DAY, PINNED).price_for(MODEL, "us-east-1", DAY)
    assert quote == Quote(
        price=Price(
            rates={"input": Decimal("0.5"), "output": Decimal("2"), "cache_read": Decimal("0.0003")},
            sources={"input": "stored row", "output": "stored row", "cache_read": "override x"},
            effective="2026-10-01",
        ),
        region="us-east-1",
        scope="us",
        missing=False,
        unpriced=False,
        changed_on_day=True,
    )


def test_without_a_recorded_day_the_catalogs_period_start_stays():
    catalog = FakeCatalog(
        {
            (MODEL, "us-east-1"): Quote(
                price=CATALOG_PRICE, region="us-east-1", scope="", missing=False, unpriced=False
            )
        }
    )
    pinned = {(MODEL, "us-east-1"): ({"input": Decimal("0.5")}, "")}
    quote = DayPrices(catalog, DAY, pinned).price_for(MODEL, "us-east-1", DAY)
    assert quote.price.effective == "2024-03-04"
    assert quote.price.rates["output"] == Decimal("0.015")
    assert quote.changed_on_day is False


@pytest.mark.parametrize(
    "catalog_quote",
    [
        UNPRICED,  # a model the catalog no longer knows
        Quote(price=None, region="us-east-1", scope="", missing=True, unpriced=False),  # no price there
    ],
)
def test_a_stored_rate_prices_a_model_the_catalog_cannot(catalog_quote):
    catalog = FakeCatalog({(MODEL, "us-east-1"): catalog_quote})
    for as_of, effective in (("2026-10-01", "2026-10-01"), ("", "")):
        pinned = {(MODEL, "us-east-1"): ({"input": Decimal("0.5"), "output": Decimal("2")}, as_of)}
        quote = DayPrices(catalog, DAY, pinned).price_for(MODEL, "us-east-1", DAY)
        assert quote.price == Price(
            rates={"input": Decimal("0.5"), "output": Decimal("2")},
            sources={"input": "stored row", "output": "stored row"},
            effective=effective,
        )
        assert (quote.region, quote.missing, quote.unpriced) == ("us-east-1", False, False)


def test_a_model_and_region_without_stored_rates_get_the_catalogs_quote_as_is():
    catalog_quote = Quote(price=CATALOG_PRICE, region="eu-west-1", scope="", missing=False, unpriced=False)
    catalog = FakeCatalog({(MODEL, "eu-west-1"): catalog_quote})
    assert DayPrices(catalog, DAY, PINNED).price_for(MODEL, "eu-west-1", DAY) is catalog_quote


def test_each_model_and_region_is_quoted_once_and_kept_apart():
    a = Quote(price=CATALOG_PRICE, region="us-east-1", scope="", missing=False, unpriced=False)
    b = Quote(price=None, region="us-east-1", scope="", missing=True, unpriced=False)
    catalog = FakeCatalog({(OTHER, "us-east-1"): a, (OTHER, "eu-west-1"): b})
    day = DayPrices(catalog, DAY, {})
    assert day.price_for(OTHER, "us-east-1", DAY) is a
    assert day.price_for(OTHER, "eu-west-1", DAY) is b
    assert day.price_for(OTHER, "us-east-1", DAY) is a
    assert day.price_for(OTHER, "eu-west-1", DAY) is b
    assert catalog.asked == [(OTHER, "us-east-1", DAY), (OTHER, "eu-west-1", DAY)]


def test_another_days_prices_are_refused():
    day = DayPrices(FakeCatalog({}), DAY, {})
    with pytest.raises(ValueError) as info:
        day.price_for(MODEL, "us-east-1", "2026-11-21")
    assert str(info.value) == "prices of 2026-11-20 asked for 2026-11-21"


def test_costs_pass_the_tier_and_the_one_hour_cache_writes_on():
    pinned = {
        (MODEL, "us-east-1"): (
            {
                "flex_input": Decimal("0.25"),
                "cache_write": Decimal("0.004"),
                "cache_write_1h": Decimal("0.006"),
            },
            "2026-10-01",
        )
    }
    day = DayPrices(load_catalog(), DAY, pinned)
    quote = day.price_for(MODEL, "us-east-1", DAY)
    flex = day.costs(quote, 2000, 0, 0, 0, tier="flex")
    assert flex.input == Decimal("0.5")  # 2000 × 0.25 / 1000
    # 3000 cache writes, 1000 of them for one hour: 2000 × 0.004 / 1000 + 1000 × 0.006 / 1000
    cached = day.costs(quote, 0, 0, 0, 3000, cache_write_1h=1000)
    assert cached.cache_write == Decimal("0.014")
