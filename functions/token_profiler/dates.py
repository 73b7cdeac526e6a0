"""UTC days: parsing, ranges and the bounds of a day in epoch milliseconds."""

from __future__ import annotations

import datetime as dt
import re

from token_profiler.errors import BadRequest, echo_names

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def parse_day(value: object, name: str = "date") -> dt.date:
    if not isinstance(value, str) or not _DAY.match(value):
        raise BadRequest(f"{name} must be a date as YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} is not a valid date: {value}") from None


def day_bounds_ms(day: dt.date) -> tuple[int, int]:
    """[start, end] in epoch ms, both inclusive, of a UTC day."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    start_ms = int(start.timestamp()) * 1000
    return start_ms, start_ms + 86_400_000 - 1


# FilterLogEvents takes epoch milliseconds >= 0: nothing before this day can ever be read.
EPOCH_DAY = dt.date(1970, 1, 1)


def aggregatable_since(today: dt.date, log_retention_days: int) -> dt.date:
    """The first day whose usage lines the logs still hold whole.

    CloudWatch drops events older than the retention, so the day ``retention`` days back is already
    partly gone; aggregating it would overwrite its row with smaller sums. A source that keeps lines
    longer (an archive) widens this window here.
    """
    return max(EPOCH_DAY, today - dt.timedelta(days=max(log_retention_days, 1) - 1))


def days_between(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def aggregation_days(
    body: dict,
    default: dt.date,
    max_range_days: int,
    now: dt.date | None = None,
    earliest: dt.date = EPOCH_DAY,
) -> list[dt.date]:
    """Days to aggregate from ``{"date"}`` or ``{"start_date", "end_date"}``; ``default`` when empty.

    Days before ``earliest`` (see ``aggregatable_since``) are refused, naming the days that can be.
    """
    now = now or today()
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    unknown = sorted(set(body) - {"date", "start_date", "end_date"})
    if unknown:
        raise BadRequest(f"unknown field(s): {echo_names(unknown)}")
    if "date" in body and ("start_date" in body or "end_date" in body):
        raise BadRequest("give either date or start_date/end_date, not both")
    if "date" in body:
        start = end = parse_day(body["date"], "date")
    elif "start_date" in body or "end_date" in body:
        if "start_date" not in body or "end_date" not in body:
            raise BadRequest("start_date and end_date go together")
        start = parse_day(body["start_date"], "start_date")
        end = parse_day(body["end_date"], "end_date")
    else:
        start = end = default
    if end < start:
        raise BadRequest("end_date is before start_date")
    if end > now:
        raise BadRequest(f"{end.isoformat()} is in the future (today is {now.isoformat()} UTC)")
    length = (end - start).days + 1
    if length > max_range_days:
        raise BadRequest(f"range of {length} days is longer than the maximum of {max_range_days}")
    earliest = max(earliest, EPOCH_DAY)
    if start < earliest:
        raise BadRequest(
            f"{start.isoformat()} cannot be aggregated: the usage lines held cover "
            f"{earliest.isoformat()} to {now.isoformat()} (UTC)"
        )
    return days_between(start, end)
