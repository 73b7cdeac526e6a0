"""The usage line (schema version 3): built by invoke_model, parsed by the aggregator.

Version 3 adds ``day``, the call's UTC day (``YYYY-MM-DD``), taken from the clock just before the
line is logged. It is signed with the rest, so a line bills only on the day it names: a genuine line
copied into another day's log is refused there (``signing.DAY_MISMATCH``).

Version 2 adds two fields to version 1's, both optional when read (a version 1 line has neither):
``cache_write_1h_input_tokens``, the share of ``cache_write_input_tokens`` written to the one-hour
cache, and ``tier``, the price tier the call is billed at (``standard``, ``long_context`` when the
prompt is above the model's long-context threshold, ``flex`` or ``priority`` when Bedrock served it
in that service tier). Fields a later change adds stay optional, so old and new lines mix.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from token_profiler import USAGE_MARKER, USAGE_SCHEMA_VERSION

TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_write_input_tokens")


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_write_input_tokens: int = 0  # every cache write, 5-minute and 1-hour
    cache_write_1h_input_tokens: int = 0  # of which written for one hour
    service_tier: str = "standard"  # standard, flex or priority, as Bedrock reported it


def tier_of(usage: Usage, long_context_threshold: int | None) -> str:
    """The price tier of one call: long context when the prompt (input plus cached tokens) is above
    the model's threshold, else the service tier Bedrock served it in."""
    prompt = usage.input_tokens + usage.cache_read_input_tokens + usage.cache_write_input_tokens
    if long_context_threshold is not None and prompt > long_context_threshold:
        return "long_context"
    return usage.service_tier


def usage_record(
    *,
    tenant_id: str,
    request_id: str,
    model_id: str,
    region: str,
    usage: Usage,
    latency_ms: int,
    timed_out: bool = False,
    tier: str = "standard",
    day: str | None = None,
) -> dict:
    """The ``token_usage`` object logged as ``logger.info(USAGE_MARKER, extra={"token_usage": ...})``.

    ``timed_out`` (optional, only written when true): we stopped waiting for Bedrock, so the counts
    are bounds (input estimated when Bedrock gave none, output = the maxTokens sent), billed as is.
    ``day``: the call's UTC day; None takes it from the clock now (call this just before logging).
    """
    record = {
        "schema_version": USAGE_SCHEMA_VERSION,
        "tenant_id": tenant_id,
        "request_id": request_id,
        "model_id": model_id,
        "region": region,
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_read_input_tokens": usage.cache_read_input_tokens,
        "cache_write_input_tokens": usage.cache_write_input_tokens,
        "latency_ms": latency_ms,
        "day": day or dt.datetime.now(dt.UTC).date().isoformat(),
    }
    if timed_out:
        record["timed_out"] = True
    # written only when they say something, so a plain call's line is as short as in version 1
    if usage.cache_write_1h_input_tokens:
        record["cache_write_1h_input_tokens"] = usage.cache_write_1h_input_tokens
    if tier != "standard":
        record["tier"] = tier
    return record


__all__ = ["USAGE_MARKER", "TOKEN_FIELDS", "Usage", "tier_of", "usage_record"]
