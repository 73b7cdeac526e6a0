"""Read one UTC day of usage lines from CloudWatch Logs with FilterLogEvents, to the last page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from token_profiler import USAGE_MARKER
from token_profiler.dates import day_bounds_ms

# A quoted term matches the exact phrase; lines are validated again when parsed.
FILTER_PATTERN = f'"{USAGE_MARKER}"'


def iter_day_messages(client: Any, log_group: str, day: dt.date) -> Iterator[str]:
    """Every message of the day that mentions the marker; no 10,000-row ceiling.

    A log group that does not exist yet (no invocation so far) yields nothing.
    """
    yield from iter_window_messages(client, log_group, *day_bounds_ms(day))


def iter_window_messages(client: Any, log_group: str, start_ms: int, end_ms: int) -> Iterator[str]:
    """Every message logged in [start_ms, end_ms] (epoch ms, inclusive) that mentions the marker."""
    kwargs: dict[str, Any] = {
        "logGroupName": log_group,
        "startTime": start_ms,
        "endTime": end_ms,
        "filterPattern": FILTER_PATTERN,
    }
    while True:
        try:
            page = client.filter_log_events(**kwargs)
        except client.exceptions.ResourceNotFoundException:
            return
        for event in page.get("events", []):
            yield event["message"]
        token = page.get("nextToken")
        if not token or token == kwargs.get("nextToken"):
            return
        kwargs["nextToken"] = token
