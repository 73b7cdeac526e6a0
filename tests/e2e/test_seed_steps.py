"""The seed README's steps, with the local URL and endpoint swapped in: aws-cli sign-in, then curl."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

AWS = Path(sys.executable).parent / "aws"
SEED_BODY = '{"inputs": "What is Amazon.com?", "parameters": {"maxTokenCount": 4096, "temperature": 0.8}}'


def aws_initiate_auth(outputs, user) -> str:
    """aws cognito-idp initiate-auth --auth-flow USER_PASSWORD_AUTH ... --endpoint-url <moto>"""
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": outputs["region"],
    }
    env.pop("AWS_PROFILE", None)
    result = subprocess.run(
        [
            str(AWS),
            "cognito-idp",
            "initiate-auth",
            "--auth-flow",
            "USER_PASSWORD_AUTH",
            "--auth-parameters",
            f"USERNAME={user['username']},PASSWORD={user['password']}",
            "--client-id",
            outputs["client_id"],
            "--endpoint-url",
            outputs["aws_endpoint_url"],
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["AuthenticationResult"]["IdToken"]


def curl(url: str, token: str, body: str | None = None) -> tuple[int, dict | list]:
    """curl -i -X POST <url> -H 'Content-Type: application/json' -H 'Auth: <IdToken>' -d '<body>'"""
    command = [
        "curl",
        "-s",
        "-X",
        "POST",
        url,
        "-H",
        "Content-Type: application/json",
        "-H",
        f"Auth: {token}",
        "-w",
        "\n%{http_code}",
    ]
    if body is not None:
        command += ["-d", body]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    text, _, status = result.stdout.rpartition("\n")
    return int(status), json.loads(text)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_seed_readme_steps_work_against_the_local_stack(e2e, local_stack):
    api = local_stack["api_url"]
    tenant = next(u for u in local_stack["users"] if not u["admin"])
    admin = next(u for u in local_stack["users"] if u["admin"])
    token = aws_initiate_auth(local_stack, tenant)
    admin_token = aws_initiate_auth(local_stack, admin)
    e2e.tokens.update({token, admin_token})

    # Step 7/8: invoke the two models of the seed with its body
    status, answer = curl(
        f"{api}/invoke_model?model_id=anthropic.claude-3-sonnet-20240229-v1:0", token, SEED_BODY
    )
    assert status == 200 and isinstance(answer[0]["generated_text"], str)
    status, answer = curl(
        f"{api}/invoke_model?model_id=amazon.titan-embed-text-v1", token, '{"inputs": "What is Amazon.com?"}'
    )
    assert status == 200 and len(answer[0]["embedding"]) == 1536

    # cost_track_manual: no body needed, "Calculation Finished!"
    status, answer = curl(f"{api}/cost_track_manual", admin_token)
    assert status == 200 and answer["body"] == "Calculation Finished!"

    # ddb_cost_retrieval: the documented fields, as strings
    status, answer = curl(f"{api}/ddb_cost_retrieval", token)
    assert status == 200
    rows = answer["body"]
    assert rows and {row["name"] for row in rows} == {tenant["tenant_id"]}
    for row in rows:
        for field in (
            "date",
            "input_tokens",
            "output_tokens",
            "input_cost",
            "pk",
            "model_id",
            "output_cost",
            "invocations",
            "name",
        ):
            assert isinstance(row[field], str), field
    models = {row["model_id"] for row in rows}
    assert {"anthropic.claude-3-sonnet-20240229-v1:0", "amazon.titan-embed-text-v1"} <= models
