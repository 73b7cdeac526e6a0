"""POST /cost_track_manual: the same aggregation on demand, today (UTC) by default. Admins only.

A range longer than MANUAL_SYNC_MAX_DAYS cannot finish within API Gateway's 29 s: it is handed to
the scheduled aggregator (asynchronously, with a run id) and answered 202 with that id;
``{"run_id": ...}`` reads the run's status, and once done its summary, back.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from token_profiler import dates, jobs, mfa, settings, telemetry
from token_profiler.apigw import caller, json_body, make_app
from token_profiler.clients import aws_client
from token_profiler.errors import BadRequest, Forbidden
from token_profiler.runs import RunStore, needs_async

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
    body = json_body(app, required=False)
    if isinstance(body, dict) and "run_id" in body:
        if len(body) != 1 or not SETTINGS.runs_table:
            raise BadRequest("give run_id alone to read a run's status")
        return RunStore(aws_client("dynamodb"), SETTINGS.runs_table).status_of(body["run_id"])
    today = dates.today()
    days = dates.aggregation_days(
        body,
        today,
        SETTINGS.max_range_days,
        now=today,
        earliest=dates.aggregatable_since(today, SETTINGS.log_retention_days),
    )
    if SETTINGS.runs_table and needs_async(days, SETTINGS.manual_sync_max_days):
        started = jobs.start_run(days, SETTINGS, who.tenant_id, logger)
        return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=started)
    answer = jobs.run_and_answer(days, SETTINGS, logger)
    telemetry.run_metrics(metrics, answer["summary"])  # what the alarms watch
    return answer


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)
