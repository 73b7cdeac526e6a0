"""Next fire time of an EventBridge Scheduler expression: ``cron(m h dom mon dow year)`` or
``rate(n unit)``, UTC. Supports ``*``, ``?``, numbers, names, lists, ranges and steps; the ``L``,
``W`` and ``#`` forms are refused (the local scheduler says so and does not run).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

MONTHS = {
    m: i
    for i, m in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1
    )
}
DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}
RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
CRON = re.compile(r"^cron\((.+)\)$")


class UnsupportedSchedule(ValueError):
    pass


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int] | None:
    """The allowed values, or None for any (* or ?)."""
    if text in {"*", "?"}:
        return None
    values: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part in {"*", ""}:
            start, end = low, high
        elif "-" in part:
            a, b = part.split("-", 1)
            start, end = _value(a, names), _value(b, names)
        else:
            start = _value(part, names)
            end = high if "/" in text else start
        if not (low <= start <= high and low <= end <= high):
            raise UnsupportedSchedule(f"{text}: out of range {low}-{high}")
        values.update(range(start, end + 1, step))
    return values


def _value(text: str, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise UnsupportedSchedule(f"{text}: not supported by the local scheduler")
    return int(text)


def next_fire(expression: str, after: datetime) -> datetime:
    """The first fire time strictly after `after` (UTC)."""
    after = after.astimezone(UTC).replace(second=0, microsecond=0)
    rate = RATE.match(expression.strip())
    if rate:
        amount, unit = int(rate[1]), rate[2].rstrip("s")
        return (
            after
            + {
                "minute": timedelta(minutes=amount),
                "hour": timedelta(hours=amount),
                "day": timedelta(days=amount),
            }[unit]
        )
    cron = CRON.match(expression.strip())
    if not cron:
        raise UnsupportedSchedule(f"{expression}: not a cron() or rate() expression")
    fields = cron[1].split()
    if len(fields) != 6:
        raise UnsupportedSchedule(f"{expression}: cron needs 6 fields")
    minutes = _field(fields[0], 0, 59)
    hours = _field(fields[1], 0, 23)
    days = _field(fields[2], 1, 31)
    months = _field(fields[3], 1, 12, MONTHS)
    weekdays = _field(fields[4], 1, 7, DAYS)
    years = _field(fields[5], 1970, 2199)
    day = after.replace(hour=0, minute=0)
    for _ in range(366 * 5):
        if (
            (years is None or day.year in years)
            and (months is None or day.month in months)
            and (days is None or day.day in days)
            and (weekdays is None or (day.isoweekday() % 7) + 1 in weekdays)
        ):
            for hour in sorted(hours) if hours is not None else range(24):
                for minute in sorted(minutes) if minutes is not None else range(60):
                    candidate = day.replace(hour=hour, minute=minute)
                    if candidate > after:
                        return candidate
        day += timedelta(days=1)
    raise UnsupportedSchedule(f"{expression}: never fires in the next five years")
