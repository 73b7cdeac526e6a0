"""The logs engine: FilterLogEvents over the invoke function's log group, parsed and verified in Python."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from token_profiler.aggregate import LATE_UNTIL, DayAggregate
from token_profiler.dates import day_bounds_ms
from token_profiler.ledger import DayTotals
from token_profiler.logs import iter_day_messages, iter_window_messages


def read_day(
    logs_client: Any,
    log_group: str,
    day: dt.date,
    *,
    keys: Mapping[str, bytes] | None,
    accept_unsigned: bool,
    accept_undated: bool = True,
) -> DayTotals:
    agg = DayAggregate(day.isoformat(), keys, accept_unsigned=accept_unsigned, accept_undated=accept_undated)
    add = agg.add
    for message in iter_day_messages(logs_client, log_group, day):
        add(message)
    # the day's calls logged just after midnight: the next day's first LATE_UNTIL, keeping only the
    # lines that verify and name this day (the next day's run counts or refuses the others)
    _, end_ms = day_bounds_ms(day)
    hours, minutes = (int(part) for part in LATE_UNTIL.split(":"))
    late_ms = (hours * 60 + minutes) * 60_000
    for message in iter_window_messages(logs_client, log_group, end_ms + 1, end_ms + late_ms):
        agg.add_late(message)
    return DayTotals(
        day=agg.day,
        sums=agg.sums,
        lines_skipped=agg.lines_skipped,
        duplicates=agg.duplicates,
        timed_out=agg.timed_out,
        rejected=dict(agg.rejected),
    )


def reader(settings: Any, client: Callable[[str], Any]) -> Callable[..., DayTotals]:
    logs = client("logs")
    return lambda day, keys, accept_unsigned, accept_undated=True: read_day(
        logs,
        settings.log_group_api,
        day,
        keys=keys,
        accept_unsigned=accept_unsigned,
        accept_undated=accept_undated,
    )
