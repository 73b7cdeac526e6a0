"""make deploy's decisions from the account and the state: the API Gateway role, the console's
second step, a console failure that leaves the backend up, models the account cannot call yet."""

from __future__ import annotations

import dataclasses
import json

import pytest

from scripts import deploy, tf
from scripts.config import validate_entry

pytestmark = pytest.mark.unit

CONFIG = validate_entry(
    {
        "STACK_PREFIX": "steps",
        "BEDROCK_ENDPOINT": "https://bedrock.{}.amazonaws.com",
        "BEDROCK_RUNTIME_ENDPOINT": "https://bedrock-runtime.{}.amazonaws.com",
        "VPC_CIDR": "10.10.0.0/16",
        "API_THROTTLING_RATE": 10,
        "API_BURST_RATE": 10,
        "ENABLED_MODELS": ["amazon.nova-micro-v1:0", "us.anthropic.claude-3-5-haiku-20241022-v1:0"],
    }
)
ROLE = "arn:aws:iam::123456789012:role/someone_elses_apigw_logs"


class Account:
    """apigateway.get_account and bedrock.get_foundation_model_availability, as AWS answers them."""

    def __init__(self, role="", denied=()):
        self.role = role
        self.denied = set(denied)

    def __call__(self, service):
        return self

    def get_account(self):
        return {"cloudwatchRoleArn": self.role} if self.role else {}

    def get_foundation_model_availability(self, modelId):  # noqa: N803 - boto3's name
        return {
            "modelId": modelId,
            "regionAvailability": "AVAILABLE",
            "entitlementAvailability": "AVAILABLE",
            "agreementAvailability": {"status": "AVAILABLE"},
            "authorizationStatus": "NOT_AUTHORIZED" if modelId in self.denied else "AUTHORIZED",
        }


def state(monkeypatch, resources=(), outputs=None):
    monkeypatch.setattr(deploy, "_in_state", lambda stack: (list(resources), dict(outputs or {})))


def test_the_accounts_existing_role_is_used_and_never_taken_over(monkeypatch):
    state(monkeypatch)
    config, _, notes = deploy.settle(CONFIG, None, Account(role=ROLE))
    assert config.manage_api_gateway_account is False
    assert ROLE in notes[0]


def test_without_a_role_the_stack_sets_its_own_and_keeps_it(monkeypatch):
    state(monkeypatch)
    config, _, _ = deploy.settle(CONFIG, None, Account(role=""))
    assert config.manage_api_gateway_account is True
    # Next deploy: the role is now ours and set; the state still manages it, so it is kept.
    state(monkeypatch, ["module.api.aws_api_gateway_account.this[0]"])
    config, _, notes = deploy.settle(CONFIG, None, Account(role="arn:aws:iam::1:role/steps_apigw_cloudwatch"))
    assert config.manage_api_gateway_account is True and "earlier" in notes[0]


def test_the_console_origin_comes_from_an_earlier_apply_only(monkeypatch):
    state(monkeypatch)
    assert deploy.settle(CONFIG, None, Account(role=ROLE))[1] == ""
    state(monkeypatch, outputs={"web_url": "https://d111.cloudfront.net"})
    assert deploy.settle(CONFIG, None, Account(role=ROLE))[1] == "https://d111.cloudfront.net"
    pinned = dataclasses.replace(CONFIG, cors_origin="https://console.example.com")
    assert deploy.settle(pinned, None, Account(role=ROLE))[1] == ""
    off = dataclasses.replace(CONFIG, web_console=False)
    assert deploy.settle(off, None, Account(role=ROLE))[1] == ""


@pytest.fixture
def fake_deploy(monkeypatch, tmp_path):
    """deploy.run with Terraform replaced by a recorder of the tfvars each apply saw."""
    applies = []
    stack = tf.Stack(tmp_path)
    outputs = {
        "api_url": "https://api.example/steps_prod",
        "web_url": "https://d111.cloudfront.net",
        "signing_secret_arn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:steps/usage-signing-key",
    }
    keyed = []  # the signing secrets the deploy gave a keyring to (after the applies)
    monkeypatch.setattr(deploy, "put_signing_key", lambda config, values: keyed.append(values) or "k1")
    monkeypatch.setattr(deploy, "check_credentials", lambda config: None)
    monkeypatch.setattr(deploy, "_stack", lambda config: stack)
    monkeypatch.setattr(
        deploy,
        "_account_client",
        lambda config: Account(role=ROLE, denied={"anthropic.claude-3-5-haiku-20241022-v1:0"}),
    )
    state(monkeypatch)

    def apply(stack):
        applies.append(json.loads(stack.tfvars.read_text()))
        return tf.Result(0, "Apply complete!", "", 1.0)

    monkeypatch.setattr(tf, "apply", apply)
    monkeypatch.setattr(tf, "output", lambda stack: outputs)
    monkeypatch.setattr(tf, "write_outputs", lambda stack, values: deploy.ROOT / "outputs.json")
    return applies


def test_a_first_deploy_narrows_cors_to_the_console_in_a_second_step(fake_deploy, capsys):
    assert deploy.run("deploy", CONFIG) == 0
    assert [a["console_origin"] for a in fake_deploy] == ["", "https://d111.cloudfront.net"]
    printed = capsys.readouterr().out
    assert "Second step" in printed
    # Models the account cannot call yet are named after the deploy.
    assert "us.anthropic.claude-3-5-haiku-20241022-v1:0: not authorized" in printed
    assert "amazon.nova-micro-v1:0:" not in printed
    assert "signing key in use: k1" in printed  # the keyring is put once the secret exists


def test_a_refused_console_leaves_the_backend_deployed_and_says_so(fake_deploy, monkeypatch, capsys):
    def refused(stack):
        raise tf.TerraformError(
            "CreateDistribution: Your account must be verified before you can add new CloudFront resources."
        )

    monkeypatch.setattr(tf, "apply", refused)
    state(monkeypatch, outputs={"api_url": "https://api.example/steps_prod"})
    monkeypatch.setattr(deploy, "load_configs", lambda: [CONFIG])
    assert deploy.main(["deploy"]) == 2
    message = capsys.readouterr().err
    assert "The backend is deployed and answers at https://api.example/steps_prod" in message
    assert "WEB_CONSOLE false" in message
