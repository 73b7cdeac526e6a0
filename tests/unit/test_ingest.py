"""Usage lines verified at ingestion (token_profiler.ledger.ingest), and the engines over what it writes.

The processor answers Firehose record by record; these tests build the records CloudWatch Logs puts
into the stream, apply the processor, store what it answers as the archive holds it, and compare
every engine's reading with the aggregator's own over the raw lines.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import io
import json

import pytest
from token_profiler.aggregate import DayAggregate
from token_profiler.ledger import (
    DayTotals,
    archive,
    athena_engine,
    day_params,
    day_sql,
    duckdb_engine,
    ingest,
    logs_engine,
    refused_sql,
)
from token_profiler.signing import Keyring

from bench.linegen import Truth, bench_keyring, generate
from tests.support.usage_lines import TEST_KEYRING, usage_line

pytestmark = pytest.mark.unit

DAY = dt.date(2026, 11, 26)
FORGER = Keyring(current="test-2", keys={"test-2": b"not the deployment's key, 32 b!!"})
# a forger who names the bench's key id, and one who names a key nobody holds
BENCH_FORGER = Keyring(current="bench", keys={"bench": b"not the deployment's key, 32 b!!"})


def stamped(timestamp: str, **kwargs) -> str:
    """A line logged at ``timestamp``, naming that day as invoke_model writes it (unless told)."""
    kwargs.setdefault("day", timestamp[:10])
    record = json.loads(usage_line(**kwargs))
    record["timestamp"] = timestamp
    return json.dumps(record, separators=(",", ":"))


def stamp(hour: int, day: dt.date = DAY) -> str:
    return f"{day.isoformat()} {hour:02d}:00:00,000+0000"


def envelope(messages: list[str], kind: str = "DATA_MESSAGE") -> bytes:
    events = [{"id": str(n), "timestamp": 0, "message": m} for n, m in enumerate(messages)]
    body = {"messageType": kind, "logGroup": "/aws/lambda/x", "logStream": "s", "logEvents": events}
    return gzip.compress(json.dumps(body).encode())


def record(data: bytes, n: int = 0) -> dict:
    return {
        "recordId": f"r{n}",
        "approximateArrivalTimestamp": 1795687200000,
        "data": base64.b64encode(data).decode(),
    }


def answer_lines(answer: dict) -> list[str]:
    return base64.b64decode(answer["data"]).decode().splitlines()


def test_a_batch_keeps_the_verified_lines_and_refuses_each_other_line_by_reason():
    # Given one stream's batch: a genuine line, a forged one, an unsigned one, a cut one, another message
    genuine = dated(stamp(9), DAY)
    forged = stamped(
        stamp(10),
        tenant="victim",
        request_id="a",
        model_id="m",
        input_tokens=10**6,
        output_tokens=0,
        keyring=FORGER,
    )
    unsigned = stamped(stamp(11), tenant="t", request_id="u", model_id="m", input_tokens=5, output_tokens=6)
    cut = genuine[: genuine.index('"token_usage"') + 40]
    other = json.dumps({"message": "retrying TOKEN_USAGE", "timestamp": stamp(12)})
    # When the processor answers the record
    answer, counts = ingest.process(
        {"records": [record(envelope([genuine, forged, unsigned, cut, other]))]}, TEST_KEYRING.keys, None
    )
    (only,) = answer["records"]
    assert (only["recordId"], only["result"]) == ("r0", "Ok")
    lines = answer_lines(only)
    # Then the genuine line is kept as logged, and each other line is a refusal with its reason and time
    assert lines[0] == genuine
    assert [json.loads(line) for line in lines[1:]] == [
        {"message": "USAGE_LINE_REFUSED", "reason": "bad_signature", "timestamp": stamp(10)},
        {"message": "USAGE_LINE_REFUSED", "reason": "missing_signature", "timestamp": stamp(11)},
        {"message": "USAGE_LINE_REFUSED", "reason": "skipped", "timestamp": stamp(9)},
        {"message": "USAGE_LINE_REFUSED", "reason": "skipped", "timestamp": stamp(12)},
    ]
    assert counts == {"verified": 1, "bad_signature": 1, "missing_signature": 1, "skipped": 2}


def test_a_refusal_holds_nothing_the_forger_wrote_but_a_timestamp_of_fixed_shape():
    forged = stamped(
        '2026-11-26 10:00:00,000+0000", "x": "TOKEN_USAGE',
        tenant="TOKEN_USAGE",
        request_id="z",
        model_id="m",
        input_tokens=1,
        output_tokens=1,
        keyring=FORGER,
    )
    answer, _ = ingest.process({"records": [record(envelope([forged]))]}, TEST_KEYRING.keys, None)
    (line,) = answer_lines(answer["records"][0])
    assert "TOKEN_USAGE" not in line  # day.sql can never read it as a usage line
    # the forged timestamp does not have the logger's shape: the record's arrival time stands in
    assert json.loads(line) == {
        "message": "USAGE_LINE_REFUSED",
        "reason": "bad_signature",
        "timestamp": "2026-11-26 10:00:00,000+0000",
    }


def test_unsigned_lines_pass_only_on_days_before_signed_lines_from():
    before = stamped(
        stamp(9, DAY - dt.timedelta(days=1)),
        tenant="t",
        request_id="a",
        model_id="m",
        input_tokens=1,
        output_tokens=1,
    )
    on = stamped(stamp(9), tenant="t", request_id="b", model_id="m", input_tokens=1, output_tokens=1)
    answer, counts = ingest.process({"records": [record(envelope([before, on]))]}, TEST_KEYRING.keys, DAY)
    lines = answer_lines(answer["records"][0])
    assert lines[0] == before and json.loads(lines[1])["reason"] == "missing_signature"
    assert counts == {"verified": 1, "missing_signature": 1}
    # and with no switch-over date, no day accepts them
    _, counts = ingest.process({"records": [record(envelope([before]))]}, TEST_KEYRING.keys, None)
    assert counts == {"missing_signature": 1}


def test_control_messages_are_dropped_unreadable_records_fail_and_extracted_lines_are_read():
    genuine = dated(stamp(9), DAY)
    records = [
        record(envelope([], kind="CONTROL_MESSAGE"), 0),
        {"recordId": "r1", "data": "not base64!"},
        record(b"\x1f\x8b not gzip", 2),
        record(gzip.compress((genuine + "\n").encode()), 3),  # lines already extracted
    ]
    answer, counts = ingest.process({"records": records}, TEST_KEYRING.keys, None)
    results = [(r["recordId"], r["result"]) for r in answer["records"]]
    assert results == [
        ("r0", "Dropped"),
        ("r1", "ProcessingFailed"),
        ("r2", "ProcessingFailed"),
        ("r3", "Ok"),
    ]
    # a failed record goes to the error prefix as it came
    assert (
        answer["records"][1]["data"] == "not base64!"
        and "not base64" not in answer["records"][1]["errorMessage"]
    )
    assert answer_lines(answer["records"][3]) == [genuine]
    assert counts == {"records_failed": 2, "verified": 1}


class FakeS3:
    def __init__(self, objects: dict[str, bytes]):
        self.objects = objects

    def get_paginator(self, name):
        return self

    def paginate(self, Bucket, Prefix):  # noqa: N803 - boto3's names
        keys = sorted(k for k in self.objects if k.startswith(Prefix))
        yield {"Contents": [{"Key": k} for k in keys]} if keys else {}

    def get_object(self, Bucket, Key):  # noqa: N803
        return {"Body": io.BytesIO(self.objects[Key])}


def _day_with_forgeries():
    """A generated signed day (noise included) with forged lines that reuse real request ids and
    unsigned lines, in streams of 300 events; the raw messages and the subscription records."""
    truth = Truth(DAY.isoformat())
    messages = [e["message"] for e in generate(3000, day=DAY.isoformat(), seed=5, truth=truth)]
    real_ids = [json.loads(m)["token_usage"]["request_id"] for m in messages[:200:20] if '"sig"' in m]
    for n, request_id in enumerate(real_ids):
        forged = stamped(
            stamp(0),
            tenant="victim",
            request_id=request_id,
            model_id="m",
            input_tokens=10**6,
            output_tokens=0,
            keyring=BENCH_FORGER if n % 2 else FORGER,
        )
        messages.insert(7 * n, forged)  # logged first: it would win the id in day.sql unverified
    messages += [
        stamped(stamp(5), tenant="t", request_id=f"u{n}", model_id="m", input_tokens=1, output_tokens=1)
        for n in range(4)
    ]
    records = [record(envelope(messages[i : i + 300]), i) for i in range(0, len(messages), 300)]
    return truth, messages, records, len(real_ids)


def test_every_engine_over_the_processed_archive_equals_the_aggregator_over_the_raw_lines():
    truth, messages, records, forged = _day_with_forgeries()
    keys = bench_keyring().keys
    # Given the aggregator's own reading of the raw lines (the logs engine's)
    raw = DayAggregate(DAY.isoformat(), keys)
    for message in messages:
        raw.add(message)
    assert raw.rejected == {
        "bad_signature": forged // 2,
        "missing_signature": 4,
        "unknown_key": forged - forged // 2,
        "day_mismatch": 0,
        "missing_day": 0,
    }
    # When the processor answers Firehose and its answers are archived (gzip lines, as Firehose writes)
    answer, _ = ingest.process({"records": records}, keys, None)
    archived = b"".join(base64.b64decode(r["data"]) for r in answer["records"] if r["result"] == "Ok")
    s3 = FakeS3({"usage/2026/11/26/10/a.gz": gzip.compress(archived)})
    # Then the DuckDB engine gives the aggregator's sums and counts, rejected lines by reason included
    duck = duckdb_engine.read_day(s3, "bucket", "usage/", DAY, keys=keys, accept_unsigned=False)
    assert duck.sums == raw.sums
    assert duck.rejected == raw.rejected
    assert (duck.lines_skipped, duck.duplicates) == (raw.lines_skipped, raw.duplicates)
    assert duck.lines_read == raw.lines_read == len(messages)
    # and so does the text the Athena engine sends, run over a table shaped like the Glue table
    connection = duckdb_engine.connect()
    connection.execute('CREATE SCHEMA "demo_usage"')
    connection.execute('CREATE TABLE "demo_usage"."usage_lines" (line VARCHAR, "hour" VARCHAR)')
    lines = archive.object_lines(archived).decode().splitlines()
    connection.executemany(
        'INSERT INTO "demo_usage"."usage_lines" VALUES (?, ?)', [(x, "2026/11/26/10") for x in lines]
    )
    source = athena_engine.source("demo_usage", "usage_lines", DAY)
    athena = DayTotals(day=DAY.isoformat())
    for row in connection.execute(day_sql(source), day_params(DAY)).fetchall():
        athena.add_row(row)
    athena.add_refusals(connection.execute(refused_sql(source), [DAY.isoformat()]).fetchall())
    assert athena.sums == raw.sums
    assert athena.rejected == raw.rejected
    assert (athena.lines_skipped, athena.duplicates) == (raw.lines_skipped, raw.duplicates)
    # and the forged lines billed nothing: the victim has no row
    assert not any(tenant == "victim" for tenant, *_ in athena.sums)


def test_refusals_of_another_day_are_not_counted():
    late = stamped(
        stamp(23, DAY - dt.timedelta(days=1)),
        tenant="t",
        request_id="a",
        model_id="m",
        input_tokens=1,
        output_tokens=1,
        keyring=FORGER,
    )
    answer, _ = ingest.process({"records": [record(envelope([late]))]}, TEST_KEYRING.keys, None)
    s3 = FakeS3({"usage/2026/11/26/00/a.gz": base64.b64decode(answer["records"][0]["data"])})
    totals = duckdb_engine.read_day(
        s3, "bucket", "usage/", DAY, keys=TEST_KEYRING.keys, accept_unsigned=False
    )
    assert totals.rejected["bad_signature"] == 0 and totals.lines_read == 0


NEXT = DAY + dt.timedelta(days=1)


def at(day: dt.date, clock: str) -> str:
    """A logged timestamp as the logger writes it: ``clock`` is HH:MM:SS,mmm."""
    return f"{day.isoformat()} {clock}+0000"


def dated(timestamp: str, names: dt.date, request_id: str = "a", keyring=TEST_KEYRING, **usage) -> str:
    """A version 3 line that names ``names`` (signed), logged at ``timestamp``."""
    fields = {"tenant": "t", "model_id": "m", "input_tokens": 3, "output_tokens": 4, **usage}
    return stamped(
        timestamp, request_id=request_id, keyring=keyring, schema_version=3, day=names.isoformat(), **fields
    )


def hour_of(line: str) -> str:
    logged = json.loads(line)["timestamp"]
    return logged[:10].replace("-", "/") + "/" + logged[11:13]


def archive_of(lines: list[str], processed: bool) -> FakeS3:
    """The archive Firehose writes: one object per line, under the hour the line was logged in; the
    processor's answer when ``processed``, else the raw lines (an archive written without it)."""
    if processed:
        answer, _ = ingest.process({"records": [record(envelope(lines))]}, TEST_KEYRING.keys, None)
        lines = [line for r in answer["records"] if r["result"] == "Ok" for line in answer_lines(r)]
    return FakeS3(
        {f"usage/{hour_of(x)}/{n:03d}.gz": gzip.compress((x + "\n").encode()) for n, x in enumerate(lines)}
    )


