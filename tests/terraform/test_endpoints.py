"""The VPC endpoints follow the code: every AWS service a function calls has its endpoint, the
required ones are in every config and the defaults, and nothing unused is there by default."""

from __future__ import annotations

import json
import re

import hcl2
import pytest

from scripts import config as config_module
from scripts.build import FUNCTIONS
from scripts.config import ROOT, ConfigError, load_configs, validate_entry
from scripts.endpoints import (
    FEATURE_ENDPOINTS,
    GATEWAY,
    GATEWAY_ENDPOINTS,
    REQUIRED_INTERFACE_ENDPOINTS,
    SERVICE_ENDPOINTS,
)
from tests.terraform.iam_derive import derive_services

pytestmark = pytest.mark.unit

SEED = {
    "STACK_PREFIX": "ep",
    "BEDROCK_ENDPOINT": "https://bedrock.{}.amazonaws.com",
    "BEDROCK_RUNTIME_ENDPOINT": "https://bedrock-runtime.{}.amazonaws.com",
    "VPC_CIDR": "10.10.0.0/16",
    "API_THROTTLING_RATE": 10,
    "API_BURST_RATE": 10,
}


def called_services() -> set[str]:
    # every engine Terraform can deploy (LEDGER_ENGINE logs or athena)
    return set().union(
        *(derive_services(key, engine=engine) for key in FUNCTIONS for engine in ("logs", "athena"))
    )


def test_every_service_the_code_calls_has_its_endpoint_declared():
    """A new boto3 client (Firehose, Athena, Secrets Manager...) fails here until scripts/endpoints.py
    says how the isolated VPC reaches it: one line."""
    services = called_services()
    assert services, "no AWS service found in the code (derivation broken?)"
    missing = services - set(SERVICE_ENDPOINTS)
    assert not missing, f"add these to scripts/endpoints.py SERVICE_ENDPOINTS: {sorted(missing)}"
    unused = set(SERVICE_ENDPOINTS) - services
    assert not unused, f"no function calls {sorted(unused)}: drop them from SERVICE_ENDPOINTS"


def test_required_endpoints_are_what_the_calls_need():
    expected = {SERVICE_ENDPOINTS[s] for s in called_services()} - {GATEWAY} - set(FEATURE_ENDPOINTS)
    assert (
        set(REQUIRED_INTERFACE_ENDPOINTS)
        == expected
        == {
            "bedrock-runtime",
            "lambda",
            "logs",
            "secretsmanager",
            "sns",
            "cognito-idp",  # the tenants function creates tenant users
        }
    )
    assert set(GATEWAY_ENDPOINTS) == {"s3", "dynamodb"}


@pytest.mark.parametrize(("endpoint", "key"), sorted(FEATURE_ENDPOINTS.items()))
def test_a_feature_endpoint_is_added_when_its_feature_is_on(endpoint, key):
    """An endpoint only one feature's calls need is not required, but Terraform adds it with the feature."""
    variable, _, value = key.partition("=")
    condition = rf"var\.{variable.lower()}" + (rf' == "{re.escape(value)}"' if value else "")
    main = (ROOT / "terraform" / "main.tf").read_text()
    assert re.search(rf'{condition} \? \[[^\]]*"{re.escape(endpoint)}"', main), (endpoint, key)


def test_defaults_hold_only_what_is_used():
    assert config_module.DEFAULT_INTERFACE_ENDPOINTS == REQUIRED_INTERFACE_ENDPOINTS
    assert validate_entry(SEED).vpc_interface_endpoints == REQUIRED_INTERFACE_ENDPOINTS
    variables = hcl2.load((ROOT / "terraform" / "variables.tf").open())
    defaults = {name: body.get("default") for block in variables["variable"] for name, body in block.items()}
    assert sorted(defaults["interface_endpoints"]) == REQUIRED_INTERFACE_ENDPOINTS
    assert sorted(defaults["required_interface_endpoints"]) == REQUIRED_INTERFACE_ENDPOINTS
    assert sorted(defaults["gateway_endpoints"]) == GATEWAY_ENDPOINTS
    for config in load_configs():
        assert "sagemaker.runtime-fips" not in config.vpc_interface_endpoints


@pytest.mark.parametrize("dropped", REQUIRED_INTERFACE_ENDPOINTS)
def test_a_list_without_a_required_endpoint_is_refused(dropped):
    endpoints = [e for e in REQUIRED_INTERFACE_ENDPOINTS if e != dropped]
    with pytest.raises(ConfigError, match=rf"VPC_INTERFACE_ENDPOINTS: must include {re.escape(dropped)}"):
        validate_entry({**SEED, "VPC_INTERFACE_ENDPOINTS": endpoints})


def test_terraform_refuses_it_too():
    """The root variable's own validation (a tfvars written by hand skips scripts/config.py)."""
    variables = (ROOT / "terraform" / "variables.tf").read_text()
    block = variables[variables.index('variable "interface_endpoints"') :]
    block = block[: block.index("\n}\n")]
    assert "var.required_interface_endpoints" in block and "contains(var.interface_endpoints" in block


def test_the_rendered_tfvars_carry_the_map(tmp_path):
    from scripts.build import render_tfvars

    target = render_tfvars(validate_entry(SEED), tmp_path / "t.json", tmp_path)
    rendered = json.loads(target.read_text())
    assert rendered["required_interface_endpoints"] == REQUIRED_INTERFACE_ENDPOINTS
    assert rendered["gateway_endpoints"] == GATEWAY_ENDPOINTS
