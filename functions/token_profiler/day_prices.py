"""The prices one UTC day is billed at: a day keeps its prices when it is aggregated again.

``prices_for_day`` is the one price source of the aggregation. A day already aggregated keeps the
per-1K prices recorded on its rows (``price_input`` .. ``price_cache_write``, ``price_as_of``), so
rerunning an invoiced day never re-prices it with today's catalog; a model the stored rows do not
price (a new model, a row written before rows recorded prices, an unpriced model) takes the
catalog's price. When the catalog gains effective dates, this function asks it for the day's
price instead and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from token_profiler.prices import Catalog, Costs, Price, Quote, price_from_columns


class DayPrices:
    """Quotes for one day: the stored price of (model as called, price region), else the catalog's."""

    def __init__(self, catalog: Catalog, pinned: dict[tuple[str, str], Price]):
        self.catalog = catalog
        self.pinned = pinned

    def quote(self, model_id: str, region: str) -> Quote:
        quote = self.catalog.quote(model_id, region)
        price_region = quote.region or region
        price = self.pinned.get((model_id, price_region))
        if price is None:
            return quote
        return Quote(price=price, region=price_region, fallback=quote.fallback, unpriced=False)

    def costs(
        self, quote: Quote, input_tokens: int, output_tokens: int, cache_read: int, cache_write: int
    ) -> Costs:
        return self.catalog.costs(quote, input_tokens, output_tokens, cache_read, cache_write)


def prices_for_day(catalog: Catalog, day: str, stored_rows: Iterable[dict[str, Any]]) -> DayPrices:
    """The price source of ``day``'s rows, given the rows already stored for it."""
    pinned: dict[tuple[str, str], Price] = {}
    for row in stored_rows:
        if row.get("date") != day or row.get("unpriced"):
            continue
        region = str(row.get("price_region", ""))
        price = price_from_columns(row)
        if price is None or not region or "+" in region:
            continue
        pinned.setdefault((str(row.get("model_id", "")), region), price)
    return DayPrices(catalog, pinned)
