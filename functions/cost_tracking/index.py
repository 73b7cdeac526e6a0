"""Scheduled aggregator: yesterday (UTC) by default, or the date or range given in the event.

An event with a ``run_id`` is a manual run handed over by POST /cost_track_manual: its outcome
(summary or error) is recorded under that id.
"""

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
    run_id = event.get("run_id") if isinstance(event, dict) and SETTINGS.runs_table else None
    # a handed-over manual run may end today; the schedule's default is yesterday
    days = dates.aggregation_days(
        _request(event),
        today if run_id else today - dt.timedelta(days=1),
        SETTINGS.max_range_days,
        now=today,
        earliest=dates.aggregatable_since(today, SETTINGS.log_retention_days),
    )
    if run_id is None:
        answer = jobs.run_and_answer(days, SETTINGS, logger)
    else:
        answer = jobs.run_and_record(run_id, days, SETTINGS, logger)
    telemetry.run_metrics(metrics, answer["summary"])  # what the alarms watch
    return answer
