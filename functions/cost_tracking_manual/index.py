"""POST /cost_track_manual: the same aggregation on demand, today (UTC) by default. Admins only."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from token_profiler import METRICS_NAMESPACE, dates, jobs, settings
from token_profiler.apigw import caller, json_body, make_app
from token_profiler.errors import Forbidden

SETTINGS = settings.load("cost_tracking_manual")
logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)
app = make_app(logger, SETTINGS.cors_origin)


@app.post("/cost_track_manual")
def cost_track_manual():
    if not caller(app).is_member(SETTINGS.admin_group):
        raise Forbidden("only members of the admin group may run the aggregation")
    today = dates.today()
    days = dates.aggregation_days(json_body(app, required=False), today, SETTINGS.max_range_days, now=today)
    return jobs.run_and_answer(days, SETTINGS, logger, metrics)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event, context):
    return app.resolve(event, context)
