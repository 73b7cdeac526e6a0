"""Integration fixtures: AWS resources on the session's moto server, built from table.json."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from token_profiler.storage import TABLE_SCHEMA_PATH

from tests.support.usage_lines import TEST_KEYRING_VALUE

REGION = "us-east-1"


def create_table(client, name: str) -> None:
    """The usage table, from the same key schema Terraform reads."""
    schema = json.loads(TABLE_SCHEMA_PATH.read_text())
    client.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": a["name"], "AttributeType": a["type"]} for a in schema["attributes"]
        ],
        KeySchema=[
            {"AttributeName": schema["hash_key"], "KeyType": "HASH"},
            {"AttributeName": schema["range_key"], "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": gsi["name"],
                "KeySchema": [
                    {"AttributeName": gsi["hash_key"], "KeyType": "HASH"},
                    {"AttributeName": gsi["range_key"], "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": gsi["projection_type"]},
            }
            for gsi in schema["global_secondary_indexes"]
        ],
        BillingMode="PAY_PER_REQUEST",
    )


class Stack:
    """One isolated set of resources (unique names) on the shared moto server."""

    def __init__(self, url: str):
        self.url = url
        suffix = uuid.uuid4().hex[:10]
        self.table_name = f"usage-{suffix}"
        self.bucket = f"reports-{suffix}"
        self.log_group = f"/aws/lambda/test_invoke_model_{suffix}"
        self.logs = boto3.client("logs", region_name=REGION, endpoint_url=url)
        self.ddb = boto3.client("dynamodb", region_name=REGION, endpoint_url=url)
        self.s3 = boto3.client("s3", region_name=REGION, endpoint_url=url)
        create_table(self.ddb, self.table_name)
        self.s3.create_bucket(Bucket=self.bucket)
        self.logs.create_log_group(logGroupName=self.log_group)
        self._stream = 0

    def put_lines(self, events: list[tuple[int, str]], batch: int = 5000) -> None:
        """Write (timestamp_ms, message) events to the log group, in a new stream, in time order."""
        self._stream += 1
        stream = f"2026/11/27/[$LATEST]{self._stream:04d}"
        self.logs.create_log_stream(logGroupName=self.log_group, logStreamName=stream)
        ordered = sorted(events, key=lambda e: e[0])
        for start in range(0, len(ordered), batch):
            chunk = ordered[start : start + batch]
            response = self.logs.put_log_events(
                logGroupName=self.log_group,
                logStreamName=stream,
                logEvents=[{"timestamp": ts, "message": msg} for ts, msg in chunk],
            )
            assert not response.get("rejectedLogEventsInfo"), response["rejectedLogEventsInfo"]

    def items(self) -> list[dict]:
        found, kwargs = [], {"TableName": self.table_name}
        while True:
            page = self.ddb.scan(**kwargs)
            found += page["Items"]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return sorted(found, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))

    def report(self, day: str) -> str:
        return self.s3.get_object(Bucket=self.bucket, Key=f"reports/{day}/usage.csv")["Body"].read().decode()


@pytest.fixture
def aws_env(moto_server_url, monkeypatch):
    """Point every boto3 client without an explicit endpoint at the moto server."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server_url)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return moto_server_url


@pytest.fixture
def signing_secret(aws_env, monkeypatch) -> str:
    """The deployment's signing keyring in Secrets Manager (the tests' keys), named in the env."""
    # the endpoint the handlers use (AWS_ENDPOINT_URL), which a test may have pointed at another server
    client = boto3.client("secretsmanager", region_name=REGION)
    arn = client.create_secret(Name=f"test/usage-signing-key-{uuid.uuid4().hex[:10]}")["ARN"]
    client.put_secret_value(SecretId=arn, SecretString=TEST_KEYRING_VALUE)
    monkeypatch.setenv("USAGE_SIGNING_SECRET", arn)
    monkeypatch.delenv("SIGNED_LINES_FROM", raising=False)
    monkeypatch.delenv("SIGNED_DAYS_FROM", raising=False)
    return arn


@pytest.fixture
def stack(aws_env, signing_secret, monkeypatch) -> Stack:
    stack = Stack(aws_env)
    monkeypatch.setenv("TABLE_NAME", stack.table_name)
    monkeypatch.setenv("S3_BUCKET", stack.bucket)
    monkeypatch.setenv("LOG_GROUP_API", stack.log_group)
    monkeypatch.setenv("ADMIN_GROUP", "admin")
    monkeypatch.setenv("RETENTION_DAYS", "400")
    return stack
