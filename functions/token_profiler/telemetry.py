"""Metrics in CloudWatch's embedded metric format, through powertools Metrics.

The handlers own the ``Metrics`` objects (flushed once per invocation); this module decides what
is measured. It imports no powertools at import time. Metric values are floats for CloudWatch's
graphs and alarms only: the bill is the DynamoDB table, in Decimal.

Namespace: POWERTOOLS_METRICS_NAMESPACE (Terraform sets ``BedrockTokenProfiler/<prefix>``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

DEFAULT_NAMESPACE = "BedrockTokenProfiler"
COUNT = "Count"
# usage lines read but not billed because their signature did not verify (an alarm watches it)
REJECTED_METRIC = "RejectedUsageLines"
NONE = "None"


def namespace() -> str:
    return os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "").strip() or DEFAULT_NAMESPACE


def new_metrics(service: str) -> Any:
    """A powertools Metrics for one function (imported here, at cold start of that function)."""
    from aws_lambda_powertools import Metrics

    return Metrics(namespace=namespace(), service=service)


def call_metrics(
    metrics: Any, model_id: str, usage: dict[str, Any], tenant_id: str | None = None, *, per_tenant: bool
) -> None:
    """One invoke_model call: Calls, InputTokens, OutputTokens, CostUSD by model (and, if set, a
    second record by model and tenant: a metric set per tenant is billed per tenant)."""
    values = {
        "Calls": (COUNT, 1),
        "InputTokens": (COUNT, int(usage.get("input_tokens", 0))),
        "OutputTokens": (COUNT, int(usage.get("output_tokens", 0))),
        "CostUSD": (NONE, float(Decimal(str(usage.get("cost", "0"))))),
    }
    metrics.add_dimension(name="model_id", value=model_id)
    for name, (unit, value) in values.items():
        metrics.add_metric(name=name, unit=unit, value=value)
    if per_tenant and tenant_id:
        from aws_lambda_powertools.metrics import EphemeralMetrics

        tenant = EphemeralMetrics(namespace=namespace(), service=metrics.service)
        tenant.add_dimension(name="model_id", value=model_id)
        tenant.add_dimension(name="tenant_id", value=tenant_id)
        for name, (unit, value) in values.items():
            tenant.add_metric(name=name, unit=unit, value=value)
        tenant.flush_metrics()


def throttled(metrics: Any) -> None:
    """Bedrock throttled a call (the caller got 429); no model dimension, so one alarm watches all."""
    metrics.add_metric(name="BedrockThrottles", unit=COUNT, value=1)


@contextmanager
def counting_throttles(metrics: Any) -> Iterator[None]:
    """Counts a Bedrock throttle (the caller gets 429) raised inside the block, and lets it go on."""
    from token_profiler.errors import BedrockThrottled

    try:
        yield
    except BedrockThrottled:
        throttled(metrics)
        raise


def timed_out(metrics: Any) -> None:
    metrics.add_metric(name="TimedOutCalls", unit=COUNT, value=1)


def run_metrics(metrics: Any, summary: dict[str, Any]) -> None:
    """One finished aggregation run: what the alarms watch (success, unpriced and rejected lines)."""
    metrics.add_metric(name="AggregationSucceeded", unit=COUNT, value=1)
    metrics.add_metric(name="UnpricedLines", unit=COUNT, value=summary.get("lines_unpriced", 0))
    # rows of a model the catalog does not know, rows with tokens it has no price for in their Region
    metrics.add_metric(name="UnpricedRows", unit=COUNT, value=summary.get("unpriced_rows", 0))
    metrics.add_metric(name="PriceMissingRows", unit=COUNT, value=summary.get("price_missing_rows", 0))
    # malformed lines; lines that fail their signature are RejectedUsageLines, total and by reason
    metrics.add_metric(name="SkippedLines", unit=COUNT, value=summary.get("lines_skipped", 0))
    rejected = summary.get("rejected", {})
    metrics.add_metric(name=REJECTED_METRIC, unit=COUNT, value=sum(rejected.values()))
    for reason, count in rejected.items():
        metrics.add_metric(name=f"{REJECTED_METRIC}.{reason}", unit=COUNT, value=count)
    metrics.add_metric(name="TimedOutLines", unit=COUNT, value=summary.get("lines_timed_out", 0))
    metrics.add_metric(name="RowsWritten", unit=COUNT, value=summary.get("rows_written", 0))


def usage_writer(logger: Any, metrics: Any, marker: str) -> Any:
    """``log_usage`` for ``invoke``: writes the call's one usage line (the ledger the aggregator
    reads, also for a call we stopped waiting for) and counts a timed-out call."""

    def log_usage(record: dict[str, Any]) -> None:
        logger.info(marker, extra={"token_usage": record})
        if record.get("timed_out"):
            timed_out(metrics)

    return log_usage
