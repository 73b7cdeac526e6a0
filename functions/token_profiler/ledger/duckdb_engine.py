"""The DuckDB engine: ``day.sql`` run embedded over the day's archive objects.

DuckDB reads S3 itself only through its httpfs extension, which the pip wheel does not bundle (it
is downloaded on first use, impossible offline and in a VPC without internet). So boto3 fetches the
day's objects, each is unpacked to newline-delimited messages in a temporary directory, and DuckDB
reads those files as the relation ``usage_lines``.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from token_profiler.aggregate import LATE_UNTIL, DayAggregate
from token_profiler.ledger import DayTotals, archive, day_params, day_sql, refused_sql

# The Trino functions day.sql uses that DuckDB names differently.
TRINO_MACROS = (
    "CREATE OR REPLACE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)",
    "CREATE OR REPLACE MACRO json_format(j) AS CAST(j AS VARCHAR)",
    "CREATE OR REPLACE MACRO regexp_like(s, p) AS regexp_matches(s, p)",
)


def connect(threads: int | None = None) -> Any:
    import duckdb

    connection = duckdb.connect(":memory:")
    if threads:
        connection.execute(f"SET threads = {int(threads)}")
    for macro in TRINO_MACROS:
        connection.execute(macro)
    return connection


def query_files(day: dt.date, files: Iterable[Path], connection: Any = None) -> DayTotals:
    """Run day.sql, and refused.sql (the ingestion processor's refusals), over newline-delimited
    message files."""
    totals = DayTotals(day=day.isoformat())
    paths = [str(path) for path in files]
    if not paths:
        return totals
    connection = connection or connect()
    # one VARCHAR column per line: \x01 never occurs raw in a JSON line, quotes are not special
    # a view takes no prepared parameter: the paths (our temporary files) are quoted literals
    listed = ", ".join("'" + path.replace("'", "''") + "'" for path in paths)
    view = (
        f"CREATE OR REPLACE TEMP VIEW usage_lines AS SELECT line FROM read_csv([{listed}],"  # noqa: S608
        " columns = {'line': 'VARCHAR'}, header = false, delim = chr(1), quote = '', escape = '',"
        " auto_detect = false, compression = 'auto', strict_mode = false, null_padding = true)"
    )
    connection.execute(view)
    for row in connection.execute(day_sql("usage_lines"), day_params(day)).fetchall():
        totals.add_row(row)
    totals.add_refusals(connection.execute(refused_sql("usage_lines"), [day.isoformat()]).fetchall())
    return totals


_TIMESTAMP = re.compile(r'"timestamp": ?"([^"]*)"')


def verified_lines(data: bytes, probe: DayAggregate) -> bytes:
    """``data`` (newline-delimited messages) without the day's usage lines whose signature does not
    verify (or name another day); ``probe`` counts them in ``rejected`` (and the day's timed-out
    lines). Lines of the next day's first LATE_UNTIL are kept only when they verify and name this
    day; lines of other days (the late hour) and lines that are not usage lines pass through:
    day.sql drops or skips them. Dropped before the SQL de-duplicates, a failed line never displaces
    a good one."""
    kept = []
    next_day = (dt.date.fromisoformat(probe.day) + dt.timedelta(days=1)).isoformat()
    for line in data.decode("utf-8", "replace").splitlines():
        stamp = _TIMESTAMP.search(line)
        if stamp is not None and "TOKEN_USAGE" in line:
            logged = stamp.group(1)
            if logged[:10] == probe.day:
                before = probe.lines_rejected
                probe.add(line)
                if probe.lines_rejected > before:
                    continue
            elif logged[:10] == next_day and logged[11:16] < LATE_UNTIL:
                # the next day's first minutes: kept only when it verifies and names this day (else
                # it is the next day's line, which that day's run checks and counts)
                before = probe.duplicates
                if not probe.add_late(line) and probe.duplicates == before:
                    continue
        kept.append(line)
    return ("\n".join(kept) + "\n").encode() if kept else b""


def read_day(
    s3: Any,
    bucket: str,
    prefix: str,
    day: dt.date,
    connection: Any = None,
    *,
    keys: Mapping[str, bytes] | None,
    accept_unsigned: bool,
    accept_undated: bool = True,
) -> DayTotals:
    """The day's totals over verified lines: signatures are checked in Python before day.sql (again,
    where the ingestion processor checked them already), and the processor's refusals counted."""
    probe = DayAggregate(
        day.isoformat(), keys, accept_unsigned=accept_unsigned, accept_undated=accept_undated
    )
    with tempfile.TemporaryDirectory(prefix="ledger-") as tmp:
        files = []
        for n, key in enumerate(archive.day_keys(s3, bucket, prefix, day)):
            data = archive.object_lines(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            data = verified_lines(data, probe) if data else data
            if data:
                path = Path(tmp) / f"{n:06d}.ndjson"
                path.write_bytes(data)
                files.append(path)
        totals = query_files(day, files, connection)
    # refused at ingestion (refused.sql) plus refused here (an archive written without the processor)
    for reason, count in probe.rejected.items():
        totals.rejected[reason] += count
    # day.sql does not sum timed_out: the probe counts it over the verified, first-seen lines
    totals.timed_out = probe.timed_out
    return totals


def reader(settings: Any, client: Callable[[str], Any]) -> Callable[..., DayTotals]:
    s3 = client("s3")
    return lambda day, keys, accept_unsigned, accept_undated=True: read_day(
        s3,
        settings.archive_bucket,
        settings.archive_prefix,
        day,
        keys=keys,
        accept_unsigned=accept_unsigned,
        accept_undated=accept_undated,
    )
