"""Read what Terraform deployed back from the AWS emulator: the REST API, the functions behind it,
their code and layers (matched to the built zips by CodeSha256), the user pool and the schedule.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.gateway import ApiConfig, GatewayResponse, Method
from local.lambda_runner import FunctionSpec

INVOKE_URI = re.compile(r"arn:[^:]+:apigateway:[^:]+:lambda:path/[^/]+/functions/(?P<arn>.+)/invocations$")


class ReadbackError(RuntimeError):
    """The deployment lacks something the local stack needs; the message names it."""


@dataclass
class Schedule:
    name: str
    expression: str
    timezone: str
    enabled: bool
    function_arn: str
    input: str | None


def code_sha256(path: Path) -> str:
    return base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()


def zips_by_hash(dist_dir: Path) -> dict[str, Path]:
    return {code_sha256(path): path for path in sorted(dist_dir.glob("*.zip"))}


def _quoted(value: str) -> str:
    """API Gateway mapping values are quoted literals: "'*'" means the text *."""
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == "'" else value


def read_api(apigw: Any, api_id: str, stage_name: str) -> tuple[ApiConfig, dict[str, Any]]:
    """The stage's routes and settings, and the authorizers by id (for the verifier)."""
    resources = []
    for page in apigw.get_paginator("get_resources").paginate(restApiId=api_id):
        resources += page["items"]
    authorizers = {a["id"]: a for a in apigw.get_authorizers(restApiId=api_id).get("items", [])}
    validators = {v["id"]: v for v in apigw.get_request_validators(restApiId=api_id).get("items", [])}
    routes: dict[str, dict[str, Method]] = {}
    for resource in resources:
        for http_method in resource.get("resourceMethods") or {}:
            method = apigw.get_method(restApiId=api_id, resourceId=resource["id"], httpMethod=http_method)
            integration = method.get("methodIntegration") or {}
            entry = Method(http_method=http_method, authorization=method.get("authorizationType", "NONE"))
            if entry.authorization == "COGNITO_USER_POOLS":
                authorizer = authorizers.get(method.get("authorizerId"))
                if authorizer is None:
                    raise ReadbackError(f"{http_method} {resource['path']}: authorizer not found")
                source = authorizer.get("identitySource", "method.request.header.Authorization")
                entry.identity_header = source.rsplit(".", 1)[-1]
            validator = validators.get(method.get("requestValidatorId") or "")
            if validator and validator.get("validateRequestParameters"):
                entry.required_params = [
                    name.removeprefix("method.request.")
                    for name, required in (method.get("requestParameters") or {}).items()
                    if required
                ]
            entry.integration = integration.get("type", "MOCK")
            entry.timeout_ms = int(integration.get("timeoutInMillis") or 29000)
            if entry.integration == "AWS_PROXY":
                match = INVOKE_URI.match(integration.get("uri", ""))
                if not match:
                    raise ReadbackError(f"{http_method} {resource['path']}: not a Lambda proxy URI")
                entry.function = match["arn"]
            elif entry.integration == "MOCK":
                responses = integration.get("integrationResponses") or {}
                chosen = responses.get("200") or next(iter(responses.values()), {})
                entry.mock_status = int(chosen.get("statusCode", 200))
                entry.mock_headers = {
                    name.removeprefix("method.response.header."): _quoted(value)
                    for name, value in (chosen.get("responseParameters") or {}).items()
                }
            else:
                raise ReadbackError(
                    f"{http_method} {resource['path']}: integration {entry.integration} unsupported"
                )
            routes.setdefault(resource["path"], {})[http_method] = entry

    stage = apigw.get_stage(restApiId=api_id, stageName=stage_name)
    settings = (stage.get("methodSettings") or {}).get("*/*") or {}
    responses = {}
    for item in apigw.get_gateway_responses(restApiId=api_id).get("items", []):
        responses[item["responseType"]] = GatewayResponse(
            status=int(item.get("statusCode") or 0),
            headers={
                name.removeprefix("gatewayresponse.header."): _quoted(value)
                for name, value in (item.get("responseParameters") or {}).items()
            },
            template=(item.get("responseTemplates") or {}).get("application/json"),
        )
    config = ApiConfig(
        api_id=api_id,
        stage=stage_name,
        routes=routes,
        throttle_rate=settings.get("throttlingRateLimit"),
        throttle_burst=settings.get("throttlingBurstLimit"),
        responses=responses,
    )
    return config, authorizers