class FakeLogs:
    """FilterLogEvents over events logged at the line's own timestamp (one page)."""

    class exceptions:  # noqa: N801 - boto3's name
        ResourceNotFoundException = KeyError

    def __init__(self, lines: list[str], delay_ms: int = 0):
        def millis(line: str) -> int:
            logged = dt.datetime.strptime(json.loads(line)["timestamp"], "%Y-%m-%d %H:%M:%S,%f%z")
            return int(logged.timestamp() * 1000) + delay_ms

        self.events = [{"timestamp": millis(x), "message": x} for x in lines]

    def filter_log_events(self, logGroupName, startTime, endTime, filterPattern, **_):  # noqa: N803
        return {"events": [e for e in self.events if startTime <= e["timestamp"] <= endTime]}


def athena_on_duckdb(s3: FakeS3, day: dt.date) -> DayTotals:
    """The Athena engine's two queries, as it sends them, run by DuckDB over a table shaped like the
    Glue table holding the archive's objects."""
    connection = duckdb_engine.connect()
    connection.execute('CREATE SCHEMA "demo_usage"')
    connection.execute('CREATE TABLE "demo_usage"."usage_lines" (line VARCHAR, "hour" VARCHAR)')
    for key, body in s3.objects.items():
        hour = key[len("usage/") : len("usage/") + 13]
        for line in archive.object_lines(body).decode().splitlines():
            connection.execute('INSERT INTO "demo_usage"."usage_lines" VALUES (?, ?)', [line, hour])
    source = athena_engine.source("demo_usage", "usage_lines", day)
    totals = DayTotals(day=day.isoformat())
    for row in connection.execute(day_sql(source), day_params(day)).fetchall():
        totals.add_row(row)
    totals.add_refusals(connection.execute(refused_sql(source), [day.isoformat()]).fetchall())
    return totals


