"""The catalog's day and argument checks whatever the machine's time zone: a quote without a day
is priced on the UTC day, and costs refuse impossible cache-write splits by name."""

from __future__ import annotations

import datetime as dt
import json
import types
from decimal import Decimal

import pytest
from token_profiler import prices

from tests.support.timezones import ZONES, local_time_zone

pytestmark = pytest.mark.unit


def clock_at(instant: dt.datetime):
    """A stand-in for the datetime module whose clock reads ``instant``; ``now()`` without a zone
    answers the local wall-clock time, as the real one does."""

    class Clock(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            if tz is None:
                return instant.astimezone().replace(tzinfo=None)
            return instant.astimezone(tz)

    return types.SimpleNamespace(datetime=Clock, date=dt.date, timedelta=dt.timedelta, UTC=dt.UTC)


# late in the UTC evening is already tomorrow in Tokyo; early in the UTC morning is still yesterday
# in New York
INSTANTS = [
    (dt.datetime(2026, 3, 1, 2, 30, tzinfo=dt.UTC), "2026-03-01"),
    (dt.datetime(2026, 2, 28, 20, 0, tzinfo=dt.UTC), "2026-02-28"),
]


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(("instant", "day"), INSTANTS)
def test_today_is_the_utc_day_in_any_local_zone(monkeypatch, zone, instant, day):
    with local_time_zone(zone):
        monkeypatch.setattr(prices, "dt", clock_at(instant))
        assert prices.today() == day


@pytest.mark.parametrize(
    ("cache_write", "cache_write_1h"),
    [(10, 11), (10, -1), (0, 1)],
)
def test_a_one_hour_share_outside_the_cache_writes_is_refused(cache_write, cache_write_1h):
    catalog = prices.load_catalog()
    quote = catalog.price_for("anthropic.claude-3-sonnet-20240229-v1:0", "us-east-1", "2026-01-01")
    with pytest.raises(ValueError) as info:
        catalog.costs(quote, 1, 1, 0, cache_write, cache_write_1h)
    assert str(info.value) == "cache_write_1h must be between 0 and cache_write"


def test_a_one_hour_share_equal_to_the_cache_writes_is_accepted():
    catalog = prices.load_catalog()
    quote = catalog.price_for("anthropic.claude-3-sonnet-20240229-v1:0", "us-east-1", "2026-01-01")
    # the catalog gives this model no cache rates: the writes cost 0 and are reported missing
    costs = catalog.costs(quote, 1000, 0, 0, 10, 10)
    assert costs.input == Decimal("0.003")
    assert costs.cache_write == 0
    assert costs.missing == ("cache_write_1h",)


def test_a_plain_id_never_takes_a_profile_price_even_one_keyed_by_an_empty_geography():
    sonnet = "anthropic.claude-3-sonnet-20240229-v1:0"
    overrides = {
        sonnet: {
            "profile_prices": {
                "": {"us-east-1": {"input": "9", "output": "9"}},
                "us": {"us-east-1": {"input": "7", "output": "7"}},
            }
        }
    }
    catalog = prices.load_catalog(json.dumps(overrides))
    plain = catalog.price_for(sonnet, "us-east-1", "2026-01-01")
    assert (plain.price.rates, plain.scope) == ({"input": Decimal("0.003"), "output": Decimal("0.015")}, "")
    profile = catalog.price_for("us." + sonnet, "us-east-1", "2026-01-01")
    assert (profile.price.rates, profile.scope) == ({"input": Decimal("7"), "output": Decimal("7")}, "us")
