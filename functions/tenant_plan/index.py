"""POST /tenant_plan: read or set a tenant's plan (budget, limits, alerts, models). Admins only."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from token_profiler import plans, settings
from token_profiler.apigw import caller, json_body, make_app
from token_profiler.clients import aws_client

SETTINGS = settings.load("tenant_plan")
logger = Logger()
app = make_app(logger, SETTINGS.cors_origin)
STORE = plans.store_from_settings(SETTINGS, aws_client("dynamodb"))


@app.post("/tenant_plan")
def tenant_plan():
    return plans.plan_request(
        STORE, caller(app), json_body(app, required=True), SETTINGS.admin_group, SETTINGS.catalog
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event, context):
    return app.resolve(event, context)
