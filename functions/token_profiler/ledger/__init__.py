"""The usage ledger: one UTC day of usage lines, summed per (tenant, model as called, region, tier).

Three engines read a day and give the same ``DayTotals`` (``build_rows`` prices them in Python):

- ``logs``: FilterLogEvents on the invoke function's log group, parsed by ``aggregate.DayAggregate``.
  No archive needed; bound by FilterLogEvents' 5 requests/s per account (about 2 million lines in
  the scheduled function's 300 s).
- ``duckdb``: ``day.sql`` run by DuckDB, embedded, over the day's archive objects fetched from S3.
  One machine: the local stack, the tests, the benchmarks.
- ``athena``: the same ``day.sql`` run by Athena over the Glue table of the archive. Any size.

Signed usage lines (``token_profiler.signing``) are verified before de-duplication whatever the
engine:

- ``logs``: ``DayAggregate`` verifies each line before it takes a request id.
- at ingestion: the archive's Firehose stream runs every record through the verifying processor
  (``ingest``, functions/archive_verify) before it writes it, so the archive holds the lines that
  verified and a refusal record (reason only) for each one that did not. Only Firehose writes there.
- ``athena``: trusts the archive (its ledger prefix holds verified lines only) and counts the
  refusals with ``refused.sql``; it holds no key and never sends one anywhere.
- ``duckdb``: counts the refusals the same way, and verifies every archived line again in Python
  (``signing.check`` through a ``DayAggregate`` probe) before ``day.sql``, so it also reads an
  archive written without the processor (moto without the local stack, objects from before it)
  safely: a line that fails never reaches the SQL and never displaces one that passes.

Every engine bills a line on the day it names (schema version 3's signed ``day``) and reads the
next day's first minutes (``aggregate.LATE_UNTIL``) for the day's calls logged after midnight; a
verified line logged on a day it does not name is refused as ``day_mismatch`` (a replay).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from token_profiler.aggregate import LATE_UNTIL
from token_profiler.signing import REASONS

ENGINES = ("logs", "duckdb", "athena")
DAY_SQL = (Path(__file__).with_name("day.sql")).read_text(encoding="utf-8")
REFUSED_SQL = (Path(__file__).with_name("refused.sql")).read_text(encoding="utf-8")


@dataclass
class DayTotals:
    """A day's sums, in the shape ``aggregate.build_rows`` prices (``DayAggregate.sums``): ``sums``
    maps (tenant, model_id, region, tier) to
    [input, output, cache_read, cache_write, invocations, cache_write_1h]."""

    day: str
    sums: dict[tuple[str, str, str, str], list[int]] = field(default_factory=dict)
    lines_skipped: int = 0
    duplicates: int = 0
    timed_out: int = 0
    rejected: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REASONS, 0))

    @property
    def lines_counted(self) -> int:
        return sum(total[4] for total in self.sums.values())

    @property
    def lines_read(self) -> int:
        return self.lines_counted + self.lines_skipped + self.duplicates + sum(self.rejected.values())

    def add_row(self, row: tuple) -> None:
        """One row of ``day.sql``: tenant, model, region, tier, the six sums in ``sums``' order,
        duplicates, skipped."""
        tenant, model_id, region, tier, i, o, cr, cw, invocations, cw1h, duplicates, skipped = row
        self.duplicates += int(duplicates or 0)
        self.lines_skipped += int(skipped or 0)
        if tenant is None or not invocations:
            return
        self.sums[(tenant, model_id, region, tier)] = [
            int(i),
            int(o),
            int(cr),
            int(cw),
            int(invocations),
            int(cw1h),
        ]

    def add_refusals(self, rows) -> None:
        """The rows of ``refused.sql`` (reason, lines): the ingestion processor's refusals, counted
        as the aggregator counts what it does not bill (a reason of ``signing.REASONS`` is
        ``rejected``, anything else, ``skipped``)."""
        for reason, lines in rows:
            if reason in self.rejected:
                self.rejected[reason] += int(lines)
            else:
                self.lines_skipped += int(lines)


def refused_sql(source: str) -> str:
    """``refused.sql`` reading from ``source``, as ``day_sql``."""
    return REFUSED_SQL.replace("{source}", source)


def day_params(day: dt.date) -> list[str]:
    """day.sql's parameters: the day, the next day, and the time of the next day until which a line
    of the day logged after midnight is still read (``aggregate.LATE_UNTIL``)."""
    return [day.isoformat(), (day + dt.timedelta(days=1)).isoformat(), LATE_UNTIL]


def day_sql(source: str) -> str:
    """``day.sql`` reading from ``source`` (a relation name or a parenthesized subquery)."""
    return DAY_SQL.replace("{source}", source)
