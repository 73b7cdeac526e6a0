"""The usage line's token_usage object (schema version 3), field by field."""

from __future__ import annotations

import dataclasses
import time

import pytest
from token_profiler.usage import TOKEN_FIELDS, USAGE_MARKER, Usage, tier_of, usage_record

pytestmark = pytest.mark.unit

BASE = {
    "schema_version": 3,
    "tenant_id": "acme",
    "request_id": "req-7",
    "model_id": "us.amazon.nova-lite-v1:0",
    "region": "eu-west-1",
    "input_tokens": 11,
    "output_tokens": 22,
    "cache_read_input_tokens": 33,
    "cache_write_input_tokens": 44,
    "latency_ms": 555,
    "day": "2026-11-26",
}


def record(usage: Usage, **options) -> dict:
    return usage_record(
        tenant_id="acme",
        request_id="req-7",
        model_id="us.amazon.nova-lite-v1:0",
        region="eu-west-1",
        usage=usage,
        latency_ms=555,
        **{"day": "2026-11-26", **options},
    )


def test_a_plain_call_writes_the_version_1_fields_only():
    line = record(Usage(11, 22, cache_read_input_tokens=33, cache_write_input_tokens=44))
    assert line == BASE
    assert list(line) == list(BASE)  # same order as the line has always had


def test_optional_fields_are_written_only_when_they_say_something():
    usage = Usage(11, 22, 33, 44, cache_write_1h_input_tokens=40, service_tier="flex")
    assert record(usage, timed_out=True, tier="long_context") == {
        **BASE,
        "timed_out": True,
        "cache_write_1h_input_tokens": 40,
        "tier": "long_context",
    }
    assert record(usage) == {**BASE, "cache_write_1h_input_tokens": 40}  # service_tier is not the tier
    assert record(Usage(11, 22, 33, 44), timed_out=False, tier="standard") == BASE
    assert record(Usage(11, 22, 33, 44), tier="priority") == {**BASE, "tier": "priority"}
    assert record(Usage(11, 22, 33, 44), timed_out=True) == {**BASE, "timed_out": True}
    assert record(Usage(11, 22, 33, 44, 1)) == {**BASE, "cache_write_1h_input_tokens": 1}


def test_counts_default_to_zero_the_tier_to_standard_and_usage_is_frozen():
    usage = Usage()
    assert dataclasses.astuple(usage) == (0, 0, 0, 0, 0, "standard")
    assert Usage(5) == Usage(5, 0, 0, 0, 0, "standard")
    with pytest.raises(dataclasses.FrozenInstanceError):
        usage.input_tokens = 1  # type: ignore[misc]


def test_token_fields_name_the_four_counts_of_version_1_in_order():
    names = tuple(field.name for field in dataclasses.fields(Usage))
    assert names == (
        "input_tokens",
        "output_tokens",
        "cache_read_input_tokens",
        "cache_write_input_tokens",
        "cache_write_1h_input_tokens",
        "service_tier",
    )
    assert names[:4] == TOKEN_FIELDS
    assert USAGE_MARKER == "TOKEN_USAGE"


@pytest.mark.parametrize(
    ("usage", "threshold", "tier"),
    [
        (Usage(100, 999, 50, 50), 200, "standard"),  # prompt 200 = threshold: not above
        (Usage(101, 0, 50, 50), 200, "long_context"),
        (Usage(100, 0, 51, 50), 200, "long_context"),
        (Usage(100, 0, 50, 51), 200, "long_context"),
        (Usage(0, 10_000, 0, 0), 200, "standard"),  # output never counts
        (Usage(100, 0, 50, 50, service_tier="flex"), 200, "flex"),
        (Usage(300, 0, 0, 0, service_tier="priority"), 200, "long_context"),
        (Usage(10**9, 0, 0, 0, service_tier="priority"), None, "priority"),
        (Usage(10**9), None, "standard"),
    ],
)
def test_the_tier_is_long_context_above_the_threshold_else_the_service_tier(usage, threshold, tier):
    assert tier_of(usage, threshold) == tier


def test_the_day_is_the_utc_day_of_the_moment_the_record_is_built(monkeypatch):
    import datetime as dt

    from token_profiler import usage as usage_module

    class Clock(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            # 23:59:59.999 UTC on the 26th is already the 27th in UTC+1: the line names the 26th
            return dt.datetime(2026, 11, 26, 23, 59, 59, 999000, tzinfo=dt.UTC).astimezone(tz)

    monkeypatch.setattr(usage_module.dt, "datetime", Clock)
    # the machine's own zone is UTC+1 here, so a local-time "now" would name the 27th
    monkeypatch.setenv("TZ", "Etc/GMT-1")
    time.tzset()
    try:
        assert Clock.now().day == 27  # the local clock is past midnight: the check can tell
        assert record(Usage(1, 1), day=None)["day"] == "2026-11-26"
    finally:
        monkeypatch.undo()
        time.tzset()
