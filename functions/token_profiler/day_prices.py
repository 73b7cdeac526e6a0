"""The prices one UTC day is billed at: a day keeps its prices when it is aggregated again.

``prices_for_day`` is the one price source of the aggregation. The catalog answers with the price
in force on the day (``Catalog.price_for``, effective periods). A day already aggregated keeps the
per-1K rates recorded on its rows (``price_input`` .. ``price_cache_write_1h`` of the row's
``price_tier``, ``price_as_of``), so rerunning an invoiced day never re-prices it with a later
catalog, even one that corrected the day's period; a rate the stored rows do not record (a new
model, another tier, a row written before rows recorded prices, an unpriced model) comes from the
catalog's period for that day.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from token_profiler.prices import Catalog, Costs, Price, Quote, price_from_columns

STORED_SOURCE = "stored row"
# (model as called, Region) -> (rate fields -> per-1K rate, as_of), from the day's stored rows
Pinned = dict[tuple[str, str], tuple[dict[str, Decimal], str]]


class DayPrices:
    """Quotes for one day: the stored rates of (model as called, Region), over the catalog's."""

    def __init__(self, catalog: Catalog, day: str, pinned: Pinned):
        self.catalog = catalog
        self.day = day
        self.pinned = pinned
        self._quotes: dict[tuple[str, str], Quote] = {}

    def price_for(self, model_id: str, region: str, day: str) -> Quote:
        if day != self.day:
            raise ValueError(f"prices of {self.day} asked for {day}")
        key = (model_id, region)
        quote = self._quotes.get(key)
        if quote is None:
            quote = self._quotes[key] = self._quote(model_id, region)
        return quote

    def _quote(self, model_id: str, region: str) -> Quote:
        quote = self.catalog.price_for(model_id, region, self.day)
        stored = self.pinned.get((model_id, region))
        if stored is None:
            return quote
        rates, as_of = stored
        base = quote.price
        price = Price(
            rates={**(base.rates if base else {}), **rates},
            sources={**(base.sources if base else {}), **dict.fromkeys(rates, STORED_SOURCE)},
            effective=as_of or (base.effective if base else ""),
        )
        return Quote(
            price=price,
            region=region,
            scope=quote.scope,
            missing=False,
            unpriced=False,
            changed_on_day=quote.changed_on_day,
        )

    def costs(self, quote: Quote, *counts: int, **named: Any) -> Costs:
        return self.catalog.costs(quote, *counts, **named)


def prices_for_day(catalog: Catalog, day: str, stored_rows: Iterable[dict[str, Any]]) -> DayPrices:
    """The price source of ``day``'s rows, given the rows already stored for it."""
    pinned: Pinned = {}
    for row in stored_rows:
        if row.get("date") != day or row.get("unpriced"):
            continue
        region = str(row.get("price_region", ""))
        recorded = price_from_columns(row)
        if recorded is None or not region or "+" in region:
            continue
        _tier, rates, as_of = recorded
        key = (str(row.get("model_id", "")), region)
        known_rates = pinned.setdefault(key, ({}, as_of))[0]
        for field, rate in rates.items():
            known_rates.setdefault(field, rate)
    return DayPrices(catalog, day, pinned)
