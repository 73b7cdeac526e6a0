"""The DuckDB engine's own steps around day.sql: the connection it opens, the files it writes and
removes, the archive bucket it reads, the Python check before the SQL (timed-out calls counted only
where day.sql bills them, escaped keys, lines without a timestamp, undecodable bytes) and the reader
the aggregator is given. test_ledger.py checks day.sql's sums against the aggregator."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
from pathlib import Path

import duckdb
import pytest
from token_profiler.aggregate import DayAggregate
from token_profiler.ledger import duckdb_engine
from token_profiler.signing import Keyring

from tests.support.usage_lines import TEST_KEYRING, usage_line

pytestmark = pytest.mark.unit

DAY = dt.date(2026, 11, 26)
NEXT = DAY + dt.timedelta(days=1)
KEY = ("t", "m", "us-east-1", "standard")
# a key id the deployment knows, with another key: its lines fail verification
FORGER = Keyring(current="test-2", keys={"test-2": b"not the deployment's key, 32 b!!"})


def logged(line: str, when: str) -> str:
    """``line`` as logged at ``when`` ("YYYY-MM-DD HH:MM:SS"): the signature covers token_usage only."""
    record = json.loads(line)
    record["timestamp"] = f"{when},000+0000"
    return json.dumps(record, separators=(",", ":"))


def signed(request_id: str, when: str, names: dt.date = DAY, **fields) -> str:
    """A version 3 line, signed with the tests' keyring, naming the day ``names``."""
    tokens = {"input_tokens": 10, "output_tokens": 1, **fields}
    line = usage_line(
        tenant="t",
        request_id=request_id,
        model_id="m",
        keyring=TEST_KEYRING,
        schema_version=3,
        day=names.isoformat(),
        **tokens,
    )
    return logged(line, when)


class ArchiveS3:
    """list_objects_v2 and get_object on one bucket; any other bucket is an error, as on S3."""

    def __init__(self, bucket: str, objects: dict[str, bytes]):
        self.bucket = bucket
        self.objects = objects

    def get_paginator(self, name):
        assert name == "list_objects_v2"
        return self

    def paginate(self, Bucket, Prefix):  # noqa: N803 - boto3's names
        assert Bucket == self.bucket, f"listed bucket {Bucket!r}"
        keys = sorted(k for k in self.objects if k.startswith(Prefix))
        yield {"Contents": [{"Key": k} for k in keys]} if keys else {}

    def get_object(self, Bucket, Key):  # noqa: N803
        assert Bucket == self.bucket, f"read bucket {Bucket!r}"
        return {"Body": io.BytesIO(self.objects[Key])}


def gz(lines: list[str]) -> bytes:
    return gzip.compress(("\n".join(lines) + "\n").encode())


def read(objects: dict[str, bytes], **kwargs):
    s3 = ArchiveS3("archive", objects)
    return duckdb_engine.read_day(
        s3, "archive", "usage/", DAY, keys=TEST_KEYRING.keys, accept_unsigned=False, **kwargs
    )


# -- the connection and the files ---------------------------------------------------------------------
def test_connect_sets_the_thread_count_it_is_given():
    assert duckdb_engine.connect(threads=3).execute("SELECT current_setting('threads')").fetchone() == (3,)
    default = duckdb.connect(":memory:").execute("SELECT current_setting('threads')").fetchone()
    assert duckdb_engine.connect().execute("SELECT current_setting('threads')").fetchone() == default


def test_no_file_gives_the_days_empty_totals():
    totals = duckdb_engine.query_files(DAY, [])
    assert (totals.day, totals.sums, totals.lines_read) == ("2026-11-26", {}, 0)


def test_a_file_whose_path_holds_a_quote_is_read(tmp_path):
    folder = tmp_path / "o'hara's"
    folder.mkdir()
    path = folder / "0.ndjson"
    path.write_text(signed("a", "2026-11-26 09:00:00", input_tokens=7, output_tokens=2) + "\n")
    totals = duckdb_engine.query_files(DAY, [path])
    assert totals.sums == {KEY: [7, 2, 0, 0, 1, 0]}


def test_read_day_reads_the_archive_bucket_into_files_it_removes_with_the_connection_given(monkeypatch):
    seen = []
    real = duckdb_engine.query_files

    def spy(day, files, connection=None):
        files = list(files)
        seen.append((day, files, connection, [p.exists() for p in files]))
        return real(day, files, connection)

    monkeypatch.setattr(duckdb_engine, "query_files", spy)
    connection = duckdb_engine.connect(threads=1)
    objects = {
        "usage/2026/11/26/09/a.gz": gz([signed("a", "2026-11-26 09:00:00", input_tokens=3, output_tokens=4)]),
        "usage/2026/11/26/15/b.gz": gz([signed("b", "2026-11-26 15:00:00", input_tokens=5, output_tokens=6)]),
    }
    totals = read(objects, connection=connection)
    assert totals.sums == {KEY: [8, 10, 0, 0, 2, 0]}
    ((day, files, used, existed),) = seen
    assert day == DAY and used is connection and existed == [True, True]
    # numbered files in one temporary "ledger-" directory, gone once the day is read
    assert [p.name for p in files] == ["000000.ndjson", "000001.ndjson"]
    assert files[0].parent == files[1].parent and files[0].parent.name.startswith("ledger-")
    assert not files[0].parent.exists()
    # the view day.sql read is on the connection the caller gave
    views = "SELECT count(*) FROM duckdb_views() WHERE view_name = 'usage_lines'"
    assert connection.execute(views).fetchone() == (1,)


