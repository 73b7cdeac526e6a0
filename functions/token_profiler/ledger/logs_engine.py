"""The logs engine: FilterLogEvents over the invoke function's log group, parsed and verified in Python."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from token_profiler.aggregate import DayAggregate
from token_profiler.ledger import DayTotals
from token_profiler.logs import iter_day_messages


def read_day(
    logs_client: Any,
    log_group: str,
    day: dt.date,
    *,
    keys: Mapping[str, bytes] | None,
    accept_unsigned: bool,
) -> DayTotals:
    agg = DayAggregate(day.isoformat(), keys, accept_unsigned=accept_unsigned)
    add = agg.add
    for message in iter_day_messages(logs_client, log_group, day):
        add(message)
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
    return lambda day, keys, accept_unsigned: read_day(
        logs, settings.log_group_api, day, keys=keys, accept_unsigned=accept_unsigned
    )
