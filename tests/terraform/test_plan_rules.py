"""A plan with the console turned off, read as `terraform show -json`: the backend deploys and
answers without CloudFront, and the plan's own configuration says the backend reads nothing of
the console (a CloudFront refusal can never block it)."""

from __future__ import annotations

import dataclasses

import pytest

from scripts import tf
from scripts.build import FUNCTIONS, build_all
from tests.support.moto_server import start_moto_server

pytestmark = pytest.mark.terraform

BACKEND_MODULES = ("network", "data", "iam", "functions", "auth", "api", "scheduler")


@pytest.fixture(scope="module")
def plan(tmp_path_factory, stack_config):
    url, stop = start_moto_server()
    try:
        config = dataclasses.replace(stack_config, stack_prefix="tfplan", web_console=False)
        build_dir = tmp_path_factory.mktemp("build")
        build_all(config, build_dir)
        stack = tf.emulator_stack(url, tmp_path_factory.mktemp("state"), config, build_dir)
        saved = stack.state_dir / "plan.bin"
        changed, _ = tf.plan(stack, out=saved)
        assert changed
        yield tf.show_json(stack, saved)
    finally:
        stop()


def references(value) -> set[str]:
    found = set()
    if isinstance(value, dict):
        found.update(value.get("references", []))
        for child in value.values():
            found |= references(child)
    elif isinstance(value, list):
        for child in value:
            found |= references(child)
    return found


def test_the_backend_reads_nothing_of_the_console(plan):
    calls = plan["configuration"]["root_module"]["module_calls"]
    for name in BACKEND_MODULES:
        read = references(calls[name]["expressions"])
        assert not [r for r in read if r.startswith("module.web")], f"module {name} reads {read}"
    # (The plan's configuration has no locals; test_deploy_rules.py reads those in the source.)


def test_without_the_console_nothing_of_cloudfront_is_planned(plan):
    created = [c for c in plan["resource_changes"] if "create" in c["change"]["actions"]]
    types = {c["type"] for c in created}
    assert not [t for t in types if t.startswith("aws_cloudfront_")]
    assert not [c["address"] for c in created if c["address"].startswith("module.web")]
    assert {"aws_lambda_function", "aws_api_gateway_stage", "aws_cognito_user_pool"} <= types
    functions = {c["index"] for c in created if c["type"] == "aws_lambda_function"}
    assert sorted(functions) == sorted(FUNCTIONS)
    # No console origin yet: the API allows any origin (the Auth header is the credential).
    assert plan["planned_values"]["outputs"]["cors_origin"]["value"] == "*"
    preflights = [
        c["change"]["after"] for c in created if c["type"] == "aws_api_gateway_integration_response"
    ]
    assert preflights
    for after in preflights:
        assert after["response_parameters"]["method.response.header.Access-Control-Allow-Origin"] == "'*'"
    assert plan["planned_values"]["outputs"]["web_url"]["value"] == ""


def test_the_functions_role_arns_wait_for_the_policies(plan):
    iam = plan["configuration"]["root_module"]["module_calls"]["iam"]["module"]
    assert "aws_iam_role_policy.this" in iam["outputs"]["role_arns"]["depends_on"]


def test_the_planned_subnets_are_in_zones_every_endpoint_serves(plan):
    def resources(module):
        found = list(module.get("resources", []))
        for child in module.get("child_modules", []):
            found += resources(child)
        return found

    read = resources(plan["prior_state"]["values"]["root_module"])
    zones = [r for r in read if r["type"] == "aws_availability_zones"]
    assert (
        zones and {"name": "opt-in-status", "values": ["opt-in-not-required"]} in zones[0]["values"]["filter"]
    )
    services = [r for r in read if r["type"] == "aws_vpc_endpoint_service"]
    from scripts.endpoints import REQUIRED_INTERFACE_ENDPOINTS

    # the default endpoints (what the functions call), each looked up in the Region's list; moto
    # lists no cognito-idp endpoint service, so the emulator switch skips that one lookup
    # (emulator_unlisted_endpoint_services, docs/terraform.md); on AWS it is looked up too
    unlisted = {"cognito-idp"}
    assert {s["values"]["service_name"] for s in services} == {
        f"com.amazonaws.us-east-1.{name}" for name in REQUIRED_INTERFACE_ENDPOINTS if name not in unlisted
    }
    subnets = [
        c["change"]["after"]["availability_zone"]
        for c in plan["resource_changes"]
        if c["type"] == "aws_subnet"
    ]
    assert len(subnets) == 2
    for service in services:
        assert set(subnets) <= set(service["values"]["availability_zones"])
