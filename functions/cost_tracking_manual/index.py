"""POST /cost_track_manual: the same aggregation on demand, today (UTC) by default. Admins only."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from token_profiler import dates, jobs, settings
from token_profiler.apigw import caller, json_body, make_app
from token_profiler.clients import aws_client
from token_profiler.errors import Forbidden
from token_profiler.storage import UsageTable

SETTINGS = settings.load("cost_tracking_manual")
logger = Logger()
app = make_app(logger, SETTINGS.cors_origin)


@app.post("/cost_track_manual")
def cost_track_manual():
    if not caller(app).is_member(SETTINGS.admin_group):
        raise Forbidden("only members of the admin group may run the aggregation")
    today = dates.today()
    days = dates.aggregation_days(json_body(app, required=False), today, SETTINGS.max_range_days, now=today)
    summary = jobs.run(
        days,
        logs_client=aws_client("logs"),
        table=UsageTable(aws_client("dynamodb"), SETTINGS.table_name),
        s3_client=aws_client("s3"),
        bucket=SETTINGS.s3_bucket,
        log_group=SETTINGS.log_group_api,
        catalog=SETTINGS.catalog,
        retention_days=SETTINGS.retention_days,
    )
    for warning in summary.warnings:
        logger.warning(warning)
    logger.info("aggregation finished", extra={"summary": summary.as_dict()})
    return {"body": "Calculation Finished!", "summary": summary.as_dict()}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event, context):
    return app.resolve(event, context)
