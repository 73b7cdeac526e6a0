"""UTC days whatever the machine's time zone: parsing, every refusal of a day range, day bounds.

Every test here runs three times: with TZ=UTC, America/New_York (behind UTC) and Asia/Tokyo (ahead
of it). A day computed from the local clock instead of UTC passes on a UTC machine only.
"""

from __future__ import annotations

import datetime as dt
import time
import types

import pytest
from token_profiler import dates
from token_profiler.errors import BadRequest

from tests.support.timezones import ZONES, local_time_zone

pytestmark = pytest.mark.unit

EPOCH = dt.date(1970, 1, 1)
DAY_MS = 24 * 60 * 60 * 1000
TODAY = dt.date(2026, 11, 27)
BOTH = "give either date or start_date/end_date, not both"


@pytest.fixture(autouse=True, params=ZONES)
def local_zone(request):
    """The process's local time zone, as the TZ environment variable sets it, for one test."""
    with local_time_zone(request.param) as name:
        yield name


def test_the_zone_really_changes(local_zone):
    """Guards the fixture: a winter instant has the offset each zone should have."""
    instant = dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC).timestamp()
    offset_hours = {"UTC": 0, "America/New_York": -5, "Asia/Tokyo": 9}[local_zone]
    assert time.localtime(instant).tm_gmtoff == offset_hours * 3600


def clock_at(instant: dt.datetime):
    """A stand-in for the datetime module whose clock reads ``instant`` (an aware UTC datetime).
    Without a time zone, ``now()`` answers the local wall-clock time, as the real one does."""

    class Clock(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            if tz is None:
                return instant.astimezone().replace(tzinfo=None)
            return instant.astimezone(tz)

    return types.SimpleNamespace(
        datetime=Clock, date=dt.date, time=dt.time, timedelta=dt.timedelta, UTC=dt.UTC
    )


# (instant, its UTC day): late at night in UTC is the next day in Tokyo, early in the morning is the
# previous day in New York
INSTANTS = [
    (dt.datetime(2026, 3, 1, 2, 30, tzinfo=dt.UTC), dt.date(2026, 3, 1)),
    (dt.datetime(2026, 2, 28, 20, 0, tzinfo=dt.UTC), dt.date(2026, 2, 28)),
]


@pytest.mark.parametrize(("instant", "day"), INSTANTS)
def test_today_is_the_utc_day(monkeypatch, instant, day):
    monkeypatch.setattr(dates, "dt", clock_at(instant))
    assert dates.today() == day


@pytest.mark.parametrize(("instant", "day"), INSTANTS)
def test_the_default_now_is_the_utc_day(monkeypatch, instant, day):
    monkeypatch.setattr(dates, "dt", clock_at(instant))
    assert dates.aggregation_days({"date": day.isoformat()}, day, 3) == [day]
    tomorrow = (day + dt.timedelta(days=1)).isoformat()
    with pytest.raises(BadRequest, match=f"^{tomorrow} is in the future"):
        dates.aggregation_days({"date": tomorrow}, day, 3)


@pytest.mark.parametrize("day", [EPOCH, dt.date(2026, 3, 8), dt.date(2026, 11, 1), dt.date(2026, 11, 26)])
def test_day_bounds_are_the_utc_day(day):
    """Whole UTC days since 1970, in ms; the dates include the US and Japan's summer time changes."""
    start, end = dates.day_bounds_ms(day)
    assert start == (day - EPOCH).days * DAY_MS
    assert end == start + DAY_MS - 1


def test_days_between_includes_both_ends():
    start = dt.date(2026, 2, 27)
    assert dates.days_between(start, dt.date(2026, 3, 2)) == [start + dt.timedelta(days=n) for n in range(4)]
    assert dates.days_between(start, start) == [start]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-11-27", None),
        ("2026-2-1", "when must be a date as YYYY-MM-DD"),
        ("2026-11-27x", "when must be a date as YYYY-MM-DD"),
        ("x2026-11-27", "when must be a date as YYYY-MM-DD"),
        (20261127, "when must be a date as YYYY-MM-DD"),
        (None, "when must be a date as YYYY-MM-DD"),
        ("2026-02-30", "when is not a valid date: 2026-02-30"),
        ("2026-13-01", "when is not a valid date: 2026-13-01"),
    ],
)
def test_parse_day(value, message):
    if message is None:
        assert dates.parse_day(value, "when") == dt.date(2026, 11, 27)
    else:
        with pytest.raises(BadRequest) as caught:
            dates.parse_day(value, "when")
        assert caught.value.message == message


