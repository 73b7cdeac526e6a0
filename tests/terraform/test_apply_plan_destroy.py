"""The full root module against a moto server on 127.0.0.1: apply, plan (no changes), destroy.

The run also checks each function's IAM policy against the actions its code calls (derived
from the source, see iam_derive.py), and writes the figures (times, resources by type against
the reference's table) to build/reports/terraform-suite.json.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter

import boto3
import pytest

from scripts import tf
from scripts.build import FUNCTIONS, build_all
from scripts.config import ROOT
from tests.support.moto_server import start_moto_server
from tests.terraform.iam_derive import derive_actions

pytestmark = pytest.mark.terraform

REPORT = ROOT / "build" / "reports" / "terraform-suite.json"

# Statements every function role has for Lambda's own needs, not for calls in the code.
PLATFORM_SIDS = {"WriteOwnLogs", "CreateInterfacesInOwnSubnets", "ManageOwnInterfaces", "DescribeInterfaces"}
# What Athena does with the caller's rights when the athena engine queries (Glue, the archive, results).
PLATFORM_SIDS |= {"ReadUsageTable", "ReadArchivedLines", "ListArchivedLines", "WriteQueryResults"}
# EC2 Describe calls accept no resource but "*"; nothing else may use it.
UNSCOPABLE_ACTIONS = {"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"}

# The reference's resources (CloudFormation type, count) and our counterparts (Terraform types).
REFERENCE = [
    ("AWS::EC2::VPC", 1, ["aws_vpc"]),
    ("AWS::EC2::Subnet", 4, ["aws_subnet"]),
    ("AWS::EC2::RouteTable", 4, ["aws_route_table"]),
    ("AWS::EC2::SubnetRouteTableAssociation", 4, ["aws_route_table_association"]),
    ("AWS::EC2::SecurityGroup", 2, ["aws_security_group", "aws_default_security_group"]),
    (
        "AWS::EC2::SecurityGroupIngress",
        1,
        ["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"],
    ),
    ("AWS::EC2::VPCEndpoint", 12, ["aws_vpc_endpoint"]),
    ("AWS::IAM::Role", 3, ["aws_iam_role"]),
    ("AWS::IAM::ManagedPolicy", 6, ["aws_iam_role_policy"]),
    ("AWS::Lambda::Function", 8, ["aws_lambda_function"]),
    ("AWS::Lambda::LayerVersion", 3, ["aws_lambda_layer_version"]),
    ("AWS::Lambda::Permission", 10, ["aws_lambda_permission"]),
    ("AWS::S3::Bucket", 4, ["aws_s3_bucket"]),
    ("AWS::S3::BucketPolicy", 4, ["aws_s3_bucket_policy"]),
    ("AWS::DynamoDB::Table", 1, ["aws_dynamodb_table"]),
    ("AWS::Cognito::UserPool", 1, ["aws_cognito_user_pool"]),
    ("AWS::Cognito::UserPoolClient", 1, ["aws_cognito_user_pool_client"]),
    ("AWS::ApiGateway::RestApi", 1, ["aws_api_gateway_rest_api"]),
    ("AWS::ApiGateway::Resource", 3, ["aws_api_gateway_resource"]),
    ("AWS::ApiGateway::Method", 7, ["aws_api_gateway_method"]),
    ("AWS::ApiGateway::Authorizer", 1, ["aws_api_gateway_authorizer"]),
    ("AWS::ApiGateway::RequestValidator", 1, ["aws_api_gateway_request_validator"]),
    ("AWS::ApiGateway::Deployment", 1, ["aws_api_gateway_deployment"]),
    ("AWS::ApiGateway::Stage", 1, ["aws_api_gateway_stage"]),
    ("AWS::ApiGateway::UsagePlan", 1, ["aws_api_gateway_usage_plan"]),
    ("AWS::ApiGateway::ApiKey", 1, ["aws_api_gateway_api_key"]),
    ("AWS::ApiGateway::UsagePlanKey", 1, ["aws_api_gateway_usage_plan_key"]),
    # Region-wide: managed only with MANAGE_API_GATEWAY_ACCOUNT (default false) or, through make
    # deploy, when the account has no role yet; the default config uses the account's role.
    ("AWS::ApiGateway::Account", 1, []),
    ("AWS::Events::Rule", 1, ["aws_scheduler_schedule"]),
    ("AWS::CloudFront::Distribution", 1, ["aws_cloudfront_distribution"]),
    ("AWS::CloudFront::CloudFrontOriginAccessIdentity", 1, ["aws_cloudfront_origin_access_control"]),
    ("AWS::CloudFormation::CustomResource", 3, []),
    ("Custom::S3AutoDeleteObjects", 3, []),
]


class Run:
    """What the ordered tests below share."""

    def __init__(self):
        self.url = ""
        self.stop = None
        self.stack: tf.Stack | None = None
        self.outputs: dict = {}
        self.times: dict[str, float] = {}
        self.resources: list[str] = []
        self.destroyed = False

    def client(self, service: str):
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@pytest.fixture(scope="module")
def run(tmp_path_factory, stack_config):
    state = Run()
    state.url, state.stop = start_moto_server()
    build_dir = tmp_path_factory.mktemp("build")
    started = time.monotonic()
    build_all(stack_config, build_dir)
    state.times["build_s"] = round(time.monotonic() - started, 1)
    # A snapshot of web/: others may edit the console while the suite runs.
    web_dir = tmp_path_factory.mktemp("web") / "site"
    shutil.copytree(ROOT / "web", web_dir)
    state.stack = tf.emulator_stack(
        state.url, tmp_path_factory.mktemp("state"), stack_config, build_dir, web_dir=web_dir
    )
    state.build_dir = build_dir
    yield state
    try:
        if not state.destroyed:
            tf.destroy(state.stack)
    finally:
        state.stop()
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        counts = Counter(address_type(address) for address in state.resources)
        REPORT.write_text(
            json.dumps(
                {
                    "times_s": state.times,
                    "resources_by_type": dict(sorted(counts.items())),
                    "resources_total": len(state.resources),
                },
                indent=2,
            )
            + "\n"
        )


def address_type(address: str) -> str:
    """aws_lambda_function from module.functions.aws_lambda_function.this["x"]."""
    parts = [part for part in address.split(".") if part.startswith("aws_")]
    return parts[-1] if parts else address


def test_apply(run):
    result = tf.apply(run.stack)
    run.times["apply_s"] = round(result.seconds, 1)
    run.outputs = tf.output(run.stack)
    run.resources = tf.state_resources(run.stack)
    for name in (
        "api_url",
        "user_pool_id",
        "client_id",
        "cloudfront_domain",
        "web_url",
        "table_name",
        "region",
        "rest_api_id",
        "stage_name",
        "function_names",
        "log_group_names",
        "reports_bucket",
    ):
        assert run.outputs.get(name), f"output {name} is empty"
    assert run.outputs["stage_name"] == "tftest_prod"
    assert run.outputs["api_url"].endswith("/tftest_prod")
    assert sorted(run.outputs["function_names"]) == sorted(FUNCTIONS)


def test_plan_shows_no_changes(run):
    changed, result = tf.plan(run.stack)
    run.times["plan_s"] = round(result.seconds, 1)
    assert not changed, f"plan after apply is not empty:\n{result.stdout[-6000:]}"


def test_resources_match_the_reference(run):
    counts = Counter(address_type(address) for address in run.resources)
    rows = []
    for cfn_type, reference_count, ours in REFERENCE:
        count = sum(counts[t] for t in ours)
        rows.append((cfn_type, reference_count, count, ours))
        if ours:
            assert count >= 1, f"{cfn_type}: no counterpart deployed ({ours})"
    run.times["resources_total"] = len(run.resources)
    print("\nreference type | reference | ours | terraform types")
    for cfn_type, reference_count, count, ours in rows:
        print(f"{cfn_type} | {reference_count} | {count} | {', '.join(ours) or '(build script)'}")


def test_functions_are_configured_as_designed(run):
    lam = run.client("lambda")
    for key, name in run.outputs["function_names"].items():
        config = lam.get_function_configuration(FunctionName=name)
        assert name == f"tftest_{key}"
        assert config["Runtime"] == "python3.12"
        assert config["Handler"] == "index.lambda_handler"
        assert config["VpcConfig"]["SubnetIds"], key
        assert config["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == key
        if key == "archive_verify":  # Firehose's processor: Firehose waits at most 5 minutes for it
            assert config["Timeout"] <= 300, key
        elif key not in ("cost_tracking", "focus_export", "statements"):  # the others behind API Gateway
            # statements also runs the month-close schedule (every tenant's files): its API calls are
            # short, and an on-demand run of every tenant that outlasts API Gateway still completes
            assert config["Timeout"] < 29, (
                f"{key}: timeout {config['Timeout']} s is not below API Gateway's 29 s"
            )
    logs = run.client("logs")
    groups = {
        g["logGroupName"]: g
        for g in logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/tftest_")["logGroups"]
    }
    for key in FUNCTIONS:
        assert groups[f"/aws/lambda/tftest_{key}"].get("retentionInDays") == 30


def test_table_uses_the_shared_key_schema(run):
    schema = json.loads((ROOT / "functions" / "token_profiler" / "table.json").read_text())
    table = run.client("dynamodb").describe_table(TableName=run.outputs["table_name"])["Table"]
    keys = {k["KeyType"]: k["AttributeName"] for k in table["KeySchema"]}
    assert keys == {"HASH": schema["hash_key"], "RANGE": schema["range_key"]}
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == [
        i["name"] for i in schema["global_secondary_indexes"]
    ]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def _role_policies(iam, role_name: str) -> list[dict]:
    statements = []
    for policy_name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
        if isinstance(document, str):
            document = json.loads(document)
        for statement in document["Statement"]:
            statement = dict(statement, _policy=policy_name)
            for field in ("Action", "Resource"):
                if isinstance(statement.get(field), str):
                    statement[field] = [statement[field]]
            statements.append(statement)
    assert not iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"], role_name
    return statements


def test_each_function_may_call_exactly_what_its_code_calls(run):
    iam = run.client("iam")
    figures = {}
    for key, role_name in run.outputs["role_names"].items():
        statements = _role_policies(iam, role_name)
        granted = {action for s in statements if s.get("Sid") not in PLATFORM_SIDS for action in s["Action"]}
        needed = derive_actions(key)
        figures[key] = sorted(needed)
        assert needed, f"{key}: no AWS call found in the code (derivation broken?)"
        assert granted == needed, f"{key}: policy grants {sorted(granted)}, code calls {sorted(needed)}"
    run.times["iam_actions"] = figures


def test_no_wildcard_actions_and_scoped_resources(run):
    iam = run.client("iam")
    roles = [r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("tftest_")]
    # One per function and the schedule's (the API Gateway logging role only when managed).
    assert len(roles) >= len(FUNCTIONS) + 1, [r["RoleName"] for r in roles]
    for role in roles:
        for statement in _role_policies(iam, role["RoleName"]):
            assert statement["_policy"].startswith("tftest_"), statement["_policy"]
            for action in statement["Action"]:
                assert "*" not in action, f"{role['RoleName']}: wildcard action {action}"
            if "*" in statement["Resource"]:
                assert set(statement["Action"]) <= UNSCOPABLE_ACTIONS, f"{role['RoleName']}: {statement}"


def _state_resources(module: dict) -> list[dict]:
    found = list(module.get("resources", []))
    for child in module.get("child_modules", []):
        found += _state_resources(child)
    return found


def test_state_follows_the_first_deployment_rules(run):
    """What real AWS would refuse or break, read from `terraform show -json` (docs/deploy.md)."""
    from scripts.endpoints import REQUIRED_INTERFACE_ENDPOINTS

    resources = _state_resources(tf.show_json(run.stack)["values"]["root_module"])
    by_type: dict[str, list[dict]] = {}
    for resource in resources:
        by_type.setdefault(f"{resource['mode']}.{resource['type']}", []).append(resource)

    # Zones: only those that need no opt-in (never a Local Zone), and served by every endpoint.
    (zones,) = by_type["data.aws_availability_zones"]
    assert {"name": "opt-in-status", "values": ["opt-in-not-required"]} in zones["values"]["filter"]
    services = by_type["data.aws_vpc_endpoint_service"]
    subnet_zones = {subnet["values"]["availability_zone"] for subnet in by_type["managed.aws_subnet"]}
    assert len(subnet_zones) == 2
    for service in services:
        assert subnet_zones <= set(service["values"]["availability_zones"]), service["values"]["service_name"]

    # Endpoints: the required ones present, each one looked up in the Region's service list.
    interface = [
        e for e in by_type["managed.aws_vpc_endpoint"] if e["values"]["vpc_endpoint_type"] == "Interface"
    ]
    names = {e["values"]["service_name"] for e in interface}
    # every endpoint was looked up in the Region's list, but those moto does not list (emulator switch)
    unlisted = {f"com.amazonaws.us-east-1.{name}" for name in ["cognito-idp"]}
    assert names - unlisted == {s["values"]["service_name"] for s in services}
    assert {f"com.amazonaws.us-east-1.{name}" for name in REQUIRED_INTERFACE_ENDPOINTS} <= names

    # The console's bucket is SSE-S3 (CloudFront's OAC cannot use the aws/s3 key); its objects
    # are compared by source_hash, not by an ETag that is no MD5 under SSE-KMS.
    web_bucket = run.outputs["web_bucket"]
    (web_sse,) = [
        r
        for r in by_type["managed.aws_s3_bucket_server_side_encryption_configuration"]
        if r["values"]["bucket"] == web_bucket
    ]
    assert (
        web_sse["values"]["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"]
        == "AES256"
    )
    site_objects = [
        o
        for o in by_type["managed.aws_s3_object"]
        if o["values"]["bucket"] == web_bucket and o["values"]["source"]
    ]
    assert site_objects and all(o["values"]["source_hash"] for o in site_objects)

    # The stage's execution-log group exists, with the retention.
    execution = [
        g
        for g in by_type["managed.aws_cloudwatch_log_group"]
        if g["values"]["name"].startswith("API-Gateway-Execution-Logs_")
    ]
    assert [g["values"]["name"] for g in execution] == [
        f"API-Gateway-Execution-Logs_{run.outputs['rest_api_id']}/{run.outputs['stage_name']}"
    ]
    assert execution[0]["values"]["retention_in_days"] == 30

    # Functions depend on their role's policy (destroyed before it), not only on the role.
    for function in by_type["managed.aws_lambda_function"]:
        assert "module.iam.aws_iam_role_policy.this" in function.get("depends_on", []), function["address"]

    # The access log names the user by sub, never by a claim name with ':' in it.
    (stage,) = by_type["managed.aws_api_gateway_stage"]
    log_format = json.loads(stage["values"]["access_log_settings"][0]["format"])
    assert log_format["sub"] == "$context.authorizer.claims.sub"
    assert not any("cognito:" in value or "custom:" in value for value in log_format.values())


def test_billing_data_is_protected_by_default(run):
    # issue 13, defect 10: the ledger and who may spend are protected; reports are not force-destroyed
    table = run.client("dynamodb").describe_table(TableName=run.outputs["table_name"])["Table"]
    assert table.get("DeletionProtectionEnabled") is True
    pool = run.client("cognito-idp").describe_user_pool(UserPoolId=run.outputs["user_pool_id"])["UserPool"]
    assert pool.get("DeletionProtection") == "ACTIVE"
    assert pool.get("MfaConfiguration") == "OPTIONAL"  # ADMIN_MFA: admins can enrol TOTP
    tfvars = json.loads(run.stack.tfvars.read_text())
    assert (tfvars["deletion_protection"], tfvars["force_destroy"]) == (True, False)


def test_alarms_dashboard_and_dead_letter_queue(run):
    cloudwatch = run.client("cloudwatch")
    alarms = {
        a["AlarmName"]: a for a in cloudwatch.describe_alarms(AlarmNamePrefix="tftest_")["MetricAlarms"]
    }
    expected = {
        "api_5xx_rate",
        "bedrock_throttling",
        "aggregator_errors",
        "aggregation_missing",
        "dead_letters",
        "unpriced_lines",
        "rejected_lines",
        "skipped_lines",
    }
    assert set(alarms) == {f"tftest_{key}" for key in expected}
    topics = [
        t["TopicArn"] for t in run.client("sns").list_topics()["Topics"] if "tftest_alarms" in t["TopicArn"]
    ]
    assert len(topics) == 1
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == topics, alarm["AlarmName"]
    missing = alarms["tftest_aggregation_missing"]
    assert missing["Period"] * missing["EvaluationPeriods"] == 26 * 3600
    assert missing["TreatMissingData"] == "breaching"
    assert cloudwatch.get_dashboard(DashboardName="tftest")["DashboardBody"]
    schedule = run.client("scheduler").get_schedule(Name="tftest_cost_tracking")["Target"]
    assert schedule["RetryPolicy"]["MaximumRetryAttempts"] == 3
    assert schedule["DeadLetterConfig"]["Arn"].endswith(":tftest_cost_tracking_dlq")


def test_protection_is_turned_off_and_applied_before_destroy(run):
    # what docs/terraform.md tells an operator to do before make destroy
    tfvars = json.loads(run.stack.tfvars.read_text())
    tfvars.update(deletion_protection=False)
    run.stack.tfvars.write_text(json.dumps(tfvars, indent=2) + "\n")
    tf.apply(run.stack)
    table = run.client("dynamodb").describe_table(TableName=run.outputs["table_name"])["Table"]
    assert table.get("DeletionProtectionEnabled") is False


def test_destroy_leaves_nothing(run):
    result = tf.destroy(run.stack)
    run.destroyed = True
    run.times["destroy_s"] = round(result.seconds, 1)
    assert tf.state_resources(run.stack) == []
    # moto's backends are per process, so other suites' tables share this server: look at ours only
    assert not [
        f
        for f in run.client("lambda").list_functions()["Functions"]
        if f["FunctionName"].startswith("tftest_")
    ]
    assert not [t for t in run.client("dynamodb").list_tables()["TableNames"] if t.startswith("tftest_")]
    assert not [b for b in run.client("s3").list_buckets()["Buckets"] if b["Name"].startswith("tftest-")]
    assert not [r for r in run.client("iam").list_roles()["Roles"] if r["RoleName"].startswith("tftest_")]
    print(f"\nterraform suite times: {json.dumps(run.times)}")
