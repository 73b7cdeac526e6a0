"""The derivation of IAM actions from code, on code written here (so the answer is known)."""

from __future__ import annotations

import textwrap

import pytest

from tests.terraform.iam_derive import derive_actions

pytestmark = pytest.mark.unit


@pytest.fixture
def functions(tmp_path):
    def write(path, text):
        target = tmp_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text))

    write("token_profiler/__init__.py", "")
    write(
        "token_profiler/clients.py",
        """
        import boto3
        def aws_client(service):
            return boto3.client(service)
        """,
    )
    write(
        "token_profiler/store.py",
        """
        class Store:
            def __init__(self, client):
                self.client = client
            def save(self, item):
                self.client.put_item(TableName="t", Item=item)
            def wipe(self):
                self.client.delete_table(TableName="t")
        """,
    )
    write(
        "token_profiler/model.py",
        """
        import boto3
        def get_client():
            return boto3.client("bedrock-runtime")
        def call(fn, **kwargs):
            return fn(**kwargs)
        def chat(client, text):
            return call(client.converse, modelId="m", messages=[text])
        """,
    )
    write(
        "writer/index.py",
        """
        from token_profiler.clients import aws_client
        from token_profiler.store import Store
        STORE = Store(aws_client("dynamodb"))
        def lambda_handler(event, context):
            STORE.save(event)
        """,
    )
    write(
        "chat/index.py",
        """
        from token_profiler import model
        def lambda_handler(event, context):
            return model.chat(model.get_client(), event["text"])
        """,
    )
    return tmp_path


def test_only_reachable_operations_count(functions):
    # Store.wipe (DeleteTable) is defined but never called from the handler.
    assert derive_actions("writer", functions) == {"dynamodb:PutItem"}


def test_an_operation_passed_as_a_callable_counts_under_its_iam_name(functions):
    # Converse is authorized as bedrock:InvokeModel.
    assert derive_actions("chat", functions) == {"bedrock:InvokeModel"}


def test_the_real_functions_need_what_docs_say():
    """Guards the docs' IAM table: a new AWS call in the code fails here and in the Terraform suite."""
    secret = "secretsmanager:GetSecretValue"  # the signing key: read by the signer and the verifiers
    assert derive_actions("invoke_model") == {
        "bedrock:InvokeModel",
        secret,
        "dynamodb:GetItem",  # the period's counters (a 402's figures, alerts)
        "dynamodb:BatchGetItem",  # the tenant's plan and registry status in one read (cached)
        "dynamodb:UpdateItem",  # reserve (also inside TransactWriteItems), settle, release, alert marks
        "sns:Publish",  # budget alerts
    }
    assert derive_actions("tenant_plan") == {"dynamodb:GetItem", "dynamodb:PutItem"}
    assert derive_actions("tenant_status") == {"dynamodb:GetItem", "dynamodb:Scan"}
    # the archive's processor reads the keyring, and nothing else
    assert derive_actions("archive_verify") == {"secretsmanager:GetSecretValue"}
    assert derive_actions("tenants") == {
        "dynamodb:GetItem",
        "dynamodb:PutItem",  # tenant_create: conditional put, ids never reused
        "dynamodb:UpdateItem",  # tenant_update
        "dynamodb:Scan",  # the listing
        "cognito-idp:DescribeUserPool",  # the temporary password meets the pool's policy
        "cognito-idp:AdminCreateUser",
        "cognito-idp:AdminGetUser",  # an existing user's tenant (idempotent, or 409)
        "cognito-idp:AdminAddUserToGroup",
    }
    aggregation = {
        "logs:FilterLogEvents",
        "dynamodb:BatchWriteItem",
        "dynamodb:Query",  # a rerun reads the day's stored rows; reconciliation reads the month
        "s3:PutObject",
        secret,
        "dynamodb:GetItem",  # reconciliation: a tenant's counters (token_profiler.reconcile)
        "dynamodb:Scan",  # ... the tenants of the period
    }
    # a handed-over manual run records its outcome in the runs table
    assert derive_actions("cost_tracking") == aggregation | {"dynamodb:UpdateItem"}
    # ADMIN_MFA: the admin routes read the caller's MFA setting; long ranges are recorded and handed over
    manual = aggregation | {"cognito-idp:AdminGetUser", "dynamodb:PutItem", "lambda:InvokeFunction"}
    assert derive_actions("cost_tracking_manual") == manual
    # the athena engine: its queries instead of FilterLogEvents
    athena = {"athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults"}
    assert derive_actions("cost_tracking", engine="athena") == (
        aggregation - {"logs:FilterLogEvents"}
    ) | athena | {"dynamodb:UpdateItem"}
    # the FOCUS export: the month's daily rows (by_date index), one object per billing period, and
    # the registry's display names
    assert derive_actions("focus_export") == {"dynamodb:Query", "s3:PutObject", "dynamodb:Scan"}
    # statements: the month's rows, the statements prefix (HeadObject is authorized as GetObject,
    # ListObjectsV2 as ListBucket); a presigned URL is signed offline, no call
    assert derive_actions("statements") == {
        "dynamodb:Query",
        "s3:PutObject",
        "s3:GetObject",
        "s3:ListBucket",
    }
    assert derive_actions("ddb_cost_retrieval") == {
        "dynamodb:Query",
        "dynamodb:Scan",
        "cognito-idp:AdminGetUser",
    }
