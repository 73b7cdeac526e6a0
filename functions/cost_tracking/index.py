"""Scheduled aggregator: yesterday (UTC) by default, or the date or range given in the event."""

from __future__ import annotations

import datetime as dt

from aws_lambda_powertools import Logger
from token_profiler import dates, jobs, settings, telemetry

SETTINGS = settings.load("cost_tracking")
logger = Logger()
metrics = telemetry.new_metrics("cost_tracking")


def _request(event) -> dict:
    if not isinstance(event, dict):
        return {}
    # EventBridge rules wrap the payload in "detail"; Scheduler passes the input as is
    source = event.get("detail") if isinstance(event.get("detail"), dict) else event
    return {k: v for k, v in source.items() if k in ("date", "start_date", "end_date")}


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event, context):
    today = dates.today()
    days = dates.aggregation_days(
        _request(event),
        today - dt.timedelta(days=1),
        SETTINGS.max_range_days,
        now=today,
        earliest=dates.aggregatable_since(today, SETTINGS.log_retention_days),
    )
    answer = jobs.run_and_answer(days, SETTINGS, logger, metrics)
    telemetry.run_metrics(metrics, answer["summary"])  # what the alarms watch
    return answer
