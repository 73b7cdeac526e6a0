"""The usage ledger's engines agree with the aggregator's rules and with an independent count.

DuckDB runs ``day.sql`` here for real (embedded). Athena cannot run here: its engine is checked with
botocore's Stubber (the request it sends, the polling, the paging of results), and the exact query
text it sends is run by DuckDB against a table shaped like the Glue table.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json

import boto3
import pytest
from botocore.stub import Stubber
from token_profiler import settings as settings_module
from token_profiler.aggregate import DayAggregate
from token_profiler.errors import ConfigError
from token_profiler.ledger import (
    DayTotals,
    archive,
    athena_engine,
    day_params,
    day_sql,
    duckdb_engine,
    refused_sql,
)
from token_profiler.signing import Keyring

from bench.linegen import Truth, bench_keyring, generate
from tests.support.usage_lines import TEST_KEYRING, usage_line

pytestmark = pytest.mark.unit

DAY = dt.date(2026, 11, 26)


def envelope(messages: list[str], kind: str = "DATA_MESSAGE") -> bytes:
    """One CloudWatch Logs subscription record as Firehose receives it (gzip JSON)."""
    events = [{"id": str(n), "timestamp": 0, "message": m} for n, m in enumerate(messages)]
    body = {"messageType": kind, "logGroup": "/aws/lambda/x", "logStream": "s", "logEvents": events}
    return gzip.compress(json.dumps(body).encode())


def extracted(messages: list[str]) -> bytes:
    """An object as Firehose writes it with decompression and message extraction (gzip lines)."""
    return gzip.compress(("\n".join(messages) + "\n").encode())


def run_duckdb(tmp_path, bodies: list[bytes], day: dt.date = DAY) -> DayTotals:
    files = []
    for n, body in enumerate(bodies):
        path = tmp_path / f"{n}.ndjson"
        path.write_bytes(archive.object_lines(body))
        files.append(path)
    return duckdb_engine.query_files(day, files)


def truth_sums(truth: Truth) -> dict:
    return {(t, m, "us-east-1", "standard"): [*v, 0] for (t, m), v in truth.sums.items()}


@pytest.mark.parametrize("shape", ["envelope", "extracted"])
def test_duckdb_counts_a_generated_day_exactly(tmp_path, shape):
    # Given a day of lines with duplicates, malformed, invalid and other lines, in several objects
    truth = Truth(day=DAY.isoformat())
    messages = [event["message"] for event in generate(6000, day=DAY.isoformat(), seed=3, truth=truth)]
    pack = envelope if shape == "envelope" else extracted
    bodies = [pack(messages[i : i + 700]) for i in range(0, len(messages), 700)]
    # When DuckDB runs day.sql over them
    totals = run_duckdb(tmp_path, bodies)
    # Then the sums, the skipped lines and the duplicates are the generator's own count
    assert totals.sums == truth_sums(truth)
    assert (totals.lines_skipped, totals.duplicates) == (truth.skipped, truth.duplicates)
    assert totals.lines_read == truth.lines == 6000
    # and the Python aggregator over the same messages agrees line for line
    agg = DayAggregate(DAY.isoformat(), bench_keyring().keys)  # the generator signs its lines
    for message in messages:
        agg.add(message)
    assert agg.sums == totals.sums
    assert (agg.lines_skipped, agg.duplicates) == (totals.lines_skipped, totals.duplicates)


def stamp(hour: int, minute: int = 0, day: dt.date = DAY) -> str:
    return f"{day.isoformat()} {hour:02d}:{minute:02d}:00,000+0000"


def stamped(timestamp: str, **kwargs) -> str:
    record = json.loads(usage_line(**kwargs))
    record["timestamp"] = timestamp
    return json.dumps(record, separators=(",", ":"))


def test_earliest_line_of_a_request_wins_whatever_the_order(tmp_path):
    later = stamped(stamp(12), tenant="t", request_id="r", model_id="m", input_tokens=999, output_tokens=1)
    earlier = stamped(stamp(11), tenant="t", request_id="r", model_id="m", input_tokens=7, output_tokens=3)
    totals = run_duckdb(tmp_path, [extracted([later]), envelope([earlier])])
    assert totals.sums == {("t", "m", "us-east-1", "standard"): [7, 3, 0, 0, 1, 0]}
    assert totals.duplicates == 1


def test_only_lines_logged_that_day_count(tmp_path):
    lines = [
        stamped(
            stamp(23, 59, DAY - dt.timedelta(days=1)),
            tenant="t",
            request_id="a",
            model_id="m",
            input_tokens=1,
            output_tokens=1,
        ),
        stamped(stamp(0), tenant="t", request_id="b", model_id="m", input_tokens=10, output_tokens=20),
        stamped(
            stamp(0, 0, DAY + dt.timedelta(days=1)),
            tenant="t",
            request_id="c",
            model_id="m",
            input_tokens=100,
            output_tokens=1,
        ),
    ]
    totals = run_duckdb(tmp_path, [extracted(lines)])
    assert totals.sums == {("t", "m", "us-east-1", "standard"): [10, 20, 0, 0, 1, 0]}
    assert totals.lines_read == 1


@pytest.mark.parametrize(
    "usage",
    [
        {"input_tokens": -1},
        {"input_tokens": 1.5},
        {"input_tokens": True},
        {"input_tokens": "5"},
        {"output_tokens": None},
        {"tenant": ""},
        {"region": 5},
        {"schema_version": 4},
        {"schema_version": 0},
        {"day": 26},
        {"day": ["2026-11-26"]},
        {"schema_version": "1"},
        {"schema_version": False},
        {"schema_version": None},
        {"tier": "gold"},
        {"tier": None},
        {"tier": 1},
        {"tier": ""},
        {"cache_write": 3, "cache_write_1h_input_tokens": 4},
        {"cache_write_1h_input_tokens": -1},
        {"cache_write_1h_input_tokens": 1.0},
        {"cache_write_1h_input_tokens": None},
        {"timed_out": "yes"},
        {"timed_out": None},
        {"timed_out": 1},
        {"cache_read": -3},
        {"cache_write": -2},
        {"cache_write": 0.5},
    ],
)
def test_a_line_the_aggregator_skips_is_skipped_by_the_query(tmp_path, usage):
    base = {"tenant": "t", "request_id": "r", "model_id": "m", "input_tokens": 4, "output_tokens": 2}
    base.update(usage)
    bad = usage_line(**base)
    good = usage_line(tenant="u", request_id="r", model_id="m", input_tokens=1, output_tokens=1)
    agg = DayAggregate(DAY.isoformat(), accept_unsigned=True)  # unsigned lines, as day.sql reads them
    agg.add(bad)
    agg.add(good)
    totals = run_duckdb(tmp_path, [extracted([bad, good])])
    # the skipped line never displaces the valid one with the same request id
    assert totals.sums == agg.sums == {("u", "m", "us-east-1", "standard"): [1, 1, 0, 0, 1, 0]}
    assert totals.lines_skipped == agg.lines_skipped == 1


def test_version_2_lines_are_summed_per_tier_with_their_one_hour_cache_writes(tmp_path):
    # Given version 1 and 2 lines in three tiers, with 1-hour cache writes, timed-out calls and a
    # schema version Python's reader takes as 1 or 2 (1.0, 2.0, true)
    common = {"tenant": "t", "model_id": "m"}
    lines = [
        usage_line(request_id="a", input_tokens=10, output_tokens=1, **common),  # v1: standard
        usage_line(
            request_id="b",
            input_tokens=20,
            output_tokens=2,
            cache_read=5,
            cache_write=9,
            schema_version=2,
            tier="standard",
            cache_write_1h_input_tokens=4,
            **common,
        ),
        usage_line(request_id="c", input_tokens=30, output_tokens=3, schema_version=2, tier="flex", **common),
        usage_line(
            request_id="d",
            input_tokens=40,
            output_tokens=4,
            cache_write=7,
            schema_version=2,
            tier="flex",
            cache_write_1h_input_tokens=7,
            timed_out=True,
            **common,
        ),
        usage_line(
            request_id="e", input_tokens=50, output_tokens=5, schema_version=2.0, tier="batch", **common
        ),
        usage_line(request_id="f", input_tokens=60, output_tokens=6, schema_version=True, **common),
        usage_line(
            request_id="g", input_tokens=70, output_tokens=7, schema_version=1.0, timed_out=False, **common
        ),
        # a repeat of c in another tier: a duplicate, whatever its tier
        usage_line(
            request_id="c", input_tokens=999, output_tokens=9, schema_version=2, tier="batch", **common
        ),
    ]
    totals = run_duckdb(tmp_path, [extracted(lines)])
    agg = DayAggregate(DAY.isoformat(), accept_unsigned=True)  # unsigned lines, as day.sql reads them
    for line in lines:
        agg.add(line)
    # Then DuckDB, the aggregator and the sums worked out by hand agree to the last token
    assert (
        totals.sums
        == agg.sums
        == {
            ("t", "m", "us-east-1", "standard"): [10 + 20 + 60 + 70, 1 + 2 + 6 + 7, 5, 9, 4, 4],
            ("t", "m", "us-east-1", "flex"): [30 + 40, 3 + 4, 0, 7, 2, 7],
            ("t", "m", "us-east-1", "batch"): [50, 5, 0, 0, 1, 0],
        }
    )
    assert (totals.duplicates, totals.lines_skipped) == (agg.duplicates, agg.lines_skipped) == (1, 0)


def test_cache_counts_may_be_absent_and_count_as_zero(tmp_path):
    record = json.loads(usage_line(tenant="t", request_id="r", model_id="m", input_tokens=4, output_tokens=2))
    del record["token_usage"]["cache_read_input_tokens"], record["token_usage"]["cache_write_input_tokens"]
    del record["token_usage"]["region"]
    line = json.dumps(record, separators=(",", ":"))
    agg = DayAggregate(DAY.isoformat(), accept_unsigned=True)  # unsigned lines, as day.sql reads them
    agg.add(line)
    totals = run_duckdb(tmp_path, [extracted([line])])
    assert totals.sums == agg.sums == {("t", "m", "", "standard"): [4, 2, 0, 0, 1, 0]}


def test_object_lines_reads_both_shapes_and_drops_control_messages():
    body = envelope(["a", "b"]) + envelope([], "CONTROL_MESSAGE") + envelope(["c"])
    assert archive.object_lines(body) == b"a\nb\nc\n"
    # the emulator writes the envelope's keys in another order
    events = [{"id": "1", "timestamp": 0, "message": "m"}]
    moto_style = {"logEvents": events, "logGroup": "g", "messageType": "DATA_MESSAGE", "owner": "1"}
    assert archive.object_lines(gzip.compress(json.dumps(moto_style).encode())) == b"m\n"
    # a first line cut short is not mistaken for an envelope
    cut = '{"level":"INFO","logEvents'
    assert archive.object_lines(extracted([cut, "x"])) == (cut + "\nx\n").encode()
    assert archive.object_lines(extracted(["x", "y"])) == b"x\ny\n"
    assert archive.object_lines(gzip.compress(b"")) == b""


def test_day_hours_cover_the_day_and_the_late_hour():
    hours = archive.day_hours(DAY)
    assert hours[0] == "2026/11/26/00" and hours[23] == "2026/11/26/23"
    assert hours[-1] == "2026/11/27/00" and len(hours) == 24 + archive.LATE_HOURS


class FakeS3:
    """list_objects_v2 paging and get_object over a dict of keys."""

    def __init__(self, objects: dict[str, bytes]):
        self.objects = objects

    def get_paginator(self, name):
        assert name == "list_objects_v2"
        return self

    def paginate(self, Bucket, Prefix):  # noqa: N803 - boto3's names
        keys = sorted(k for k in self.objects if k.startswith(Prefix))
        yield {"Contents": [{"Key": k} for k in keys]} if keys else {}

    def get_object(self, Bucket, Key):  # noqa: N803
        return {"Body": io.BytesIO(self.objects[Key])}


def test_read_day_fetches_the_day_and_the_late_hour_only():
    line = stamped(
        stamp(23, 59), tenant="t", request_id="late", model_id="m", input_tokens=5, output_tokens=5
    )
    other = stamped(
        stamp(1, 0, DAY + dt.timedelta(days=1)),
        tenant="t",
        request_id="x",
        model_id="m",
        input_tokens=50,
        output_tokens=5,
    )
    s3 = FakeS3(
        {
            "usage/2026/11/26/10/a.gz": extracted(
                [
                    stamped(
                        stamp(10), tenant="t", request_id="a", model_id="m", input_tokens=1, output_tokens=2
                    )
                ]
            ),
            "usage/2026/11/27/00/b.gz": envelope([line]),  # arrived after midnight
            "usage/2026/11/27/01/c.gz": extracted([line, other]),  # outside the day's partitions
            "errors/2026/11/26/10/d.gz": extracted([line]),
        }
    )
    totals = duckdb_engine.read_day(s3, "bucket", "usage/", DAY, keys={}, accept_unsigned=True)
    assert totals.sums == {("t", "m", "us-east-1", "standard"): [6, 7, 0, 0, 2, 0]}


def _signed_day():
    forger = Keyring(current="test-2", keys={"test-2": b"not the deployment's key, 32 b!!"})
    common = {"request_id": "r", "model_id": "m"}
    # the forged line is logged first: unverified, it would win the request id in day.sql
    forged = stamped(stamp(9), tenant="victim", input_tokens=10**6, output_tokens=0, keyring=forger, **common)
    good = stamped(stamp(10), tenant="t", input_tokens=3, output_tokens=4, keyring=TEST_KEYRING, **common)
    unsigned = stamped(stamp(11), tenant="t", request_id="u", model_id="m", input_tokens=5, output_tokens=6)
    return FakeS3({"usage/2026/11/26/09/a.gz": extracted([forged, good, unsigned])}), [forged, good, unsigned]


@pytest.mark.parametrize("accept_unsigned", [False, True])
def test_the_duckdb_engine_bills_only_lines_that_verify(accept_unsigned):
    s3, messages = _signed_day()
    totals = duckdb_engine.read_day(
        s3, "bucket", "usage/", DAY, keys=TEST_KEYRING.keys, accept_unsigned=accept_unsigned
    )
    # the logs engine's verifier over the same lines, and the sums worked out by hand
    agg = DayAggregate(DAY.isoformat(), TEST_KEYRING.keys, accept_unsigned=accept_unsigned)
    for message in messages:
        agg.add(message)
    expected = [3 + 5, 4 + 6, 0, 0, 2, 0] if accept_unsigned else [3, 4, 0, 0, 1, 0]
    assert totals.sums == agg.sums == {("t", "m", "us-east-1", "standard"): expected}
    assert totals.rejected == agg.rejected
    assert totals.rejected["bad_signature"] == 1
    assert totals.rejected["missing_signature"] == (0 if accept_unsigned else 1)
    assert totals.duplicates == 0  # the forged line was dropped before the SQL de-duplicated
    assert totals.lines_read == agg.lines_read == 3


def test_the_athena_engine_reads_a_day_that_requires_signatures_without_any_key(monkeypatch):
    # Given the Athena engine's reader (the archive's lines were verified at ingestion)
    class Settings:
        athena_workgroup, glue_database, glue_table = "wg", "demo_usage", "usage_lines"

    seen = []
    monkeypatch.setattr(athena_engine, "read_day", lambda *args, **kw: seen.append(args) or "totals")
    read = athena_engine.reader(Settings, lambda name: name)
    # When it reads a day on which signatures are required
    assert read(DAY, TEST_KEYRING.keys, False) == "totals"
    # Then it queries the day, and no key is among what it passes on
    assert seen == [("athena", "wg", "demo_usage", "usage_lines", DAY)]


# -- Athena -----------------------------------------------------------------------------------


def athena_client():
    return boto3.client("athena", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def result_page(rows, token=None, header=False):
    cells = [[{"VarCharValue": v} if v is not None else {} for v in row] for row in rows]
    if header:
        cells.insert(
            0,
            [
                {"VarCharValue": c}
                for c in (
                    "tenant_id",
                    "model_id",
                    "region",
                    "tier",
                    "i",
                    "o",
                    "cr",
                    "cw",
                    "invocations",
                    "cw1h",
                    "duplicates",
                    "skipped",
                )
            ],
        )
    page = {"ResultSet": {"Rows": [{"Data": c} for c in cells]}}
    if token:
        page["NextToken"] = token
    return page


def execution(state, reason=None):
    status = {"State": state}
    if reason:
        status["StateChangeReason"] = reason
    return {"QueryExecution": {"QueryExecutionId": "q1", "Status": status}}


def test_athena_engine_sends_day_sql_and_refused_sql_polls_and_reads_every_page():
    client = athena_client()
    stub = Stubber(client)
    source = athena_engine.source("demo_usage", "usage_lines", DAY)
    day_params = ["'2026-11-26'", "'2026-11-27'", "'00:05'"]  # the day, the next, LATE_UNTIL
    for query_id, sql, params in (
        ("q1", day_sql(source), day_params),
        ("q2", refused_sql(source), ["'2026-11-26'"]),
    ):
        stub.add_response(
            "start_query_execution",
            {"QueryExecutionId": query_id},
            {
                # the query text and its parameters (days and a time): nothing else, and never a key
                "QueryString": sql,
                "QueryExecutionContext": {"Database": "demo_usage"},
                "WorkGroup": "demo_usage",
                "ExecutionParameters": params,
            },
        )
    stub.add_response("get_query_execution", execution("QUEUED"), {"QueryExecutionId": "q1"})
    stub.add_response("get_query_execution", execution("RUNNING"), {"QueryExecutionId": "q1"})
    stub.add_response("get_query_execution", execution("SUCCEEDED"), {"QueryExecutionId": "q1"})
    stub.add_response(
        "get_query_results",
        result_page(
            [["t1", "m", "us-east-1", "standard", "10", "20", "0", "0", "2", "0", "1", "0"]],
            token="n1",
            header=True,
        ),
        {"QueryExecutionId": "q1"},
    )
    stub.add_response(
        "get_query_results",
        result_page(
            [
                ["t2", "m", "", "priority", "5", "6", "7", "8", "1", "3", "0", "0"],
                [None, None, None, None, "0", "0", "0", "0", "0", "0", "0", "3"],
            ]
        ),
        {"QueryExecutionId": "q1", "NextToken": "n1"},
    )
    stub.add_response("get_query_execution", execution("SUCCEEDED"), {"QueryExecutionId": "q2"})
    refusals = [["bad_signature", "2"], ["skipped", "1"], ["unknown_key", "4"]]
    stub.add_response("get_query_results", result_page(refusals, header=True), {"QueryExecutionId": "q2"})
    sleeps = []
    with stub:
        totals = athena_engine.read_day(
            client, "demo_usage", "demo_usage", "usage_lines", DAY, sleep=sleeps.append
        )
    stub.assert_no_pending_responses()
    assert totals.sums == {
        ("t1", "m", "us-east-1", "standard"): [10, 20, 0, 0, 2, 0],
        ("t2", "m", "", "priority"): [5, 6, 7, 8, 1, 3],
    }
    # the refusals: reasons of signing.REASONS are rejected, "skipped" joins day.sql's skipped
    assert totals.rejected == {
        "bad_signature": 2,
        "missing_signature": 0,
        "unknown_key": 4,
        "day_mismatch": 0,
        "missing_day": 0,
    }
    assert (totals.duplicates, totals.lines_skipped, totals.lines_read) == (1, 3 + 1, 7 + 1 + 6)
    assert sleeps == [0.2, 0.4]  # backing off between polls


@pytest.mark.parametrize("state", ["FAILED", "CANCELLED"])
def test_athena_query_that_ends_without_result_raises_with_the_reason(state):
    client = athena_client()
    stub = Stubber(client)
    stub.add_response("get_query_execution", execution(state, "Bytes scanned limit was exceeded"))
    with stub, pytest.raises(athena_engine.QueryFailed, match="Bytes scanned limit"):
        athena_engine.wait(client, "q1", sleep=lambda s: None)


def test_athena_wait_gives_up_after_its_timeout():
    client = athena_client()
    stub = Stubber(client)
    for _ in range(4):
        stub.add_response("get_query_execution", execution("RUNNING"))
    with stub, pytest.raises(athena_engine.QueryFailed, match="still running"):
        athena_engine.wait(client, "q1", timeout=0.5, sleep=lambda s: None)


def test_athena_names_are_checked_before_they_reach_the_query():
    with pytest.raises(ConfigError, match="Glue name"):
        athena_engine.source('demo"; DROP', "usage_lines", DAY)


def test_the_query_athena_gets_runs_on_duckdb_over_a_table_shaped_like_the_glue_table():
    # Given a table with the Glue table's columns: the line and its hour partition
    connection = duckdb_engine.connect()
    connection.execute('CREATE SCHEMA "demo_usage"')
    connection.execute('CREATE TABLE "demo_usage"."usage_lines" (line VARCHAR, "hour" VARCHAR)')
    rows = [
        (
            stamped(stamp(9), tenant="t", request_id="a", model_id="m", input_tokens=3, output_tokens=4),
            "2026/11/26/09",
        ),
        (
            stamped(stamp(23, 59), tenant="t", request_id="b", model_id="m", input_tokens=5, output_tokens=6),
            "2026/11/27/00",
        ),
        # a line of the day in a partition the query must not read
        (
            stamped(stamp(22), tenant="t", request_id="c", model_id="m", input_tokens=500, output_tokens=6),
            "2026/11/27/02",
        ),
    ]
    connection.executemany('INSERT INTO "demo_usage"."usage_lines" VALUES (?, ?)', rows)
    # When the exact text the Athena engine sends runs, with its parameter
    sql = day_sql(athena_engine.source("demo_usage", "usage_lines", DAY))
    totals = DayTotals(day=DAY.isoformat())
    for row in connection.execute(sql, day_params(DAY)).fetchall():
        totals.add_row(row)
    # Then only the day's partitions are read
    assert totals.sums == {("t", "m", "us-east-1", "standard"): [8, 10, 0, 0, 2, 0]}


# -- settings ---------------------------------------------------------------------------------

BASE_ENV = {"LOG_GROUP_API": "g", "S3_BUCKET": "b", "TABLE_NAME": "t", "USAGE_SIGNING_SECRET": "s"}


def test_ledger_engine_defaults_to_logs_and_names_what_each_engine_needs():
    assert settings_module.load("cost_tracking", BASE_ENV).ledger_engine == "logs"
    with pytest.raises(ConfigError, match="ARCHIVE_BUCKET: required by LEDGER_ENGINE=duckdb"):
        settings_module.load("cost_tracking", {**BASE_ENV, "LEDGER_ENGINE": "duckdb"})
    with pytest.raises(ConfigError, match="ATHENA_WORKGROUP: required by LEDGER_ENGINE=athena"):
        settings_module.load("cost_tracking", {**BASE_ENV, "LEDGER_ENGINE": "athena"})
    with pytest.raises(ConfigError, match="LEDGER_ENGINE: must be one of logs, duckdb, athena"):
        settings_module.load("cost_tracking", {**BASE_ENV, "LEDGER_ENGINE": "spark"})
    with pytest.raises(ConfigError, match="ARCHIVE_PREFIX: must end with '/'"):
        settings_module.load("cost_tracking", {**BASE_ENV, "ARCHIVE_PREFIX": "usage"})
    loaded = settings_module.load(
        "cost_tracking",
        {
            **BASE_ENV,
            "LEDGER_ENGINE": "athena",
            "ATHENA_WORKGROUP": "w",
            "GLUE_DATABASE": "d",
            "GLUE_TABLE": "u",
        },
    )
    assert (loaded.athena_workgroup, loaded.glue_database, loaded.glue_table) == ("w", "d", "u")
