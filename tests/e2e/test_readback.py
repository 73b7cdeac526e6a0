"""The local gateway serves what Terraform deployed: it read the REST API, the functions and the
schedule back from the emulator, and those match configs.json and the project's functions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
ROUTES = {  # path → function key (the seed's path names, the functions' own names)
    "/invoke_model": "invoke_model",
    "/cost_track_manual": "cost_tracking_manual",
    "/ddb_cost_retrieval": "ddb_cost_retrieval",
    "/tenant_plan": "tenant_plan",
    "/tenant_status": "tenant_status",
    "/statements": "statements",
    "/statement_download": "statements",
    "/statement_generate": "statements",
    # one function behind the registry's four paths
    "/tenants": "tenants",
    "/tenant_create": "tenants",
    "/tenant_update": "tenants",
    "/tenant_user": "tenants",
}


def test_gateway_config_is_the_deployed_one(local_stack):
    config_entry = json.loads((REPO / "configs.json").read_text())[0]
    host = local_stack["api_url"].rsplit("/", 1)[0]
    config = requests.get(f"{host}/_local/config", timeout=10).json()
    prefix = local_stack["stack_prefix"]
    assert config["stage"] == f"{prefix}_prod" and local_stack["api_url"].endswith(f"/{prefix}_prod")
    assert config["throttle"] == {
        "rate": config_entry["API_THROTTLING_RATE"],
        "burst": config_entry["API_BURST_RATE"],
    }
    assert set(config["routes"]) == set(ROUTES)
    for path, methods in config["routes"].items():
        assert set(methods) == {"POST", "OPTIONS"}
        post = methods["POST"]
        assert post["authorization"] == "COGNITO_USER_POOLS" and post["identity_header"] == "Auth"
        assert post["integration"] == "AWS_PROXY"
        assert post["function"].endswith(f":function:{prefix}_{ROUTES[path]}")
        assert methods["OPTIONS"]["integration"] == "MOCK"
        assert "Access-Control-Allow-Origin" in methods["OPTIONS"]["mock_headers"]
    assert config["routes"]["/invoke_model"]["POST"]["required_params"] == [
        "header.Auth",
        "querystring.model_id",
    ] or set(config["routes"]["/invoke_model"]["POST"]["required_params"]) == {
        "header.Auth",
        "querystring.model_id",
    }
    functions = config["functions"]
    assert set(functions) == {
        f"{prefix}_{key}"
        for key in (
            "invoke_model",
            "cost_tracking",
            "cost_tracking_manual",
            "ddb_cost_retrieval",
            "tenant_plan",
            "tenant_status",
            "focus_export",
            "statements",
            "archive_verify",  # read back from the archive stream's processor, not from a route
            "tenants",
        )
    }
    for name, function in functions.items():
        assert function["handler"] == "index.lambda_handler"
        assert function["code"] == name.removeprefix(f"{prefix}_") + ".zip"
        assert function["layers"] == ["layer.zip"]
        assert "LOG_LEVEL" in function["environment"]
    for name in (f"{prefix}_invoke_model", f"{prefix}_cost_tracking_manual", f"{prefix}_ddb_cost_retrieval"):
        assert functions[name]["timeout"] < 29, "API functions stop before API Gateway's 29 s"
    schedules = {s["name"]: s for s in config["schedules"]}
    assert set(schedules) == {f"{prefix}_cost_tracking", f"{prefix}_focus_export", f"{prefix}_statements"}
    schedule = schedules[f"{prefix}_cost_tracking"]
    assert schedule["expression"] == config_entry["SCHEDULE"]
    assert schedule["function_arn"].endswith(f":function:{prefix}_cost_tracking")
    # last month's statements on the 1st, after the nightly aggregation has covered its last day
    assert schedules[f"{prefix}_statements"]["expression"] == "cron(0 3 1 * ? *)"
    assert schedules[f"{prefix}_statements"]["function_arn"].endswith(f":function:{prefix}_statements")
    assert schedules[f"{prefix}_focus_export"]["function_arn"].endswith(f":function:{prefix}_focus_export")
