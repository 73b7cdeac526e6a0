"""POST /ddb_cost_retrieval: usage rows; an admin sees every tenant, a tenant only its own."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from token_profiler import mfa, settings
from token_profiler.apigw import caller, json_body, make_app
from token_profiler.clients import aws_client
from token_profiler.retrieval import retrieve
from token_profiler.storage import UsageTable

SETTINGS = settings.load("ddb_cost_retrieval")
logger = Logger()
app = make_app(logger, SETTINGS.cors_origin)


@app.post("/ddb_cost_retrieval")
def ddb_cost_retrieval():
    table = UsageTable(aws_client("dynamodb"), SETTINGS.table_name)
    who = mfa.checked_admin(
        caller(app), SETTINGS.admin_group, SETTINGS.admin_mfa, lambda: aws_client("cognito-idp")
    )
    items, next_token = retrieve(table, who, json_body(app, required=False), SETTINGS.admin_group)
    answer = {"body": items}
    if next_token:
        answer["next_token"] = next_token
    return answer


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event, context):
    return app.resolve(event, context)
