"""Build usage lines as the invoke function's logger writes them (for tests, the local stack, benchmarks)."""

from __future__ import annotations

import base64
import json
from typing import Any

from token_profiler.signing import Keyring, sign

# The tests' signing keys (never a deployment's): two, so rotation can be exercised.
TEST_KEYRING_VALUE = json.dumps(
    {
        "current": "test-2",
        "keys": {
            "test-1": base64.b64encode(b"test key one, thirty-two bytes!!").decode(),
            "test-2": base64.b64encode(b"test key two, thirty-two bytes!!").decode(),
        },
    }
)
TEST_KEYRING = Keyring(
    current="test-2",
    keys={
        "test-1": b"test key one, thirty-two bytes!!",
        "test-2": b"test key two, thirty-two bytes!!",
    },
)


def usage_line(
    *,
    tenant: str,
    request_id: str,
    model_id: str,
    input_tokens: int,
    output_tokens: int,
    cache_read: int = 0,
    cache_write: int = 0,
    region: str = "us-east-1",
    compact: bool = True,
    keyring: Keyring | None = None,
    day: str | None = None,
    **extra_usage: Any,
) -> str:
    """A usage line; signed as invoke_model signs it when a keyring is given.

    ``day``: the UTC day the line names, as invoke_model writes it today (usage schema 3). None: a
    line of schema 1 that names no day, as written before schema 3 (the aggregators bill those only
    before SIGNED_DAYS_FROM). The logged timestamp is 2026-11-26 10:00 UTC either way; the logs
    engine reads a line's time from its CloudWatch event instead."""
    usage = {
        "schema_version": 1 if day is None else 3,
        "tenant_id": tenant,
        "request_id": request_id,
        "model_id": model_id,
        "region": region,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cache_read_input_tokens": cache_read,
        "cache_write_input_tokens": cache_write,
        "latency_ms": 321,
    }
    if day is not None:
        usage["day"] = day
    usage.update(extra_usage)
    if keyring is not None:
        usage = sign(usage, keyring)
    record = {
        "level": "INFO",
        "location": "invoke_model:40",
        "message": "TOKEN_USAGE",
        "timestamp": "2026-11-26 10:00:00,000+0000",
        "service": "invoke_model",
        "cold_start": False,
        "function_name": "demo_invoke_model",
        "correlation_id": request_id,
        "token_usage": usage,
    }
    if compact:
        return json.dumps(record, separators=(",", ":"))
    return json.dumps(record)
