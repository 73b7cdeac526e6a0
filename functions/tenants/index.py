"""The tenant registry's admin routes: POST /tenants (list), /tenant_create, /tenant_update (disable
or enable) and /tenant_user (a user with a temporary password). Admins only."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from token_profiler import plans, settings, tenants
from token_profiler.apigw import caller, json_body, make_app
from token_profiler.clients import aws_client

SETTINGS = settings.load("tenants")
logger = Logger()
app = make_app(logger, SETTINGS.cors_origin)
REGISTRY = tenants.Registry(aws_client("dynamodb"), SETTINGS.tenants_table)
PLANS = plans.store_from_settings(SETTINGS, aws_client("dynamodb"))
ADMINS = SETTINGS.admin_group


@app.post("/tenants")
def list_tenants():
    return tenants.list_request(REGISTRY, PLANS, caller(app), json_body(app, required=False), ADMINS)


@app.post("/tenant_create")
def tenant_create():
    return tenants.create_request(REGISTRY, caller(app), json_body(app, required=True), ADMINS)


@app.post("/tenant_update")
def tenant_update():
    return tenants.update_request(REGISTRY, caller(app), json_body(app, required=True), ADMINS)


@app.post("/tenant_user")
def tenant_user():
    body = json_body(app, required=True)
    cognito = aws_client("cognito-idp")
    return tenants.user_request(REGISTRY, cognito, SETTINGS.user_pool_id, caller(app), body, ADMINS)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event, context):
    return app.resolve(event, context)
