"""The reference's invoke handler, warm: a new boto3 session and bedrock-runtime client per request.

Conservative: the reference also wrapped the client in langchain's Bedrock adapter per request;
that wrapper is left out here, so the baseline is, if anything, faster than the reference was.
Only boto3 and powertools are needed (no .venv-bench).
"""

from __future__ import annotations

import json
import os
import time

import boto3
from aws_lambda_powertools import Logger

logger = Logger(service="invoke_model")


def lambda_handler(event, context):
    started = time.perf_counter()
    claims = event["requestContext"]["authorizer"]["claims"]
    tenant_id = claims.get("custom:tenant_id") or claims["cognito:username"]
    model_id = event["queryStringParameters"]["model_id"]
    prompt = json.loads(event["body"])["inputs"]
    # What the reference did on every call: a fresh session, a fresh client.
    session = boto3.session.Session()
    bedrock = session.client(
        "bedrock-runtime",
        region_name=os.environ.get("BEDROCK_REGION", "us-east-1"),
        endpoint_url=os.environ.get("BEDROCK_URL") or None,
    )
    response = bedrock.invoke_model(
        modelId=model_id,
        body=json.dumps(
            {
                "anthropic_version": "bedrock-2023-05-31",
                "max_tokens": 512,
                "messages": [{"role": "user", "content": [{"type": "text", "text": prompt}]}],
            }
        ),
        contentType="application/json",
        accept="application/json",
    )
    result = json.loads(response["body"].read())
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    usage = {
        "schema_version": 1,
        "tenant_id": tenant_id,
        "request_id": event["requestContext"]["requestId"],
        "model_id": model_id,
        "region": bedrock.meta.region_name,
        "input_tokens": int(headers["x-amzn-bedrock-input-token-count"]),
        "output_tokens": int(headers["x-amzn-bedrock-output-token-count"]),
        "cache_read_input_tokens": 0,
        "cache_write_input_tokens": 0,
        "latency_ms": int((time.perf_counter() - started) * 1000),
    }
    logger.info("TOKEN_USAGE", extra={"token_usage": usage})
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"text": result["content"][0]["text"], "usage": usage}),
    }
