"""What a warm Lambda container gives a handler: its environment, a REST proxy event, a context."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import uuid
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from bench.harness import FUNCTIONS

# The environment the Terraform module gives each function (design.md), with dummy AWS values.
ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "BEDROCK_REGION": "us-east-1",
    "BEDROCK_URL": "",
    "ENABLED_MODELS": "",
    "PRICE_OVERRIDES": "",
    "MAX_INPUT_CHARS": "100000",
    "LOG_PROMPTS": "false",
    "LOG_LEVEL": "INFO",
    "LOG_GROUP_API": "/aws/lambda/bench_invoke_model",
    "S3_BUCKET": "bench-reports",
    "TABLE_NAME": "bench_token_usage",
    "RETENTION_DAYS": "400",
    "ADMIN_GROUP": "admin",
    "USAGE_SIGNING_SECRET": "bench/usage-signing-key",
    "FOCUS_PROVIDER_NAME": "bench provider",
}


def lambda_environ(function: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("AWS_PROFILE", None)
    env.update(ENV)
    if function in ("tenant_plan", "tenant_status"):  # plans stay off in invoke_model unless asked
        env["PLANS_TABLE"] = "bench_tenant_plans"
    if function == "tenants":  # the registry's admin routes
        env.update(PLANS_TABLE="bench_tenant_plans", TENANTS_TABLE="bench_tenants", USER_POOL_ID="p")
    env["POWERTOOLS_SERVICE_NAME"] = function
    env["AWS_LAMBDA_FUNCTION_NAME"] = f"bench_{function}"
    return env


@dataclass
class LambdaContext:
    function_name: str = "bench_invoke_model"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:bench_invoke_model"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 28_000


class NullStream:
    """Where the handlers' log lines go during a timing run (formatting them still costs)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


def invoke_event(
    model_id: str, inputs: str = "What is Amazon.com?", tenant: str = "tenant-1"
) -> dict[str, Any]:
    """An API Gateway REST proxy event for POST /invoke_model behind the Cognito authorizer."""
    body = json.dumps({"inputs": inputs})
    headers = {"Content-Type": "application/json", "Auth": "header.payload.signature"}
    return {
        "resource": "/invoke_model",
        "path": "/invoke_model",
        "httpMethod": "POST",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {"model_id": model_id},
        "multiValueQueryStringParameters": {"model_id": [model_id]},
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "bench",
            "httpMethod": "POST",
            "path": "/prod/invoke_model",
            "resourcePath": "/invoke_model",
            "stage": "prod",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "bench"},
            "authorizer": {
                "claims": {"cognito:username": "user-1", "custom:tenant_id": tenant, "token_use": "id"}
            },
        },
        "body": body,
        "isBase64Encoded": False,
    }


def load_function(key: str) -> ModuleType:
    """Import functions/<key>/index.py the way Lambda does (handler dir and layer on sys.path)."""
    for path in (str(FUNCTIONS), str(FUNCTIONS / key)):
        if path not in sys.path:
            sys.path.insert(0, path)
    spec = importlib.util.spec_from_file_location(f"index_{key}", FUNCTIONS / key / "index.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
