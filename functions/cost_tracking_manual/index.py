"""POST /cost_track_manual: the same aggregation on demand, today (UTC) by default. Admins only."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from token_profiler import dates, jobs, mfa, settings, telemetry
from token_profiler.apigw import caller, json_body, make_app
from token_profiler.clients import aws_client
from token_profiler.errors import Forbidden

SETTINGS = settings.load("cost_tracking_manual")
logger = Logger()
metrics = telemetry.new_metrics("cost_tracking_manual")
app = make_app(logger, SETTINGS.cors_origin)


@app.post("/cost_track_manual")
def cost_track_manual():
    who = mfa.checked_admin(
        caller(app), SETTINGS.admin_group, SETTINGS.admin_mfa, lambda: aws_client("cognito-idp")
    )
    if not who.is_member(SETTINGS.admin_group):
        raise Forbidden("only members of the admin group may run the aggregation")
    today = dates.today()
    days = dates.aggregation_days(
        json_body(app, required=False),
        today,
        SETTINGS.max_range_days,
        now=today,
        earliest=dates.aggregatable_since(today, SETTINGS.log_retention_days),
    )
    answer = jobs.run_and_answer(days, SETTINGS, logger, metrics)
    telemetry.run_metrics(metrics, answer["summary"])  # what the alarms watch
    return answer


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)
