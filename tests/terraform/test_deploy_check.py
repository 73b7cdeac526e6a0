"""make deploy-check against moto: what moto serves is checked, the rest says "not checkable here"."""

from __future__ import annotations

import dataclasses

import boto3
import pytest

from scripts import deploy_check
from scripts.config import validate_entry
from scripts.endpoints import REQUIRED_INTERFACE_ENDPOINTS

pytestmark = pytest.mark.integration

BASE = {
    "STACK_PREFIX": "chk",
    "BEDROCK_ENDPOINT": "https://bedrock.{}.amazonaws.com",
    "BEDROCK_RUNTIME_ENDPOINT": "https://bedrock-runtime.{}.amazonaws.com",
    "VPC_CIDR": "10.10.0.0/16",
    "API_THROTTLING_RATE": 10,
    "API_BURST_RATE": 10,
    "ENABLED_MODELS": ["amazon.nova-micro-v1:0"],
}


def _list_cognito_idp_as_aws_does(parsed, **_):
    """moto's DescribeVpcEndpointServices lacks cognito-idp, which AWS offers as an interface
    endpoint in us-east-1 (a required endpoint: the tenants function creates users). Add it, in
    the zones moto gives the logs endpoint, so the check sees what AWS would answer."""
    details = parsed.get("ServiceDetails", [])
    names = {d["ServiceName"] for d in details}
    logs = next((d for d in details if d["ServiceName"] == "com.amazonaws.us-east-1.logs"), None)
    if logs is not None and "com.amazonaws.us-east-1.cognito-idp" not in names:
        details.append({**logs, "ServiceName": "com.amazonaws.us-east-1.cognito-idp"})


@pytest.fixture
def client(moto_server_url):
    def make(service):
        made = boto3.client(service, region_name="us-east-1", endpoint_url=moto_server_url)
        if service == "ec2":
            made.meta.events.register(
                "after-call.ec2.DescribeVpcEndpointServices", _list_cognito_idp_as_aws_does
            )
        return made

    return make


def by_topic(findings):
    found = {}
    for finding in findings:
        found.setdefault(finding.topic, []).append(finding)
    return found


def test_default_config_passes_what_moto_can_answer(client):
    findings = by_topic(deploy_check.run_checks(client, validate_entry(BASE)))
    assert [f.status for f in findings["endpoints"]] == ["ok"]
    (zones,) = findings["zones"]
    assert zones.status == "ok" and "us-east-1a" in zones.message
    # moto has no GetFoundationModelAvailability: said plainly, never reported as fine.
    (models,) = findings["model access"]
    assert models.status == "unknown" and deploy_check.NOT_CHECKABLE in models.message


def test_an_endpoint_outside_the_regions_list_is_a_problem(client):
    config = validate_entry(
        {**BASE, "VPC_INTERFACE_ENDPOINTS": [*REQUIRED_INTERFACE_ENDPOINTS, "no-such-service"]}
    )
    (problem,) = [f for f in deploy_check.run_checks(client, config) if f.status == "problem"]
    assert problem.topic == "endpoints" and "no-such-service" in problem.message


def test_zones_that_are_not_usable_are_a_problem(client):
    config = validate_entry({**BASE, "AVAILABILITY_ZONES": ["us-east-1a", "us-east-1z"]})
    (problem,) = [f for f in deploy_check.run_checks(client, config) if f.status == "problem"]
    assert problem.topic == "zones" and "us-east-1z" in problem.message


def test_api_gateway_account_role(client):
    config = validate_entry(BASE)
    (finding,) = by_topic(deploy_check.run_checks(client, config))["api gateway account"]
    assert finding.status == "ok" and "no role set" in finding.message
    iam = client("iam")
    arn = iam.create_role(RoleName="chk_existing_apigw", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    client("apigateway").update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": arn}]
    )
    try:
        (finding,) = by_topic(deploy_check.run_checks(client, config))["api gateway account"]
        assert finding.status == "ok" and arn in finding.message and "existing" in finding.message
        iam.delete_role(RoleName="chk_existing_apigw")
        (finding,) = by_topic(deploy_check.run_checks(client, config))["api gateway account"]
        assert finding.status == "problem" and "no longer exists" in finding.message
    finally:
        client("apigateway").update_account(
            patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": ""}]
        )


def test_cloudfront_without_a_distribution_is_unknown_and_off_when_the_console_is(client):
    config = validate_entry(BASE)
    (finding,) = by_topic(deploy_check.run_checks(client, config))["cloudfront"]
    assert finding.status in ("unknown", "ok")  # other suites' distributions may share the server
    off = dataclasses.replace(config, web_console=False)
    (finding,) = by_topic(deploy_check.run_checks(client, off))["cloudfront"]
    assert finding.status == "ok" and "WEB_CONSOLE is false" in finding.message


class _Bedrock:
    """GetFoundationModelAvailability answers in Bedrock's shape (moto does not serve it)."""

    def __init__(self, answers):
        self.answers = answers
        self.asked = []

    def get_foundation_model_availability(self, modelId):  # noqa: N803 - boto3's name
        from botocore.exceptions import ClientError

        self.asked.append(modelId)
        if modelId not in self.answers:
            error = {"Error": {"Code": "ResourceNotFoundException", "Message": "not found"}}
            raise ClientError(error, "GetFoundationModelAvailability")
        return self.answers[modelId]


def test_model_access_reads_each_availability_field():
    ok = {
        "regionAvailability": "AVAILABLE",
        "entitlementAvailability": "AVAILABLE",
        "agreementAvailability": {"status": "AVAILABLE"},
        "authorizationStatus": "AUTHORIZED",
    }
    answers = {
        "amazon.nova-micro-v1:0": ok,
        "anthropic.claude-3-5-haiku-20241022-v1:0": {**ok, "authorizationStatus": "NOT_AUTHORIZED"},
        "meta.llama3-8b-instruct-v1:0": {**ok, "entitlementAvailability": "NOT_AVAILABLE"},
    }
    bedrock = _Bedrock(answers)
    result = deploy_check.model_access(
        lambda service: bedrock,
        [
            "amazon.nova-micro-v1:0",
            "us.anthropic.claude-3-5-haiku-20241022-v1:0",
            "meta.llama3-8b-instruct-v1:0",
            "vendor.unknown-v1:0",
        ],
    )
    # A profile id is asked about by its foundation model.
    assert "anthropic.claude-3-5-haiku-20241022-v1:0" in bedrock.asked
    assert result["amazon.nova-micro-v1:0"] == (True, "callable")
    assert result["us.anthropic.claude-3-5-haiku-20241022-v1:0"][0] is False
    assert "use-case form" in result["us.anthropic.claude-3-5-haiku-20241022-v1:0"][1]
    assert "Marketplace" in result["meta.llama3-8b-instruct-v1:0"][1]
    assert result["vendor.unknown-v1:0"] == (False, "Bedrock does not know this model id in this Region")
