"""API Gateway REST proxy events (payload v1) and Lambda log framing."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

ACCOUNT_ID = "123456789012"


def rest_proxy_event(
    *,
    method: str,
    resource_path: str,
    path: str,
    stage: str,
    api_id: str,
    headers: list[tuple[str, str]],
    query: list[tuple[str, str]],
    body: bytes | None,
    claims: dict[str, str] | None,
    source_ip: str = "127.0.0.1",
    request_id: str | None = None,
    domain_name: str = "127.0.0.1",
) -> dict[str, Any]:
    """The event API Gateway sends a Lambda proxy integration for one request."""
    now = time.time()
    request_id = request_id or str(uuid.uuid4())
    single_headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        single_headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    single_query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in query:
        single_query[name] = value
        multi_query.setdefault(name, []).append(value)
    text_body: str | None = None
    is_base64 = False
    if body:
        try:
            text_body = body.decode("utf-8")
        except UnicodeDecodeError:
            import base64

            text_body = base64.b64encode(body).decode()
            is_base64 = True
    context: dict[str, Any] = {
        "resourceId": resource_path.strip("/") or "root",
        "resourcePath": resource_path,
        "httpMethod": method,
        "extendedRequestId": request_id.replace("-", "")[:16] + "=",
        "requestTime": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "path": f"/{stage}{path}",
        "accountId": ACCOUNT_ID,
        "protocol": "HTTP/1.1",
        "stage": stage,
        "domainPrefix": domain_name.split(".")[0],
        "requestTimeEpoch": int(now * 1000),
        "requestId": request_id,
        "identity": {
            "cognitoIdentityPoolId": None,
            "accountId": None,
            "cognitoIdentityId": None,
            "caller": None,
            "sourceIp": source_ip,
            "principalOrgId": None,
            "accessKey": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "userArn": None,
            "userAgent": single_headers.get("User-Agent") or single_headers.get("user-agent"),
            "user": None,
        },
        "domainName": domain_name,
        "apiId": api_id,
    }
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    return {
        "resource": resource_path,
        "path": path,
        "httpMethod": method,
        "headers": single_headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": single_query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": context,
        "body": text_body,
        "isBase64Encoded": is_base64,
    }


def log_stream_name(version: str = "$LATEST") -> str:
    """A Lambda-like stream name: one per execution environment (worker)."""
    return f"{datetime.now(UTC):%Y/%m/%d}/[{version}]{uuid.uuid4().hex}"


def proxy_response_ok(result: Any) -> bool:
    """API Gateway rejects (502) anything but a dict with an integer statusCode."""
    return (
        isinstance(result, dict)
        and isinstance(result.get("statusCode"), int)
        and (result.get("body") is None or isinstance(result.get("body"), str))
        and (result.get("headers") is None or isinstance(result.get("headers"), dict))
    )
