"""Bedrock faults through the whole stack: throttling → 429 with Retry-After, 5xx → 502,
a model slower than the function's Bedrock timeout → 504. Only the timeout writes a usage line
(marked timed_out, with its bounds): Bedrock may still run and bill that call."""

from __future__ import annotations

import json
import secrets
import time

import pytest

pytestmark = pytest.mark.e2e

MODEL = "amazon.nova-lite-v1:0"


@pytest.fixture(scope="module")
def tenant(e2e):
    tenant_id = f"faults-{secrets.token_hex(3)}"
    return tenant_id, e2e.new_tenant(tenant_id)


def _invoke(e2e, token, model_id=MODEL):
    return e2e.post(
        "invoke_model",
        token,
        {"inputs": e2e.prompt("fault probe"), "parameters": {"maxTokenCount": 8}},
        params={"model_id": model_id},
    )


def _usage_lines(e2e, local_stack, request_ids):
    group = local_stack["functions"][f"{local_stack['stack_prefix']}_invoke_model"]
    found = []
    for page in e2e.logs.get_paginator("filter_log_events").paginate(
        logGroupName=group, filterPattern='"TOKEN_USAGE"'
    ):
        for event in page["events"]:
            usage = json.loads(event["message"]).get("token_usage", {})
            if usage.get("request_id") in request_ids:
                found.append(usage)
    return found


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ({"kind": "throttle"}, 429),
        ({"kind": "error", "status": 500}, 502),
        ({"kind": "error", "status": 503}, 502),
    ],
    ids=["throttling", "internal-error", "unavailable"],
)
def test_bedrock_faults_map_to_statuses_without_usage(e2e, emulator, local_stack, tenant, fault, status):
    _, token = tenant
    emulator.add(**fault, model_id=MODEL)
    response = _invoke(e2e, token)
    assert response.status_code == status, response.text
    assert response.json()["message"]
    if status == 429:
        assert int(response.headers["Retry-After"]) >= 1
    # Another model is untouched by the scoped fault
    assert _invoke(e2e, token, "amazon.nova-micro-v1:0").status_code == 200
    assert _usage_lines(e2e, local_stack, {response.headers["x-amzn-RequestId"]}) == []


def test_a_model_slower_than_the_bedrock_timeout_gets_504(e2e, emulator, local_stack, tenant):
    _, token = tenant
    # The function's Bedrock read timeout is 20 s, its Lambda timeout 28 s, API Gateway's 29 s.
    emulator.add(kind="latency", latency_ms=21_000, model_id=MODEL, count=1)
    started = time.monotonic()
    response = _invoke(e2e, token)
    elapsed = time.monotonic() - started
    assert response.status_code == 504, response.text
    assert elapsed < 29, "the caller got its answer before API Gateway's limit"
    request_id = response.headers["x-amzn-RequestId"]
    deadline = time.monotonic() + 15
    while not (lines := _usage_lines(e2e, local_stack, {request_id})) and time.monotonic() < deadline:
        time.sleep(0.5)
    (usage,) = lines
    assert usage["timed_out"] is True and usage["output_tokens"] == 8 and usage["input_tokens"] > 0
