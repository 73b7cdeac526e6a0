"""The usage line (schema version 1): built by invoke_model, parsed by the aggregator."""

from __future__ import annotations

from dataclasses import dataclass

from token_profiler import USAGE_MARKER, USAGE_SCHEMA_VERSION

TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_read_input_tokens", "cache_write_input_tokens")


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_write_input_tokens: int = 0


def usage_record(
    *,
    tenant_id: str,
    request_id: str,
    model_id: str,
    region: str,
    usage: Usage,
    latency_ms: int,
    timed_out: bool = False,
) -> dict:
    """The ``token_usage`` object logged as ``logger.info(USAGE_MARKER, extra={"token_usage": ...})``.

    ``timed_out`` (optional, only written when true): we stopped waiting for Bedrock, so the counts
    are bounds (input estimated when Bedrock gave none, output = the maxTokens sent), billed as is.
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
    }
    if timed_out:
        record["timed_out"] = True
    return record


__all__ = ["USAGE_MARKER", "TOKEN_FIELDS", "Usage", "usage_record"]