def test_parse_day_names_date_by_default():
    with pytest.raises(BadRequest, match="^date must be a date as YYYY-MM-DD$"):
        dates.parse_day("today")


def days(first: str, last: str) -> list[dt.date]:
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, [dt.date(2026, 11, 20)]),  # the default day, not today
        ({"date": "2026-11-27"}, [TODAY]),  # today itself is not in the future
        ({"date": "2026-01-01"}, [dt.date(2026, 1, 1)]),  # a day alone has no range limit
        ({"start_date": "2026-11-25", "end_date": "2026-11-27"}, days("2026-11-25", "2026-11-27")),
        ({"start_date": "2026-11-26", "end_date": "2026-11-26"}, [dt.date(2026, 11, 26)]),
        ({"start_date": "2026-02-27", "end_date": "2026-03-01"}, days("2026-02-27", "2026-03-01")),
    ],
)
def test_aggregation_days(body, expected):
    assert dates.aggregation_days(body, dt.date(2026, 11, 20), 3, now=TODAY) == expected


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "body must be a JSON object"),
        ("2026-11-27", "body must be a JSON object"),
        ({"days": 3}, "unknown field(s): days"),
        ({"tenant": "a", "date": "2026-11-27", "days": 3}, "unknown field(s): days, tenant"),
        (
            {"date": "2026-11-27", "start_date": "2026-11-26", "end_date": "2026-11-27"},
            BOTH,
        ),
        ({"date": "2026-11-27", "start_date": "2026-11-26"}, BOTH),
        ({"date": "2026-11-27", "end_date": "2026-11-27"}, BOTH),
        ({"start_date": "2026-11-26"}, "start_date and end_date go together"),
        ({"end_date": "2026-11-26"}, "start_date and end_date go together"),
        ({"date": None}, "date must be a date as YYYY-MM-DD"),
        ({"date": "2026-2-1"}, "date must be a date as YYYY-MM-DD"),
        ({"date": "2026-02-30"}, "date is not a valid date: 2026-02-30"),
        ({"start_date": "26-11-25", "end_date": "2026-11-26"}, "start_date must be a date as YYYY-MM-DD"),
        ({"start_date": "2026-11-25", "end_date": "2026-11-31"}, "end_date is not a valid date: 2026-11-31"),
        ({"start_date": "2026-11-27", "end_date": "2026-11-26"}, "end_date is before start_date"),
        ({"date": "2026-11-28"}, "2026-11-28 is in the future (today is 2026-11-27 UTC)"),
        (
            {"start_date": "2026-11-26", "end_date": "2026-11-28"},
            "2026-11-28 is in the future (today is 2026-11-27 UTC)",
        ),
        (
            {"start_date": "2026-11-24", "end_date": "2026-11-27"},
            "range of 4 days is longer than the maximum of 3",
        ),
        (
            {"start_date": "2026-01-01", "end_date": "2026-11-27"},
            "range of 331 days is longer than the maximum of 3",
        ),
    ],
)
def test_every_refusal_of_aggregation_days(body, message):
    with pytest.raises(BadRequest) as caught:
        dates.aggregation_days(body, dt.date(2026, 11, 20), 3, now=TODAY)
    assert caught.value.message == message
    assert caught.value.status == 400


def test_a_future_default_day_is_refused():
    with pytest.raises(BadRequest, match=r"^2026-11-28 is in the future \(today is 2026-11-27 UTC\)$"):
        dates.aggregation_days({}, dt.date(2026, 11, 28), 3, now=TODAY)


def test_the_maximum_range_is_a_setting():
    assert dates.aggregation_days(
        {"start_date": "2026-11-18", "end_date": "2026-11-27"}, TODAY, 10, now=TODAY
    ) == days("2026-11-18", "2026-11-27")
    with pytest.raises(BadRequest, match="^range of 10 days is longer than the maximum of 9$"):
        dates.aggregation_days({"start_date": "2026-11-18", "end_date": "2026-11-27"}, TODAY, 9, now=TODAY)
