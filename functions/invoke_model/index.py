"""POST /invoke_model?model_id=...: call a Bedrock model for the caller's tenant and log one usage line."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from token_profiler import USAGE_MARKER, plans, settings
from token_profiler.apigw import caller, json_body, make_app, request_id
from token_profiler.bedrock import get_client
from token_profiler.invoke import invoke, parse_request

SETTINGS = settings.load("invoke_model")
CATALOG = SETTINGS.catalog
logger = Logger()
app = make_app(logger, SETTINGS.cors_origin)
# tenant plans (rate limits, budget reservation, settle/release); None when PLANS_TABLE is unset
ENFORCER = plans.enforcer_from_settings(SETTINGS, CATALOG, logger)


@app.post("/invoke_model")
def invoke_model():
    who = caller(app)
    request = parse_request(
        app.current_event.get_query_string_value("model_id"), json_body(app, required=True), SETTINGS, CATALOG
    )
    if SETTINGS.log_prompts:
        logger.info(
            "prompt",
            extra={"tenant_id": who.tenant_id, "model_id": request.model_id, "prompt": request.inputs},
        )
    client = get_client(
        SETTINGS.bedrock_url,
        SETTINGS.bedrock_region,
        SETTINGS.bedrock_connect_timeout,
        SETTINGS.bedrock_read_timeout,
    )
    outcome = plans.guarded(
        ENFORCER,
        who.tenant_id,
        request,
        lambda: invoke(
            request,
            client=client,
            settings=SETTINGS,
            catalog=CATALOG,
            tenant_id=who.tenant_id,
            # the usage line needs a request id to be counted; API Gateway always sends one
            request_id=request_id(app) or app.lambda_context.aws_request_id,
        ),
        # the one usage line of this call; the aggregator reads nothing else
        lambda done: logger.info(USAGE_MARKER, extra={"token_usage": done.record}),
    )
    return outcome.body


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event, context):
    return app.resolve(event, context)