ENGINES = ("logs", "duckdb", "duckdb-raw", "athena")


def read(engine: str, lines: list[str], day: dt.date) -> DayTotals:
    """One day read by one engine from the same logged lines."""
    if engine == "logs":
        return logs_engine.read_day(FakeLogs(lines), "g", day, keys=TEST_KEYRING.keys, accept_unsigned=False)
    if engine == "athena":
        return athena_on_duckdb(archive_of(lines, processed=True), day)
    s3 = archive_of(lines, processed=engine == "duckdb")
    return duckdb_engine.read_day(s3, "bucket", "usage/", day, keys=TEST_KEYRING.keys, accept_unsigned=False)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_line_signed_on_one_day_and_replayed_into_another_bills_only_its_own_day(engine):
    # Given a genuine line of the 26th, and a copy written into the 27th's log (same signed bytes)
    genuine = dated(at(DAY, "09:00:00,000"), DAY)
    replayed = genuine.replace(at(DAY, "09:00:00,000"), at(NEXT, "09:00:00,000"))
    # When each day is read
    days = [read(engine, [genuine, replayed], day) for day in (DAY, NEXT)]
    # Then the call bills its own day once; the day it was replayed into bills nothing and says why
    assert [d.lines_counted for d in days] == [1, 0]
    assert days[0].sums == {("t", "m", "us-east-1", "standard"): [3, 4, 0, 0, 1, 0]}
    assert [d.rejected["day_mismatch"] for d in days] == [0, 1]
    assert [d.lines_read for d in days] == [1, 1]


