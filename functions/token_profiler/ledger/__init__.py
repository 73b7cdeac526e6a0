"""The usage ledger: one UTC day of usage lines, summed per (tenant, model as called, region, tier).

Three engines read a day and give the same ``DayTotals`` (``build_rows`` prices them in Python):

- ``logs``: FilterLogEvents on the invoke function's log group, parsed by ``aggregate.DayAggregate``.
  No archive needed; bound by FilterLogEvents' 5 requests/s per account (about 2 million lines in
  the scheduled function's 300 s).
- ``duckdb``: ``day.sql`` run by DuckDB, embedded, over the day's archive objects fetched from S3.
  One machine: the local stack, the tests, the benchmarks.
- ``athena``: the same ``day.sql`` run by Athena over the Glue table of the archive. Any size.

Signed usage lines (``token_profiler.signing``) are verified before de-duplication whatever the
engine, or the engine refuses to run:

- ``logs``: ``DayAggregate`` verifies each line before it takes a request id.
- ``duckdb``: each archived line of the day is verified in Python (``signing.check`` through a
  ``DayAggregate`` probe) before it is handed to ``day.sql``; a line that fails never reaches the
  SQL, so it can never displace one that passes, and it is counted in ``rejected``.
- ``athena``: ``day.sql`` does not verify signatures yet, so the engine refuses (``ConfigError``)
  any day on which unsigned lines are not accepted (from ``SIGNED_LINES_FROM`` on, or every day
  when it is empty). It never bills an unverified line on a day that requires signatures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from token_profiler.signing import REASONS

ENGINES = ("logs", "duckdb", "athena")
DAY_SQL = (Path(__file__).with_name("day.sql")).read_text(encoding="utf-8")


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


def day_sql(source: str) -> str:
    """``day.sql`` reading from ``source`` (a relation name or a parenthesized subquery)."""
    return DAY_SQL.replace("{source}", source)
