"""Load a function's ``index.py`` as a fresh cold start and build the events Lambda would get."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


@dataclass
class LambdaContext:
    function_name: str = "test_function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:test_function"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 28_000


def load_handler(name: str) -> tuple[ModuleType, io.StringIO]:
    """Import functions/<name>/index.py as a new module (a cold start with the current environment).

    Returns the module and a buffer that receives everything its powertools Logger writes.
    """
    path = FUNCTIONS / name / "index.py"
    module_name = f"_handler_{name}_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    buffer = io.StringIO()
    module.logger.registered_handler.setStream(buffer)
    return module, buffer


def claims_for(tenant: str | None = None, *, username: str = "user-1", groups: Any = None) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "sub": str(uuid.uuid5(uuid.NAMESPACE_DNS, username)),
        "cognito:username": username,
        "email": f"{username}@example.com",
        "token_use": "id",
    }
    if tenant is not None:
        claims["custom:tenant_id"] = tenant
    if groups is not None:
        claims["cognito:groups"] = groups
    return claims


def rest_event(
    path: str,
    *,
    body: Any = None,
    raw_body: str | None = None,
    claims: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
    method: str = "POST",
    request_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy (v1) event behind a Cognito user pool authorizer."""
    request_id = request_id or str(uuid.uuid4())
    if raw_body is None and body is not None:
        raw_body = json.dumps(body)
    all_headers = {"Content-Type": "application/json", "Auth": "header.payload.signature"}
    all_headers.update(headers or {})
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": "abc123",
        "httpMethod": method,
        "path": f"/test{path}",
        "resourcePath": path,
        "stage": "test",
        "requestId": request_id,
        "identity": {"sourceIp": "127.0.0.1", "userAgent": "pytest"},
    }
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": context,
        "body": raw_body,
        "isBase64Encoded": False,
    }


def log_records(buffer: io.StringIO) -> list[dict[str, Any]]:
    records = []
    for text in buffer.getvalue().splitlines():
        if text.strip():
            records.append(json.loads(text))
    return records
