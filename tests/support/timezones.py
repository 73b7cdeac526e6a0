"""Run code under another local time zone (the TZ environment variable), to show it never depends
on the machine's zone: CI machines run in UTC, where a local-time bug cannot be seen."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

# behind UTC, UTC itself, ahead of UTC (and with a summer time change in the US)
ZONES = ("UTC", "America/New_York", "Asia/Tokyo")


@contextmanager
def local_time_zone(name: str) -> Iterator[str]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield name
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()
