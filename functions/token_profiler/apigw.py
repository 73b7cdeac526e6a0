"""API Gateway glue for the API functions (the only module that imports aws-lambda-powertools).

One place maps domain errors to status codes; every error answers
``{"message": "...", "request_id": "..."}`` and never a stack trace.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types

from token_profiler.auth import Caller, caller_from_claims
from token_profiler.errors import BadRequest, BedrockThrottled, ProfilerError

CORS_HEADERS = ["Auth", "Authorization", "Content-Type"]


def request_id(app: APIGatewayRestResolver) -> str:
    try:
        return str(app.current_event.request_context.request_id or "")
    except (AttributeError, KeyError, TypeError):
        return ""


def error_response(status: int, message: str, rid: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"message": message, "request_id": rid}),
        headers=headers or {},
    )


def make_app(logger: Logger, cors_origin: str = "*") -> APIGatewayRestResolver:
    """The resolver with the error mapping. Tokens travel in headers (never cookies), so "*" is a safe
    default origin; CORS_ORIGIN narrows it to the console's URL."""
    cors = CORSConfig(
        allow_origin=cors_origin, allow_headers=CORS_HEADERS, expose_headers=["Retry-After"], max_age=300
    )
    app = APIGatewayRestResolver(cors=cors)

    @app.exception_handler(ProfilerError)
    def _domain_error(exc: ProfilerError) -> Response:
        headers = {}
        if isinstance(exc, BedrockThrottled) or getattr(exc, "retry_after", None):
            headers["Retry-After"] = str(exc.retry_after)
        log = logger.warning if exc.status >= 500 or exc.status == 429 else logger.info
        log("request refused", extra={"status": exc.status, "reason": exc.message})
        return error_response(exc.status, exc.message, request_id(app), headers)

    @app.exception_handler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # the trace goes to the function's log only; the caller gets a plain message
        logger.exception("unexpected error")
        return error_response(500, "internal error", request_id(app))

    @app.not_found
    def _not_found(exc: Exception) -> Response:
        return error_response(
            404, f"no route for {app.current_event.http_method} {app.current_event.path}", request_id(app)
        )

    return app


def caller(app: APIGatewayRestResolver) -> Caller:
    context = app.current_event.get("requestContext") or {}
    authorizer = context.get("authorizer") or {}
    return caller_from_claims(authorizer.get("claims"))


def json_body(app: APIGatewayRestResolver, *, required: bool) -> Any:
    """The request body parsed as JSON; an empty body is ``{}`` unless ``required``."""
    try:
        raw = app.current_event.decoded_body if app.current_event.body is not None else None
    except (UnicodeDecodeError, ValueError):  # a base64 body that is not UTF-8 text
        raise BadRequest("body is not valid JSON (not UTF-8 text)") from None
    if raw is None or not raw.strip():
        if required:
            raise BadRequest("a JSON body is required")
        return {}
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise BadRequest("body is not valid JSON") from None
