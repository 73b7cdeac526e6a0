"""What a first deployment to a real account needs, read from the module sources (python-hcl2).

moto accepts any zone, serves every endpoint service everywhere, ignores KMS key policies and
releases network interfaces at once, so an apply against it cannot show these rules; each test
here names the AWS behaviour it guards (docs/deploy.md). They run in `make test` and `make lint`.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import hcl2
import pytest
import yaml

from scripts.config import ROOT, validate_entry

pytestmark = pytest.mark.unit

TERRAFORM = ROOT / "terraform"
BACKEND_MODULES = ("network", "data", "iam", "functions", "auth", "api", "scheduler")


@cache
def parsed(path: str) -> dict:
    with (TERRAFORM / path).open() as handle:
        return hcl2.load(handle)


def blocks(path: str, kind: str, type_name: str) -> dict:
    """{name: body} of every `kind "type_name" "name"` block in a file."""
    found = {}
    for block in parsed(path).get(kind, []):
        for name, body in block.get(type_name, {}).items():
            found[name] = body
    return found


def modules() -> dict[str, dict]:
    return {name: body for block in parsed("main.tf")["module"] for name, body in block.items()}


def text(value) -> str:
    return json.dumps(value)


# ---- issue 15.1: zones ------------------------------------------------------------------------


def test_zones_are_filtered_to_those_needing_no_opt_in():
    """Names sort Local Zones (us-east-1-bos-1a) among the Region's AZs; an opted-in one must never
    be picked."""
    (zones,) = blocks("modules/network/main.tf", "data", "aws_availability_zones").values()
    assert {"name": "opt-in-status", "values": ["opt-in-not-required"]} in zones["filter"]
    assert zones.get("state") == "available"


def test_zones_are_intersected_with_every_endpoint_services_zones():
    """CreateVpcEndpoint fails with 'does not support the availability zone of the subnet' when a
    subnet's AZ is outside the service's zones (which depend on the account's zone mapping)."""
    services = blocks("modules/network/main.tf", "data", "aws_vpc_endpoint_service")
    (service,) = services.values()
    # every configured endpoint, but those the emulator does not list (a switch that is [] on AWS)
    assert service["for_each"].startswith("${toset([for service in var.interface_endpoints")
    assert "!contains(var.emulator_unlisted_endpoint_services, service)" in service["for_each"]
    assert (
        modules()["network"]["emulator_unlisted_endpoint_services"]
        == "${var.emulator_unlisted_endpoint_services}"
    )
    root = {n: b for block in parsed("variables.tf")["variable"] for n, b in block.items()}
    assert root["emulator_unlisted_endpoint_services"]["default"] == []
    source = (TERRAFORM / "modules/network/main.tf").read_text()
    assert re.search(
        r"setintersection\(\s*\[for service in data\.aws_vpc_endpoint_service\.interface", source
    )
    locals_ = {k: v for block in parsed("modules/network/main.tf")["locals"] for k, v in block.items()}
    assert "local.usable_zones" in locals_["azs"]
    (subnet,) = blocks("modules/network/main.tf", "resource", "aws_subnet").values()
    assert "local.usable_zones" in text(subnet["lifecycle"])


def test_availability_zones_is_a_config_key():
    seed = {
        "STACK_PREFIX": "az",
        "BEDROCK_ENDPOINT": "https://bedrock.{}.amazonaws.com",
        "BEDROCK_RUNTIME_ENDPOINT": "https://bedrock-runtime.{}.amazonaws.com",
        "VPC_CIDR": "10.10.0.0/16",
        "API_THROTTLING_RATE": 10,
        "API_BURST_RATE": 10,
    }
    assert validate_entry(
        {**seed, "AVAILABILITY_ZONES": ["eu-central-1a", "eu-central-1b"]}
    ).availability_zones == [
        "eu-central-1a",
        "eu-central-1b",
    ]
    template = (ROOT / "scripts/templates/stack.tfvars.json.j2").read_text()
    assert '"availability_zones": {{ config.availability_zones | json }}' in template


# ---- issue 15.5: endpoints checked against the Region's list -----------------------------------


def test_each_interface_endpoint_is_looked_up_in_the_regions_service_list():
    """A service the Region does not offer (sagemaker.runtime-fips outside a few Regions) fails
    the plan at the data source, naming it, not half-way through an apply."""
    (endpoint,) = blocks("modules/network/main.tf", "resource", "aws_vpc_endpoint").get("interface") and [
        blocks("modules/network/main.tf", "resource", "aws_vpc_endpoint")["interface"]
    ]
    assert endpoint["service_name"] == (
        "${contains(var.emulator_unlisted_endpoint_services, each.key) ? "
        '"com.amazonaws.${var.region}.${each.key}" : '
        "data.aws_vpc_endpoint_service.interface[each.key].service_name}"
    )


# ---- issue 15.2: the backend never waits for CloudFront ---------------------------------------


def test_no_backend_input_reads_the_console_module():
    """With CloudFront refused (new accounts) or turned off, functions, API and api_url deploy."""
    locals_ = {k: v for block in parsed("main.tf")["locals"] for k, v in block.items()}
    for name, value in locals_.items():
        assert "module.web" not in text(value), f"local.{name} reads the console module"
    for name in BACKEND_MODULES:
        assert "module.web" not in text(modules()[name]), f"module {name} reads the console module"


def test_the_console_can_be_turned_off():
    assert modules()["web"]["count"] == "${var.web_console ? 1 : 0}"
    variables = {k: v for block in parsed("variables.tf")["variable"] for k, v in block.items()}
    assert variables["web_console"]["default"] is True


# ---- issue 15.6: the region-wide API Gateway role ----------------------------------------------


def test_the_api_gateway_account_is_not_taken_over_by_default():
    variables = {k: v for block in parsed("variables.tf")["variable"] for k, v in block.items()}
    assert variables["manage_api_gateway_account"]["default"] is False
    api_variables = {
        k: v for block in parsed("modules/api/variables.tf")["variable"] for k, v in block.items()
    }
    assert api_variables["manage_account_settings"]["default"] is False
    assert (
        validate_entry(
            {
                "STACK_PREFIX": "gw",
                "BEDROCK_ENDPOINT": "https://bedrock.{}.amazonaws.com",
                "BEDROCK_RUNTIME_ENDPOINT": "https://bedrock-runtime.{}.amazonaws.com",
                "VPC_CIDR": "10.10.0.0/16",
                "API_THROTTLING_RATE": 10,
                "API_BURST_RATE": 10,
            }
        ).manage_api_gateway_account
        is False
    )


def test_the_execution_log_group_is_managed_with_retention():
    groups = blocks("modules/api/main.tf", "resource", "aws_cloudwatch_log_group")
    execution = groups["execution"]
    assert (
        execution["name"]
        == "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/${local.stage_name}"
    )
    assert execution["retention_in_days"] == "${var.log_retention_days}"
    settings = blocks("modules/api/main.tf", "resource", "aws_api_gateway_method_settings")["this"]
    assert "${aws_cloudwatch_log_group.execution}" in settings["depends_on"]


def test_the_logging_roles_write_actions_are_scoped():
    """Issue 13.10: not every log group of the account: API Gateway's own names only."""
    (policy,) = blocks("modules/api/main.tf", "data", "aws_iam_policy_document")["cloudwatch"]["statement"][
        :1
    ]
    assert "logs:PutLogEvents" in policy["actions"]
    locals_ = {k: v for block in parsed("modules/api/main.tf")["locals"] for k, v in block.items()}
    assert locals_["log_group_arn"].endswith(":log-group")
    for resource in policy["resources"]:
        assert re.fullmatch(
            r"\$\{local\.log_group_arn\}:(API-Gateway-Execution-Logs_|/aws/apigateway/)\*(:\*)?", resource
        ), resource


# ---- issue 15.7: functions depend on their policy ----------------------------------------------


def test_functions_depend_on_their_roles_policy():
    """Lambda releases a VPC function's interfaces up to ~40 min after deletion and needs the
    role's ec2:DeleteNetworkInterface until then: the policy goes only after the function."""
    (output,) = [o["role_arns"] for o in parsed("modules/iam/outputs.tf")["output"] if "role_arns" in o]
    assert "${aws_iam_role_policy.this}" in output["depends_on"]
    functions = modules()["functions"]
    assert "module.iam.role_arns[key]" in text(functions["functions"])


# ---- issue 15.9: the access log's user ---------------------------------------------------------


def test_the_access_log_names_the_user_by_sub():
    stage = blocks("modules/api/main.tf", "resource", "aws_api_gateway_stage")["this"]
    log_format = stage["access_log_settings"][0]["format"]
    assert '"sub": "$context.authorizer.claims.sub"' in log_format
    assert "cognito:username" not in log_format and "claims.custom:" not in log_format


# ---- issue 13.1: the console's bucket and objects ----------------------------------------------


def test_the_console_bucket_is_readable_by_cloudfront():
    """OAC reads SSE-KMS objects only with kms:Decrypt in the key policy; the aws/s3 key's policy
    cannot grant it, so every object would answer 403."""
    site = [m for block in parsed("modules/web/main.tf")["module"] for n, m in block.items() if n == "site"][
        0
    ]
    assert site["sse_algorithm"] == "AES256"


def test_site_objects_compare_by_source_hash_not_etag():
    """An SSE-KMS object's ETag is no MD5: `etag = filemd5()` would plan a change forever."""
    objects = blocks("modules/web/main.tf", "resource", "aws_s3_object")
    for name, body in objects.items():
        assert "etag" not in body, f"aws_s3_object.{name} sets etag"
        if "source" in body:
            assert body["source_hash"].startswith("${filemd5("), name


# ---- issue 13.9 / 15.8: the CI plan --------------------------------------------------------------


@cache
def workflow() -> dict:
    return yaml.safe_load(Path(ROOT / ".github/workflows/terraform.yml").read_text())


def test_pull_requests_never_get_the_aws_role():
    """PR code (a fork's included) must not run with the account's credentials."""
    plan = workflow()["jobs"]["plan"]
    assert "github.event_name == 'push'" in plan["if"] and "refs/heads/main" in plan["if"]
    assert plan.get("environment"), "the credentialed job runs behind a protected environment"
    checks = workflow()["jobs"]["checks"]
    assert "id-token" not in (checks.get("permissions") or {})


def test_the_plan_is_skipped_without_a_backend_and_without_a_token():
    plan = workflow()["jobs"]["plan"]
    steps = {step.get("id"): step for step in plan["steps"] if step.get("id")}
    assert "STATE_BACKEND" in steps["backend"]["run"]
    credentials = [s for s in plan["steps"] if "configure-aws-credentials" in s.get("uses", "")]
    assert credentials and "steps.backend.outputs.configured == 'true'" in credentials[0]["if"]
    assert "ACTIONS_ID_TOKEN_REQUEST_URL" in text(plan["steps"])


# ---- issue 13.10: billing records are not force-destroyed ------------------------------------


@pytest.mark.parametrize("module_name", ["data", "archive"])
def test_buckets_of_billing_records_follow_force_destroy(module_name):
    """The reports and the usage archive are billing records: destroy may empty them only when
    FORCE_DESTROY (default false) says so, never unconditionally."""
    call = modules()[module_name]
    assert call["force_destroy"] == "${var.force_destroy}", module_name
    variables = {
        n: b for block in parsed(f"modules/{module_name}/variables.tf")["variable"] for n, b in block.items()
    }
    assert variables["force_destroy"]["default"] is False, module_name
    source = (TERRAFORM / "modules" / module_name / "main.tf").read_text()
    settings = re.findall(r"^\s*force_destroy\s*=\s*(.+)$", source, flags=re.M)
    assert settings and all("var.force_destroy" in value for value in settings), settings
