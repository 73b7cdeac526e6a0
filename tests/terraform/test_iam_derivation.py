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
    assert derive_actions("invoke_model") == {"bedrock:InvokeModel"}
    aggregator = {"logs:FilterLogEvents", "dynamodb:BatchWriteItem", "s3:PutObject"}
    assert derive_actions("cost_tracking") == aggregator | {"dynamodb:UpdateItem"}
    manual = aggregator | {"dynamodb:PutItem", "dynamodb:GetItem", "lambda:InvokeFunction"}
    assert derive_actions("cost_tracking_manual") == manual
    # the athena engine: its queries instead of FilterLogEvents
    athena = {"athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults"}
    assert derive_actions("cost_tracking", engine="athena") == (
        aggregator - {"logs:FilterLogEvents"}
    ) | athena | {"dynamodb:UpdateItem"}
    assert derive_actions("ddb_cost_retrieval") == {"dynamodb:Query", "dynamodb:Scan"}