def test_the_processor_refuses_a_replayed_line_as_a_day_mismatch_on_the_day_it_was_logged():
    genuine = dated(at(DAY, "09:00:00,000"), DAY)
    replayed = genuine.replace(at(DAY, "09:00:00,000"), at(NEXT, "12:00:00,000"))
    answer, counts = ingest.process(
        {"records": [record(envelope([genuine, replayed]))]}, TEST_KEYRING.keys, None
    )
    assert counts == {"verified": 1, "day_mismatch": 1}
    refusal = json.loads(answer_lines(answer["records"][0])[1])
    assert refusal == {
        "message": "USAGE_LINE_REFUSED",
        "reason": "day_mismatch",
        "timestamp": at(NEXT, "12:00:00,000"),
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_a_call_just_before_midnight_logged_after_it_bills_once_on_its_own_day(engine):
    # Given calls of the 26th logged at 23:59:59.999 and just after midnight (2 ms, 4 min 59 s), a
    # call of the 27th logged at midnight, and one of the 26th logged on the 27th past the margin
    lines = [
        dated(at(DAY, "23:59:59,999"), DAY, "edge-0", input_tokens=1),
        dated(at(NEXT, "00:00:00,002"), DAY, "edge-1", input_tokens=10),
        dated(at(NEXT, "00:04:59,999"), DAY, "edge-2", input_tokens=100),
        dated(at(NEXT, "00:00:00,000"), NEXT, "next-0", input_tokens=1000),
        dated(at(NEXT, "00:05:00,000"), DAY, "late-replay", input_tokens=10000),
    ]
    # When both days are read
    days = [read(engine, lines, day) for day in (DAY, NEXT)]
    # Then the 26th bills its three calls, the 27th its own; nothing is lost or counted twice, and
    # only the line logged past the margin is refused (on the 27th, where it was logged)
    assert [
        d.sums[("t", "m", "us-east-1", "standard")][:1] + d.sums[("t", "m", "us-east-1", "standard")][4:5]
        for d in days
    ] == [
        [111, 3],
        [1000, 1],
    ]
    assert [d.rejected["day_mismatch"] for d in days] == [0, 1]
    assert [d.lines_skipped + d.duplicates for d in days] == [0, 0]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_line_copied_into_the_next_days_first_minutes_is_still_billed_once(engine):
    # Given a genuine line and its copy written into the next day's first minutes (inside the margin)
    genuine = dated(at(DAY, "23:00:00,000"), DAY)
    copy = genuine.replace(at(DAY, "23:00:00,000"), at(NEXT, "00:01:00,000"))
    days = [read(engine, [genuine, copy], day) for day in (DAY, NEXT)]
    # Then its day bills it once (the copy is a duplicate there) and the next day never sees it
    assert [d.lines_counted for d in days] == [1, 0]
    assert [d.duplicates for d in days] == [1, 0]
    assert [sum(d.rejected.values()) for d in days] == [0, 0]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_line_forged_to_name_the_day_in_the_next_days_first_minutes_bills_nothing(engine):
    # Given a line signed with a key the deployment does not hold, naming the 26th, logged at 00:01
    forged = dated(at(NEXT, "00:01:00,000"), DAY, keyring=FORGER)
    days = [read(engine, [forged], day) for day in (DAY, NEXT)]
    # Then neither day bills it, and the day it was logged on refuses it by its signature
    assert [d.lines_counted for d in days] == [0, 0]
    assert sum(days[0].rejected.values()) == 0
    assert days[1].rejected["bad_signature"] == 1


def undated_line(timestamp: str, request_id: str = "old") -> str:
    """A genuine schema 2 line, signed before lines named their day."""
    return stamped(
        timestamp,
        tenant="t",
        request_id=request_id,
        model_id="m",
        input_tokens=5,
        output_tokens=6,
        keyring=TEST_KEYRING,
        schema_version=2,
        day=None,
    )


@pytest.mark.parametrize("engine", ("logs", "duckdb-raw"))
@pytest.mark.parametrize("accept_undated", (True, False))
def test_a_signed_line_without_a_day_bills_only_before_the_cut_over(engine, accept_undated):
    lines = [undated_line(at(DAY, "08:00:00,000")), dated(at(DAY, "09:00:00,000"), DAY)]
    if engine == "logs":
        totals = logs_engine.read_day(
            FakeLogs(lines),
            "g",
            DAY,
            keys=TEST_KEYRING.keys,
            accept_unsigned=False,
            accept_undated=accept_undated,
        )
    else:
        totals = duckdb_engine.read_day(
            archive_of(lines, processed=False),
            "bucket",
            "usage/",
            DAY,
            keys=TEST_KEYRING.keys,
            accept_unsigned=False,
            accept_undated=accept_undated,
        )
    # the dated line always bills; the undated one before the cut-over, else it is refused
    assert totals.lines_counted == (2 if accept_undated else 1)
    assert totals.rejected["missing_day"] == (0 if accept_undated else 1)
    assert totals.lines_read == 2


def test_without_a_cut_over_the_processor_refuses_every_line_that_names_no_day():
    # SIGNED_DAYS_FROM unset: no day accepts a signed line without its day, however old the day
    lines = [
        undated_line(at(dt.date(2020, 1, 1), "12:00:00,000"), "old"),
        dated(at(DAY, "09:00:00,000"), DAY),
    ]
    answer, counts = ingest.process({"records": [record(envelope(lines))]}, TEST_KEYRING.keys, None, None)
    assert counts == {"verified": 1, "missing_day": 1}
    kept = answer_lines(answer["records"][0])
    assert json.loads(kept[0])["reason"] == "missing_day" and kept[1] == lines[1]


def test_the_processor_applies_the_cut_over_to_the_day_a_line_was_logged():
    cut_over = NEXT
    lines = [undated_line(at(DAY, "23:00:00,000"), "before"), undated_line(at(NEXT, "01:00:00,000"), "on")]
    answer, counts = ingest.process({"records": [record(envelope(lines))]}, TEST_KEYRING.keys, None, cut_over)
    assert counts == {"verified": 1, "missing_day": 1}
    kept = answer_lines(answer["records"][0])
    assert kept[0] == lines[0]
    assert json.loads(kept[1])["reason"] == "missing_day"
    # and the Athena engine's queries over that archive: the 26th bills it, the 27th reports it
    s3 = FakeS3(
        {f"usage/{hour_of(x)}/{n}.gz": gzip.compress((x + "\n").encode()) for n, x in enumerate(kept)}
    )
    days = [athena_on_duckdb(s3, day) for day in (DAY, NEXT)]
    assert [d.lines_counted for d in days] == [1, 0]
    assert [d.rejected["missing_day"] for d in days] == [0, 1]


def test_the_logs_engine_bills_a_line_stamped_before_midnight_and_received_after_it_once():
    # Given a call stamped 23:59:59.990 by the logger that CloudWatch Logs received 20 ms later
    line = dated(at(DAY, "23:59:59,990"), DAY)
    logs = FakeLogs([line], delay_ms=20)
    days = [
        logs_engine.read_day(logs, "g", day, keys=TEST_KEYRING.keys, accept_unsigned=False)
        for day in (DAY, NEXT)
    ]
    # Then its day bills it (from the next day's first minutes) and the next day neither bills nor
    # refuses it
    assert [d.lines_counted for d in days] == [1, 0]
    assert [sum(d.rejected.values()) for d in days] == [0, 0]


def genuine_line(request_id: str, hour: int = 9, day: dt.date = DAY) -> str:
    return stamped(
        stamp(hour, day),
        tenant="t",
        request_id=request_id,
        model_id="m",
        input_tokens=3,
        output_tokens=4,
        keyring=TEST_KEYRING,
    )


def test_a_refusal_is_one_compact_json_line():
    assert ingest.refusal("skipped", "2026-11-26 09:00:00,000+0000") == (
        '{"message":"USAGE_LINE_REFUSED","reason":"skipped","timestamp":"2026-11-26 09:00:00,000+0000"}'
    )


def test_every_line_of_a_record_is_read_past_empty_lines_and_counted():
    lines = [genuine_line("a"), "", genuine_line("b"), "", "not json"]
    answer, counts = ingest.process(
        {"records": [record(gzip.compress("\n".join(lines).encode()))]}, TEST_KEYRING.keys, None
    )
    assert answer_lines(answer["records"][0])[:2] == [lines[0], lines[2]]
    assert counts == {"verified": 2, "skipped": 1}
    assert ingest.process({}, TEST_KEYRING.keys, None) == ({"records": []}, {})


def test_a_dropped_record_keeps_its_data_and_a_failed_one_names_its_error():
    control = record(envelope([], kind="CONTROL_MESSAGE"))
    answer, counts = ingest.process(
        {"records": [control, {"recordId": "r1"}, {"recordId": "r2", "data": "not base64!"}]},
        TEST_KEYRING.keys,
        None,
    )
    dropped, missing, bad = answer["records"]
    assert dropped == {"recordId": "r0", "result": "Dropped", "data": control["data"]}
    assert missing == {
        "recordId": "r1",
        "result": "ProcessingFailed",
        "data": "",
        "errorMessage": "unreadable record: KeyError",
    }
    assert bad["errorMessage"] == "unreadable record: Error"  # binascii.Error
    assert counts == {"records_failed": 2}


def test_data_with_characters_outside_base64_fails_rather_than_being_read_around_them():
    good = record(gzip.compress((genuine_line("a") + "\n").encode()))
    assert ingest.process({"records": [good]}, TEST_KEYRING.keys, None)[0]["records"][0]["result"] == "Ok"
    spoiled = {**good, "data": good["data"][:8] + "*" + good["data"][8:]}
    (answer,) = ingest.process({"records": [spoiled]}, TEST_KEYRING.keys, None)[0]["records"]
    assert answer["result"] == "ProcessingFailed"


def test_signed_lines_are_verified_with_the_keys_on_days_that_accept_unsigned_lines():
    before = DAY - dt.timedelta(days=1)
    forged = stamped(
        stamp(9, before),
        tenant="t",
        request_id="f",
        model_id="m",
        input_tokens=1,
        output_tokens=1,
        keyring=FORGER,
    )
    lines = [genuine_line("a", day=before), forged]
    answer, counts = ingest.process({"records": [record(envelope(lines))]}, TEST_KEYRING.keys, DAY)
    assert answer_lines(answer["records"][0])[0] == lines[0]
    assert counts == {"verified": 1, "bad_signature": 1}


def in_zone(zone: str):
    """Run the machine in another time zone (a local-time slip then shows in the stamps)."""
    import os
    import time

    class Zone:
        def __enter__(self):
            self.old = os.environ.get("TZ")
            os.environ["TZ"] = zone
            time.tzset()

        def __exit__(self, *exc):
            if self.old is None:
                os.environ.pop("TZ", None)
            else:
                os.environ["TZ"] = self.old
            time.tzset()

    return Zone()


def test_the_arrival_stamp_stands_in_as_utc_with_milliseconds():
    unstamped = json.dumps({"message": "retrying"})
    with in_zone("Etc/GMT-1"):
        arrived = {**record(envelope([unstamped])), "approximateArrivalTimestamp": 1795687200123}
        (line,) = answer_lines(
            ingest.process({"records": [arrived]}, TEST_KEYRING.keys, None)[0]["records"][0]
        )
        assert json.loads(line)["timestamp"] == "2026-11-26 10:00:00,123+0000"
        # no arrival time: now, in UTC
        undated = record(envelope([unstamped]))
        del undated["approximateArrivalTimestamp"]
        before = dt.datetime.now(dt.UTC).replace(microsecond=0)
        (line,) = answer_lines(
            ingest.process({"records": [undated]}, TEST_KEYRING.keys, None)[0]["records"][0]
        )
        after = dt.datetime.now(dt.UTC)
    written = dt.datetime.strptime(json.loads(line)["timestamp"], "%Y-%m-%d %H:%M:%S,%f+0000").replace(
        tzinfo=dt.UTC
    )
    assert before <= written <= after