# -- the check before day.sql ---------------------------------------------------------------------------
def test_timed_out_calls_are_counted_only_where_day_sql_bills_them():
    lines = [
        signed("day", "2026-11-26 10:00:00", timed_out=True, input_tokens=100, output_tokens=10),
        # the next day's first minutes (before LATE_UNTIL, 00:05), naming this day: billed here
        signed("late", "2026-11-27 00:04:59", timed_out=True, input_tokens=20, output_tokens=2),
        # naming this day, but logged at 00:05 and at 01:00 of the next day: not read for this day
        signed("at-five", "2026-11-27 00:05:00", timed_out=True, input_tokens=3000, output_tokens=3),
        signed("hour-late", "2026-11-27 01:00:00", timed_out=True, input_tokens=40000, output_tokens=4),
    ]
    objects = {"usage/2026/11/27/00/a.gz": gz(lines)}
    totals = read(objects)
    assert totals.sums == {KEY: [100 + 20, 10 + 2, 0, 0, 2, 0]}
    assert totals.timed_out == 2


def test_the_next_days_own_line_does_not_stop_the_reading():
    lines = [
        signed("next", "2026-11-27 00:01:00", names=NEXT, input_tokens=900, output_tokens=9),
        signed("a", "2026-11-26 23:00:00", input_tokens=4, output_tokens=5),
        signed("b", "2026-11-27 00:02:00", input_tokens=6, output_tokens=7),
    ]
    totals = read({"usage/2026/11/27/00/a.gz": gz(lines)})
    assert totals.sums == {KEY: [4 + 6, 5 + 7, 0, 0, 2, 0]}
    assert sum(totals.rejected.values()) == 0  # the next day's line is that day's to count


def test_a_forged_line_with_an_escaped_key_is_refused_before_the_sql():
    forged = usage_line(
        tenant="victim",
        request_id="f",
        model_id="m",
        input_tokens=10**6,
        output_tokens=0,
        keyring=FORGER,
        schema_version=3,
        day=DAY.isoformat(),
    )
    # the same JSON to a parser, but without the literal text "token_usage"
    escaped = logged(forged, "2026-11-26 08:00:00").replace('"token_usage":', '"token\\u005fusage":')
    assert "token_usage" not in escaped and json.loads(escaped)["token_usage"]["tenant_id"] == "victim"
    good = signed("g", "2026-11-26 09:00:00", input_tokens=1, output_tokens=2)
    totals = read({"usage/2026/11/26/08/a.gz": gz([escaped, good])})
    assert totals.sums == {KEY: [1, 2, 0, 0, 1, 0]}
    assert totals.rejected["bad_signature"] == 1
    assert totals.lines_skipped == 0


def probe() -> DayAggregate:
    return DayAggregate(DAY.isoformat(), TEST_KEYRING.keys)


def test_a_line_naming_the_marker_without_a_timestamp_passes_through():
    line = '{"level":"INFO","message":"TOKEN_USAGE","token_usage":{}}'
    checker = probe()
    assert duckdb_engine.verified_lines(line.encode(), checker) == (line + "\n").encode()
    assert checker.lines_read == 0


def test_undecodable_bytes_are_replaced_not_fatal():
    good = signed("a", "2026-11-26 09:00:00")
    data = good.encode() + b"\nnot \xff text\n"
    checker = probe()
    assert duckdb_engine.verified_lines(data, checker) == (good + "\nnot \ufffd text\n").encode()
    assert checker.lines_counted == 1


def test_when_every_line_is_refused_nothing_is_left():
    forged = usage_line(
        tenant="t", request_id="f", model_id="m", input_tokens=1, output_tokens=1, keyring=FORGER
    )
    checker = probe()
    assert duckdb_engine.verified_lines(logged(forged, "2026-11-26 08:00:00").encode(), checker) == b""
    assert checker.rejected["bad_signature"] == 1


# -- the reader -----------------------------------------------------------------------------------------
def test_the_reader_reads_the_configured_archive_with_the_callers_rules(monkeypatch):
    class Settings:
        archive_bucket, archive_prefix = "archive", "ledger/"

    clients, calls = [], []
    monkeypatch.setattr(duckdb_engine, "read_day", lambda *args, **kw: calls.append((args, kw)) or "totals")
    read_day = duckdb_engine.reader(Settings, lambda name: clients.append(name) or f"client:{name}")
    assert clients == ["s3"]
    assert read_day(DAY, {"k": b"x"}, False) == "totals"
    assert read_day(DAY, None, True, False) == "totals"
    common = ("client:s3", "archive", "ledger/", DAY)
    assert calls == [
        (common, {"keys": {"k": b"x"}, "accept_unsigned": False, "accept_undated": True}),
        (common, {"keys": None, "accept_unsigned": True, "accept_undated": False}),
    ]


def test_the_files_are_plain_text_named_for_day_sql(tmp_path):
    # day.sql reads the relation usage_lines, whatever the engine's temporary files are called
    path = Path(tmp_path) / "x.ndjson"
    path.write_text(signed("a", "2026-11-26 09:00:00", input_tokens=2, output_tokens=3) + "\n")
    connection = duckdb_engine.connect()
    totals = duckdb_engine.query_files(DAY, [path], connection)
    assert totals.sums == {KEY: [2, 3, 0, 0, 1, 0]}
    assert connection.execute("SELECT count(*) FROM usage_lines").fetchone() == (1,)
