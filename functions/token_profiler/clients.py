"""boto3 clients, created once per container (boto3 honours AWS_ENDPOINT_URL for the local stack)."""

from __future__ import annotations

import sys
from functools import cache
from typing import Any

from token_profiler import bedrock, mfa, prices, signing, storage


@cache
def aws_client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    # adaptive retries smooth over DynamoDB/Logs throttling in the aggregator
    return boto3.client(service, config=Config(retries={"max_attempts": 8, "mode": "adaptive"}))


def clear_caches() -> None:
    """Forget every per-container cache (tests call this between cases)."""
    aws_client.cache_clear()
    bedrock.get_client.cache_clear()
    storage.table_schema.cache_clear()
    prices.clear_caches()
    mfa.clear_cache()
    signing.clear_caches()
    # plans is looked up, not imported: only the functions that use it should reach its calls
    plans = sys.modules.get("token_profiler.plans")
    if plans is not None:
        plans.counter_client.cache_clear()
        plans.sns_client.cache_clear()
