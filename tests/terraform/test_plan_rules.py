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


def test_the_focus_table_has_the_exports_columns_with_the_rules_types(plan):
    """The Glue table of the FOCUS export: every written column in file order, each FOCUS column
    typed from its FOCUS 1.2 data type (focus_1_2_columns.json), partitions where the writer puts them."""
    import datetime as dt

    from token_profiler import focus, focus_check

    created = {c["address"]: c["change"]["after"] for c in plan["resource_changes"]}
    (table,) = [a for a in created.values() if a and a.get("name") == "focus_charges"]
    columns = [(c["name"], c["type"]) for c in table["storage_descriptor"][0]["columns"]]
    athena = {"String": "string", "Decimal": "decimal(38,18)", "DateTime": "timestamp", "JSON": "string"}
    rules = focus_check.rules()["columns"]
    assert [name for name, _ in columns] == [name for name, _ in focus.export_columns()]
    for name, athena_type in columns:
        data_type = rules[name]["data_type"] if name in rules else dict(focus.export_columns())[name]
        assert athena_type == athena[data_type], name
    assert set(focus_check.mandatory_columns()) <= {name for name, _ in columns}
    assert [k["name"] for k in table["partition_keys"]] == ["billing_period"]
    params = table["parameters"]
    assert params["projection.billing_period.format"] == "yyyy-MM"
    template = params["storage.location.template"]
    key = focus.export_key(dt.date(2026, 11, 1))
    assert template.endswith("/" + focus.PREFIX + "billing_period=${billing_period}/")
    assert key.startswith(template.split("/", 3)[3].replace("${billing_period}", "2026-11"))
    serde = table["storage_descriptor"][0]["ser_de_info"][0]
    assert serde["serialization_library"] == "org.apache.hive.hcatalog.data.JsonSerDe"
    assert serde["parameters"]["timestamp.formats"] == "yyyy-MM-dd'T'HH:mm:ss'Z'"


def test_the_focus_export_is_scheduled_after_the_aggregation(plan):
    schedules = {
        c["index"]: c["change"]["after"]
        for c in plan["resource_changes"]
        if c["type"] == "aws_scheduler_schedule"
    }
    assert set(schedules) == {"cost_tracking", "focus_export", "statements"}
    assert schedules["cost_tracking"]["name"] == "tfplan_cost_tracking"  # unchanged by the map
    hour = {key: int(s["schedule_expression"].split()[1]) for key, s in schedules.items()}
    assert hour["focus_export"] > hour["cost_tracking"]


def test_each_table_keeps_its_name_keys_recovery_and_protection_after_the_map(plan, stack_config):
    """The data module's four tables, declared by one map: the names and key schemas the code
    reads (the JSON schema files), point-in-time recovery on every table that holds billing or
    tenant records, and deletion protection on the ledger and the registry as configured."""
    import json

    from scripts.config import ROOT

    tables = {
        c["index"]: c["change"]["after"]
        for c in plan["resource_changes"]
        if c["type"] == "aws_dynamodb_table" and c["address"].startswith("module.data.")
    }
    assert set(tables) == {"usage", "plans", "runs", "tenants"}
    package = ROOT / "functions" / "token_profiler"
    schemas = {
        "usage": json.loads((package / "table.json").read_text()),
        "plans": json.loads((package / "plans.json").read_text()),
        "tenants": json.loads((package / "tenants.json").read_text()),
    }
    names = {
        "usage": "token_usage",
        "plans": "tenant_plans",
        "runs": "aggregation_runs",
        "tenants": "tenants",
    }
    protected = stack_config.deletion_protection
    for key, table in tables.items():
        assert table["name"] == f"tfplan_{names[key]}"
        assert [block["enabled"] for block in table["server_side_encryption"]] == [True]
        assert table["billing_mode"] == "PAY_PER_REQUEST", key  # the checkov skip of CKV2_AWS_16 rests on it
        recovery = [block["enabled"] for block in table.get("point_in_time_recovery", [])]
        assert recovery == ([] if key == "runs" else [True]), key
        assert table["deletion_protection_enabled"] is (protected if key in ("usage", "tenants") else False)
        ttl = [(block["attribute_name"], block["enabled"]) for block in table.get("ttl", [])]
        if key == "runs":
            assert (table["hash_key"], ttl) == ("run_id", [("ttl", True)])
            continue
        schema = schemas[key]
        assert table["hash_key"] == schema["hash_key"]
        assert table.get("range_key") == schema.get("range_key")
        assert {(a["name"], a["type"]) for a in table["attribute"]} == {
            (a["name"], a["type"]) for a in schema["attributes"]
        }
        assert ttl == ([(schema["ttl_attribute"], True)] if schema.get("ttl_attribute") else []), key
    indexes = {index["name"] for index in tables["usage"]["global_secondary_index"]}
    assert indexes == {index["name"] for index in schemas["usage"]["global_secondary_indexes"]}