def read_function(lam: Any, name_or_arn: str, dist: dict[str, Path]) -> FunctionSpec:
    config = lam.get_function(FunctionName=name_or_arn)["Configuration"]
    code = dist.get(config["CodeSha256"])
    if code is None:
        raise ReadbackError(
            f"{config['FunctionName']}: no zip under build/dist has the deployed CodeSha256 "
            f"{config['CodeSha256']} (rebuild and apply again)"
        )
    layers = []
    for layer in config.get("Layers") or []:
        # arn:aws:lambda:<region>:<account>:layer:<name>:<version> (moto lacks GetLayerVersionByArn)
        layer_arn, _, number = layer["Arn"].rpartition(":")
        version = lam.get_layer_version(LayerName=layer_arn, VersionNumber=int(number))
        path = dist.get(version["Content"]["CodeSha256"])
        if path is None:
            raise ReadbackError(
                f"{config['FunctionName']}: layer {layer['Arn']} matches no zip under build/dist"
            )
        layers.append(path)
    return FunctionSpec(
        name=config["FunctionName"],
        arn=config["FunctionArn"],
        handler=config["Handler"],
        timeout=int(config.get("Timeout", 3)),
        memory=int(config.get("MemorySize", 128)),
        environment=dict((config.get("Environment") or {}).get("Variables") or {}),
        code_zip=code,
        layer_zips=layers,
        log_group=(config.get("LoggingConfig") or {}).get("LogGroup")
        or f"/aws/lambda/{config['FunctionName']}",
    )


def pool_and_clients(cognito: Any, authorizers: dict[str, Any]) -> tuple[str, set[str]]:
    """The user pool behind the Cognito authorizer, and its app client ids (valid audiences)."""
    arns = [
        arn
        for a in authorizers.values()
        if a.get("type") == "COGNITO_USER_POOLS"
        for arn in a["providerARNs"]
    ]
    if not arns:
        raise ReadbackError("the API has no Cognito authorizer")
    pool_id = arns[0].rsplit("/", 1)[-1]
    clients = {
        c["ClientId"]
        for c in cognito.list_user_pool_clients(UserPoolId=pool_id, MaxResults=60)["UserPoolClients"]
    }
    return pool_id, clients


def read_schedules(scheduler: Any) -> list[Schedule]:
    schedules = []
    for item in scheduler.list_schedules().get("Schedules", []):
        detail = scheduler.get_schedule(Name=item["Name"], GroupName=item.get("GroupName", "default"))
        target = detail.get("Target") or {}
        schedules.append(
            Schedule(
                name=detail["Name"],
                expression=detail["ScheduleExpression"],
                timezone=detail.get("ScheduleExpressionTimezone") or "UTC",
                enabled=detail.get("State", "ENABLED") == "ENABLED",
                function_arn=target.get("Arn", ""),
                input=target.get("Input"),
            )
        )
    return schedules


def parse_api_url(api_url: str) -> tuple[str, str]:
    """(api id, stage) from https://<id>.execute-api.<region>.amazonaws.com/<stage>."""
    match = re.match(r"^https?://([^./]+)\.execute-api\.[^/]+/([^/]+)/?$", api_url)
    if not match:
        raise ReadbackError(f"api_url {api_url!r} is not an execute-api URL")
    return match[1], match[2]


def scheduled_event(schedule: Schedule) -> dict[str, Any]:
    """What Scheduler hands the function: the target's Input, parsed."""
    if schedule.input:
        try:
            return json.loads(schedule.input)
        except ValueError:
            return {"input": schedule.input}
    return {}
