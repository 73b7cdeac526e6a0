"""The usage line's token_usage object (schema version 1), field by field."""

from __future__ import annotations

import dataclasses

import pytest
from token_profiler.usage import TOKEN_FIELDS, USAGE_MARKER, Usage, usage_record

pytestmark = pytest.mark.unit


def test_the_record_holds_every_field_with_its_own_value():
    record = usage_record(
        tenant_id="acme",
        request_id="req-7",
        model_id="us.amazon.nova-lite-v1:0",
        region="eu-west-1",
        usage=Usage(11, 22, cache_read_input_tokens=33, cache_write_input_tokens=44),
        latency_ms=555,
    )
    assert record == {
        "schema_version": 1,
        "tenant_id": "acme",
        "request_id": "req-7",
        "model_id": "us.amazon.nova-lite-v1:0",
        "region": "eu-west-1",
        "input_tokens": 11,
        "output_tokens": 22,
        "cache_read_input_tokens": 33,
        "cache_write_input_tokens": 44,
        "latency_ms": 555,
    }


def test_counts_default_to_zero_and_usage_is_frozen():
    usage = Usage()
    assert dataclasses.astuple(usage) == (0, 0, 0, 0)
    assert Usage(5) == Usage(5, 0, 0, 0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        usage.input_tokens = 1  # type: ignore[misc]


def test_token_fields_name_the_counts_in_order():
    assert tuple(field.name for field in dataclasses.fields(Usage)) == TOKEN_FIELDS
    assert USAGE_MARKER == "TOKEN_USAGE"
