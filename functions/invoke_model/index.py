"""POST /invoke_model?model_id=...: call a Bedrock model for the caller's tenant and log one usage line."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from token_profiler import USAGE_MARKER, plans, settings, telemetry
from token_profiler.apigw import caller, json_body, make_app, request_id
from token_profiler.bedrock import client_args, get_client
from token_profiler.clients import aws_client
from token_profiler.invoke import invoke, parse_request
from token_profiler.signing import load_keyring

SETTINGS = settings.load("invoke_model")
CATALOG = SETTINGS.catalog
# read once per cold start: no usage line is written that the aggregator could not verify
KEYRING = load_keyring(aws_client("secretsmanager"), SETTINGS.signing_secret)
logger = Logger()
metrics = telemetry.new_metrics("invoke_model")
app = make_app(logger, SETTINGS.cors_origin)
# the one usage line of a call (also of one we stopped waiting for); the aggregator reads nothing else
log_usage = telemetry.usage_writer(logger, metrics, USAGE_MARKER)
# tenant plans (rate limits, budget reservation, settle/release); None when PLANS_TABLE is unset
ENFORCER = plans.enforcer_from_settings(SETTINGS, CATALOG, logger)
# what every call of this container shares
CONTAINER = {"settings": SETTINGS, "catalog": CATALOG, "keyring": KEYRING, "log_usage": log_usage}


@app.post("/invoke_model")
def invoke_model():
    who = caller(app)
    request = parse_request(
        app.current_event.get_query_string_value("model_id"), json_body(app, required=True), SETTINGS, CATALOG
    )
    if SETTINGS.log_prompts:
        extra = {"tenant_id": who.tenant_id, "model_id": request.model_id, "prompt": request.inputs}
        logger.info("prompt", extra=extra)
    client = get_client(*client_args(SETTINGS))
    # the usage line needs a request id to be counted; API Gateway always sends one
    rid = request_id(app) or app.lambda_context.aws_request_id
    with telemetry.counting_throttles(metrics):
        # invoke writes the usage line (log_usage) before the plan's counters are settled
        outcome = plans.guarded(
            ENFORCER,
            who.tenant_id,
            request,
            lambda: invoke(request, client=client, tenant_id=who.tenant_id, request_id=rid, **CONTAINER),
        )
    usage = outcome.body[0]["usage"]
    telemetry.call_metrics(
        metrics, request.model_id, usage, who.tenant_id, per_tenant=SETTINGS.metrics_per_tenant
    )
    return outcome.body


@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event, context):
    return app.resolve(event, context)
