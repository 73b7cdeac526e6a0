"""The usage ledger on the local stack: invocations reach the S3 archive through the log group's
subscription filter and Firehose (moto delivers them), DuckDB over the archive gives the same rows
as the log group, and a long manual range answers 202 and completes."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time

import boto3
import pytest
from token_profiler.aggregate import build_rows
from token_profiler.ledger import archive, duckdb_engine, logs_engine
from token_profiler.prices import load_catalog
from token_profiler.signing import load_keyring

pytestmark = pytest.mark.e2e

MODEL = "amazon.nova-micro-v1:0"


def s3_client(outputs, service: str = "s3"):
    return boto3.client(
        service,
        endpoint_url=outputs["aws_endpoint_url"],
        region_name=outputs["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def archived_usage(outputs) -> list[dict]:
    s3 = s3_client(outputs)
    bucket = outputs["archive_bucket"]
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="usage/"):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            for line in archive.object_lines(body).decode().splitlines():
                if '"TOKEN_USAGE"' in line:
                    found.append(json.loads(line)["token_usage"])
    return found


def test_calls_reach_the_archive_through_the_subscription(e2e, local_stack):
    # Given a fresh tenant's three calls
    tenant = f"ledger-{secrets.token_hex(3)}"
    token = e2e.new_tenant(tenant)
    for n in range(3):
        response = e2e.post(
            "invoke_model",
            token,
            {"inputs": e2e.prompt(f"archive me {n}"), "parameters": {"maxTokenCount": 50}},
            params={"model_id": MODEL},
        )
        assert response.status_code == 200, response.text
    # Then the archive holds exactly those three usage lines (moto delivers on PutLogEvents)
    deadline = time.monotonic() + 30
    while True:
        mine = [u for u in archived_usage(local_stack) if u["tenant_id"] == tenant]
        if len(mine) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert len(mine) == 3 and {u["model_id"] for u in mine} == {MODEL}
    assert len({u["request_id"] for u in mine}) == 3


def test_duckdb_over_the_archive_gives_the_log_groups_rows(e2e, local_stack):
    # Given some calls today (this module's or earlier ones')
    token = e2e.new_tenant(f"ledger-{secrets.token_hex(3)}")
    response = e2e.post(
        "invoke_model", token, {"inputs": e2e.prompt("compare engines")}, params={"model_id": MODEL}
    )
    assert response.status_code == 200, response.text
    day = dt.datetime.now(dt.UTC).date()
    group = f"/aws/lambda/{local_stack['stack_prefix']}_invoke_model"
    catalog = load_catalog()
    # When both engines read today
    keys = load_keyring(s3_client(local_stack, "secretsmanager"), local_stack["signing_secret_arn"]).keys
    by_logs = logs_engine.read_day(e2e.logs, group, day, keys=keys, accept_unsigned=False)
    by_duckdb = duckdb_engine.read_day(
        s3_client(local_stack), local_stack["archive_bucket"], "usage/", day, keys=keys, accept_unsigned=False
    )
    # Then their priced rows are identical, to the last digit
    assert by_logs.lines_counted > 0
    assert (by_duckdb.lines_counted, by_duckdb.duplicates) == (by_logs.lines_counted, by_logs.duplicates)
    assert by_duckdb.rejected == by_logs.rejected
    assert build_rows(by_duckdb, catalog) == build_rows(by_logs, catalog)


def test_a_long_manual_range_answers_202_and_completes(e2e, local_stack):
    admin = e2e.admin_token()
    today = dt.datetime.now(dt.UTC).date()
    body = {"start_date": (today - dt.timedelta(days=2)).isoformat(), "end_date": today.isoformat()}
    response = e2e.post("cost_track_manual", admin, body)
    assert response.status_code == 202, response.text
    started = response.json()
    assert started["status"] == "running" and len(started["dates"]) == 3
    deadline = time.monotonic() + 120
    while True:
        status = e2e.post("cost_track_manual", admin, {"run_id": started["run_id"]})
        assert status.status_code == 200, status.text
        run = status.json()
        if run["status"] != "running" or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert run["status"] == "succeeded", run
    assert run["summary"]["dates"] == started["dates"]
    assert run["summary"]["lines_counted"] >= 1
