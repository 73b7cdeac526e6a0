"""The logs engine (token_profiler.ledger.logs_engine) on a stand-in CloudWatch Logs client: the
day's pages read to the end, lines verified and summed, every counter passed on."""

from __future__ import annotations

import datetime as dt
import json
import types

import pytest
from token_profiler.ledger import logs_engine

from tests.support.usage_lines import TEST_KEYRING, usage_line

pytestmark = pytest.mark.unit

DAY = dt.date(2026, 11, 20)
MODEL = "anthropic.claude-3-sonnet-20240229-v1:0"
DAY_START_MS = (DAY - dt.date(1970, 1, 1)).days * 86_400_000  # midnight UTC, in epoch ms


class NotFound(Exception):
    pass


class FakeLogs:
    """filter_log_events over fixed pages of messages, recording each request."""

    exceptions = types.SimpleNamespace(ResourceNotFoundException=NotFound)

    def __init__(self, pages: list[list[str]]):
        self.pages = pages
        self.requests: list[dict] = []

    def filter_log_events(self, **kwargs):
        self.requests.append(dict(kwargs))
        index = int(kwargs.get("nextToken", "0"))
        page = {"events": [{"message": m} for m in self.pages[index]]}
        if index + 1 < len(self.pages):
            page["nextToken"] = str(index + 1)
        return page


def line(request_id, tenant="t1", keyring=TEST_KEYRING, **fields):
    return usage_line(
        keyring=keyring,
        tenant=tenant,
        request_id=request_id,
        model_id=MODEL,
        input_tokens=10,
        output_tokens=5,
        **fields,
    )


def test_a_day_is_read_page_by_page_and_every_counter_is_kept():
    unsigned = usage_line(tenant="t1", request_id="u1", model_id=MODEL, input_tokens=1, output_tokens=1)
    forged = json.loads(line("f1"))
    forged["token_usage"]["input_tokens"] = 1000
    pages = [
        [line("a"), line("b", timed_out=True)],
        [line("a"), "not json", json.dumps(forged, separators=(",", ":"))],
        [unsigned, line("c", tenant="t2")],
    ]
    logs = FakeLogs(pages)
    totals = logs_engine.read_day(
        logs, "/aws/lambda/invoke", DAY, keys=TEST_KEYRING.keys, accept_unsigned=False
    )
    assert totals.day == "2026-11-20"
    assert totals.sums == {
        ("t1", MODEL, "us-east-1", "standard"): [20, 10, 0, 0, 2, 0],
        ("t2", MODEL, "us-east-1", "standard"): [10, 5, 0, 0, 1, 0],
    }
    assert (totals.lines_skipped, totals.duplicates, totals.timed_out) == (1, 1, 1)
    assert totals.rejected == {
        "bad_signature": 1,
        "missing_signature": 1,
        "unknown_key": 0,
        "day_mismatch": 0,
        "missing_day": 0,
    }
    # the day, page by page, then the next day's first five minutes (calls logged just after midnight)
    assert [r.get("nextToken") for r in logs.requests] == [None, "1", "2", None, "1", "2"]
    first, late = logs.requests[0], logs.requests[3]
    assert first["logGroupName"] == late["logGroupName"] == "/aws/lambda/invoke"
    assert (first["startTime"], first["endTime"]) == (DAY_START_MS, DAY_START_MS + 86_400_000 - 1)
    next_day_ms = DAY_START_MS + 86_400_000
    assert (late["startTime"], late["endTime"]) == (next_day_ms, next_day_ms + 5 * 60_000 - 1)


def test_unsigned_lines_count_where_the_day_accepts_them():
    unsigned = usage_line(tenant="t1", request_id="u1", model_id=MODEL, input_tokens=3, output_tokens=4)
    totals = logs_engine.read_day(
        FakeLogs([[unsigned]]), "g", DAY, keys=TEST_KEYRING.keys, accept_unsigned=True
    )
    assert totals.sums == {("t1", MODEL, "us-east-1", "standard"): [3, 4, 0, 0, 1, 0]}
    assert totals.rejected == {
        "bad_signature": 0,
        "missing_signature": 0,
        "unknown_key": 0,
        "day_mismatch": 0,
        "missing_day": 0,
    }


def test_the_reader_reads_the_settings_log_group_with_one_logs_client():
    logs = FakeLogs([[line("a")]])
    asked = []

    def client(service):
        asked.append(service)
        return logs

    read = logs_engine.reader(types.SimpleNamespace(log_group_api="/aws/lambda/api"), client)
    totals = read(DAY, TEST_KEYRING.keys, False)
    assert asked == ["logs"]
    assert totals.sums == {("t1", MODEL, "us-east-1", "standard"): [10, 5, 0, 0, 1, 0]}
    assert logs.requests[0]["logGroupName"] == "/aws/lambda/api"
    # the unsigned flag is passed on: an unsigned line counts only when it is true
    unsigned = usage_line(tenant="t9", request_id="u", model_id=MODEL, input_tokens=1, output_tokens=1)
    assert read(DAY, TEST_KEYRING.keys, False).sums == totals.sums
    logs.pages = [[unsigned]]
    assert read(DAY, TEST_KEYRING.keys, True).sums == {
        ("t9", MODEL, "us-east-1", "standard"): [1, 1, 0, 0, 1, 0]
    }
    assert read(DAY, TEST_KEYRING.keys, False).sums == {}


def test_the_reader_passes_accept_undated_on():
    logs = FakeLogs([[line("a")]])  # signed, but names no day
    read = logs_engine.reader(types.SimpleNamespace(log_group_api="g"), lambda service: logs)
    assert read(DAY, TEST_KEYRING.keys, False).sums == {
        ("t1", MODEL, "us-east-1", "standard"): [10, 5, 0, 0, 1, 0]
    }
    refused = read(DAY, TEST_KEYRING.keys, False, False)
    assert refused.sums == {}
    assert refused.rejected["missing_day"] == 1


def test_the_late_window_is_late_until_hours_and_minutes_long(monkeypatch):
    monkeypatch.setattr(logs_engine, "LATE_UNTIL", "01:30")
    logs = FakeLogs([[line("a")]])
    logs_engine.read_day(logs, "g", DAY, keys=TEST_KEYRING.keys, accept_unsigned=False)
    next_day_ms = DAY_START_MS + 86_400_000
    late = logs.requests[-1]
    assert (late["startTime"], late["endTime"]) == (next_day_ms, next_day_ms + 90 * 60_000 - 1)
