"""A principal allowed logs:PutLogEvents forges usage lines in a stream it names: they bill nothing.

The forger uses its own credentials and writes straight into the invoke function's log group:
an unsigned line billing a tenant of its choosing, a copy of a real line with an earlier timestamp
and inflated tokens (same request id), and a line with a made-up signature.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from decimal import Decimal

import boto3
import pytest
from token_profiler.ledger import archive

pytestmark = pytest.mark.e2e

MODEL = "amazon.nova-micro-v1:0"


def test_forged_lines_bill_nothing_and_are_reported(e2e):
    # Given a tenant's one real call
    tenant = f"forge-{secrets.token_hex(3)}"
    token = e2e.new_tenant(tenant)
    response = e2e.post(
        "invoke_model",
        token,
        {"inputs": e2e.prompt("How are tokens counted?"), "parameters": {"maxTokenCount": 20}},
        params={"model_id": MODEL},
    )
    assert response.status_code == 200, response.text
    usage = response.json()[0]["usage"]
    group = f"/aws/lambda/{e2e.outputs['stack_prefix']}_invoke_model"
    real = None
    for page in e2e.logs.get_paginator("filter_log_events").paginate(
        logGroupName=group, filterPattern='"TOKEN_USAGE"'
    ):
        for event in page["events"]:
            if json.loads(event["message"])["token_usage"]["tenant_id"] == tenant:
                real = event
    assert real is not None and "sig" in json.loads(real["message"])["token_usage"]
    # When another principal writes forged lines into the log group, in a stream it names
    forger = boto3.client(
        "logs",
        endpoint_url=e2e.outputs["aws_endpoint_url"],
        region_name=e2e.outputs["region"],
        aws_access_key_id="forger",
        aws_secret_access_key="forger-secret",
    )
    stream = f"2026/12/01/[$LATEST]{secrets.token_hex(16)}"
    forger.create_log_stream(logGroupName=group, logStreamName=stream)
    line = json.loads(real["message"])
    inflated = json.loads(real["message"])
    inflated["token_usage"]["input_tokens"] = 10**9  # the real request id, the real signature
    unsigned = json.loads(real["message"])
    unsigned["token_usage"] = {k: v for k, v in line["token_usage"].items() if k != "sig"}
    unsigned["token_usage"].update(tenant_id=f"{tenant}-victim", request_id=f"forged-{secrets.token_hex(4)}")
    made_up = json.loads(real["message"])
    made_up["token_usage"].update(tenant_id=f"{tenant}-victim", request_id=f"forged-{secrets.token_hex(4)}")
    made_up["token_usage"]["sig"] = {"kid": line["token_usage"]["sig"]["kid"], "mac": "A" * 43}
    forger.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[
            {"timestamp": real["timestamp"] - 1, "message": json.dumps(inflated, separators=(",", ":"))},
            {"timestamp": real["timestamp"], "message": json.dumps(unsigned, separators=(",", ":"))},
            {"timestamp": real["timestamp"] + 1, "message": json.dumps(made_up, separators=(",", ":"))},
        ],
    )
    # And the admin aggregates today
    admin = e2e.admin_token()
    day = dt.datetime.now(dt.UTC).date().isoformat()
    summary = e2e.aggregate(admin, {"date": day})["summary"]
    # Then the tenant is billed for its real call only, and the victim for nothing
    rows = e2e.rows(admin, {"start_date": day, "end_date": day})
    mine = [r for r in rows if r["name"] in (tenant, f"{tenant}-victim")]
    assert [(r["name"], r["model_id"]) for r in mine] == [(tenant, MODEL)]
    assert Decimal(mine[0]["invocations"]) == 1
    assert Decimal(mine[0]["input_tokens"]) == usage["input_tokens"]
    assert Decimal(mine[0]["output_tokens"]) == usage["output_tokens"]
    # and the three forged lines are reported as rejected (other tests forge nothing)
    rejected = summary["rejected"]
    assert rejected["bad_signature"] >= 2 and rejected["missing_signature"] >= 1, rejected

    # And the archive holds none of the forged lines: the stream's processor wrote a refusal record
    # (reason and timestamp only) in place of each, next to the tenant's real line
    s3 = boto3.client(
        "s3",
        endpoint_url=e2e.outputs["aws_endpoint_url"],
        region_name=e2e.outputs["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bucket, archived = e2e.outputs["archive_bucket"], []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="usage/"):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            archived += archive.object_lines(body).decode().splitlines()
    mine = [json.loads(x)["token_usage"] for x in archived if f'"{tenant}' in x and "TOKEN_USAGE" in x]
    assert [(u["tenant_id"], u["input_tokens"]) for u in mine] == [(tenant, usage["input_tokens"])]
    refusals = [json.loads(x) for x in archived if "USAGE_LINE_REFUSED" in x]
    stamp = line["timestamp"]
    reasons = sorted(r["reason"] for r in refusals if r["timestamp"] == stamp)
    assert reasons.count("bad_signature") >= 2 and "missing_signature" in reasons, refusals
