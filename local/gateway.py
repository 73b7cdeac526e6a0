"""A local API Gateway (REST) serving what Terraform deployed: routes, Cognito authorizer,
request validation, Lambda proxy integrations, MOCK (CORS preflight) integrations, stage
throttling and gateway responses. The configuration is read back from moto by local/readback.py.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from local.events import proxy_response_ok, rest_proxy_event
from local.jwt_verify import CognitoVerifier, Unauthorized, claims_for_event
from local.lambda_runner import InvokeResult

MAX_HEADER_BYTES = 10240  # API Gateway REST: total size of request headers
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway REST payload limit

DEFAULT_RESPONSES: dict[str, tuple[int, str]] = {
    "UNAUTHORIZED": (401, "Unauthorized"),
    "MISSING_AUTHENTICATION_TOKEN": (403, "Missing Authentication Token"),
    "ACCESS_DENIED": (403, "Forbidden"),
    "THROTTLED": (429, "Too Many Requests"),
    "BAD_REQUEST_PARAMETERS": (400, "Missing required request parameters"),
    "BAD_REQUEST_BODY": (400, "Invalid request body"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long"),
    "INTEGRATION_FAILURE": (502, "Internal server error"),
    "INTEGRATION_TIMEOUT": (504, "Endpoint request timed out"),
}
HEADERS_TOO_LARGE = (431, "Request Header Fields Too Large")


@dataclass
class Method:
    http_method: str
    authorization: str = "NONE"
    identity_header: str | None = None  # the Cognito authorizer's identity source header
    integration: str = "AWS_PROXY"  # AWS_PROXY or MOCK
    function: str | None = None
    timeout_ms: int = 29000
    mock_status: int = 200
    mock_headers: dict[str, str] = field(default_factory=dict)
    required_params: list[str] = field(default_factory=list)  # e.g. "querystring.model_id"


@dataclass
class GatewayResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    template: str | None = None


@dataclass
class ApiConfig:
    api_id: str
    stage: str
    routes: dict[str, dict[str, Method]]  # resource path -> HTTP method -> Method
    throttle_rate: float | None = None
    throttle_burst: int | None = None
    responses: dict[str, GatewayResponse] = field(default_factory=dict)


class TokenBucket:
    def __init__(self, rate: float, burst: int):
        self.rate = rate
        self.capacity = max(1, burst)
        self.tokens = float(self.capacity)
        self.stamp = time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


Invoker = Callable[[str, dict[str, Any], str], InvokeResult]  # (function name, event, request id)


class Gateway:
    def __init__(
        self,
        config: ApiConfig,
        verifier: CognitoVerifier | None,
        invoke: Invoker,
        access_log: Callable[[dict[str, Any]], None] | None = None,
    ):
        self.config = config
        # Loopback-only control hooks of the local stack (run the schedule now, health), outside any stage.
        # (method, path, body, headers) -> (status, JSON payload)
        self.control: Callable[[str, str, bytes, dict[str, str]], tuple[int, Any]] | None = None
        # Documents served on GET outside any stage (the OpenAPI document): path -> (type, bytes).
        self.documents: dict[str, tuple[str, bytes]] = {}
        self.verifier = verifier
        self.invoke = invoke
        self.access_log = access_log
        self._served = threading.local()
        self.bucket = (
            TokenBucket(config.throttle_rate, config.throttle_burst or 1)
            if config.throttle_rate is not None and config.throttle_rate >= 0
            else None
        )

    # -- gateway responses ------------------------------------------------------------------------
    def last_claims(self) -> dict[str, str] | None:
        """Claims of the request this thread just served (for the access log)."""
        return getattr(self._served, "claims", None)

    def resource_path(self, raw_path: str) -> str:
        path = urllib.parse.urlsplit(raw_path).path
        prefix = f"/{self.config.stage}"
        resource = path[len(prefix) :] if path.startswith(prefix + "/") else path
        return resource.rstrip("/") or "/"

    def gateway_response(
        self, kind: str, request_id: str, message: str | None = None
    ) -> tuple[int, dict, bytes]:
        status, default_message = DEFAULT_RESPONSES.get(kind, HEADERS_TOO_LARGE)
        message = message or default_message
        family = "DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX"
        custom = self.config.responses.get(kind)
        fallback = self.config.responses.get(family)
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": _error_type(kind)}
        template = None
        for source in (fallback, custom):
            if source is not None:
                headers.update(source.headers)
                template = source.template or template
        if custom is not None and custom.status:
            status = custom.status
        if template:
            body = (
                template.replace("$context.error.messageString", json.dumps(message))
                .replace("$context.error.message", message)
                .replace("$context.requestId", request_id)
                .replace("$context.error.validationErrorString", message)
            )
        else:
            body = json.dumps({"message": message})
        return status, headers, body.encode()

    # -- one request ------------------------------------------------------------------------------
    def handle(
        self, method: str, raw_path: str, headers: list[tuple[str, str]], body: bytes, source_ip: str
    ) -> tuple[int, dict[str, str], bytes]:
        request_id = str(uuid.uuid4())
        status, out_headers, out_body = self._handle(method, raw_path, headers, body, source_ip, request_id)
        out_headers.setdefault("x-amzn-RequestId", request_id)
        out_headers.setdefault("x-amz-apigw-id", request_id.replace("-", "")[:16] + "=")
        return status, out_headers, out_body

    def _handle(self, method, raw_path, headers, body, source_ip, request_id):
        if sum(len(n) + len(v) + 4 for n, v in headers) > MAX_HEADER_BYTES:
            status, message = HEADERS_TOO_LARGE
            return status, {"Content-Type": "application/json"}, json.dumps({"message": message}).encode()
        if len(body) > MAX_BODY_BYTES:
            return self.gateway_response("REQUEST_TOO_LARGE", request_id)
        split = urllib.parse.urlsplit(raw_path)
        document = self.documents.get(split.path)
        if document is not None and method in ("GET", "HEAD"):
            content_type, data = document
            return 200, {"Content-Type": content_type, "Access-Control-Allow-Origin": "*"}, data
        if self.control is not None and split.path.startswith("/_local/"):
            status, payload = self.control(method, split.path, body, {n.lower(): v for n, v in headers})
            return status, {"Content-Type": "application/json"}, json.dumps(payload, default=str).encode()
        prefix = f"/{self.config.stage}"
        path = split.path
        if not (path == prefix or path.startswith(prefix + "/")):
            return self.gateway_response("MISSING_AUTHENTICATION_TOKEN", request_id)
        resource_path = path[len(prefix) :] or "/"
        if len(resource_path) > 1:
            resource_path = resource_path.rstrip("/")
        methods = self.config.routes.get(resource_path)
        route = (methods or {}).get(method) or (methods or {}).get("ANY")
        if route is None:
            return self.gateway_response("MISSING_AUTHENTICATION_TOKEN", request_id)
        if self.bucket is not None and not self.bucket.take():
            return self.gateway_response("THROTTLED", request_id)

        lowered = {n.lower(): v for n, v in headers}
        claims = None
        self._served.claims = None
        if route.authorization == "COGNITO_USER_POOLS":
            token = lowered.get((route.identity_header or "Authorization").lower())
            try:
                if self.verifier is None:
                    raise Unauthorized("no user pool")
                claims = claims_for_event(self.verifier.verify(token))
                self._served.claims = claims
            except Unauthorized:
                return self.gateway_response("UNAUTHORIZED", request_id)

        query = urllib.parse.parse_qsl(split.query, keep_blank_values=True)
        missing = []
        for required in route.required_params:
            where, _, name = required.partition(".")
            if (where == "querystring" and name not in dict(query)) or (
                where == "header" and name.lower() not in lowered
            ):
                missing.append(name)
        if missing:
            return self.gateway_response(
                "BAD_REQUEST_PARAMETERS",
                request_id,
                f"Missing required request parameters: [{', '.join(missing)}]",
            )

        if route.integration == "MOCK":
            return route.mock_status, {"Content-Type": "application/json", **route.mock_headers}, b""

        event = rest_proxy_event(
            method=method,
            resource_path=resource_path,
            path=resource_path,
            stage=self.config.stage,
            api_id=self.config.api_id,
            headers=headers,
            query=query,
            body=body or None,
            claims=claims,
            source_ip=source_ip,
            request_id=request_id,
        )
        started = time.monotonic()
        result = self.invoke(route.function or "", event, request_id)
        if (time.monotonic() - started) * 1000 > route.timeout_ms:
            return self.gateway_response("INTEGRATION_TIMEOUT", request_id)
        if not result.ok or not proxy_response_ok(result.payload):
            return self.gateway_response("INTEGRATION_FAILURE", request_id)
        return _proxy_to_http(result.payload)


def _error_type(kind: str) -> str:
    return {
        "UNAUTHORIZED": "UnauthorizedException",
        "MISSING_AUTHENTICATION_TOKEN": "MissingAuthenticationTokenException",
        "ACCESS_DENIED": "AccessDeniedException",
        "THROTTLED": "TooManyRequestsException",
        "BAD_REQUEST_PARAMETERS": "BadRequestException",
        "BAD_REQUEST_BODY": "BadRequestException",
        "REQUEST_TOO_LARGE": "RequestTooLargeException",
    }.get(kind, "InternalServerErrorException")


def _proxy_to_http(payload: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    headers: dict[str, str] = {}
    for name, values in (payload.get("multiValueHeaders") or {}).items():
        headers[name] = ",".join(str(v) for v in values)
    for name, value in (payload.get("headers") or {}).items():
        headers[name] = str(value)
    body = payload.get("body") or ""
    data = base64.b64decode(body) if payload.get("isBase64Encoded") else body.encode()
    headers.setdefault("Content-Type", "application/json")
    return payload["statusCode"], headers, data


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "local-apigateway"
    gateway: Gateway

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        started = time.monotonic()
        status, headers, data = self.gateway.handle(
            self.command, self.path, list(self.headers.items()), body, self.client_address[0]
        )
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in {"content-length", "connection", "transfer-encoding"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        if self.gateway.access_log is not None and not self.path.startswith("/_local/"):
            error = None
            if "x-amzn-ErrorType" in headers:
                with contextlib.suppress(ValueError, AttributeError):
                    error = json.loads(data).get("message")
            claims = self.gateway.last_claims()
            self.gateway.access_log(
                {
                    "requestId": headers.get("x-amzn-RequestId"),
                    "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
                    "httpMethod": self.command,
                    "resourcePath": self.gateway.resource_path(self.path),
                    "path": urllib.parse.urlsplit(self.path).path,
                    "stage": self.gateway.config.stage,
                    "protocol": self.request_version,
                    "status": status,
                    "responseLength": len(data),
                    "responseLatency": int((time.monotonic() - started) * 1000),
                    "identity.sourceIp": self.client_address[0],
                    "error.message": error,
                    **{f"authorizer.claims.{name}": value for name, value in (claims or {}).items()},
                }
            )

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _serve  # noqa: N815

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY, ...) reaches the gateway too and gets its JSON 404 for a
        # method no route has, as on API Gateway, instead of http.server's own HTML 501.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)


class GatewayServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


def make_server(gateway: Gateway, port: int = 0, host: str = "127.0.0.1") -> GatewayServer:
    handler = type("Handler", (_Handler,), {"gateway": gateway})
    return GatewayServer((host, port), handler)
