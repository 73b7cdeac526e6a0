"""The logs engine: FilterLogEvents over the invoke function's log group, parsed in Python."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from token_profiler.aggregate import DayAggregate
from token_profiler.ledger import DayTotals
from token_profiler.logs import iter_day_messages


def read_day(logs_client: Any, log_group: str, day: dt.date) -> DayTotals:
    agg = DayAggregate(day.isoformat())
    add = agg.add
    for message in iter_day_messages(logs_client, log_group, day):
        add(message)
    return DayTotals(day=agg.day, sums=agg.sums, lines_skipped=agg.lines_skipped, duplicates=agg.duplicates)


def reader(settings: Any, client: Callable[[str], Any]) -> Callable[[dt.date], DayTotals]:
    logs = client("logs")
    return lambda day: read_day(logs, settings.log_group_api, day)
